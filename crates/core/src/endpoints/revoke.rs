//! RFC 7009 — Token Revocation.
//!
//! A client revokes its own tokens. Revoking a refresh token ends the whole grant: the
//! refresh token and every access token issued from the same authorization (§2). An
//! unknown or already revoked token is answered like a revoked one (§2.2).

use crate::error::OAuthError;
use crate::model::TokenKind;
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::Secret;

impl Provider {
    /// The revocation endpoint: `Ok(())` is a 200 with an empty body.
    pub async fn revoke(&self, params: &Params, authorization: Option<&str>) -> Result<(), OAuthError> {
        params.reject_repeated()?;
        // §2.1: confidential clients authenticate as at the token endpoint; public clients send client_id.
        let client = self.authenticate_client(params, authorization).await?;
        let token = params.require("token")?;
        // §2.1: token_type_hint is a hint only; a value we do not know is ignored and every
        // type searched (§2.2.1's unsupported_token_type is for a type we cannot revoke,
        // and we revoke every type we issue). It must still not repeat (RFC 6749 §3.1).
        params.get("token_type_hint")?;
        let Some(record) = self.store.token(&Secret::from_client(token).hash()).await? else {
            // §2.2: "invalid tokens do not cause an error response".
            return Ok(());
        };
        // §2.1: "the authorization server first validates the client credentials … and then
        // verifies whether the token was issued to the client making the revocation request".
        if record.client_id != client.id {
            return Err(OAuthError::unauthorized_client("this token was not issued to this client"));
        }
        if record.revoked_at.is_some() {
            return Ok(());
        }
        let now = self.now();
        match record.kind {
            TokenKind::Refresh => {
                self.store.revoke_grant(&record.grant_id, now).await?;
            }
            TokenKind::Access => self.store.revoke_token(&record.hash, now).await?,
        }
        Ok(())
    }
}
