//! `CodeStore` on SQLite. Redemption is one conditional UPDATE inside the transaction
//! that stores the tokens: of any number of racing requests, exactly one sees `Fresh`.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{AuthorizationCode, Issuance};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{CodeStore, Redemption, StoreError};

use crate::{SqliteStore, map_error, rows, tokens};

#[async_trait]
impl CodeStore for SqliteStore {
    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        let code = code.clone();
        self.writer
            .write_one(move |conn| {
                Box::pin(async move {
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
                    .bind(crate::shared::records::to_json_list(&code.resources))
                    .bind(code.openid.as_ref().map(crate::shared::records::to_json))
                    .execute(&mut *conn)
                    .await
                    .map_err(map_error)?;
                    Ok(())
                })
            })
            .await
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
        let (hash, issuance) = (*hash, issuance.clone());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let redemption = crate::shared::codes::consume(conn, &hash, now).await?;
                    if redemption == Redemption::Fresh {
                        tokens::insert(conn, &issuance).await?;
                    }
                    Ok(redemption)
                })
            })
            .await
    }
}
