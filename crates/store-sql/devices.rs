//! `DeviceStore`, the same on SQLite and PostgreSQL. Issuing the tokens is one conditional
//! UPDATE (`CONSUME_APPROVED`) in the transaction that stores them, so a device gets its
//! tokens exactly once; each engine runs that transaction its own way (`engine.rs`).

use crate::shared::records::to_json_list;
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{DeviceAuthorization, Issuance};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{DeviceStore, Redemption, StoreError};

use crate::engine::Store;
use crate::{map_error, rows};

/// Marks an approved device code used; one row affected means the tokens may be issued.
pub(crate) const CONSUME_APPROVED: &str = "UPDATE device_codes SET consumed_at = $2 WHERE hash = $1 AND status = 'approved' AND consumed_at IS NULL";

#[async_trait]
impl DeviceStore for Store {
    async fn insert_device_authorization(&self, device: &DeviceAuthorization) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO device_codes (hash, user_code, client_id, scope, resources, grant_id, issued_at, expires_at, \"interval\")
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(device.hash.as_bytes().to_vec())
        .bind(&device.user_code)
        .bind(&device.client_id)
        .bind(device.scope.to_string())
        .bind(to_json_list(&device.resources))
        .bind(&device.grant_id)
        .bind(device.issued_at)
        .bind(device.expires_at)
        .bind(device.interval)
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }

    async fn device_authorization(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        let row = sqlx::query("SELECT * FROM device_codes WHERE hash = $1")
            .bind(hash.as_bytes().to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::device_authorization).transpose()
    }

    async fn device_authorization_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        let row = sqlx::query("SELECT * FROM device_codes WHERE user_code = $1")
            .bind(user_code)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::device_authorization).transpose()
    }

    async fn record_device_poll(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        interval: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE device_codes SET last_polled_at = $2, \"interval\" = $3 WHERE hash = $1")
            .bind(hash.as_bytes().to_vec())
            .bind(now)
            .bind(interval)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn decide_device_authorization(
        &self,
        user_code: &str,
        approved_for: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let status = if approved_for.is_some() { "approved" } else { "denied" };
        let decided = sqlx::query(
            "UPDATE device_codes SET status = $2, subject = $3
             WHERE user_code = $1 AND status = 'pending' AND expires_at > $4",
        )
        .bind(user_code)
        .bind(status)
        .bind(approved_for)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(decided.rows_affected() == 1)
    }

    async fn redeem_device_authorization(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Redemption, StoreError> {
        self.redeem_device(hash, now, issuance).await
    }
}
