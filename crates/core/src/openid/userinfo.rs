//! OpenID Connect Core §5.3 — the UserInfo endpoint: the token's `sub` and the claims its
//! scope releases (§5.4), behind an RFC 6750 bearer token that must carry `openid`.

use serde_json::{Map, Value, json};

use crate::dpop::DpopHeader;
use crate::error::OAuthError;
use crate::hooks::ClaimsContext;
use crate::model::{TokenKind, TokenRecord};
use crate::provider::Provider;
use crate::secret::Secret;

use super::claims::{requested_claims, user_claims};
use crate::claims_request::ClaimsDestination;

/// RFC 6750 §3.1: why a request to a protected resource was refused.
#[derive(Debug)]
pub enum BearerError {
    /// No token at all: 401 with a bare `Bearer` challenge and no error code.
    Missing,
    /// A malformed request (two ways of sending the token at once): 400.
    InvalidRequest(&'static str),
    /// Unknown, expired, revoked, or not an access token for this server: 401.
    InvalidToken(&'static str),
    /// A valid token without the `openid` scope: 403.
    InsufficientScope,
    /// RFC 9449 §7.1: the DPoP proof of a bound token is missing or wrong: 401 with a
    /// `DPoP` challenge.
    InvalidDpopProof(String),
    /// The server could not answer (its database is down): 5xx.
    Server(OAuthError),
}

impl From<OAuthError> for BearerError {
    fn from(error: OAuthError) -> Self {
        Self::Server(error)
    }
}

impl From<crate::store::StoreError> for BearerError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Server(error.into())
    }
}

impl Provider {
    /// §5.3.2: the claims about the user that `access_token` may see. `userinfo_url` is
    /// this endpoint's own URL, one of the audiences a token for it may name.
    /// `dpop` is the request's proof when it used the DPoP scheme (RFC 9449 §7.1).
    pub async fn userinfo(
        &self,
        access_token: &str,
        userinfo_url: &str,
        dpop: Option<&DpopHeader<'_>>,
    ) -> Result<Value, BearerError> {
        let record = self.store.token(&Secret::from_client(access_token).hash()).await?;
        let Some(record) = record.filter(|record| record.kind == TokenKind::Access) else {
            return Err(BearerError::InvalidToken("the access token is unknown"));
        };
        if !record.is_active(self.now()) || !self.key_stands(&record).await? {
            return Err(BearerError::InvalidToken("the access token is expired or revoked"));
        }
        // RFC 9449 §7.1: a bound token only with a proof of its key; a bearer one only as Bearer.
        match (&record.jkt, dpop) {
            (Some(_), None) => {
                return Err(BearerError::InvalidToken(
                    "a DPoP-bound token must be sent with the DPoP scheme",
                ));
            }
            (None, Some(_)) => return Err(BearerError::InvalidToken("the token is not bound to a DPoP key")),
            (Some(bound), Some(header)) => match self.check_resource_proof(header, access_token).await {
                Ok(jkt) if jkt == *bound => {}
                Ok(_) => {
                    return Err(BearerError::InvalidDpopProof(
                        "the proof is not made with the token's key".into(),
                    ));
                }
                Err(error) if error.code == crate::ErrorCode::InvalidDpopProof => {
                    return Err(BearerError::InvalidDpopProof(error.description.into_owned()));
                }
                Err(error) => return Err(BearerError::Server(error)),
            },
            (None, None) => {}
        }
        if !self.is_for_userinfo(&record, userinfo_url) {
            return Err(BearerError::InvalidToken("the access token is for another resource"));
        }
        // A client's own token (client credentials) has no user to describe.
        let Some(subject) = &record.subject else {
            return Err(BearerError::InsufficientScope);
        };
        if !record.scope.contains("openid") {
            return Err(BearerError::InsufficientScope);
        }
        let user = self.store.user_by_subject(subject).await?;
        if user.as_ref().is_some_and(|user| user.disabled) {
            return Err(BearerError::InvalidToken("the user is disabled"));
        }
        // §5.3.2: `sub` always; then what the scope releases, what `claims` asked for
        // (§5.5), and what the hook adds.
        let mut claims = Map::new();
        if let Some(user) = &user {
            claims.extend(user_claims(user, &record.scope));
            claims.extend(requested_claims(user, record.claims.as_ref(), ClaimsDestination::Userinfo));
        }
        let context = ClaimsContext {
            client_id: &record.client_id,
            subject,
            scope: &record.scope,
            for_id_token: false,
        };
        self.add_hook_claims(&context, &mut claims).await;
        let mut body = Map::new();
        body.insert("sub".into(), json!(self.subject_for_client_id(&record.client_id, subject).await?));
        body.extend(claims);
        Ok(Value::Object(body))
    }

    /// RFC 8707: a token limited to other resources is not for this endpoint. One that
    /// names none (the default) is for the server itself, userinfo included.
    fn is_for_userinfo(&self, record: &TokenRecord, userinfo_url: &str) -> bool {
        record.audience.is_empty()
            || record
                .audience
                .iter()
                .any(|audience| audience == userinfo_url || *audience == self.config.issuer)
    }
}
