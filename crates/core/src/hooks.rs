//! Hooks: the seed's plugins in Rust form. Every method has a default, so an
//! implementation overrides only the moments it cares about (STYLE.md #8).

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::authorization_request::AuthorizationRequest;
use crate::error::{ErrorCode, OAuthError};
use crate::model::{Client, GrantType};
use crate::params::Params;
use crate::scope::ScopeSet;

/// What the token endpoint knows about a request when it calls a hook.
#[derive(Debug)]
pub struct TokenContext<'a> {
    /// The authenticated client.
    pub client: &'a Client,
    /// The grant being exchanged.
    pub grant_type: GrantType,
    /// The resource owner, when there is one.
    pub subject: Option<&'a str>,
    /// The scope about to be granted.
    pub scope: &'a ScopeSet,
    /// The request's parameters.
    pub params: &'a Params,
}

/// Whom a `claims` hook describes, and for what (OpenID Connect Core §5.3, §2).
#[derive(Debug)]
pub struct ClaimsContext<'a> {
    /// The client the claims go to.
    pub client_id: &'a str,
    /// The user (`sub`).
    pub subject: &'a str,
    /// The scope granted to the client.
    pub scope: &'a ScopeSet,
    /// For the ID token (`true`) or for the userinfo endpoint (`false`).
    pub for_id_token: bool,
}

/// What the authorization endpoint knows when it calls `authorization_GET` or `_POST`.
#[derive(Debug)]
pub struct AuthorizationContext<'a> {
    /// The validated request.
    pub request: &'a AuthorizationRequest,
    /// Its parameters.
    pub params: &'a Params,
    /// For `authorization_POST`: the fields of the form posted back to `/authorize`.
    pub form: Option<&'a Params>,
    /// The CSRF token a rendered form must carry (as `csrf_token`) to be accepted when posted back.
    pub csrf_token: &'a str,
}

/// A registration (RFC 7591 §2) or a registration's update (RFC 7592 §2.2), for the
/// `client_registration` hook.
#[derive(Debug)]
pub struct RegistrationContext<'a> {
    /// The metadata asked for, as sent (members we do not support are already left out).
    pub metadata: &'a Map<String, Value>,
    /// The address the request came from (after `trusted_proxies`).
    pub address: Option<std::net::IpAddr>,
    /// For an update: the client being changed.
    pub client_id: Option<&'a str>,
}

/// How the `client_registration` hook decides a registration.
#[derive(Debug, Clone, PartialEq)]
pub enum RegistrationDecision {
    /// Go ahead with the metadata as it is.
    Allow,
    /// Refuse, with this error (`invalid_client_metadata`, `invalid_redirect_uri`, or
    /// `access_denied`).
    Deny(OAuthError),
    /// Go ahead with this metadata instead: forced scopes, capped lifetimes, and so on. It
    /// is checked by the same rules as what the client sent.
    Adjust(Map<String, Value>),
}

/// How `authorization_GET` or `authorization_POST` decides a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationDecision {
    /// No decision here: the built-in login and consent pages take over.
    Continue,
    /// Approve for this resource owner.
    Grant {
        /// The subject the code or token is issued for.
        subject: String,
    },
    /// Send this error to the client (only the codes in [`AuthorizationDecision::REDIRECT_ERRORS`]).
    Refuse(OAuthError),
    /// Answer with this page, e.g. a plugin's own login form.
    Render {
        /// HTTP status.
        status: u16,
        /// The page.
        html: String,
    },
}

impl AuthorizationDecision {
    /// The errors a hook may send back to the client (the seed's `redirect_*` helpers).
    pub const REDIRECT_ERRORS: &[ErrorCode] = &[
        ErrorCode::AccessDenied,
        ErrorCode::UnauthorizedClient,
        ErrorCode::InvalidScope,
        ErrorCode::ServerError,
        ErrorCode::TemporarilyUnavailable,
    ];
}

/// Fixed points where an embedding program or a plugin can take part.
#[async_trait]
pub trait Hooks: Send + Sync {
    /// Whether [`Hooks::authorization_get`] is implemented (the server then prepares a
    /// session, so that a page it renders can carry a CSRF token).
    fn handles_authorization_get(&self) -> bool {
        false
    }

    /// `authorization_GET`: called once an authorization request is validated. It may
    /// render its own page, grant for a subject, refuse, or let the built-in pages decide.
    async fn authorization_get(
        &self,
        _context: &AuthorizationContext<'_>,
    ) -> Result<AuthorizationDecision, OAuthError> {
        Ok(AuthorizationDecision::Continue)
    }

    /// Whether [`Hooks::authorization_post`] is implemented. Without it, a POST to
    /// `/authorize` is an ordinary authorization request (RFC 6749 §3.1).
    fn handles_authorization_post(&self) -> bool {
        false
    }

