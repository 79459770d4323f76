//! Hooks: the seed's plugins in Rust form. Every method has a default, so an
//! implementation overrides only the moments it cares about (STYLE.md #8).

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::error::OAuthError;
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

/// Fixed points where an embedding program or a plugin can take part.
#[async_trait]
pub trait Hooks: Send + Sync {
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
}

/// The hooks of a server with no plugins: every default.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl Hooks for NoHooks {}
