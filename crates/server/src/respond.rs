//! Responses that endpoints and pages share: OAuth errors as RFC 6749 §5.2 JSON (never a
//! framework's plain text), `no-store` answers, and redirects that carry codes or errors.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::{ErrorCode, OAuthError};

/// An error answered with the JSON body of RFC 6749 §5.2.
pub(crate) struct JsonError(pub OAuthError);

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut headers = no_store();
        match self.0.code {
            // §5.2 / RFC 9110 §15.5.2: a 401 carries a challenge.
            ErrorCode::InvalidClient => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"oauth2u\""));
            }
            ErrorCode::TemporarilyUnavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        (status, headers, Json(self.0.to_json())).into_response()
    }
}

/// A JSON answer that must not be cached, or the error's JSON.
pub(crate) fn json_or_error(result: Result<serde_json::Value, OAuthError>) -> Response {
    match result {
        Ok(answer) => (no_store(), Json(answer)).into_response(),
        Err(error) => JsonError(error).into_response(),
    }
}

/// RFC 6749 §5.1: responses with tokens or credentials "MUST NOT be cached".
pub(crate) fn no_store() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers
}

/// The token endpoint takes POST only (RFC 6749 §3.2).
pub(crate) async fn method_not_allowed() -> Response {
    let mut response =
        JsonError(OAuthError::invalid_request("the token endpoint accepts POST only")).into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// A redirect that carries a code, token or error: never cached, never leaked onward.
pub(crate) fn redirect(status: StatusCode, location: &str) -> Response {
    let Ok(location) = HeaderValue::from_str(location) else {
        tracing::error!("redirect URL is not a valid header value");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let headers = [
        (header::LOCATION, location),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        // The URL carries a code or token: do not leak it onward (RFC 9700 §4.2.4).
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ];
    (status, headers).into_response()
}
