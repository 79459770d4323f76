//! `KeyStore`, the same on SQLite and PostgreSQL. Private keys arrive sealed; this layer never
//! sees them in the clear.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::keys::SigningKeyRecord;
use oauth2u_core::store::{KeyStore, StoreError};

use crate::engine::Store;
use crate::{map_error, rows};

#[async_trait]
impl KeyStore for Store {
    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY activates_at, created_at, kid")
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)?;
        rows.iter().map(rows::signing_key).collect()
    }

    async fn signing_key(&self, kid: &str) -> Result<Option<SigningKeyRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM signing_keys WHERE kid = $1")
            .bind(kid)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::signing_key).transpose()
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at, activates_at, publish_until, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&key.kid)
        .bind(key.algorithm.as_str())
        .bind(&key.sealed_private_key)
        .bind(key.public_jwk.to_string())
        .bind(key.created_at)
        .bind(key.activates_at)
        .bind(key.publish_until)
        .bind(key.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }

    async fn retire_signing_keys(
        &self,
        successor: &SigningKeyRecord,
        publish_until: UnixTime,
    ) -> Result<(), StoreError> {
        // Only the successor's algorithm: the ring keeps one active key per algorithm.
        sqlx::query(
            "UPDATE signing_keys SET publish_until = $2
             WHERE kid <> $1 AND alg = $3 AND publish_until IS NULL AND revoked_at IS NULL",
        )
        .bind(&successor.kid)
        .bind(publish_until)
        .bind(successor.algorithm.as_str())
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }

    async fn revoke_signing_key(&self, kid: &str, now: UnixTime) -> Result<bool, StoreError> {
        let revoked =
            sqlx::query("UPDATE signing_keys SET revoked_at = $2 WHERE kid = $1 AND revoked_at IS NULL")
                .bind(kid)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
        Ok(revoked.rows_affected() == 1)
    }

    async fn server_secret(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar("SELECT sealed FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)
    }

    async fn insert_server_secret(&self, name: &str, sealed: &[u8], now: UnixTime) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, sealed, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(sealed)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }
}
