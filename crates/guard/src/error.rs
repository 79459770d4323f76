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
    /// error goes in the challenge of the scheme the request used.
    pub(crate) fn into_challenges(
        self,
        realm: &str,
        resource_metadata: Option<&str>,
        with: &Challenges,
    ) -> Response {
        let quote = |text: &str| text.replace(['"', '\\'], "");
        let mut params = format!("realm=\"{}\"", quote(realm));
        if let Some(url) = resource_metadata {
            params.push_str(&format!(", resource_metadata=\"{}\"", quote(url)));
        }
        let bearer = format!("Bearer {params}");
        let dpop = format!("DPoP {params}, algs=\"{}\"", oauth2u_jose::dpop::algorithm_names().join(" "));
        let dpop_error = with.dpop_scheme
            || !with.bearer
            || matches!(self, Self::InvalidDpopProof(_) | Self::UseDpopNonce(_));
        let (status, challenge) = match &self {
            Self::Unavailable(_) | Self::Config(_) => {
                tracing::error!(error = %self, "bearer token check failed");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            Self::InvalidDpopProof(description) => (
                StatusCode::UNAUTHORIZED,
                format!("{dpop}, error=\"invalid_dpop_proof\", error_description=\"{}\"", quote(description)),
            ),
            Self::UseDpopNonce(_) => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "{dpop}, error=\"use_dpop_nonce\", error_description=\"the proof must carry the nonce of the DPoP-Nonce header\""
                ),
            ),
            _ if dpop_error => return self.plain_challenges(&dpop, &bearer, with),
            Self::Missing => (StatusCode::UNAUTHORIZED, bearer.clone()),
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
        };
        let mut response = (status, [(header::WWW_AUTHENTICATE, header_value(&challenge))]).into_response();
        let other = match (with.dpop, dpop_error) {
            // The error went in the DPoP challenge; Bearer is offered beside it unless refused.
            (_, true) if !with.bearer => None,
            (_, true) => Some(bearer),
            (true, false) => Some(dpop),
            (false, false) => None,
        };
        if let Some(other) = other {
            response.headers_mut().append(header::WWW_AUTHENTICATE, header_value(&other));
        }
        if let Self::UseDpopNonce(nonce) = &self {
            response.headers_mut().insert("dpop-nonce", header_value(nonce));
        }
        response
    }

    /// An error of the request that used the DPoP scheme (a bad or missing token, too little
    /// scope): its code in the DPoP challenge.
    fn plain_challenges(self, dpop: &str, bearer: &str, with: &Challenges) -> Response {
        let quote = |text: &str| text.replace(['"', '\\'], "");
        let (status, challenge) = match &self {
            Self::InvalidRequest(description) => (
                StatusCode::BAD_REQUEST,
                format!("{dpop}, error=\"invalid_request\", error_description=\"{}\"", quote(description)),
            ),
            Self::InsufficientScope(needed) => (
                StatusCode::FORBIDDEN,
                format!("{dpop}, error=\"insufficient_scope\", scope=\"{}\"", quote(needed)),
            ),
            Self::InvalidToken(description) => (
                StatusCode::UNAUTHORIZED,
                format!("{dpop}, error=\"invalid_token\", error_description=\"{}\"", quote(description)),
            ),
            _ => (StatusCode::UNAUTHORIZED, dpop.to_owned()),
        };
        let mut response = (status, [(header::WWW_AUTHENTICATE, header_value(&challenge))]).into_response();
        if with.bearer {
            response.headers_mut().append(header::WWW_AUTHENTICATE, header_value(bearer));
        }
        response
    }
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
