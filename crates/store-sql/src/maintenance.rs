//! `MaintenanceStore`: lease rows that one instance (or the command line) takes at a time,
//! and the deletion of what expired in bounded batches, each statement a write of its own.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::store::{MaintenanceStore, StoreError};

use crate::records::{LEASE_ROW, PURGE, RELEASE_LEASE, TAKE_LEASE};
use crate::{Engine, SqlStore, params};

#[async_trait]
impl<E: Engine> MaintenanceStore for SqlStore<E> {
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixTime,
        until: UnixTime,
    ) -> Result<bool, StoreError> {
        self.engine.execute(LEASE_ROW, params![name]).await?;
        Ok(self.engine.execute(TAKE_LEASE, params![name, holder, now, until]).await? == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.engine.execute(RELEASE_LEASE, params![name, holder]).await?;
        Ok(())
    }

    async fn purge_expired(&self, now: UnixTime, batch: i64) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for &statement in PURGE {
            deleted += self.engine.execute(statement, params![now, batch]).await?;
        }
        Ok(deleted)
    }
}
