//! Profiles: named settings in `~/.config/oauth2u/client.toml`, one table per profile,
//! so that `oauth2u token -p staging` needs no other flag.
//!
//! ```toml
//! [staging]
//! issuer = "https://auth.staging.example"
//! client_id = "reports"
//! client_secret_env = "STAGING_CLIENT_SECRET"   # or client_secret = "..."
//! scope = "reports:read"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ClientError;

/// One profile; every field may also be given as a flag, which wins.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<FileSecret>,
    /// The name of an environment variable holding the secret, to keep it out of the file.
    pub client_secret_env: Option<String>,
    pub scope: Option<String>,
    #[serde(default)]
    pub resource: Vec<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// PEM files of certificate authorities to trust besides the system's.
    #[serde(default)]
    pub ca_cert: Vec<PathBuf>,
}

impl Profile {
    /// The secret: from the named environment variable if one is named, else the file's.
    pub fn secret(&self) -> Result<Option<String>, ClientError> {
        match &self.client_secret_env {
            Some(name) => match std::env::var(name) {
                Ok(secret) => Ok(Some(secret)),
                Err(_) => {
                    Err(ClientError::Local(format!("client_secret_env names {name}, which is not set")))
                }
            },
            None => Ok(self.client_secret.as_ref().map(|secret| secret.0.clone())),
        }
    }
}

/// A secret written in the file; its `Debug` prints nothing of it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct FileSecret(String);

impl std::fmt::Debug for FileSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `$XDG_CONFIG_HOME/oauth2u/client.toml`, else `~/.config/oauth2u/client.toml`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME").filter(|dir| !dir.is_empty()).map(PathBuf::from).or_else(
        || {
            std::env::var_os("HOME")
                .filter(|dir| !dir.is_empty())
                .map(|home| Path::new(&home).join(".config"))
        },
    )?;
    Some(base.join("oauth2u").join("client.toml"))
}

/// Reads profile `name` from the file at `path`.
pub fn load(path: &Path, name: &str) -> Result<Profile, ClientError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        ClientError::Local(format!("cannot read profiles from {}: {error}", path.display()))
    })?;
    let mut profiles: BTreeMap<String, Profile> =
        toml::from_str(&text).map_err(|error| ClientError::Local(format!("{}: {error}", path.display())))?;
    profiles.remove(name).ok_or_else(|| {
        let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
        ClientError::Local(format!(
            "no profile `{name}` in {} (it has: {})",
            path.display(),
            known.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_read_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.toml");
        std::fs::write(
            &path,
            "[staging]\nissuer = \"https://as.example\"\nclient_id = \"c\"\nresource = [\"https://api\"]\n",
        )
        .unwrap();
        let profile = load(&path, "staging").unwrap();
        assert_eq!(profile.issuer.as_deref(), Some("https://as.example"));
        assert_eq!(profile.resource, ["https://api"]);
        assert!(load(&path, "prod").unwrap_err().to_string().contains("staging"));

        std::fs::write(&path, "[staging]\nclient_secert = \"typo\"\n").unwrap();
        assert!(load(&path, "staging").unwrap_err().to_string().contains("client_secert"));
    }

    #[test]
    fn a_named_variable_that_is_not_set_is_an_error() {
        let profile =
            Profile { client_secret_env: Some("OAUTH2U_TEST_SURELY_UNSET".into()), ..Profile::default() };
        assert!(profile.secret().is_err());
        let profile = Profile { client_secret: Some(FileSecret("s".into())), ..Profile::default() };
        assert_eq!(profile.secret().unwrap().as_deref(), Some("s"));
        assert!(!format!("{profile:?}").contains("\"s\""));
    }
}
