//! Signing algorithms for JWT access tokens: generating keys and publishing them as JWKs.
//! ES256 by default (small, fast); EdDSA and RS256 for resource servers that need them.
//! The algorithm's names are in [`crate::signing_key`]; its cryptography is here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use rand_core::OsRng;
use serde_json::{Value, json};

use crate::error::OAuthError;
use crate::signing_key::SigningAlgorithm;

/// A new key pair: the private key (DER, to be sealed) and the public key as a JWK.
pub struct GeneratedKey {
    /// PKCS#8 (ES256, EdDSA) or PKCS#1 (RS256) DER: what the key ring's signer opens.
    pub private_der: Vec<u8>,
    /// The public JWK, with `kid`, `alg` and `use`.
    pub public_jwk: Value,
}

impl SigningAlgorithm {
    pub(crate) fn jwt(self) -> Algorithm {
        match self {
            Self::ES256 => Algorithm::ES256,
            Self::EdDSA => Algorithm::EdDSA,
            Self::RS256 => Algorithm::RS256,
        }
    }

    /// Generates a key pair from the OS CSPRNG.
    pub fn generate(self, kid: &str) -> Result<GeneratedKey, OAuthError> {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let (private_der, mut jwk) = match self {
            Self::ES256 => {
                use p256::elliptic_curve::sec1::ToEncodedPoint;
                use p256::pkcs8::EncodePrivateKey;
                let secret = p256::SecretKey::random(&mut OsRng);
                let der = secret.to_pkcs8_der().map_err(OAuthError::server_error)?.as_bytes().to_vec();
                let point = secret.public_key().to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    return Err(OAuthError::server_error("P-256 point without coordinates"));
                };
                (der, json!({ "kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y) }))
            }
            Self::EdDSA => {
                use ed25519_dalek::pkcs8::EncodePrivateKey;
                let signing = ed25519_dalek::SigningKey::generate(&mut OsRng);
                let der = signing.to_pkcs8_der().map_err(OAuthError::server_error)?.as_bytes().to_vec();
                (der, json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(signing.verifying_key().as_bytes()) }))
            }
            Self::RS256 => {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                use rsa::traits::PublicKeyParts;
                let private = rsa::RsaPrivateKey::new(&mut OsRng, 2048).map_err(OAuthError::server_error)?;
                let der = private.to_pkcs1_der().map_err(OAuthError::server_error)?.as_bytes().to_vec();
                let jwk = json!({ "kty": "RSA", "n": b64(&private.n().to_bytes_be()), "e": b64(&private.e().to_bytes_be()) });
                (der, jwk)
            }
        };
        if let Some(object) = jwk.as_object_mut() {
            object.insert("kid".into(), json!(kid));
            object.insert("alg".into(), json!(self.as_str()));
            object.insert("use".into(), json!("sig"));
        }
        Ok(GeneratedKey { private_der, public_jwk: jwk })
    }
}
