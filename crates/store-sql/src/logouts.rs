//! `LogoutStore`: the outbox of Logout Tokens (Back-Channel Logout §2.5).

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::LogoutDelivery;
use oauth2u_core::store::{LogoutStore, StoreError};

use crate::records::{self, CLAIM_LOGOUT_DELIVERIES};
use crate::{Engine, SqlStore, params};

#[async_trait]
impl<E: Engine> LogoutStore for SqlStore<E> {
    async fn claim_logout_deliveries(
        &self,
        holder: &str,
        now: UnixTime,
        until: UnixTime,
        limit: i64,
    ) -> Result<Vec<LogoutDelivery>, StoreError> {
        let params = params![holder, now, until, limit];
        let claimed = self
            .engine
            .transaction(move |tx| {
                Box::pin(async move { tx.fetch_all(CLAIM_LOGOUT_DELIVERIES, params).await })
            })
            .await?;
        claimed.iter().map(records::logout_delivery).collect()
    }

    async fn finish_logout_delivery(&self, id: i64) -> Result<(), StoreError> {
        self.engine.execute("DELETE FROM logout_deliveries WHERE id = $1", params![id]).await?;
        Ok(())
    }

    async fn retry_logout_delivery(
        &self,
        id: i64,
        attempts: i64,
        due_at: UnixTime,
    ) -> Result<(), StoreError> {
        self.engine
            .execute(
                "UPDATE logout_deliveries SET attempts = $2, due_at = $3, claimed_by = NULL, claimed_until = NULL
                 WHERE id = $1",
                params![id, attempts, due_at],
            )
            .await?;
        Ok(())
    }
}
