//! RFC 9449 at the authorization server: the proofs that come to the token and PAR
//! endpoints (§4.3, §5), the `jti` each may use once (§11.1), and the server nonces of §8.
//!
//! The stateless checks are `oauth2u_jose::dpop`'s, shared with the guard. A nonce is
//! stateless too: an HMAC, under a server secret every instance shares, of the minute it
//! was given out in; one given out in this minute or the one before is current.

use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
pub use oauth2u_jose::dpop::algorithm_names;
use oauth2u_jose::dpop::{self, Expected, Proof};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::seconds;
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::secret::SecretHash;

/// The name of the nonce key among the server secrets.
const NONCE_SECRET: &str = "dpop-nonces";

/// How long one nonce window lasts; a nonce is current in its window and the next.
const NONCE_WINDOW: i64 = 60;

/// How far in the future a proof's `iat` may be: clocks differ a little.
const LEEWAY: i64 = 5;

/// A `DPoP` header as the HTTP layer received it, with the request it came with.
#[derive(Debug, Clone)]
pub struct DpopHeader<'a> {
    /// The header's value, the proof; an error if the request had more than one (§4.3 check 1).
    pub proof: Result<&'a str, ()>,
    /// The request's method.
    pub method: &'a str,
    /// The endpoint's URL, built from the issuer (not from the `Host` header).
    pub url: String,
}

impl Provider {
    /// §4.3 and §8: the proof of a request, checked; `None` without one. Nothing is written:
    /// the `jti` is recorded by [`Provider::record_dpop_proof`] once the client is known.
    pub async fn check_dpop_proof(
        &self,
        header: Option<&DpopHeader<'_>>,
    ) -> Result<Option<Proof>, OAuthError> {
        let Some(header) = header else {
            return Ok(None);
        };
        let proof = header.proof.map_err(|()| OAuthError::invalid_dpop_proof("more than one DPoP header"))?;
        let expected = Expected {
            method: header.method,
            url: &header.url,
            access_token: None,
            now: self.now(),
            max_age: seconds(self.config.dpop.proof_max_age),
            leeway: LEEWAY,
        };
        let proof =
            dpop::verify(proof, &expected).map_err(|error| OAuthError::invalid_dpop_proof(error.0))?;
        if self.config.dpop.nonces && !self.nonce_is_current(proof.nonce.as_deref()).await? {
            return Err(OAuthError::use_dpop_nonce(
                "the DPoP proof must carry the nonce in the DPoP-Nonce header",
            ));
        }
        Ok(Some(proof))
    }

    /// §7.1, at this server's own protected resource (userinfo): the proof of a request
    /// that presents `access_token` with the DPoP scheme, checked with its `ath`, its `jti`
    /// used once. Returns the key's thumbprint, for the caller to compare with the token's.
    pub async fn check_resource_proof(
        &self,
        header: &DpopHeader<'_>,
        access_token: &str,
    ) -> Result<String, OAuthError> {
        let proof =
            header.proof.map_err(|()| OAuthError::invalid_dpop_proof("exactly one DPoP header is needed"))?;
        let expected = Expected {
            method: header.method,
            url: &header.url,
            access_token: Some(access_token),
            now: self.now(),
            max_age: seconds(self.config.dpop.proof_max_age),
            leeway: LEEWAY,
        };
        let proof =
            dpop::verify(proof, &expected).map_err(|error| OAuthError::invalid_dpop_proof(error.0))?;
        self.record_dpop_proof(&proof).await?;
        Ok(proof.jkt)
    }

    /// §11.1: a proof's `jti` is used once, across every instance, while the proof is fresh.
    pub async fn record_dpop_proof(&self, proof: &Proof) -> Result<(), OAuthError> {
        let key = one_time_key(&["dpop", &proof.jkt, &proof.jti]);
        let until = proof.iat.max(self.now()) + seconds(self.config.dpop.proof_max_age) + LEEWAY;
        if !self.store.use_once(&key, until, self.now()).await? {
            return Err(OAuthError::invalid_dpop_proof("the DPoP proof was used before"));
        }
        Ok(())
    }

    /// §8: the nonce to give out now, in a `DPoP-Nonce` header; `None` when nonces are off.
    pub async fn dpop_nonce(&self) -> Result<Option<String>, OAuthError> {
        if !self.config.dpop.nonces {
            return Ok(None);
        }
        let window = self.now().div_euclid(NONCE_WINDOW);
        Ok(Some(self.nonce_for(window).await?))
    }

    async fn nonce_is_current(&self, nonce: Option<&str>) -> Result<bool, OAuthError> {
        let Some(nonce) = nonce else {
            return Ok(false);
        };
        let window = self.now().div_euclid(NONCE_WINDOW);
        for candidate in [window, window - 1] {
            let expected = self.nonce_for(candidate).await?;
            if bool::from(expected.as_bytes().ct_eq(nonce.as_bytes())) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn nonce_for(&self, window: i64) -> Result<String, OAuthError> {
        let secret = match &self.keys {
            Some(keys) => keys.server_secret(self.store.as_ref(), NONCE_SECRET, self.now()).await?,
            // Without a master key there is no shared secret: nonces hold on this instance.
            None => process_secret()?,
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(&window.to_be_bytes());
        Ok(URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18]))
    }
}

/// RFC 9449 §10: a `dpop_jkt` is a base64url SHA-256 thumbprint (RFC 7638): 43 characters.
pub(crate) fn check_jkt(jkt: &str) -> Result<String, OAuthError> {
    let well_formed = jkt.len() == 43
        && jkt.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if !well_formed {
        return Err(OAuthError::invalid_request("dpop_jkt must be a base64url SHA-256 JWK thumbprint"));
    }
    Ok(jkt.to_owned())
}

/// 32 random bytes of this process alone.
fn process_secret() -> Result<Arc<Vec<u8>>, OAuthError> {
    static SECRET: OnceLock<Arc<Vec<u8>>> = OnceLock::new();
    if let Some(secret) = SECRET.get() {
        return Ok(secret.clone());
    }
    let mut fresh = vec![0u8; 32];
    getrandom::fill(&mut fresh).map_err(OAuthError::server_error)?;
    Ok(SECRET.get_or_init(|| Arc::new(fresh)).clone())
}

/// The key a value seen once is stored under: a hash of its parts, each length-prefixed so
/// that no two lists of parts hash alike.
pub(crate) fn one_time_key(parts: &[&str]) -> SecretHash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    SecretHash::from_bytes(&hasher.finalize()).unwrap_or_else(|| unreachable!("SHA-256 is 32 bytes"))
}
