//! `OneTimeStore`: values seen once, and pushed authorization requests. A replay is
//! decided by the primary key, in one statement, so it holds across instances.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::PushedRequest;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{OneTimeStore, StoreError};

use crate::records;
use crate::{Engine, SqlStore, params};

#[async_trait]
impl<E: Engine> OneTimeStore for SqlStore<E> {
    async fn use_once(
        &self,
        key: &SecretHash,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        // A record that expired but was not swept yet no longer counts.
        let recorded = self
            .engine
            .execute(
                "INSERT INTO single_use (key, expires_at) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
                 WHERE single_use.expires_at <= $3",
                params![key, expires_at, now],
            )
            .await?;
        Ok(recorded == 1)
    }

    async fn insert_pushed_request(&self, request: &PushedRequest) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO pushed_requests (hash, client_id, parameters, dpop_jkt, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                params![
                    &request.hash,
                    &request.client_id,
                    &request.parameters,
                    request.dpop_jkt.clone(),
                    request.created_at,
                    request.expires_at
                ],
            )
            .await?;
        Ok(())
    }

    async fn pushed_request(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<PushedRequest>, StoreError> {
        let row = self
            .engine
            .fetch_optional(
                "SELECT * FROM pushed_requests WHERE hash = $1 AND expires_at > $2",
                params![hash, now],
            )
            .await?;
        row.as_ref().map(records::pushed_request).transpose()
    }

    async fn consume_pushed_request(&self, hash: &SecretHash) -> Result<bool, StoreError> {
        Ok(self.engine.execute("DELETE FROM pushed_requests WHERE hash = $1", params![hash]).await? == 1)
    }
}
