//! The master key: what private signing keys are encrypted under at rest. It lives outside
//! the database, so a dump of the database alone yields no usable key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::OAuthError;

/// 256 bits for AES-256-GCM. `Debug` prints nothing.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// A new random key from the OS CSPRNG.
    pub fn generate() -> Result<Self, OAuthError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(OAuthError::server_error)?;
        Ok(Self(key))
    }

    /// From its base64 form (as in `OAUTH2U_MASTER_KEY` or a key file).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| "the master key is not base64".to_owned())?;
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| "the master key must be 32 bytes (base64 of 256 bits)".to_owned())
    }

    /// Its base64 form.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Encrypts `plaintext`, bound to `context` (the key id): nonce ‖ ciphertext.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, OAuthError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(OAuthError::server_error)?;
        let cipher = Aes256Gcm::new((&self.0).into());
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
            .map_err(|_| OAuthError::server_error("encryption failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Decrypts what [`MasterKey::seal`] made; fails with another key or another context.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, OAuthError> {
        if sealed.len() < 12 {
            return Err(OAuthError::server_error("a sealed key is too short"));
        }
        let (nonce, ciphertext) = sealed.split_at(12);
        Aes256Gcm::new((&self.0).into())
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| OAuthError::server_error("a signing key does not decrypt: wrong master key?"))
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_context() {
        let key = MasterKey::generate().unwrap();
        let sealed = key.seal(b"secret", "kid-1").unwrap();
        assert_eq!(key.open(&sealed, "kid-1").unwrap(), b"secret");
        assert!(key.open(&sealed, "kid-2").is_err());
        assert!(MasterKey::generate().unwrap().open(&sealed, "kid-1").is_err());
        assert_eq!(MasterKey::from_base64(&key.to_base64()).unwrap().0, key.0);
    }
}
