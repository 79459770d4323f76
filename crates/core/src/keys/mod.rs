//! Signing keys for JWT access tokens (RFC 9068) and ID tokens (OpenID Connect Core §2):
//! generated on first use, kept in the database sealed under the [`MasterKey`], published
//! in the JWKS, and rotated so that resource servers and relying parties are never surprised.
//! Each algorithm in use has its own active key: access tokens use the configured one, ID
//! tokens the client's (RS256 by default).
//!
//! - a new key is published for `publish_delay` (the JWKS cache lifetime) before it signs;
//! - a key that stops signing stays published until the last token it signed has expired;
//! - a revoked key disappears at once, and its tokens fail introspection.

mod algorithm;
mod master;
mod server_secret;
mod signer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub use algorithm::GeneratedKey;
pub use master::MasterKey;
use signer::Signer;

pub use crate::signing_key::{SigningAlgorithm, SigningKeyRecord};

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::secret::random_id;
use crate::store::Store;

/// The server's signing keys: policy and a cache of the opened ones.
pub struct KeyRing {
    master: MasterKey,
    algorithm: SigningAlgorithm,
    publish_delay: i64,
    rotation_interval: Option<i64>,
    default_lifetime: i64,
    cache_ttl: i64,
    listed: Mutex<Option<(UnixTime, Vec<SigningKeyRecord>)>>,
    opened: Mutex<HashMap<String, Arc<Signer>>>,
    /// Opened server secrets, by name.
    secrets: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    rotating: tokio::sync::Mutex<()>,
    /// This process's name on the `signing-keys` lease.
    holder: String,
}

/// The lease under which one instance makes a due signing key of the access tokens'
/// algorithm (the name older versions use); other algorithms add their name to it.
const KEY_LEASE: &str = "signing-keys";
/// How often an instance without any key looks for the one another instance is making.
const KEY_LEASE_ATTEMPTS: usize = 50;

impl KeyRing {
    /// The public keys that belong in the JWKS at `now`.
    pub async fn published(&self, store: &dyn Store, now: UnixTime) -> Result<Vec<Value>, OAuthError> {
        let keys = store.signing_keys().await?;
        Ok(keys.into_iter().filter(|key| key.is_published(now)).map(|key| key.public_jwk).collect())
    }

    /// How long resource servers may cache the JWKS: the publish delay.
    pub fn max_age(&self) -> i64 {
        self.publish_delay
    }
}

/// The key to sign with now.
pub struct ActiveKey {
    /// Its id.
    pub kid: String,
    /// Its algorithm.
    pub algorithm: SigningAlgorithm,
    pub(crate) key: Arc<Signer>,
}

impl ActiveKey {
    /// A JWT of `claims` under `header` (which names this key), signed with it.
    pub(crate) fn sign(&self, header: &jsonwebtoken::Header, claims: &Value) -> Result<String, OAuthError> {
        self.key.jwt(header, claims)
    }
}

impl KeyRing {
    /// A key ring. New keys use `algorithm`; a rotated-in key is published `publish_delay`
    /// seconds before it signs; with `rotation_interval`, keys rotate by themselves; access
    /// tokens live `default_lifetime` seconds unless a client says longer; the key list is
    /// read from the store at most every `cache_ttl` seconds (0: every time).
    pub fn new(
        master: MasterKey,
        algorithm: SigningAlgorithm,
        publish_delay: i64,
        rotation_interval: Option<i64>,
        default_lifetime: i64,
        cache_ttl: i64,
    ) -> Self {
        Self {
            master,
            algorithm,
            publish_delay,
            rotation_interval,
            default_lifetime,
            cache_ttl,
            listed: Mutex::new(None),
            opened: Mutex::new(HashMap::new()),
            secrets: Mutex::new(HashMap::new()),
            rotating: tokio::sync::Mutex::new(()),
            holder: random_id(16).unwrap_or_else(|_| format!("pid-{}", std::process::id())),
        }
    }

    /// The algorithm of access tokens (and of the key made at start-up).
    pub fn access_token_algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The key that signs access tokens at `now`.
    pub async fn signing_key(&self, store: &dyn Store, now: UnixTime) -> Result<ActiveKey, OAuthError> {
        self.signing_key_for(store, now, self.algorithm).await
    }

    /// The key that signs with `algorithm` at `now`: the newest unrevoked key of that
    /// algorithm already active. With none, a first key is made, active at once; a due
    /// scheduled rotation happens here too.
    pub async fn signing_key_for(
        &self,
        store: &dyn Store,
        now: UnixTime,
        algorithm: SigningAlgorithm,
    ) -> Result<ActiveKey, OAuthError> {
        let mut keys = self.records(store, now).await?;
        if current(&keys, now, algorithm).is_none() || self.rotation_due(&keys, now, algorithm) {
            let _one_at_a_time = self.rotating.lock().await;
            keys = self.make_due_key(store, now, algorithm).await?;
        }
        let record =
            current(&keys, now, algorithm).ok_or_else(|| OAuthError::server_error("no signing key"))?;
        Ok(ActiveKey { kid: record.kid.clone(), algorithm: record.algorithm, key: self.open(record)? })
    }

