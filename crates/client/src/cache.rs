//! The token cache: one file per issuer + client + scope + resources, readable only by its
//! owner (0600, in a 0700 directory), reused until shortly before expiry and refreshed
//! when a refresh token exists. Each entry has a lock file held across read, refresh and
//! write, so two commands at once never present the same refresh token twice — a
//! rotating server (RFC 9700 §4.14.2) would take the second use for theft and revoke all.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ClientError;
use crate::client::{Client, Request};
use crate::dpop::DpopKey;
use crate::tokens::Tokens;

/// A cached access token is used only if it stays valid this much longer (seconds).
pub const EXPIRY_MARGIN: u64 = 60;

/// A directory of cached tokens.
#[derive(Debug, Clone)]
pub struct TokenCache {
    dir: PathBuf,
}

/// Where a cached token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Refreshed,
    Obtained,
}

impl TokenCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/oauth2u/tokens`, else `~/.cache/oauth2u/tokens`.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|dir| !dir.is_empty())
                    .map(|home| Path::new(&home).join(".cache"))
            })?;
        Some(base.join("oauth2u").join("tokens"))
    }

    /// The entry for these tokens, locked until the returned value is dropped.
    pub async fn lock(&self, issuer: &str, client_id: &str, request: &Request) -> Result<Entry, ClientError> {
        let name = entry_name(issuer, client_id, request);
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || Entry::open_locked(&dir, &name))
            .await
            .map_err(|error| ClientError::Local(error.to_string()))?
    }

    /// Cached tokens if fresh; else refreshed if a refresh token is cached; else `obtain`,
    /// which is given the client with the entry's DPoP key when it wants one. New tokens
    /// are stored. The entry stays locked throughout.
    pub async fn tokens<F, Fut>(
        &self,
        client: &Client,
        request: &Request,
        obtain: F,
    ) -> Result<(Tokens, Source), ClientError>
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<Tokens, ClientError>>,
    {
        let entry = self.lock(&client.provider().issuer, client.id(), request).await?;
        let client = &entry.keyed(client)?;
        let cached = entry.read();
        if let Some(tokens) = cached.as_ref().filter(|tokens| tokens.fresh_for(EXPIRY_MARGIN)) {
            return Ok((tokens.clone(), Source::Cache));
        }
        if let Some(refresh_token) = cached.as_ref().and_then(Tokens::refresh_token) {
            match client.refresh(refresh_token, request).await {
                Ok(tokens) => {
                    entry.write(&tokens)?;
                    return Ok((tokens, Source::Refreshed));
                }
                // §5.2: the refresh token is no longer good; start over.
                Err(error) if error.is_oauth("invalid_grant") => entry.remove()?,
                Err(error) => return Err(error),
            }
        }
        let tokens = obtain(client.clone()).await?;
        entry.write(&tokens)?;
        Ok((tokens, Source::Obtained))
    }

    /// Refreshes the cached tokens now, whatever their expiry.
    pub async fn refresh(&self, client: &Client, request: &Request) -> Result<Tokens, ClientError> {
        let entry = self.lock(&client.provider().issuer, client.id(), request).await?;
        let client = &entry.keyed(client)?;
        let refresh_token =
            entry.read().and_then(|tokens| tokens.refresh_token().map(str::to_owned)).ok_or_else(|| {
                ClientError::Local("no cached refresh token for this issuer, client and scope".into())
            })?;
        let tokens = client.refresh(&refresh_token, request).await?;
        entry.write(&tokens)?;
        Ok(tokens)
    }
}

/// A hash of what identifies the tokens: no secret and no URL appears in a file name.
fn entry_name(issuer: &str, client_id: &str, request: &Request) -> String {
    let mut scope: Vec<&str> = request.scope.iter().flat_map(|scope| scope.split_whitespace()).collect();
    scope.sort_unstable();
    scope.dedup();
    let mut resources = request.resources.clone();
    resources.sort_unstable();
    let identity = serde_json::json!([issuer, client_id, scope, resources]).to_string();
    Sha256::digest(identity.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// One locked cache entry: its tokens, and the DPoP key they are bound to (RFC 9449).
#[derive(Debug)]
pub struct Entry {
    path: PathBuf,
    key_path: PathBuf,
    /// Holds the lock; released on drop.
    _lock: File,
}

impl Entry {
    fn open_locked(dir: &Path, name: &str) -> Result<Self, ClientError> {
        let local =
            |what: &str, error: std::io::Error| ClientError::Local(format!("token cache {what}: {error}"));
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| local(&dir.display().to_string(), e))?;
        let lock_path = dir.join(format!("{name}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| local(&lock_path.display().to_string(), e))?;
        lock.lock().map_err(|e| local("lock", e))?;
        Ok(Self {
            path: dir.join(format!("{name}.json")),
            key_path: dir.join(format!("{name}.dpop")),
            _lock: lock,
        })
    }

    /// `client`, with this entry's DPoP key if it wants DPoP-bound tokens and has no key
    /// of its own: the same key every time, so that a bound refresh token can be used.
    pub fn keyed(&self, client: &Client) -> Result<Client, ClientError> {
        if !client.wants_dpop() || client.dpop_key().is_some() {
            return Ok(client.clone());
        }
        Ok(client.with_dpop_key(self.dpop_key()?))
    }

    /// The entry's DPoP key (PKCS#8, a 0600 file beside the tokens), made on first use.
    pub fn dpop_key(&self) -> Result<DpopKey, ClientError> {
        if let Ok(der) = fs::read(&self.key_path) {
            return DpopKey::from_pkcs8(&der);
        }
        let (key, der) = DpopKey::generate()?;
        let local = |error: std::io::Error| {
            ClientError::Local(format!("token cache {}: {error}", self.key_path.display()))
        };
        let mut file = OpenOptions::new()
            .create_new(true)
            .write(true)
            .mode(0o600)
            .open(&self.key_path)
            .map_err(local)?;
        file.write_all(&der).and_then(|()| file.sync_all()).map_err(local)?;
        Ok(key)
    }

    /// The cached tokens; an unreadable entry counts as none.
    pub fn read(&self) -> Option<Tokens> {
        serde_json::from_slice(&fs::read(&self.path).ok()?).ok()
    }

    /// Replaces the entry: a new 0600 file renamed over the old, so a crash leaves one or
    /// the other, never half.
    pub fn write(&self, tokens: &Tokens) -> Result<(), ClientError> {
        let local = |error: std::io::Error| {
            ClientError::Local(format!("token cache {}: {error}", self.path.display()))
        };
        let temporary = self.path.with_extension("tmp");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(local)?;
        let json = serde_json::to_vec(tokens).map_err(|error| ClientError::Local(error.to_string()))?;
        file.write_all(&json).and_then(|()| file.sync_all()).map_err(local)?;
        fs::rename(&temporary, &self.path).map_err(local)
    }

    /// Forgets the tokens; the DPoP key stays for the next ones.
    pub fn remove(&self) -> Result<(), ClientError> {
        match fs::remove_file(&self.path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(ClientError::Local(format!("token cache {}: {error}", self.path.display())))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_differ_by_issuer_client_scope_and_resource_but_not_scope_order() {
        let request = |scope: &str, resources: &[&str]| Request {
            scope: Some(scope.into()),
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
        };
        let base = entry_name("https://a", "c", &request("read write", &[]));
        assert_eq!(base, entry_name("https://a", "c", &request("write  read", &[])));
        assert_ne!(base, entry_name("https://b", "c", &request("read write", &[])));
        assert_ne!(base, entry_name("https://a", "d", &request("read write", &[])));
        assert_ne!(base, entry_name("https://a", "c", &request("read", &[])));
        assert_ne!(base, entry_name("https://a", "c", &request("read write", &["https://api"])));
    }

    #[test]
    fn entries_are_private_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join("tokens");
        let entry = Entry::open_locked(&cache_dir, "x").unwrap();
        let tokens = Tokens { response: serde_json::Map::new(), received_at: 1, id_token_claims: None };
        entry.write(&tokens).unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cache_dir), 0o700);
        assert_eq!(mode(&cache_dir.join("x.json")), 0o600);
        assert_eq!(entry.read().unwrap().received_at, 1);
    }

    #[test]
    fn an_entry_is_locked_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let entry = Entry::open_locked(dir.path(), "x").unwrap();
        let other = File::open(dir.path().join("x.lock")).unwrap();
        assert!(matches!(other.try_lock(), Err(std::fs::TryLockError::WouldBlock)));
        drop(entry);
        assert!(other.try_lock().is_ok());
    }
}
