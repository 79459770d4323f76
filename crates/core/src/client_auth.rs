//! RFC 6749 §2.3 and §3.2.1 — client authentication at the token endpoint.
//!
//! Methods: `client_secret_basic` (§2.3.1, the `Authorization` header), `client_secret_post`
//! (§2.3.1, body parameters), `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9: a
//! JWT signed by a key of the client) and `none` for public clients (§3.2.1, `client_id`
//! only). "The client MUST NOT use more than one authentication method in each request."
//!
//! `client_secret_jwt` is not offered: it needs the secret in the clear, and secrets are
//! stored hashed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;

use serde_json::{Map, Value};

use crate::client_id::ClientId;
use crate::client_keys::JwtRefusal;
use crate::dpop::one_time_key;
use crate::error::OAuthError;
use crate::model::Client;
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::Secret;

/// The credentials a request presents.
#[derive(Debug)]
enum Credentials {
    /// `client_secret_basic` or `client_secret_post`.
    Secret { client_id: ClientId, secret: Secret },
    /// `none`: a public client identifies itself.
    Public { client_id: ClientId },
    /// `private_key_jwt`: a JWT the client signed (RFC 7523 §2.2).
    Assertion { client_id: ClientId, assertion: String },
}

/// The body parameters that authenticate a client (not counting `client_id`).
pub const CLIENT_AUTHENTICATION_PARAMETERS: &[&str] =
    &["client_secret", "client_assertion", "client_assertion_type"];

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest an assertion may still be valid for: a replayed one is refused while its
/// `jti` is remembered, so it must not live long (RFC 7523 §3 item 4 lets the server cap it).
const MAX_ASSERTION_LIFETIME: i64 = 300;

/// How far clocks may differ for `iat`, `nbf` and `exp`.
const LEEWAY: i64 = 5;

impl Provider {
    /// Authenticates the client of a token-endpoint request. Every failure is
    /// `invalid_client` (401), except a request that mixes methods (`invalid_request`).
    pub async fn authenticate_client(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<Client, OAuthError> {
        let credentials = credentials(params, authorization)?;
        let client_id = match &credentials {
            Credentials::Secret { client_id, .. }
            | Credentials::Public { client_id }
            | Credentials::Assertion { client_id, .. } => client_id,
        };
        let Some(client) = self.client(client_id.as_str()).await? else {
            return Err(failed());
        };
        // A client with keys authenticates with them alone; the others with their secret.
        let uses_keys = client.authenticates_with_keys();
        match (&credentials, client.public) {
            (Credentials::Public { .. }, true) => Ok(client),
            (Credentials::Secret { secret, .. }, false)
                if !uses_keys && self.secret_matches(&client, secret) =>
            {
                Ok(client)
            }
            (Credentials::Assertion { assertion, .. }, false) if uses_keys => {
                self.check_assertion(&client, assertion).await?;
                Ok(client)
            }
            // A confidential client without its credentials, a public client with some, a
            // wrong secret, an assertion from a client without keys.
            _ => Err(failed()),
        }
    }

    /// RFC 7523 §3: the assertion's signature and claims, and its `jti` seen once.
    async fn check_assertion(&self, client: &Client, assertion: &str) -> Result<(), OAuthError> {
        let claims = match self.client_signed_claims(client, assertion).await {
            Ok(claims) => claims,
            Err(JwtRefusal::Invalid(reason)) => return Err(OAuthError::invalid_client(reason)),
            Err(JwtRefusal::KeysUnavailable(reason)) => {
                tracing::info!(client_id = %client.id, %reason, "a client's key set could not be fetched");
                return Err(OAuthError::invalid_client("the client's keys could not be fetched"));
            }
        };
        let now = self.now();
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        // §3 items 1 and 2: the client is both issuer and subject.
        if text("iss") != Some(client.id.as_str()) || text("sub") != Some(client.id.as_str()) {
            return Err(OAuthError::invalid_client("the assertion's iss and sub must be the client_id"));
        }
        // §3 item 3, RFC 9126 §2: the issuer, the token endpoint or the PAR endpoint, and
        // nothing else.
        if !self.audience_accepted(claims.get("aud")) {
            return Err(OAuthError::invalid_client(
                "the assertion's aud must be the issuer, the token endpoint or the PAR endpoint",
            ));
        }
        let time = |name: &str| claims.get(name).and_then(Value::as_i64);
        let exp = time("exp").ok_or_else(|| OAuthError::invalid_client("the assertion needs exp"))?;
        if exp + LEEWAY <= now {
            return Err(OAuthError::invalid_client("the assertion has expired"));
        }
        if exp > now + MAX_ASSERTION_LIFETIME {
            return Err(OAuthError::invalid_client("the assertion's exp is too far in the future"));
        }
        if time("iat").is_some_and(|iat| iat > now + LEEWAY)
            || time("nbf").is_some_and(|nbf| nbf > now + LEEWAY)
        {
            return Err(OAuthError::invalid_client("the assertion is not valid yet"));
        }
        let jti = jti(&claims).ok_or_else(|| OAuthError::invalid_client("the assertion needs a jti"))?;
        // §3 item 7: a replay is refused while the assertion could still be accepted.
        let key = one_time_key(&["client_assertion", &client.id, jti]);
        if !self.store.use_once(&key, exp + LEEWAY, now).await? {
            return Err(OAuthError::invalid_client("the assertion was used before"));
        }
        Ok(())
    }

    /// Whether an `aud` claim names only this server: its issuer, its token endpoint or its
    /// PAR endpoint.
    pub(crate) fn audience_accepted(&self, aud: Option<&Value>) -> bool {
        let config = &self.config;
        let accepted = |value: &Value| {
            value.as_str().is_some_and(|aud| {
                aud == config.issuer
                    || aud == config.endpoint_url(config.paths.token)
                    || aud == config.endpoint_url(config.paths.pushed_authorization_request)
            })
        };
        match aud {
            Some(Value::Array(values)) => !values.is_empty() && values.iter().all(accepted),
            Some(value) => accepted(value),
            None => false,
        }
    }

    fn secret_matches(&self, client: &Client, secret: &Secret) -> bool {
        let presented = secret.hash();
        let current = client.secret_hash.is_some_and(|hash| hash == presented);
        // A rotated-out secret keeps working until its overlap ends.
        let previous =
            client.previous_secret.is_some_and(|(hash, until)| until > self.now() && hash == presented);
        current | previous
    }
}

fn credentials(params: &Params, authorization: Option<&str>) -> Result<Credentials, OAuthError> {
    let body_id = params.get("client_id")?;
    let body_secret = params.get("client_secret")?;
    let assertion_type = params.get("client_assertion_type")?;
    let assertion = params.get("client_assertion")?;
    if assertion_type.is_some() || assertion.is_some() {
        if authorization.is_some() || body_secret.is_some() {
            return Err(OAuthError::invalid_request("more than one client authentication method"));
        }
        return assertion_credentials(body_id, assertion_type, assertion);
    }
    if let Some(header) = authorization {
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request("more than one client authentication method"));
        }
        let (client_id, secret) = parse_basic(header)?;
        // §2.3.1 allows client_id in the body too, but it must name the same client.
        if body_id.is_some_and(|id| id != client_id) {
            return Err(failed());
        }
        let client_id = ClientId::parse(&client_id).map_err(|_| failed())?;
        return Ok(Credentials::Secret { client_id, secret });
    }
    // An identifier no registration could have made names no client: refused unread.
    let client_id = ClientId::parse(body_id.ok_or_else(failed)?).map_err(|_| failed())?;
    Ok(match body_secret {
        Some(secret) => Credentials::Secret { client_id, secret: Secret::from_client(secret) },
        None => Credentials::Public { client_id },
    })
}

