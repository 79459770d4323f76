//! Checking one bearer token: a JWT locally, anything else by introspection.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Guard, GuardError};

/// Never `none`, never HMAC (whose "key" would be the public key): RFC 8725 §3.1–§3.2.
const ALLOWED: &[Algorithm] = &[Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256];
/// Clock skew tolerated on `nbf`.
const LEEWAY: i64 = 60;

impl Guard {
    /// The claims of a valid token.
    pub(crate) async fn check(&self, token: &str) -> Result<Value, GuardError> {
        let looks_like_jwt = token.split('.').count() == 3;
        match (looks_like_jwt, &self.inner.jwks_uri) {
            (true, Some(uri)) => self.check_jwt(token, uri).await,
            _ => self.check_opaque(token).await,
        }
    }

    async fn check_jwt(&self, token: &str, jwks_uri: &str) -> Result<Value, GuardError> {
        let (alg, kid) = access_token_header(token)?;
        let now = (self.inner.clock)();
        let (key, key_alg) = self
            .inner
            .jwks
            .key(&self.inner.http, jwks_uri, &kid, now)
            .await?
            .ok_or_else(|| invalid("unknown key"))?;
        verify_claims(token, alg, &key, &key_alg, &self.inner.issuer, &self.inner.audience, now)
    }

    async fn check_opaque(&self, token: &str) -> Result<Value, GuardError> {
        let Some(introspection) = &self.inner.introspection else {
            return Err(GuardError::InvalidToken("unknown token".into()));
        };
        let now = (self.inner.clock)();
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // A cached answer is never used past the token's own exp.
        if let Ok(cache) = self.inner.introspected.lock()
            && let Some((at, claims)) = cache.get(&digest)
            && now - at < self.inner.introspection_cache
            && !expired(claims, now)
        {
            return Ok(claims.clone());
        }
        let response = self
            .inner
            .http
            .post(&introspection.endpoint)
            .basic_auth(&introspection.client_id, Some(&introspection.client_secret))
            .form(&[("token", token)])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|error| GuardError::Unavailable(format!("introspection: {error}")))?;
        let claims: Value = response
            .json()
            .await
            .map_err(|error| GuardError::Unavailable(format!("introspection: {error}")))?;
        if claims["active"] != Value::Bool(true) {
            return Err(GuardError::InvalidToken("inactive".into()));
        }
        // RFC 6749 §10.4: a refresh token (or anything else that is not an access token)
        // is no credential here, whatever else the answer says (RFC 7662 §2.2 token_type).
        if let Some(token_type) = claims.get("token_type")
            && !token_type.as_str().is_some_and(is_access_token_type)
        {
            return Err(GuardError::InvalidToken("not an access token".into()));
        }
        if expired(&claims, now) {
            return Err(GuardError::InvalidToken("expired".into()));
        }
        let audience = &self.inner.audience;
        let for_us = match &claims["aud"] {
            Value::Null => true,
            Value::String(aud) => aud == audience,
            Value::Array(auds) => auds.iter().any(|aud| aud.as_str() == Some(audience.as_str())),
            _ => false,
        };
        if !for_us {
            return Err(GuardError::InvalidToken("not for this API".into()));
        }
        if self.inner.introspection_cache > 0
            && let Ok(mut cache) = self.inner.introspected.lock()
        {
            cache.retain(|_, (at, _)| now - *at < self.inner.introspection_cache);
            cache.insert(digest, (now, claims.clone()));
        }
        Ok(claims)
    }
}

/// The access token types of RFC 6750 and RFC 9449, in any case (RFC 6749 §5.1).
fn is_access_token_type(token_type: &str) -> bool {
    token_type.eq_ignore_ascii_case("bearer") || token_type.eq_ignore_ascii_case("dpop")
}

/// Whether an introspection answer's `exp` has passed.
fn expired(claims: &Value, now: i64) -> bool {
    claims.get("exp").and_then(Value::as_i64).is_some_and(|exp| exp <= now)
}

fn invalid(reason: &str) -> GuardError {
    GuardError::InvalidToken(reason.to_owned())
}

/// The JWS header of an access token (RFC 9068 §4): its algorithm, from the allow-list,
/// and its `kid`. Everything before a key is fetched.
pub(crate) fn access_token_header(token: &str) -> Result<(Algorithm, String), GuardError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed JWT"))?;
    // RFC 9068 §4: "explicitly typed", so that no other JWT passes for an access token.
    let typ = header.typ.as_deref().map(str::to_ascii_lowercase);
    if !matches!(typ.as_deref(), Some("at+jwt" | "application/at+jwt")) {
        return Err(invalid("not an access token (typ)"));
    }
    if !ALLOWED.contains(&header.alg) {
        return Err(invalid("algorithm not allowed"));
    }
    let kid = header.kid.ok_or_else(|| invalid("no kid"))?;
    Ok((header.alg, kid))
}

/// The signature against `key`, then the claims (RFC 9068 §4): issuer, audience, and the
/// times by our clock.
pub(crate) fn verify_claims(
    token: &str,
    alg: Algorithm,
    key: &DecodingKey,
    key_alg: &str,
    issuer: &str,
    audience: &str,
    now: i64,
) -> Result<Value, GuardError> {
    // The key decides the algorithm, not the token.
    if !key_alg.is_empty() && key_alg != format!("{alg:?}") {
        return Err(invalid("algorithm does not match the key"));
    }
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // Time is checked below, by our clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<Value>(token, key, &validation)
        .map_err(|error| GuardError::InvalidToken(error.to_string()))?
        .claims;
    if claims["exp"].as_i64().is_none_or(|exp| exp <= now) {
        return Err(invalid("expired"));
    }
    if claims["nbf"].as_i64().is_some_and(|nbf| nbf > now + LEEWAY) {
        return Err(invalid("not yet valid"));
    }
    Ok(claims)
}
