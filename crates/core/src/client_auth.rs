//! RFC 6749 §2.3 and §3.2.1 — client authentication at the token endpoint.
//!
//! Methods: `client_secret_basic` (§2.3.1, the `Authorization` header), `client_secret_post`
//! (§2.3.1, body parameters) and `none` for public clients (§3.2.1, `client_id` only).
//! "The client MUST NOT use more than one authentication method in each request."

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;

use crate::client_id::ClientId;
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
}

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
            Credentials::Secret { client_id, .. } | Credentials::Public { client_id } => client_id,
        };
        let Some(client) = self.client(client_id.as_str()).await? else {
            return Err(failed());
        };
        match (&credentials, client.public) {
            (Credentials::Public { .. }, true) => Ok(client),
            (Credentials::Secret { secret, .. }, false) if self.secret_matches(&client, secret) => Ok(client),
            // A confidential client without its secret, a public client with one, a wrong secret.
            _ => Err(failed()),
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