/// RFC 7521 §4.2: the assertion names its client in `sub`; a `client_id` sent beside it
/// must name the same one.
fn assertion_credentials(
    body_id: Option<&str>,
    assertion_type: Option<&str>,
    assertion: Option<&str>,
) -> Result<Credentials, OAuthError> {
    if assertion_type != Some(JWT_BEARER) {
        return Err(OAuthError::invalid_client(format!("client_assertion_type must be {JWT_BEARER}")));
    }
    let assertion =
        assertion.ok_or_else(|| OAuthError::invalid_request("missing parameter `client_assertion`"))?;
    let claims: Map<String, Value> = jsonwebtoken::dangerous::insecure_decode_claims(assertion)
        .map_err(|_| OAuthError::invalid_client("client_assertion is not a JWT"))?;
    let subject = claims.get("sub").and_then(Value::as_str).ok_or_else(failed)?;
    if body_id.is_some_and(|id| id != subject) {
        return Err(failed());
    }
    let client_id = ClientId::parse(subject).map_err(|_| failed())?;
    Ok(Credentials::Assertion { client_id, assertion: assertion.to_owned() })
}

fn jti(claims: &Map<String, Value>) -> Option<&str> {
    claims.get("jti").and_then(Value::as_str).filter(|jti| !jti.is_empty() && jti.len() <= 256)
}

/// `Authorization: Basic base64(urlencode(client_id) ":" urlencode(client_secret))`.
pub(crate) fn parse_basic(header: &str) -> Result<(String, Secret), OAuthError> {
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let (id, secret) = (form_decode(id)?, form_decode(secret)?);
    if id.is_empty() {
        return Err(malformed());
    }
    Ok((id, Secret::from_client(&secret)))
}

/// The `application/x-www-form-urlencoded` decoding that §2.3.1 prescribes.
fn form_decode(text: &str) -> Result<String, OAuthError> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8().map(|text| text.into_owned()).map_err(|_| malformed())
}

fn failed() -> OAuthError {
    OAuthError::invalid_client("client authentication failed")
}

fn malformed() -> OAuthError {
    OAuthError::invalid_client("malformed Authorization header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        // "a b:c%3Ad" → client_id "a b", secret "c:d"
        let header = format!("Basic {}", STANDARD.encode("a+b:c%3Ad"));
        let (id, secret) = parse_basic(&header).unwrap();
        assert_eq!((id.as_str(), secret.expose()), ("a b", "c:d"));
    }

    #[test]
    fn malformed_headers_are_invalid_client() {
        for header in ["Bearer abc", "Basic", "Basic !!!", &format!("Basic {}", STANDARD.encode("nocolon"))] {
            assert_eq!(parse_basic(header).unwrap_err().code, crate::ErrorCode::InvalidClient, "{header}");
        }
    }
}
