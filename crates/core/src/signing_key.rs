//! Signing keys as the store keeps them: the algorithm's name and the sealed record.
//! The cryptography that makes and opens them is in [`crate::keys`], above the store.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::UnixTime;

/// A JWS algorithm the server signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum SigningAlgorithm {
    /// ECDSA on P-256 with SHA-256 (the default).
    ES256,
    /// Ed25519.
    EdDSA,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys.
    RS256,
}

impl SigningAlgorithm {
    /// The `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
            Self::RS256 => "RS256",
        }
    }

    /// From the `alg` name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::ES256, Self::EdDSA, Self::RS256].into_iter().find(|alg| alg.as_str() == name)
    }
}

/// A signing key as stored.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    /// Key id (`kid`).
    pub kid: String,
    /// The algorithm.
    pub algorithm: SigningAlgorithm,
    /// The private key, sealed under the master key.
    pub sealed_private_key: Vec<u8>,
    /// The public JWK.
    pub public_jwk: Value,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it starts signing (it is published from `created_at`).
    pub activates_at: UnixTime,
    /// When it leaves the JWKS; set when a successor takes over.
    pub publish_until: Option<UnixTime>,
    /// When it was revoked.
    pub revoked_at: Option<UnixTime>,
}

impl SigningKeyRecord {
    /// Whether it belongs in the JWKS at `now`.
    pub fn is_published(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none() && self.publish_until.is_none_or(|until| until > now)
    }
}
