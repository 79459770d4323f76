//! Tokens and secrets: drawn from the OS CSPRNG, shown once, stored only as SHA-256 hashes,
//! compared in constant time, and never printed by `Debug`.
//!
//! A 256-bit random value needs no slow password hash: SHA-256 cannot be inverted and the
//! space cannot be searched (DESIGN.md, "Data at rest").

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::OAuthError;

/// What a generated secret is, shown as a short prefix so that a leaked value is
/// recognisable in logs and by secret scanners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// An access token.
    AccessToken,
    /// A refresh token.
    RefreshToken,
    /// An authorization code.
    AuthorizationCode,
    /// A client secret.
    ClientSecret,
    /// A device code (RFC 8628).
    DeviceCode,
    /// A registration access token (RFC 7592 §1.3).
    RegistrationAccessToken,
    /// An initial access token for registration (RFC 7591 §3).
    InitialAccessToken,
}

impl SecretKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::AccessToken => "o2u_at_",
            Self::RefreshToken => "o2u_rt_",
            Self::AuthorizationCode => "o2u_ac_",
            Self::ClientSecret => "o2u_cs_",
            Self::DeviceCode => "o2u_dc_",
            Self::RegistrationAccessToken => "o2u_rat_",
            Self::InitialAccessToken => "o2u_iat_",
        }
    }
}

/// A secret value in the clear. `Debug` prints `[redacted]`; it is not `Clone`.
pub struct Secret(String);

impl Secret {
    /// A new secret: the kind's prefix and 256 bits from the OS CSPRNG, base64url.
    pub fn generate(kind: SecretKind) -> Result<Self, OAuthError> {
        Ok(Self(format!("{}{}", kind.prefix(), random_string(32)?)))
    }

    /// Wraps a secret received from a client.
    pub fn from_client(value: &str) -> Self {
        Self(value.to_owned())
    }

    /// The value, to be sent to its owner exactly once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 hash under which it is stored.
    pub fn hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The SHA-256 hash of a secret: what the store keeps. Equality is constant-time.
#[derive(Clone, Copy)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// From stored bytes; `None` if they are not 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first half as hex: a stable identifier derived from the hash (the `sid` of a
    /// session stored before sessions had one).
    pub fn hex_prefix(&self) -> String {
        self.0.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SecretHash {}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// `bytes` random bytes from the OS CSPRNG, as base64url without padding.
pub fn random_string(bytes: usize) -> Result<String, OAuthError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(OAuthError::server_error)?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// A random identifier (client id, subject, grant id): `bytes` random bytes as base64url,
/// never starting with `-` or `_`, so that it cannot pass for an option on a command line.
pub fn random_id(bytes: usize) -> Result<String, OAuthError> {
    loop {
        let id = random_string(bytes)?;
        if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Ok(id);
        }
    }
}

/// A database URL fit for logs and error messages: the password in its user part and any
/// `password` query parameter (libpq's form) replaced by `***`. What does not parse as a
/// URL is shown as its scheme alone, since it might hold a secret anywhere.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return match url.split_once(':') {
            Some((scheme, _)) => format!("{scheme}:…"),
            None => "…".to_owned(),
        };
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(name, _)| name.eq_ignore_ascii_case("password")) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value =
                    if name.eq_ignore_ascii_case("password") { "***".into() } else { value.into_owned() };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_urls_are_logged_without_their_password() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db.internal/oauth2u"),
            "postgres://app:***@db.internal/oauth2u"
        );
        assert_eq!(
            redact_url("postgres://db/oauth2u?user=app&password=hunter2&sslmode=require"),
            "postgres://db/oauth2u?user=app&password=***&sslmode=require"
        );
        assert_eq!(redact_url("postgres://app@db/oauth2u"), "postgres://app@db/oauth2u");
        assert_eq!(redact_url("sqlite://oauth2u.db"), "sqlite://oauth2u.db");
        assert_eq!(redact_url("postgres://app:hunter2@[bad"), "postgres:…");
    }

    use super::*;

    #[test]
    fn generated_secrets_carry_their_prefix_and_256_bits() {
        let token = Secret::generate(SecretKind::AccessToken).unwrap();
        assert!(token.expose().starts_with("o2u_at_"));
        assert_eq!(token.expose().len(), "o2u_at_".len() + 43);
        assert_ne!(token.expose(), Secret::generate(SecretKind::AccessToken).unwrap().expose());
    }

    #[test]
    fn identifiers_never_look_like_options() {
        for _ in 0..500 {
            assert!(random_id(16).unwrap().starts_with(|c: char| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn debug_never_prints_the_value() {
        let token = Secret::generate(SecretKind::RefreshToken).unwrap();
        assert_eq!(format!("{token:?}"), "[redacted]");
    }

    #[test]
    fn hashes_compare_by_value() {
        let a = Secret::from_client("x");
        assert_eq!(a.hash(), Secret::from_client("x").hash());
        assert_ne!(a.hash(), Secret::from_client("y").hash());
    }
}
