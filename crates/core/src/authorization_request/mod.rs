//! A validated authorization request (RFC 6749 §4.1.1, §4.2.1): what the authorization
//! endpoint produces, what the pages and the `authorization_*` hooks decide on.

use crate::authorization_response::ResponseMode;
use crate::clock::UnixTime;
use crate::model::{Client, GrantType};
use crate::pkce::CodeChallenge;
use crate::scope::ScopeSet;
use crate::secret::SecretHash;

pub mod openid;

pub use openid::OpenIdRequest;

/// `response_type` (§3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// §4.1: authorization code, returned in the query.
    Code,
    /// §4.2: implicit, the access token returned in the fragment.
    Token,
}

impl ResponseType {
    /// The grant a response of this type belongs to.
    pub fn grant(self) -> GrantType {
        match self {
            Self::Code => GrantType::AuthorizationCode,
            Self::Token => GrantType::Implicit,
        }
    }
}

/// A validated authorization request, waiting for the resource owner's decision.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// The client.
    pub client: Client,
    /// Where to send the response.
    pub redirect_uri: String,
    /// Whether `redirect_uri` was in the request (then the token request must repeat it).
    pub redirect_uri_sent: bool,
    /// What the client asked for.
    pub response_type: ResponseType,
    /// The scope to grant.
    pub scope: ScopeSet,
    /// `state`, exactly as sent.
    pub state: Option<String>,
    /// The PKCE challenge.
    pub challenge: Option<CodeChallenge>,
    /// The resources (RFC 8707) asked for.
    pub resources: Vec<String>,
    /// With `openid` in the scope: what OpenID Connect adds (Core §3.1.2.1).
    pub openid: Option<OpenIdRequest>,
    /// How the response goes back: `response_mode`, or the response type's default.
    pub response_mode: ResponseMode,
    /// RFC 9449 §10: the thumbprint of the DPoP key the code will be bound to.
    pub dpop_jkt: Option<String>,
    /// RFC 9126 §4: the pushed request this one stands for, consumed when it ends.
    pub pushed: Option<Pushed>,
}

/// The pushed request (RFC 9126) an authorization request came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    /// The hash of its `request_uri`.
    pub hash: SecretHash,
    /// When it was pushed.
    pub pushed_at: UnixTime,
}

impl AuthorizationRequest {
    /// A validated code request of `client` for `scope`, for unit tests.
    #[cfg(test)]
    pub(crate) fn example(client: Client, scope: &str) -> Self {
        Self {
            redirect_uri: client.redirect_uris[0].as_str().to_owned(),
            client,
            redirect_uri_sent: true,
            response_type: ResponseType::Code,
            scope: ScopeSet::parse(scope).unwrap_or_default(),
            state: None,
            challenge: None,
            resources: Vec::new(),
            openid: None,
            response_mode: ResponseMode::Query,
            dpop_jkt: None,
            pushed: None,
        }
    }

    /// The request's `prompt` (OpenID requests only; plain OAuth 2.0 has none).
    pub fn prompt(&self) -> openid::Prompt {
        self.openid.as_ref().map(|openid| openid.prompt).unwrap_or_default()
    }

    /// What the user consents to: the scope, and the scope values whose claims the
    /// `claims` parameter asks for one by one (OpenID Connect Core §5.5).
    pub fn consent_scope(&self) -> ScopeSet {
        match &self.openid {
            Some(openid) => self.scope.union(&openid.claims_scope),
            None => self.scope.clone(),
        }
    }

    /// The request's `login_hint` (OpenID requests only).
    pub fn login_hint(&self) -> Option<&str> {
        self.openid.as_ref().and_then(|openid| openid.login_hint.as_deref())
    }
}
