//! RFC 6749 §5.2 and §4.1.2.1 — the error codes, and the HTTP status each one carries.

use std::borrow::Cow;
use std::fmt;

/// The error codes of RFC 6749 (§4.1.2.1, §4.2.2.1, §5.2), by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Missing, repeated or malformed parameter.
    InvalidRequest,
    /// Client authentication failed (§5.2): always 401.
    InvalidClient,
    /// The grant (code, refresh token, credentials) is invalid, expired, revoked or not this client's.
    InvalidGrant,
    /// The client may not use this grant or response type.
    UnauthorizedClient,
    /// The server does not support (or has switched off) this grant type.
    UnsupportedGrantType,
    /// The server does not support (or has switched off) this response type.
    UnsupportedResponseType,
    /// The requested scope is invalid, unknown or exceeds what the client may ask for.
    InvalidScope,
    /// The resource owner or the server denied the request.
    AccessDenied,
    /// RFC 8707 §2: a `resource` that is invalid, unknown, or not this client's to ask for.
    InvalidTarget,
    /// RFC 7009 §2.2.1: the server cannot revoke this type of token.
    UnsupportedTokenType,
    /// RFC 8628 §3.5: the user has not decided yet; poll again.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast; wait 5 seconds longer from now on.
    SlowDown,
    /// RFC 8628 §3.5: the device code expired.
    ExpiredToken,
    /// OpenID Connect Core §3.1.2.6: `prompt=none`, and nobody is signed in (or the
    /// sign-in is too old, or not the hinted user).
    LoginRequired,
    /// OpenID Connect Core §3.1.2.6: `prompt=none`, and the user has not consented.
    ConsentRequired,
    /// OpenID Connect Core §3.1.2.6: `prompt=none`, and a page would have to be shown.
    InteractionRequired,
    /// OpenID Connect Core §3.1.2.6: the `request` parameter (request objects) is not supported.
    RequestNotSupported,
    /// OpenID Connect Core §3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
    /// RFC 7591 §3.2.2: a redirect URI of a registration is not acceptable.
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2: a metadata field of a registration is invalid or not allowed.
    InvalidClientMetadata,
    /// RFC 6750 §3.1, at the client configuration endpoint (RFC 7592 §2): the registration
    /// access token is missing, wrong, or not this client's: always 401.
    InvalidToken,
    /// RFC 9449 §5: the DPoP proof is missing where required, or invalid.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof must carry the nonce the `DPoP-Nonce` header gives.
    UseDpopNonce,
    /// RFC 9101 §6.3: the request object is invalid.
    InvalidRequestObject,
    /// RFC 9126 §2.3 and RFC 9101 §6.3: the `request_uri` is unknown, expired, used or
    /// another client's.
    InvalidRequestUri,
    /// The request body is larger than the configured limit: `invalid_request` with 413.
    RequestTooLarge,
    /// An unexpected fault; its cause is logged, never shown.
    ServerError,
    /// The server cannot handle the request now (e.g. the database is unreachable).
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest | Self::RequestTooLarge => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidTarget => "invalid_target",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidToken => "invalid_token",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::InvalidRequestObject => "invalid_request_object",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// From the code on the wire (`invalid_request` gives [`ErrorCode::InvalidRequest`]).
    pub fn parse(code: &str) -> Option<Self> {
        const ALL: [ErrorCode; 23] = [
            ErrorCode::InvalidDpopProof,
            ErrorCode::UseDpopNonce,
            ErrorCode::InvalidRequestObject,
            ErrorCode::InvalidRequestUri,
            ErrorCode::InvalidRedirectUri,
            ErrorCode::InvalidClientMetadata,
            ErrorCode::InvalidTarget,
            ErrorCode::UnsupportedTokenType,
            ErrorCode::InvalidRequest,
            ErrorCode::InvalidClient,
            ErrorCode::InvalidGrant,
            ErrorCode::UnauthorizedClient,
            ErrorCode::UnsupportedGrantType,
            ErrorCode::UnsupportedResponseType,
            ErrorCode::InvalidScope,
            ErrorCode::AccessDenied,
            ErrorCode::LoginRequired,
            ErrorCode::ConsentRequired,
            ErrorCode::InteractionRequired,
            ErrorCode::RequestNotSupported,
            ErrorCode::RequestUriNotSupported,
            ErrorCode::ServerError,
            ErrorCode::TemporarilyUnavailable,
        ];
        ALL.into_iter().find(|candidate| candidate.as_str() == code)
    }

    /// The HTTP status of a JSON error response with this code at the token, revocation,
    /// introspection and device authorization endpoints: RFC 6749 §5.2 ("400 (Bad Request)
    /// … unless specified otherwise") with `invalid_client` 401; RFC 8628 §3.5 keeps its
    /// codes, `access_denied` included, within that 400.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidClient | Self::InvalidToken => 401,
            Self::RequestTooLarge => 413,
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

/// An OAuth error: a code and a human-readable description for the client developer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The RFC error code.
    pub code: ErrorCode,
    /// `error_description`; for server faults a fixed text, the cause having been logged.
    pub description: Cow<'static, str>,
}

macro_rules! constructors {
    ($($name:ident => $code:ident),* $(,)?) => {
        impl OAuthError {
            $(
                #[doc = concat!("An `", stringify!($name), "` error with this description.")]
                pub fn $name(description: impl Into<Cow<'static, str>>) -> Self {
                    Self { code: ErrorCode::$code, description: description.into() }
                }
            )*
        }
    };
}

constructors! {
    invalid_request => InvalidRequest,
    invalid_client => InvalidClient,
    invalid_grant => InvalidGrant,
    unauthorized_client => UnauthorizedClient,
    unsupported_grant_type => UnsupportedGrantType,
    unsupported_response_type => UnsupportedResponseType,
    invalid_scope => InvalidScope,
    access_denied => AccessDenied,
    invalid_target => InvalidTarget,
    unsupported_token_type => UnsupportedTokenType,
    authorization_pending => AuthorizationPending,
    slow_down => SlowDown,
    expired_token => ExpiredToken,
    login_required => LoginRequired,
    consent_required => ConsentRequired,
    interaction_required => InteractionRequired,
    request_not_supported => RequestNotSupported,
    request_uri_not_supported => RequestUriNotSupported,
    request_too_large => RequestTooLarge,
    invalid_redirect_uri => InvalidRedirectUri,
    invalid_client_metadata => InvalidClientMetadata,
    invalid_token => InvalidToken,
    invalid_dpop_proof => InvalidDpopProof,
    use_dpop_nonce => UseDpopNonce,
    invalid_request_object => InvalidRequestObject,
    invalid_request_uri => InvalidRequestUri,
    temporarily_unavailable => TemporarilyUnavailable,
}

impl OAuthError {
    /// A server fault. The cause is logged here and never sent to the client.
    pub fn server_error(cause: impl fmt::Display) -> Self {
        tracing::error!(%cause, "server error");
        Self { code: ErrorCode::ServerError, description: "internal server error".into() }
    }

    /// The JSON body of RFC 6749 §5.2.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.code.as_str(), "error_description": self.description })
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}
