//! `MaintenanceStore` on PostgreSQL: lease rows shared by every instance, and the deletion
//! of what expired in bounded batches, each a statement of its own.

use crate::shared::records::PURGE;
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::store::{MaintenanceStore, StoreError};

use crate::{PostgresStore, lease, map_error};

#[async_trait]
impl MaintenanceStore for PostgresStore {
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixTime,
        until: UnixTime,
    ) -> Result<bool, StoreError> {
        lease::try_take(&self.pool, name, holder, now, until).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        lease::release(&self.pool, name, holder).await
    }

    async fn purge_expired(&self, now: UnixTime, batch: i64) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for &statement in PURGE {
            let done =
                sqlx::query(statement).bind(now).bind(batch).execute(&self.pool).await.map_err(map_error)?;
            deleted += done.rows_affected();
        }
        Ok(deleted)
    }
}
