//! `MaintenanceStore` on SQLite: leases (a server and the command line may share a file)
//! and the deletion of what expired, each statement a write of its own in the group commit.

use crate::shared::records::{LEASE_ROW, PURGE, RELEASE_LEASE, TAKE_LEASE};
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::store::{MaintenanceStore, StoreError};

use crate::{SqliteStore, map_error};

#[async_trait]
impl MaintenanceStore for SqliteStore {
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixTime,
        until: UnixTime,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    sqlx::query(LEASE_ROW).bind(&name).execute(&mut *conn).await.map_err(map_error)?;
                    let taken = sqlx::query(TAKE_LEASE)
                        .bind(&name)
                        .bind(&holder)
                        .bind(now)
                        .bind(until)
                        .execute(&mut *conn)
                        .await
                        .map_err(map_error)?;
                    Ok(taken.rows_affected() == 1)
                })
            })
            .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.writer
            .write_one(move |conn| {
                Box::pin(async move {
                    sqlx::query(RELEASE_LEASE)
                        .bind(name)
                        .bind(holder)
                        .execute(&mut *conn)
                        .await
                        .map_err(map_error)?;
                    Ok(())
                })
            })
            .await
    }

    async fn purge_expired(&self, now: UnixTime, batch: i64) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for &statement in PURGE {
            deleted += self
                .writer
                .write_one(move |conn| {
                    Box::pin(async move {
                        let done = sqlx::query(statement)
                            .bind(now)
                            .bind(batch)
                            .execute(&mut *conn)
                            .await
                            .map_err(map_error)?;
                        Ok(done.rows_affected())
                    })
                })
                .await?;
        }
        Ok(deleted)
    }
}
