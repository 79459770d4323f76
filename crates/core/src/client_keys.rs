//! A client's public keys (RFC 7591 §2 `jwks` / `jwks_uri`), and the JWTs it signs with
//! them: client assertions (RFC 7523) and request objects (RFC 9101).
//!
//! A `jwks_uri` is fetched through the server's [`Fetcher`](crate::fetch::Fetcher) (https,
//! public addresses, small, fast), kept for its `max-age` (at least a minute, at most a
//! day), and fetched again when a JWT names a `kid` the cached set lacks — at most once a
//! minute per set, so that unknown `kid`s cannot make the server fetch on every request.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{DecodingKey, Validation};
use oauth2u_jose::dpop::asymmetric_algorithm;
use serde_json::{Map, Value};

use crate::key_set_cache::{CachedKeySet, MAX_AGE, MIN_REFRESH};
use crate::model::{Client, ClientKeys};
use crate::provider::Provider;

/// Why a client's JWT was refused; the caller turns it into its endpoint's error.
#[derive(Debug)]
pub(crate) enum JwtRefusal {
    /// The JWT is malformed, unsigned by the client, or fails a check: the text says which.
    Invalid(&'static str),
    /// The client's keys could not be had (its `jwks_uri` is down): a server-side fault of
    /// the client's, reported as such.
    KeysUnavailable(String),
}

impl Provider {
    /// The claims of a JWT signed by one of `client`'s keys with an asymmetric algorithm.
    /// Only the signature and the algorithm are checked here; the claims are the caller's.
    pub(crate) async fn client_signed_claims(
        &self,
        client: &Client,
        token: &str,
    ) -> Result<Map<String, Value>, JwtRefusal> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| JwtRefusal::Invalid("not a signed JWT"))?;
        let name = serde_json::to_value(header.alg).ok();
        let alg = name
            .as_ref()
            .and_then(Value::as_str)
            .and_then(asymmetric_algorithm)
            .ok_or(JwtRefusal::Invalid("the JWT's alg must be an asymmetric algorithm"))?;
        let keys = match &client.keys {
            Some(ClientKeys::Jwks(jwks)) => serde_json::from_value::<JwkSet>(jwks.clone())
                .map_err(|_| JwtRefusal::Invalid("the client's jwks is malformed"))?,
            Some(ClientKeys::JwksUri(uri)) => self.fetched_keys(uri, header.kid.as_deref()).await?,
            None => return Err(JwtRefusal::Invalid("the client has no keys")),
        };
        let mut validation = Validation::new(alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        for jwk in candidates(&keys, header.kid.as_deref()) {
            let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
            if let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
                return Ok(data.claims);
            }
        }
        Err(JwtRefusal::Invalid("the JWT is not signed by a key of the client"))
    }

    /// The set at `uri`: cached, or fetched now (again, when `kid` is not in the cached set
    /// and the last fetch was over a minute ago).
    async fn fetched_keys(&self, uri: &str, kid: Option<&str>) -> Result<JwkSet, JwtRefusal> {
        let now = self.now();
        let cached = self.key_sets.get(uri);
        if let Some(cached) = &cached {
            let kid_known = kid.is_none_or(|kid| cached.keys.find(kid).is_some());
            let may_refetch = now - cached.fetched_at >= MIN_REFRESH;
            if (cached.fresh_until > now && kid_known) || !may_refetch {
                return Ok(cached.keys.clone());
            }
        }
        let fetcher = self
            .fetcher
            .as_ref()
            .ok_or_else(|| JwtRefusal::KeysUnavailable("this server fetches no key sets".into()))?;
        let url = url::Url::parse(uri)
            .map_err(|_| JwtRefusal::KeysUnavailable("the client's jwks_uri is not a URL".into()))?;
        // This cache is the one that counts: the fetcher's own is skipped.
        let fetched = match fetcher.get_fresh_json(&url).await {
            Ok(fetched) => fetched,
            // A set fetched before stays usable while the client's server is down.
            Err(error) => {
                return cached
                    .map(|cached| cached.keys)
                    .ok_or_else(|| JwtRefusal::KeysUnavailable(error.to_string()));
            }
        };
        let keys: JwkSet = serde_json::from_value(fetched.body)
            .map_err(|_| JwtRefusal::KeysUnavailable("the client's jwks_uri is not a JWK Set".into()))?;
        let max_age = fetched.max_age.map_or(0, |age| age.as_secs() as i64).clamp(MIN_REFRESH, MAX_AGE);
        self.key_sets
            .put(uri, CachedKeySet { keys: keys.clone(), fetched_at: now, fresh_until: now + max_age });
        Ok(keys)
    }
}

/// The keys a JWT may be signed by: the one its `kid` names, or, without a `kid`, each
/// signing key of the set.
fn candidates<'a>(keys: &'a JwkSet, kid: Option<&str>) -> Vec<&'a Jwk> {
    match kid {
        Some(kid) => keys.find(kid).into_iter().collect(),
        None => keys
            .keys
            .iter()
            .filter(|jwk| {
                jwk.common
                    .public_key_use
                    .as_ref()
                    .is_none_or(|usage| *usage == jsonwebtoken::jwk::PublicKeyUse::Signature)
            })
            .collect(),
    }
}

/// RFC 7591 §2: a `jwks` value must be a JWK Set of public keys only.
pub fn check_jwks(jwks: &Value) -> Result<(), String> {
    let keys =
        jwks.get("keys").and_then(Value::as_array).ok_or("jwks must be a JWK Set: an object with `keys`")?;
    if keys.is_empty() {
        return Err("jwks has no keys".into());
    }
    for key in keys {
        if ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|member| key.get(member).is_some()) {
            return Err("jwks must hold public keys only".into());
        }
        let jwk: Jwk = serde_json::from_value(key.clone())
            .map_err(|error| format!("jwks has a malformed key: {error}"))?;
        DecodingKey::from_jwk(&jwk).map_err(|error| format!("jwks has an unusable key: {error}"))?;
    }
    Ok(())
}

/// https, or plain http to a loopback host for development (the fetcher still refuses
/// loopback unless `[fetch] allow_loopback`).
pub fn is_key_set_url(url: &url::Url) -> bool {
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    scheme_ok && url.host().is_some() && url.fragment().is_none()
}
