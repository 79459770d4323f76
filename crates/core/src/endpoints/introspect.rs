//! RFC 7662 — Token Introspection.
//!
//! Only authenticated confidential clients may ask (§2.1). A caller sees the tokens issued
//! to itself, and a resource server those whose audience includes it; for anything else —
//! unknown, expired, revoked, not the caller's — the answer is `{"active": false}` and
//! nothing more (§2.2).

use serde_json::{Map, Value, json};

use crate::error::OAuthError;
use crate::model::{Client, SubjectType, TokenKind, TokenRecord};
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::Secret;

impl Provider {
    /// The introspection endpoint's JSON answer.
    pub async fn introspect(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<Value, OAuthError> {
        params.reject_repeated()?;
        let client = self.authenticate_client(params, authorization).await?;
        if client.public {
            return Err(OAuthError::invalid_client(
                "introspection needs an authenticated confidential client",
            ));
        }
        let token = params.require("token")?;
        let record = self.store.token(&Secret::from_client(token).hash()).await?;
        match record {
            Some(record)
                if record.is_active(self.now())
                    && may_see(&client, &record)
                    && self.key_stands(&record).await? =>
            {
                self.describe(&record).await
            }
            _ => Ok(json!({ "active": false })),
        }
    }

    /// A JWT whose signing key was revoked is no longer trusted, even if not itself revoked.
    pub(crate) async fn key_stands(&self, record: &TokenRecord) -> Result<bool, OAuthError> {
        let Some(kid) = &record.kid else {
            return Ok(true);
        };
        // Read every time, not from the key cache: a revocation counts at once.
        Ok(self.store.signing_key(kid).await?.is_some_and(|key| key.revoked_at.is_none()))
    }

    async fn describe(&self, record: &TokenRecord) -> Result<Value, OAuthError> {
        let mut body = Map::new();
        body.insert("active".into(), json!(true));
        if !record.scope.is_empty() {
            body.insert("scope".into(), json!(record.scope.to_string()));
        }
        body.insert("client_id".into(), json!(record.client_id));
        if let Some(subject) = &record.subject {
            // OpenID Connect Core §8: a pairwise client's tokens name its own `sub` for the
            // user, and no username, which would link the user across sectors.
            let client = self.client(&record.client_id).await?;
            let pairwise = client.as_ref().is_some_and(|client| client.subject_type != SubjectType::Public);
            if !pairwise && let Some(user) = self.store.user_by_subject(subject).await? {
                body.insert("username".into(), json!(user.username));
            }
            let sub = match &client {
                Some(client) => self.subject_for(client, subject).await?,
                None => subject.clone(),
            };
            body.insert("sub".into(), json!(sub));
        }
        // §2.2 token_type: an access token's type as the token endpoint gave it; a refresh
        // token, shown only to its own client, says what it is.
        let token_type = match (record.kind, &record.jkt) {
            (TokenKind::Access, Some(_)) => "DPoP",
            (TokenKind::Access, None) => "Bearer",
            (TokenKind::Refresh, _) => "refresh_token",
        };
        body.insert("token_type".into(), json!(token_type));
        // RFC 9449 §6.2: a bound token's key, for the resource server to check proofs against.
        if let Some(jkt) = &record.jkt {
            body.insert("cnf".into(), json!({ "jkt": jkt }));
        }
        let expires_at = match record.grant_expires_at {
            Some(family_end) => record.expires_at.min(family_end),
            None => record.expires_at,
        };
        body.insert("exp".into(), json!(expires_at));
        body.insert("iat".into(), json!(record.issued_at));
        body.insert("nbf".into(), json!(record.issued_at));
        if !record.audience.is_empty() {
            body.insert("aud".into(), json!(record.audience));
        }
        body.insert("iss".into(), json!(self.config.issuer));
        if let Some(jti) = &record.jti {
            body.insert("jti".into(), json!(jti));
        }
        Ok(Value::Object(body))
    }
}

/// The client the token was issued to, or — for an access token — a resource server in its
/// audience. A refresh token is never a credential at an API (RFC 6749 §1.5, §10.4): to
/// anyone but its own client it is inactive, whatever its audience says.
fn may_see(caller: &Client, record: &TokenRecord) -> bool {
    if record.client_id == caller.id {
        return true;
    }
    record.kind == TokenKind::Access
        && caller.resource_server.as_ref().is_some_and(|uri| record.audience.iter().any(|aud| aud == uri))
}
