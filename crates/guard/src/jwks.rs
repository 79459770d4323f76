//! The JWKS, cached; fetched again when a token names a key we have not seen, at most
//! once every few seconds, so a stream of forged `kid`s cannot flood the authorization server.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;

use crate::GuardError;

const REFETCH_AT_MOST_EVERY: i64 = 10;

#[derive(Default)]
pub(crate) struct JwksCache {
    state: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    keys: HashMap<String, (DecodingKey, String)>,
    fetched_at: Option<i64>,
}

impl JwksCache {
    /// The key `kid` and its `alg`, fetching the JWKS when it is not known yet.
    pub(crate) async fn key(
        &self,
        http: &reqwest::Client,
        uri: &str,
        kid: &str,
        now: i64,
    ) -> Result<Option<(DecodingKey, String)>, GuardError> {
        let may_fetch = {
            let state = self.state.lock().map_err(|_| GuardError::Config("poisoned JWKS cache".into()))?;
            if let Some(found) = state.keys.get(kid) {
                return Ok(Some(found.clone()));
            }
            state.fetched_at.is_none_or(|at| now - at >= REFETCH_AT_MOST_EVERY)
        };
        if !may_fetch {
            return Ok(None);
        }
        let set: JwkSet = http
            .get(uri)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|error| GuardError::Unavailable(format!("JWKS: {error}")))?
            .json()
            .await
            .map_err(|error| GuardError::Unavailable(format!("JWKS: {error}")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(id), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) else {
                continue;
            };
            let alg = jwk.common.key_algorithm.map(|alg| alg.to_string()).unwrap_or_default();
            keys.insert(id, (key, alg));
        }
        let mut state = self.state.lock().map_err(|_| GuardError::Config("poisoned JWKS cache".into()))?;
        state.keys = keys;
        state.fetched_at = Some(now);
        Ok(state.keys.get(kid).cloned())
    }
}
