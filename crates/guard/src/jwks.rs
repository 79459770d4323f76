//! The JWKS, cached for as long as the authorization server's `Cache-Control: max-age`
//! says (5 minutes without one), so that a key removed from the set stops being trusted.
//! A token naming a key we have not seen fetches the set again, at most once every few
//! seconds, and concurrent requests share that one fetch: a stream of forged `kid`s costs
//! one fetch per interval, however many arrive at once.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;

use crate::GuardError;

/// The shortest time between two fetches, and so the shortest time a set is kept.
const REFETCH_AT_MOST_EVERY: i64 = 10;
/// How long a set is kept when the server says nothing.
const DEFAULT_MAX_AGE: i64 = 300;

#[derive(Default)]
pub(crate) struct JwksCache {
    state: Mutex<Cached>,
    /// Held while fetching: the callers that wait on it use the set it brings.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Cached {
    keys: HashMap<String, (DecodingKey, String)>,
    fetched_at: Option<i64>,
    expires_at: i64,
}

impl Cached {
    /// The key, while the set is fresh.
    fn fresh(&self, kid: &str, now: i64) -> Option<(DecodingKey, String)> {
        if now < self.expires_at { self.keys.get(kid).cloned() } else { None }
    }

    /// Whether a fetch is allowed now: the set has expired, or none was made lately.
    fn may_fetch(&self, now: i64) -> bool {
        now >= self.expires_at || self.fetched_at.is_none_or(|at| now - at >= REFETCH_AT_MOST_EVERY)
    }
}

impl JwksCache {
    /// The key `kid` and its `alg`, fetching the JWKS when it is unknown or expired.
    pub(crate) async fn key(
        &self,
        http: &reqwest::Client,
        uri: &str,
        kid: &str,
        now: i64,
    ) -> Result<Option<(DecodingKey, String)>, GuardError> {
        {
            let state = self.lock()?;
            if let Some(found) = state.fresh(kid, now) {
                return Ok(Some(found));
            }
            if !state.may_fetch(now) {
                return Ok(None);
            }
        }
        let _fetching = self.fetching.lock().await;
        // Whoever held the lock before us may have fetched already: use what it brought.
        {
            let state = self.lock()?;
            if let Some(found) = state.fresh(kid, now) {
                return Ok(Some(found));
            }
            if !state.may_fetch(now) {
                return Ok(None);
            }
        }
        let (keys, max_age) = fetch(http, uri).await?;
        let mut state = self.lock()?;
        state.keys = keys;
        state.fetched_at = Some(now);
        state.expires_at = now + max_age.max(REFETCH_AT_MOST_EVERY);
        Ok(state.keys.get(kid).cloned())
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Cached>, GuardError> {
        self.state.lock().map_err(|_| GuardError::Config("poisoned JWKS cache".into()))
    }
}

type Keys = HashMap<String, (DecodingKey, String)>;

async fn fetch(http: &reqwest::Client, uri: &str) -> Result<(Keys, i64), GuardError> {
    let response = http
        .get(uri)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| GuardError::Unavailable(format!("JWKS: {error}")))?;
    let max_age = response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .map_or(DEFAULT_MAX_AGE, max_age);
    let set: JwkSet =
        response.json().await.map_err(|error| GuardError::Unavailable(format!("JWKS: {error}")))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let (Some(id), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) else {
            continue;
        };
        let alg = jwk.common.key_algorithm.map(|alg| alg.to_string()).unwrap_or_default();
        keys.insert(id, (key, alg));
    }
    Ok((keys, max_age))
}

/// RFC 9111 §5.2.2: `max-age=N` (`no-store` and `no-cache` mean keep nothing); without
/// either, the default.
fn max_age(cache_control: &str) -> i64 {
    let mut found = DEFAULT_MAX_AGE;
    for directive in cache_control.split(',').map(str::trim) {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        match name.to_ascii_lowercase().as_str() {
            "no-store" | "no-cache" => return 0,
            "max-age" => found = value.trim_matches('"').parse().unwrap_or(0),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::max_age;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(max_age("public, max-age=3600"), 3600);
        assert_eq!(max_age("max-age=\"60\""), 60);
        assert_eq!(max_age("no-store"), 0);
        assert_eq!(max_age("max-age=junk"), 0);
        assert_eq!(max_age("public"), 300);
    }
}