    /// `authorization_POST`: a form the hook rendered, posted back to `/authorize?<request>`.
    async fn authorization_post(
        &self,
        _context: &AuthorizationContext<'_>,
    ) -> Result<AuthorizationDecision, OAuthError> {
        Ok(AuthorizationDecision::Continue)
    }

    /// `access_token_validation`: extra checks at the token endpoint, run after the
    /// grant's own checks and before anything is consumed or issued. An error refuses
    /// the request and leaves the code or refresh token usable.
    async fn access_token_validation(&self, _context: &TokenContext<'_>) -> Result<(), OAuthError> {
        Ok(())
    }

    /// `access_token_response`: fields to add to a successful token response, called after
    /// the tokens are stored. The fields that describe the issued token cannot be changed.
    async fn access_token_response(&self, _context: &TokenContext<'_>) -> Map<String, Value> {
        Map::new()
    }

    /// `claims`: claims about the user to add to, or change in, an ID token or a userinfo
    /// answer, for deployments whose attributes live elsewhere. The protocol's own claims
    /// (`iss`, `sub`, `nonce`, …) cannot be set: a hook that tries is ignored as a whole.
    async fn claims(&self, _context: &ClaimsContext<'_>) -> Map<String, Value> {
        Map::new()
    }

    /// `client_registration`: the registration policy (RFC 7591 §2 leaves it to the
    /// server). Called with what a client asks to register, before anything is checked or
    /// stored; it may allow it, refuse it, or change it.
    async fn client_registration(
        &self,
        _context: &RegistrationContext<'_>,
    ) -> Result<RegistrationDecision, OAuthError> {
        Ok(RegistrationDecision::Allow)
    }
}

/// The hooks of a server with no plugins: every default.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl Hooks for NoHooks {}

/// Several hooks as one: policy hooks run in order and the first refusal or decision
/// wins; response fields are merged, later ones over earlier ones.
pub struct HookChain(pub Vec<std::sync::Arc<dyn Hooks>>);

#[async_trait]
impl Hooks for HookChain {
    async fn authorization_get(
        &self,
        context: &AuthorizationContext<'_>,
    ) -> Result<AuthorizationDecision, OAuthError> {
        for hooks in &self.0 {
            let decision = hooks.authorization_get(context).await?;
            if decision != AuthorizationDecision::Continue {
                return Ok(decision);
            }
        }
        Ok(AuthorizationDecision::Continue)
    }

    fn handles_authorization_get(&self) -> bool {
        self.0.iter().any(|hooks| hooks.handles_authorization_get())
    }

    fn handles_authorization_post(&self) -> bool {
        self.0.iter().any(|hooks| hooks.handles_authorization_post())
    }

    async fn authorization_post(
        &self,
        context: &AuthorizationContext<'_>,
    ) -> Result<AuthorizationDecision, OAuthError> {
        for hooks in self.0.iter().filter(|hooks| hooks.handles_authorization_post()) {
            let decision = hooks.authorization_post(context).await?;
            if decision != AuthorizationDecision::Continue {
                return Ok(decision);
            }
        }
        Ok(AuthorizationDecision::Continue)
    }

    async fn access_token_validation(&self, context: &TokenContext<'_>) -> Result<(), OAuthError> {
        for hooks in &self.0 {
            hooks.access_token_validation(context).await?;
        }
        Ok(())
    }

    async fn access_token_response(&self, context: &TokenContext<'_>) -> Map<String, Value> {
        let mut fields = Map::new();
        for hooks in &self.0 {
            fields.extend(hooks.access_token_response(context).await);
        }
        fields
    }

    async fn client_registration(
        &self,
        context: &RegistrationContext<'_>,
    ) -> Result<RegistrationDecision, OAuthError> {
        // Each hook sees what the ones before it made of the request.
        let mut adjusted: Option<Map<String, Value>> = None;
        for hooks in &self.0 {
            let current = RegistrationContext {
                metadata: adjusted.as_ref().unwrap_or(context.metadata),
                address: context.address,
                client_id: context.client_id,
            };
            match hooks.client_registration(&current).await? {
                RegistrationDecision::Allow => {}
                RegistrationDecision::Deny(error) => return Ok(RegistrationDecision::Deny(error)),
                RegistrationDecision::Adjust(metadata) => adjusted = Some(metadata),
            }
        }
        Ok(adjusted.map_or(RegistrationDecision::Allow, RegistrationDecision::Adjust))
    }

    async fn claims(&self, context: &ClaimsContext<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        for hooks in &self.0 {
            claims.extend(hooks.claims(context).await);
        }
        claims
    }
}
