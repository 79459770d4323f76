//! OpenID Connect Core §8 — Subject Identifier Types. A `public` client sees the user's
//! own subject; a `pairwise` one (§8.1) sees a subject of its sector alone, so that clients
//! of different sectors cannot link their users by `sub`.
//!
//! The pairwise subject is HMAC-SHA-256, keyed with a server secret (32 random bytes kept
//! sealed under the master key, the same for every instance), over the sector and the local
//! subject: stable for a sector, unlinkable across sectors, and not reversible without the
//! secret. Every place a client is shown `sub` asks [`Provider::subject_for`]: the ID token,
//! userinfo, introspection, JWT access tokens and Logout Tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::OAuthError;
use crate::model::{Client, SubjectType};
use crate::provider::Provider;
use crate::redirect_uri::RedirectUri;

/// The name of the pairwise secret among the server secrets.
pub const PAIRWISE_SECRET: &str = "pairwise-subjects";

/// §8.1: the pairwise subject of `subject` in `sector`.
pub fn pairwise_subject(secret: &[u8], sector: &str, subject: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    // The sector's length first, so that no (sector, subject) pair reads as another.
    mac.update(&(sector.len() as u64).to_be_bytes());
    mac.update(sector.as_bytes());
    mac.update(subject.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// §8.1: the sector of a pairwise client. Without a named one, it is the host its redirect
/// URIs share. Loopback and private-use-scheme redirect URIs (RFC 8252) name no host of the
/// client's own — every native client would share `127.0.0.1` — so such a client must name
/// its sector, as must one whose redirect URIs are on several hosts (Registration §5 asks
/// for a `sector_identifier_uri` then), or one with none.
pub fn sector_of(named: Option<&str>, redirect_uris: &[RedirectUri]) -> Result<String, String> {
    if let Some(sector) = named {
        return check_sector(sector);
    }
    let needs_name = "a pairwise client needs --sector-identifier HOST";
    if redirect_uris.is_empty() {
        return Err(format!("{needs_name}: it has no redirect URI to take a host from"));
    }
    if redirect_uris.iter().any(|uri| !uri.is_claimed_https()) {
        return Err(format!(
            "{needs_name} (a host of its own, or its client id): loopback and private-use \
             redirect URIs are shared by every native client"
        ));
    }
    let first = redirect_uris[0].host();
    if redirect_uris.iter().any(|uri| uri.host() != first) {
        return Err(format!("{needs_name}: its redirect URIs are on more than one host"));
    }
    Ok(first)
}

/// A named sector: a host name, or any identifier of printable ASCII without spaces (the
/// client id, say), up to 255 characters.
fn check_sector(sector: &str) -> Result<String, String> {
    let fine =
        !sector.is_empty() && sector.len() <= 255 && sector.bytes().all(|byte| byte.is_ascii_graphic());
    if fine {
        Ok(sector.to_ascii_lowercase())
    } else {
        Err(format!("sector identifier `{sector}` must be a host name or other printable identifier"))
    }
}

impl Provider {
    /// The `sub` that `client` is shown for the user `subject`.
    pub async fn subject_for(&self, client: &Client, subject: &str) -> Result<String, OAuthError> {
        match &client.subject_type {
            SubjectType::Public => Ok(subject.to_owned()),
            SubjectType::Pairwise { sector } => {
                let keys = self.keys.as_ref().ok_or_else(|| {
                    OAuthError::server_error("pairwise subjects need a master key; none is configured")
                })?;
                let secret = keys.server_secret(self.store.as_ref(), PAIRWISE_SECRET, self.now()).await?;
                Ok(pairwise_subject(secret.as_slice(), sector, subject))
            }
        }
    }

    /// The `sub` that the client with id `client_id` is shown for `subject`: the client
    /// itself for its own tokens (no subject), and the local subject if the client is gone.
    pub(crate) async fn subject_for_client_id(
        &self,
        client_id: &str,
        subject: &str,
    ) -> Result<String, OAuthError> {
        match self.client(client_id).await? {
            Some(client) => self.subject_for(&client, subject).await,
            None => Ok(subject.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uris(list: &[&str]) -> Vec<RedirectUri> {
        list.iter().map(|uri| RedirectUri::parse(uri).unwrap()).collect()
    }

    #[test]
    fn pairwise_subjects_are_stable_per_sector_and_differ_across_sectors() {
        let secret = [7u8; 32];
        let here = pairwise_subject(&secret, "photos.example", "alice-subject");
        assert_eq!(here, pairwise_subject(&secret, "photos.example", "alice-subject"));
        assert_ne!(here, pairwise_subject(&secret, "print.example", "alice-subject"));
        assert_ne!(here, pairwise_subject(&secret, "photos.example", "bob-subject"));
        assert_ne!(here, pairwise_subject(&[8u8; 32], "photos.example", "alice-subject"));
        // The length prefix keeps the boundary between sector and subject.
        assert_ne!(pairwise_subject(&secret, "ab", "c"), pairwise_subject(&secret, "a", "bc"));
        assert_eq!(here.len(), 43, "256 bits, base64url");
    }

    #[test]
    fn the_sector_is_the_shared_host_or_must_be_named() {
        let shared = uris(&["https://app.example/cb", "https://app.example/other"]);
        assert_eq!(sector_of(None, &shared), Ok("app.example".into()));
        assert!(sector_of(None, &uris(&["https://a.example/cb", "https://b.example/cb"])).is_err());
        assert!(sector_of(None, &uris(&["http://127.0.0.1/cb"])).is_err(), "loopback");
        assert!(sector_of(None, &uris(&["com.example.app:/cb"])).is_err(), "private-use scheme");
        assert!(sector_of(None, &[]).is_err());
        assert_eq!(sector_of(Some("Apps.Example"), &[]), Ok("apps.example".into()));
        assert!(sector_of(Some("two words"), &shared).is_err());
        assert!(sector_of(Some(""), &shared).is_err());
    }
}
