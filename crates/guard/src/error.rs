//! RFC 6750 §3: the answers to a request without a good token.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a request was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// §3.1: the request carries no token at all: 401 with no error code.
    #[error("no access token")]
    Missing,
    /// §3.1 `invalid_request`: a malformed request (400).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// §3.1 `invalid_token`: expired, revoked, malformed, or not for this API (401).
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// §3.1 `insufficient_scope`: the token lacks these scopes (403).
    #[error("insufficient scope")]
    InsufficientScope(String),
    /// The authorization server could not be asked (503); the token is neither trusted nor refused.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The guard is configured wrongly.
    #[error("configuration: {0}")]
    Config(String),
}

impl GuardError {
    /// The response, with `WWW-Authenticate` for `realm`.
    pub fn into_response_for(self, realm: &str) -> Response {
        self.into_challenge(realm, None)
    }

    /// The response, with `WWW-Authenticate` for `realm` that names the resource's metadata
    /// document when there is one (RFC 9728 §5.1).
    pub fn into_challenge(self, realm: &str, resource_metadata: Option<&str>) -> Response {
        let quote = |text: &str| text.replace(['"', '\\'], "");
        let mut bearer = format!("Bearer realm=\"{}\"", quote(realm));
        if let Some(url) = resource_metadata {
            bearer.push_str(&format!(", resource_metadata=\"{}\"", quote(url)));
        }
        let (status, challenge) = match &self {
            Self::Missing => (StatusCode::UNAUTHORIZED, bearer),
            Self::InvalidRequest(description) => (
                StatusCode::BAD_REQUEST,
                format!("{bearer}, error=\"invalid_request\", error_description=\"{}\"", quote(description)),
            ),
            Self::InvalidToken(description) => (
                StatusCode::UNAUTHORIZED,
                format!("{bearer}, error=\"invalid_token\", error_description=\"{}\"", quote(description)),
            ),
            Self::InsufficientScope(needed) => (
                StatusCode::FORBIDDEN,
                format!("{bearer}, error=\"insufficient_scope\", scope=\"{}\"", quote(needed)),
            ),
            Self::Unavailable(_) | Self::Config(_) => {
                tracing::error!(error = %self, "bearer token check failed");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        };
        let challenge = HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer"));
        (status, [(header::WWW_AUTHENTICATE, challenge)]).into_response()
    }
}

impl IntoResponse for GuardError {
    fn into_response(self) -> Response {
        self.into_response_for("api")
    }
}
