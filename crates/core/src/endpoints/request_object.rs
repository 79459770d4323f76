//! RFC 9101 — JWT-Secured Authorization Requests: a `request` parameter holding the
//! authorization request as a JWT the client signed, at `/authorize` and at `/par`.
//!
//! Only signed objects are accepted (`alg` asymmetric, never `none`), by a key of the
//! client's. A `request_uri` is accepted only as a pushed request's URN (RFC 9126): this
//! server fetches no request objects.

use serde_json::Value;

use crate::client_keys::JwtRefusal;
use crate::error::OAuthError;
use crate::model::Client;
use crate::params::Params;
use crate::provider::Provider;

/// The longest a request object may be valid for (FAPI 2.0 Message Signing §5.3.1 asks
/// for at most 60 minutes between `nbf` and `exp`).
const MAX_LIFETIME: i64 = 3600;

/// How far clocks may differ.
const LEEWAY: i64 = 5;

impl Provider {
    /// §6: the parameters of `outer`, with those of its request object taking precedence
    /// (OpenID Connect Core §6.1), once the object is verified. Every refusal is
    /// `invalid_request_object`.
    pub(crate) async fn with_request_object(
        &self,
        client: &Client,
        outer: &Params,
        object: &str,
    ) -> Result<Params, OAuthError> {
        let invalid = OAuthError::invalid_request_object;
        let claims = match self.client_signed_claims(client, object).await {
            Ok(claims) => claims,
            Err(JwtRefusal::Invalid(reason)) => return Err(invalid(reason)),
            Err(JwtRefusal::KeysUnavailable(_)) => {
                return Err(invalid("the client's keys could not be fetched"));
            }
        };
        let now = self.now();
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        // §6.3 and §4: the object names its client, and is meant for this server.
        if text("iss") != Some(client.id.as_str()) {
            return Err(invalid("the request object's iss must be the client_id"));
        }
        if text("client_id") != Some(client.id.as_str()) {
            return Err(invalid("the request object's client_id must match the request's"));
        }
        let for_us = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == self.config.issuer,
            Some(Value::Array(auds)) => {
                auds.iter().any(|aud| aud.as_str() == Some(self.config.issuer.as_str()))
            }
            _ => false,
        };
        if !for_us {
            return Err(invalid("the request object's aud must be the issuer"));
        }
        let time = |name: &str| claims.get(name).and_then(Value::as_i64);
        let exp = time("exp").ok_or_else(|| invalid("the request object needs exp"))?;
        if exp + LEEWAY <= now {
            return Err(invalid("the request object has expired"));
        }
        if exp > now + MAX_LIFETIME {
            return Err(invalid("the request object's exp is too far in the future"));
        }
        if time("nbf").is_some_and(|nbf| nbf > now + LEEWAY)
            || time("iat").is_some_and(|iat| iat > now + LEEWAY)
        {
            return Err(invalid("the request object is not valid yet"));
        }
        // OpenID Connect Core §6.1: response_type, when also outside, must be the same.
        if let (Some(outside), Some(inside)) = (outer.get("response_type")?, text("response_type"))
            && outside != inside
        {
            return Err(invalid("the request object's response_type differs from the request's"));
        }
        // §4: "MUST NOT include the request and request_uri parameters".
        if claims.contains_key("request") || claims.contains_key("request_uri") {
            return Err(invalid("a request object may not hold request or request_uri"));
        }
        let mut pairs: Vec<(String, String)> = outer
            .iter()
            .filter(|(name, _)| *name != "request" && !claims.contains_key(*name))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        for (name, value) in &claims {
            // The JWT's own claims are not authorization parameters.
            if ["iss", "aud", "exp", "nbf", "iat", "jti"].contains(&name.as_str()) {
                continue;
            }
            let value = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                // `claims` (Core §5.5) and other structured parameters, as JSON text.
                Value::Object(_) | Value::Array(_) => value.to_string(),
                Value::Bool(_) | Value::Null => {
                    return Err(OAuthError::invalid_request_object(format!(
                        "the request object's {name} is not a parameter value"
                    )));
                }
            };
            pairs.push((name.clone(), value));
        }
        Ok(Params::from_pairs(pairs))
    }
}
