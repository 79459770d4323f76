//! Signing JWTs at the speed of the primitive: a private key is opened once, when the key
//! ring first needs it, into ring's key pair (ring is already in the tree through rustls),
//! and every signature after that is one call. jsonwebtoken's RustCrypto backend parsed the
//! PKCS#8 document again for every signature, and its P-256 arithmetic has no precomputed
//! tables: over 60 % of the CPU of a JWT issuance went there.
//!
//! Only signing is here; verification (of hints, in the guard and the client) stays with
//! jsonwebtoken. The JWS is the compact serialization of RFC 7515 §7.1.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Header;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use serde_json::Value;

use crate::error::OAuthError;
use crate::signing_key::SigningAlgorithm;

/// A private key, opened.
pub(crate) enum Signer {
    /// ES256: ECDSA on P-256 with SHA-256, the 64-byte fixed signature of RFC 7518 §3.4.
    Es256(EcdsaKeyPair),
    /// EdDSA with Ed25519 (RFC 8037).
    Ed25519(Ed25519KeyPair),
    /// RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    Rs256(RsaKeyPair),
}

impl Signer {
    /// Opens the DER the key ring stores: PKCS#8 for ES256 and EdDSA, PKCS#1 for RS256.
    pub(crate) fn open(algorithm: SigningAlgorithm, der: &[u8]) -> Result<Self, OAuthError> {
        let unreadable = |_| OAuthError::server_error("a signing key does not parse");
        Ok(match algorithm {
            SigningAlgorithm::ES256 => Self::Es256(
                EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &SystemRandom::new(),
                )
                .map_err(unreadable)?,
            ),
            SigningAlgorithm::EdDSA => {
                Self::Ed25519(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(unreadable)?)
            }
            SigningAlgorithm::RS256 => Self::Rs256(RsaKeyPair::from_der(der).map_err(unreadable)?),
        })
    }

    /// Signs `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, OAuthError> {
        let failed = |_| OAuthError::server_error("signing failed");
        match self {
            Self::Es256(key) => {
                Ok(key.sign(&SystemRandom::new(), message).map_err(failed)?.as_ref().to_vec())
            }
            Self::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
            Self::Rs256(key) => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
        }
    }

    /// RFC 7515 §7.1: `BASE64URL(header) . BASE64URL(claims) . BASE64URL(signature)`.
    pub(crate) fn jwt(&self, header: &Header, claims: &Value) -> Result<String, OAuthError> {
        let header = serde_json::to_vec(header).map_err(OAuthError::server_error)?;
        let claims = serde_json::to_vec(claims).map_err(OAuthError::server_error)?;
        let mut jwt = URL_SAFE_NO_PAD.encode(header);
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut jwt);
        let signature = self.sign(jwt.as_bytes())?;
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
        Ok(jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{DecodingKey, Validation};
    use serde_json::json;

    #[test]
    fn every_algorithm_signs_what_jsonwebtoken_verifies_with_the_published_key() {
        for algorithm in [SigningAlgorithm::ES256, SigningAlgorithm::EdDSA, SigningAlgorithm::RS256] {
            let generated = algorithm.generate("k1").unwrap();
            let signer = Signer::open(algorithm, &generated.private_der).unwrap();
            let mut header = Header::new(algorithm.jwt());
            header.kid = Some("k1".into());
            let jwt = signer.jwt(&header, &json!({ "sub": "alice", "exp": 4_000_000_000u64 })).unwrap();
            let jwk: Jwk = serde_json::from_value(generated.public_jwk).unwrap();
            let key = DecodingKey::from_jwk(&jwk).unwrap();
            let decoded = jsonwebtoken::decode::<Value>(&jwt, &key, &Validation::new(algorithm.jwt()));
            assert_eq!(decoded.unwrap().claims["sub"], "alice", "{algorithm:?}");
            // A signature over other claims does not verify.
            let (signed, signature) = jwt.rsplit_once('.').unwrap();
            let (head, _) = signed.split_once('.').unwrap();
            let forged = format!("{head}.{}.{signature}", URL_SAFE_NO_PAD.encode(br#"{"sub":"mallory"}"#));
            assert!(jsonwebtoken::decode::<Value>(&forged, &key, &Validation::new(algorithm.jwt())).is_err());
        }
    }
}
