//! `CodeStore` on PostgreSQL. Redemption is one conditional UPDATE inside the transaction
//! that stores the tokens: of any number of racing requests, on any number of instances,
//! exactly one sees `Fresh` — the others wait on the row lock, then find it consumed.

use crate::shared::records::to_json_list;
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{AuthorizationCode, Issuance};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{CodeStore, Redemption, StoreError};

use crate::{PostgresStore, map_error, rows};

#[async_trait]
impl CodeStore for PostgresStore {
    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO authorization_codes (hash, grant_id, client_id, subject, redirect_uri, scope,
                code_challenge, code_challenge_method, issued_at, expires_at, resources, openid)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(code.hash.as_bytes().to_vec())
        .bind(&code.grant_id)
        .bind(&code.client_id)
        .bind(&code.subject)
        .bind(&code.redirect_uri)
        .bind(code.scope.to_string())
        .bind(code.challenge.as_ref().map(|c| c.value.clone()))
        .bind(code.challenge.as_ref().map(|c| c.method.as_str()))
        .bind(code.issued_at)
        .bind(code.expires_at)
        .bind(to_json_list(&code.resources))
        .bind(code.openid.as_ref().map(crate::shared::records::to_json))
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }

    async fn code(&self, hash: &SecretHash) -> Result<Option<AuthorizationCode>, StoreError> {
        let row = sqlx::query("SELECT * FROM authorization_codes WHERE hash = $1")
            .bind(hash.as_bytes().to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::code).transpose()
    }

    async fn redeem_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Redemption, StoreError> {
        // With the next batch: the conditional UPDATE and the tokens commit together.
        self.batcher.redeem(*hash, now, issuance.clone()).await
    }
}
