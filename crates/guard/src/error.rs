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
    /// RFC 9449 §7.1 `invalid_dpop_proof`: the DPoP proof is missing, malformed, stale,
    /// replayed, or not of the token's key (401).
    #[error("invalid DPoP proof: {0}")]
    InvalidDpopProof(String),
    /// RFC 9449 §9 `use_dpop_nonce`: the proof must carry this nonce (401, `DPoP-Nonce`).
    #[error("use the DPoP nonce")]
    UseDpopNonce(String),
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
        self.into_challenges(realm, resource_metadata, &Challenges::default())
    }

    /// The response with a `Bearer` challenge, a `DPoP` one (RFC 9449 §7.1), or both; the
    /// error goes in the challenge of the scheme the request used (DPoP's own errors always
    /// in DPoP's), the other scheme is offered beside it.
    pub(crate) fn into_challenges(
        self,
        realm: &str,
        resource_metadata: Option<&str>,
        with: &Challenges,
    ) -> Response {
        let mut params = format!("realm=\"{}\"", quote(realm));
        if let Some(url) = resource_metadata {
            params.push_str(&format!(", resource_metadata=\"{}\"", quote(url)));
        }
        let bearer = format!("Bearer {params}");
        let dpop = format!("DPoP {params}, algs=\"{}\"", oauth2u_jose::dpop::algorithm_names().join(" "));
        let in_dpop = with.dpop_scheme
            || !with.bearer
            || matches!(self, Self::InvalidDpopProof(_) | Self::UseDpopNonce(_));
        let (scheme, other) = match in_dpop {
            true => (dpop, with.bearer.then_some(bearer)),
            false => (bearer, with.dpop.then_some(dpop)),
        };
        let Some((status, challenge)) = self.challenge(&scheme) else {
            tracing::error!(error = %self, "bearer token check failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        };
        let mut response = (status, [(header::WWW_AUTHENTICATE, header_value(&challenge))]).into_response();
        if let Some(other) = other {
            response.headers_mut().append(header::WWW_AUTHENTICATE, header_value(&other));
        }
        if let Self::UseDpopNonce(nonce) = &self {
            response.headers_mut().insert("dpop-nonce", header_value(nonce));
        }
        response
    }

    /// The status, and `scheme` (with its parameters) carrying this error; `None` for a fault
    /// of ours, which is no challenge (503).
    fn challenge(&self, scheme: &str) -> Option<(StatusCode, String)> {
        let described = |code: &str, description: &str| {
            format!("{scheme}, error=\"{code}\", error_description=\"{}\"", quote(description))
        };
        Some(match self {
            Self::Missing => (StatusCode::UNAUTHORIZED, scheme.to_owned()),
            Self::InvalidRequest(description) => {
                (StatusCode::BAD_REQUEST, described("invalid_request", description))
            }
            Self::InvalidToken(description) => {
                (StatusCode::UNAUTHORIZED, described("invalid_token", description))
            }
            Self::InsufficientScope(needed) => (
                StatusCode::FORBIDDEN,
                format!("{scheme}, error=\"insufficient_scope\", scope=\"{}\"", quote(needed)),
            ),
            Self::InvalidDpopProof(description) => {
                (StatusCode::UNAUTHORIZED, described("invalid_dpop_proof", description))
            }
            Self::UseDpopNonce(_) => (
                StatusCode::UNAUTHORIZED,
                described("use_dpop_nonce", "the proof must carry the nonce of the DPoP-Nonce header"),
            ),
            Self::Unavailable(_) | Self::Config(_) => return None,
        })
    }
}

/// A challenge parameter's value without the characters that would end it.
fn quote(text: &str) -> String {
    text.replace(['"', '\\'], "")
}

/// Which challenges a refusal carries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Challenges {
    /// `Bearer` (not when the guard takes DPoP-bound tokens only).
    pub(crate) bearer: bool,
    /// `DPoP`.
    pub(crate) dpop: bool,
    /// The request used the DPoP scheme: its error goes in that challenge.
    pub(crate) dpop_scheme: bool,
}

impl Default for Challenges {
    fn default() -> Self {
        Self { bearer: true, dpop: false, dpop_scheme: false }
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("Bearer"))
}

impl IntoResponse for GuardError {
    fn into_response(self) -> Response {
        self.into_response_for("api")
    }
}
