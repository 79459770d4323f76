//! `TokenStore`. Issuing and rotating are in `writes.rs`; the grace-period retry is here.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{Issuance, TokenRecord};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Rotation, StoreError, TokenStore};

use crate::records;
use crate::tx::Tx;
use crate::writes::{insert_tokens, successor_of};
use crate::{Engine, SqlStore, params};

/// The grace-period retry (`TokenStore::retry_rotation`), inside one transaction.
async fn retry<E: Engine>(
    tx: &mut dyn Tx<Row = E::Row>,
    old: &SecretHash,
    successor: &SecretHash,
    now: UnixTime,
    issuance: &Issuance,
) -> Result<Rotation, StoreError> {
    if tx.fetch_optional(E::LIVE_REFRESH_TOKEN, params![successor]).await?.is_none() {
        return Ok(Rotation::Stale);
    }
    // The grace is used once: of racing retries, one updates the row.
    let claimed = tx
        .execute(
            "UPDATE tokens SET grace_used = TRUE, successor = $3
             WHERE hash = $1 AND successor = $2 AND grace_used = FALSE AND revoked_at IS NULL",
            params![old, successor, successor_of(issuance)?],
        )
        .await?;
    if claimed != 1 {
        return Ok(Rotation::Stale);
    }
    // The successor, and the access token issued with it, are replaced.
    tx.execute(
        "UPDATE tokens SET revoked_at = $2 WHERE (hash = $1 OR paired_refresh = $1) AND revoked_at IS NULL",
        params![successor, now],
    )
    .await?;
    insert_tokens(tx, issuance).await?;
    Ok(Rotation::Rotated)
}

#[async_trait]
impl<E: Engine> TokenStore for SqlStore<E> {
    async fn insert_tokens(&self, issuance: &Issuance) -> Result<(), StoreError> {
        self.engine.insert_tokens(issuance.clone()).await
    }

    async fn token(&self, hash: &SecretHash) -> Result<Option<TokenRecord>, StoreError> {
        let row = self.engine.fetch_optional("SELECT * FROM tokens WHERE hash = $1", params![hash]).await?;
        row.as_ref().map(records::token).transpose()
    }

    async fn rotate_refresh_token(
        &self,
        old: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Rotation, StoreError> {
        self.engine.rotate_refresh_token(*old, now, issuance.clone()).await
    }

    async fn retry_rotation(
        &self,
        old: &SecretHash,
        successor: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Rotation, StoreError> {
        let (old, successor, issuance) = (*old, *successor, issuance.clone());
        self.engine
            .transaction(move |tx| {
                Box::pin(async move { retry::<E>(tx, &old, &successor, now, &issuance).await })
            })
            .await
    }

    async fn revoke_token(&self, hash: &SecretHash, now: UnixTime) -> Result<(), StoreError> {
        self.engine
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE hash = $1 AND revoked_at IS NULL",
                params![hash, now],
            )
            .await?;
        Ok(())
    }

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<u64, StoreError> {
        self.engine
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL",
                params![grant_id, now],
            )
            .await
    }

    async fn revoke_client_tokens(&self, client_id: &str, now: UnixTime) -> Result<u64, StoreError> {
        self.engine
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
                params![client_id, now],
            )
            .await
    }

    async fn revoke_subject_tokens(&self, subject: &str, now: UnixTime) -> Result<u64, StoreError> {
        self.engine
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE subject = $1 AND revoked_at IS NULL",
                params![subject, now],
            )
            .await
    }
}
