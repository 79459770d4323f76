//! The RFC 6749 §5.1 token response, and what response hooks may add to it.

use serde_json::{Map, Value, json};

use crate::scope::ScopeSet;
use crate::secret::Secret;

/// A successful token response (§5.1). The tokens are in the clear: send once, never log.
#[derive(Debug)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Secret,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The refresh token, when one was issued.
    pub refresh_token: Option<Secret>,
    /// The granted scope.
    pub scope: ScopeSet,
    /// OpenID Connect Core §3.1.3.3: the ID token of an OpenID grant.
    pub id_token: Option<String>,
    /// Fields added by hooks.
    pub extra: Map<String, Value>,
    /// RFC 9449 §5: the access token is bound to a DPoP key (`token_type` `DPoP`).
    pub dpop_bound: bool,
}

impl TokenResponse {
    pub(crate) fn with_extra(mut self, extra: Map<String, Value>) -> Self {
        self.extra = extra;
        self
    }

    /// `Bearer` (RFC 6750), or `DPoP` for a bound token (RFC 9449 §5).
    pub fn token_type(&self) -> &'static str {
        if self.dpop_bound { "DPoP" } else { "Bearer" }
    }

    /// The JSON body.
    pub fn into_json(self) -> Value {
        let mut body = Map::new();
        body.insert("access_token".into(), json!(self.access_token.expose()));
        body.insert("token_type".into(), json!(self.token_type()));
        body.insert("expires_in".into(), json!(self.expires_in));
        if let Some(refresh) = &self.refresh_token {
            body.insert("refresh_token".into(), json!(refresh.expose()));
        }
        // §5.1: scope is required when it differs from the request; always sending it is simplest.
        if !self.scope.is_empty() {
            body.insert("scope".into(), json!(self.scope.to_string()));
        }
        if let Some(id_token) = &self.id_token {
            body.insert("id_token".into(), json!(id_token));
        }
        merge_extra(&mut body, self.extra);
        Value::Object(body)
    }
}

/// The fields a response hook cannot add, change or remove.
pub const PROTECTED_FIELDS: &[&str] =
    &["access_token", "token_type", "expires_in", "refresh_token", "scope", "id_token"];

/// Adds a response hook's fields. A hook that tries to set, change or remove a protected
/// field is refused as a whole: the response goes out as the server made it.
pub(crate) fn merge_extra(body: &mut Map<String, Value>, extra: Map<String, Value>) {
    if let Some(field) = extra.keys().find(|key| PROTECTED_FIELDS.contains(&key.as_str())) {
        tracing::warn!(%field, "access_token_response hook tried to change a protected field; its changes are ignored");
        return;
    }
    body.extend(extra);
}
