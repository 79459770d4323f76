//! `DeviceStore` (RFC 8628). Issuing the tokens is one conditional UPDATE in the
//! transaction that stores them, so a device gets its tokens exactly once.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{DeviceAuthorization, Issuance};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{DeviceStore, Redemption, StoreError};

use crate::records::{self, to_json_list};
use crate::writes::SingleUse;
use crate::{Engine, SqlStore, params};

#[async_trait]
impl<E: Engine> DeviceStore for SqlStore<E> {
    async fn insert_device_authorization(&self, device: &DeviceAuthorization) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO device_codes (hash, user_code, client_id, scope, resources, grant_id, issued_at, expires_at, \"interval\")
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                params![
                    &device.hash,
                    &device.user_code,
                    &device.client_id,
                    device.scope.to_string(),
                    to_json_list(&device.resources),
                    &device.grant_id,
                    device.issued_at,
                    device.expires_at,
                    device.interval,
                ],
            )
            .await?;
        Ok(())
    }

    async fn device_authorization(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        let row =
            self.engine.fetch_optional("SELECT * FROM device_codes WHERE hash = $1", params![hash]).await?;
        row.as_ref().map(records::device_authorization).transpose()
    }

    async fn device_authorization_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        let sql = "SELECT * FROM device_codes WHERE user_code = $1";
        let row = self.engine.fetch_optional(sql, params![user_code]).await?;
        row.as_ref().map(records::device_authorization).transpose()
    }

    async fn record_device_poll(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        interval: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE device_codes SET last_polled_at = $2, \"interval\" = $3 WHERE hash = $1";
        self.engine.execute(sql, params![hash, now, interval]).await?;
        Ok(())
    }

    async fn decide_device_authorization(
        &self,
        user_code: &str,
        approved_for: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let status = if approved_for.is_some() { "approved" } else { "denied" };
        let decided = self
            .engine
            .execute(
                "UPDATE device_codes SET status = $2, subject = $3
                 WHERE user_code = $1 AND status = 'pending' AND expires_at > $4",
                params![user_code, status, approved_for, now],
            )
            .await?;
        Ok(decided == 1)
    }

    async fn redeem_device_authorization(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Redemption, StoreError> {
        self.engine.redeem(SingleUse::DeviceCode, *hash, now, issuance.clone()).await
    }
}
