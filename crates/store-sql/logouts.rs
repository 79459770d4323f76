//! `LogoutStore`, the same on SQLite and PostgreSQL: the outbox of Logout Tokens.

use crate::shared::records::CLAIM_LOGOUT_DELIVERIES;
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::LogoutDelivery;
use oauth2u_core::store::{LogoutStore, StoreError};

use crate::engine::Store;
use crate::{map_error, rows};

#[async_trait]
impl LogoutStore for Store {
    async fn claim_logout_deliveries(
        &self,
        holder: &str,
        now: UnixTime,
        until: UnixTime,
        limit: i64,
    ) -> Result<Vec<LogoutDelivery>, StoreError> {
        let claimed = sqlx::query(CLAIM_LOGOUT_DELIVERIES)
            .bind(holder)
            .bind(now)
            .bind(until)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)?;
        claimed.iter().map(rows::logout_delivery).collect()
    }

    async fn finish_logout_delivery(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM logout_deliveries WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn retry_logout_delivery(
        &self,
        id: i64,
        attempts: i64,
        due_at: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE logout_deliveries SET attempts = $2, due_at = $3, claimed_by = NULL, claimed_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(attempts)
        .bind(due_at)
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }
}