    /// Whether `algorithm` needs a new key: it has none, or its scheduled rotation is due.
    fn rotation_due(&self, keys: &[SigningKeyRecord], now: UnixTime, algorithm: SigningAlgorithm) -> bool {
        let newest = keys
            .iter()
            .filter(|key| key.algorithm == algorithm && key.revoked_at.is_none())
            .map(|key| key.activates_at)
            .max();
        match (newest, self.rotation_interval) {
            (None, _) => true,
            (Some(newest), Some(interval)) => newest + interval <= now,
            (Some(_), None) => false,
        }
    }

    /// Makes the first key, or the one a scheduled rotation is due for, on one instance at
    /// a time: the one holding the algorithm's lease makes it, the others wait for it
    /// (without a key they cannot sign) or, with a key, go on signing with it.
    async fn make_due_key(
        &self,
        store: &dyn Store,
        now: UnixTime,
        algorithm: SigningAlgorithm,
    ) -> Result<Vec<SigningKeyRecord>, OAuthError> {
        let lease = match algorithm == self.algorithm {
            true => KEY_LEASE.to_owned(),
            false => format!("{KEY_LEASE}:{}", algorithm.as_str()),
        };
        for _ in 0..KEY_LEASE_ATTEMPTS {
            let keys = self.refresh(store, now).await?;
            let needs_first = current(&keys, now, algorithm).is_none();
            if !needs_first && !self.rotation_due(&keys, now, algorithm) {
                return Ok(keys); // another instance made it
            }
            if store.take_lease(&lease, &self.holder, now, now + 60).await? {
                // Under the lease, look again: the previous holder may have just made it.
                let keys = self.refresh(store, now).await?;
                let made = if current(&keys, now, algorithm).is_none() {
                    self.add_key(store, now, now, algorithm).await.map(Some)
                } else if self.rotation_due(&keys, now, algorithm) {
                    self.add_key(store, now, now + self.publish_delay, algorithm).await.map(Some)
                } else {
                    Ok(None)
                };
                store.release_lease(&lease, &self.holder).await?;
                made?;
                return self.refresh(store, now).await;
            }
            if !needs_first {
                return Ok(keys); // the rotation is another instance's; the current key still signs
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(OAuthError::temporarily_unavailable("another instance is making the first signing key"))
    }

    /// Introduces a new key for the access tokens' algorithm and for every other algorithm
    /// that has a key in service: published now, signing after the publish delay.
    pub async fn rotate(
        &self,
        store: &dyn Store,
        now: UnixTime,
    ) -> Result<Vec<SigningKeyRecord>, OAuthError> {
        let _one_at_a_time = self.rotating.lock().await;
        let mut algorithms = vec![self.algorithm];
        for key in self.refresh(store, now).await? {
            if key.revoked_at.is_none() && key.publish_until.is_none() && !algorithms.contains(&key.algorithm)
            {
                algorithms.push(key.algorithm);
            }
        }
        let mut added = Vec::new();
        for algorithm in algorithms {
            added.push(self.add_key(store, now, now + self.publish_delay, algorithm).await?);
        }
        self.refresh(store, now).await?;
        Ok(added)
    }

    /// Every key, from memory while the cached list is fresh.
    pub async fn records(
        &self,
        store: &dyn Store,
        now: UnixTime,
    ) -> Result<Vec<SigningKeyRecord>, OAuthError> {
        if self.cache_ttl > 0
            && let Ok(listed) = self.listed.lock()
            && let Some((at, keys)) = listed.as_ref()
            && now - at < self.cache_ttl
        {
            return Ok(keys.clone());
        }
        self.refresh(store, now).await
    }

    async fn refresh(&self, store: &dyn Store, now: UnixTime) -> Result<Vec<SigningKeyRecord>, OAuthError> {
        let keys = store.signing_keys().await?;
        if self.cache_ttl > 0
            && let Ok(mut listed) = self.listed.lock()
        {
            *listed = Some((now, keys.clone()));
        }
        Ok(keys)
    }

    async fn add_key(
        &self,
        store: &dyn Store,
        now: UnixTime,
        activates_at: UnixTime,
        algorithm: SigningAlgorithm,
    ) -> Result<SigningKeyRecord, OAuthError> {
        let kid = random_id(12)?;
        // An RSA key takes a while to find: off the async workers.
        let generated = {
            let kid = kid.clone();
            tokio::task::spawn_blocking(move || algorithm.generate(&kid))
                .await
                .map_err(OAuthError::server_error)??
        };
        let record = SigningKeyRecord {
            sealed_private_key: self.master.seal(&generated.private_der, &kid)?,
            kid,
            algorithm,
            public_jwk: generated.public_jwk,
            created_at: now,
            activates_at,
            publish_until: None,
            revoked_at: None,
        };
        store.insert_signing_key(&record).await?;
        // The keys it succeeds stay published until their last token has expired.
        let longest = store
            .clients()
            .await?
            .iter()
            .filter_map(|client| client.access_token_lifetime.map(crate::clock::seconds))
            .fold(self.default_lifetime, i64::max);
        store.retire_signing_keys(&record, activates_at + longest).await?;
        Ok(record)
    }

    /// Imports a key from an export: sealed again under this ring's master key.
    pub async fn import(&self, store: &dyn Store, exported: &ExportedKey) -> Result<(), OAuthError> {
        let record = SigningKeyRecord {
            kid: exported.kid.clone(),
            algorithm: exported.algorithm,
            sealed_private_key: self.master.seal(&exported.private_der, &exported.kid)?,
            public_jwk: exported.public_jwk.clone(),
            created_at: exported.created_at,
            activates_at: exported.activates_at,
            publish_until: exported.publish_until,
            revoked_at: exported.revoked_at,
        };
        Ok(store.insert_signing_key(&record).await?)
    }

    /// Every key with its private part opened, for a backup.
    pub async fn export(&self, store: &dyn Store) -> Result<Vec<ExportedKey>, OAuthError> {
        let keys = store.signing_keys().await?;
        keys.into_iter()
            .map(|record| {
                Ok(ExportedKey {
                    private_der: self.master.open(&record.sealed_private_key, &record.kid)?,
                    kid: record.kid,
                    algorithm: record.algorithm,
                    public_jwk: record.public_jwk,
                    created_at: record.created_at,
                    activates_at: record.activates_at,
                    publish_until: record.publish_until,
                    revoked_at: record.revoked_at,
                })
            })
            .collect()
    }

    fn open(&self, record: &SigningKeyRecord) -> Result<Arc<Signer>, OAuthError> {
        if let Ok(opened) = self.opened.lock()
            && let Some(key) = opened.get(&record.kid)
        {
            return Ok(key.clone());
        }
        let der = self.master.open(&record.sealed_private_key, &record.kid)?;
        let key = Arc::new(Signer::open(record.algorithm, &der)?);
        if let Ok(mut opened) = self.opened.lock() {
            opened.insert(record.kid.clone(), key.clone());
        }
        Ok(key)
    }
}

/// A key as exported for backup: its private part in the clear. Handle like the master key.
#[derive(Debug, Clone)]
pub struct ExportedKey {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub algorithm: SigningAlgorithm,
    /// The private key DER.
    pub private_der: Vec<u8>,
    /// The public JWK.
    pub public_jwk: Value,
    /// See [`SigningKeyRecord`].
    pub created_at: UnixTime,
    /// See [`SigningKeyRecord`].
    pub activates_at: UnixTime,
    /// See [`SigningKeyRecord`].
    pub publish_until: Option<UnixTime>,
    /// See [`SigningKeyRecord`].
    pub revoked_at: Option<UnixTime>,
}

/// The newest active key of `algorithm`; ties (keys activated in the same second) go to the
/// one made last, then to the greater kid, so that every instance picks the same key
/// whatever order its database returns them in.
fn current(
    keys: &[SigningKeyRecord],
    now: UnixTime,
    algorithm: SigningAlgorithm,
) -> Option<&SigningKeyRecord> {
    keys.iter()
        .filter(|key| key.algorithm == algorithm && key.revoked_at.is_none() && key.activates_at <= now)
        .max_by_key(|key| (key.activates_at, key.created_at, key.kid.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, activates_at: UnixTime) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: kid.into(),
            algorithm: SigningAlgorithm::ES256,
            sealed_private_key: Vec::new(),
            public_jwk: Value::Null,
            created_at: 100,
            activates_at,
            publish_until: None,
            revoked_at: None,
        }
    }

    #[test]
    fn the_newest_active_key_signs_and_ties_break_the_same_way_in_any_order() {
        let (a, b, later) = (key("a", 100), key("b", 100), key("c", 200));
        let es256 = SigningAlgorithm::ES256;
        assert_eq!(current(&[a.clone(), b.clone()], 150, es256).map(|k| k.kid.as_str()), Some("b"));
        assert_eq!(current(&[b.clone(), a.clone()], 150, es256).map(|k| k.kid.as_str()), Some("b"));
        assert_eq!(
            current(&[a.clone(), later.clone()], 150, es256).map(|k| k.kid.as_str()),
            Some("a"),
            "c is not active yet"
        );
        assert_eq!(current(&[a, later], 200, es256).map(|k| k.kid.as_str()), Some("c"));
    }

    #[test]
    fn each_algorithm_has_its_own_current_key() {
        let rsa = SigningKeyRecord { algorithm: SigningAlgorithm::RS256, ..key("rsa", 300) };
        let keys = [key("ec", 100), rsa];
        assert_eq!(current(&keys, 400, SigningAlgorithm::ES256).map(|k| k.kid.as_str()), Some("ec"));
        assert_eq!(current(&keys, 400, SigningAlgorithm::RS256).map(|k| k.kid.as_str()), Some("rsa"));
        assert!(current(&keys, 400, SigningAlgorithm::EdDSA).is_none());
    }
}
