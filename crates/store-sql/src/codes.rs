//! `CodeStore`. Redemption's condition is in `writes.rs`.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{AuthorizationCode, Issuance};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{CodeStore, Redemption, StoreError};

use crate::records::{self, to_json, to_json_list};
use crate::writes::SingleUse;
use crate::{Engine, SqlStore, params};

#[async_trait]
impl<E: Engine> CodeStore for SqlStore<E> {
    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO authorization_codes (hash, grant_id, client_id, subject, redirect_uri, scope,
                    code_challenge, code_challenge_method, issued_at, expires_at, resources, openid, dpop_jkt)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                params![
                    &code.hash,
                    &code.grant_id,
                    &code.client_id,
                    &code.subject,
                    code.redirect_uri.clone(),
                    code.scope.to_string(),
                    code.challenge.as_ref().map(|c| c.value.clone()),
                    code.challenge.as_ref().map(|c| c.method.as_str()),
                    code.issued_at,
                    code.expires_at,
                    to_json_list(&code.resources),
                    code.openid.as_ref().map(to_json),
                    code.dpop_jkt.clone(),
                ],
            )
            .await?;
        Ok(())
    }

    async fn code(&self, hash: &SecretHash) -> Result<Option<AuthorizationCode>, StoreError> {
        let row = self
            .engine
            .fetch_optional("SELECT * FROM authorization_codes WHERE hash = $1", params![hash])
            .await?;
        row.as_ref().map(records::code).transpose()
    }

    async fn redeem_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Redemption, StoreError> {
        self.engine.redeem(SingleUse::AuthorizationCode, *hash, now, issuance.clone()).await
    }
}
