//! RFC 9449 from the client's side: a key of the client's (one per token-cache entry, or
//! one per run without the cache), a proof with every token request (§5), and one retry
//! with the server's nonce when it answers `use_dpop_nonce` (§8). The token endpoint's
//! answer then has `token_type` `DPoP`, and the tokens are bound to that key.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use oauth2::CsrfToken;
use oauth2u_jose::dpop::ProofKey;

use crate::ClientError;

/// A client's proof key, and the last nonce each server gave it.
#[derive(Debug)]
pub struct DpopKey {
    key: ProofKey,
    nonce: Mutex<Option<String>>,
}

impl DpopKey {
    /// A new ES256 key, and its PKCS#8 form to keep.
    pub fn generate() -> Result<(Self, Vec<u8>), ClientError> {
        let (key, der) = ProofKey::generate_es256().map_err(|error| ClientError::Local(error.to_string()))?;
        Ok((Self::from_key(key), der))
    }

    /// The key kept in PKCS#8 form.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, ClientError> {
        ProofKey::from_es256_pkcs8(der)
            .map(Self::from_key)
            .map_err(|error| ClientError::Local(error.to_string()))
    }

    fn from_key(key: ProofKey) -> Self {
        Self { key, nonce: Mutex::new(None) }
    }

    /// The RFC 7638 thumbprint tokens bound to this key name (`cnf.jkt`).
    pub fn thumbprint(&self) -> Option<String> {
        self.key.jkt()
    }

    /// §4.2: a proof for `method` at `url` (query and fragment left out), with `ath` for an
    /// access token sent beside it.
    pub fn proof(
        &self,
        method: &str,
        url: &url::Url,
        access_token: Option<&str>,
    ) -> Result<String, ClientError> {
        let mut target = url.clone();
        target.set_query(None);
        target.set_fragment(None);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64);
        let nonce = self.nonce.lock().ok().and_then(|nonce| nonce.clone());
        let jti = CsrfToken::new_random();
        self.key
            .proof(method, target.as_str(), access_token, nonce.as_deref(), now, jti.secret())
            .map_err(|error| ClientError::Local(format!("cannot sign a DPoP proof: {error}")))
    }

    pub(crate) fn remember_nonce(&self, response: &reqwest::Response) {
        if let Some(nonce) = response.headers().get("dpop-nonce").and_then(|value| value.to_str().ok())
            && let Ok(mut kept) = self.nonce.lock()
        {
            *kept = Some(nonce.to_owned());
        }
    }
}
