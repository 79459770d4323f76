//! `KeyStore`. Private keys arrive sealed; this layer never sees them in the clear.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::keys::SigningKeyRecord;
use oauth2u_core::store::{KeyStore, StoreError};

use crate::records::{self, Columns};
use crate::{Engine, SqlStore, params};

#[async_trait]
impl<E: Engine> KeyStore for SqlStore<E> {
    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        let sql = "SELECT * FROM signing_keys ORDER BY activates_at, created_at, kid";
        let rows = self.engine.fetch_all(sql, params![]).await?;
        rows.iter().map(records::signing_key).collect()
    }

    async fn signing_key(&self, kid: &str) -> Result<Option<SigningKeyRecord>, StoreError> {
        let row =
            self.engine.fetch_optional("SELECT * FROM signing_keys WHERE kid = $1", params![kid]).await?;
        row.as_ref().map(records::signing_key).transpose()
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at, activates_at, publish_until, revoked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    &key.kid,
                    key.algorithm.as_str(),
                    key.sealed_private_key.clone(),
                    key.public_jwk.to_string(),
                    key.created_at,
                    key.activates_at,
                    key.publish_until,
                    key.revoked_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn retire_signing_keys(
        &self,
        successor: &SigningKeyRecord,
        publish_until: UnixTime,
    ) -> Result<(), StoreError> {
        // Only the successor's algorithm: the ring keeps one active key per algorithm.
        self.engine
            .execute(
                "UPDATE signing_keys SET publish_until = $2
                 WHERE kid <> $1 AND alg = $3 AND publish_until IS NULL AND revoked_at IS NULL",
                params![&successor.kid, publish_until, successor.algorithm.as_str()],
            )
            .await?;
        Ok(())
    }

    async fn revoke_signing_key(&self, kid: &str, now: UnixTime) -> Result<bool, StoreError> {
        let sql = "UPDATE signing_keys SET revoked_at = $2 WHERE kid = $1 AND revoked_at IS NULL";
        Ok(self.engine.execute(sql, params![kid, now]).await? == 1)
    }

    async fn server_secret(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self
            .engine
            .fetch_optional("SELECT sealed FROM server_secrets WHERE name = $1", params![name])
            .await?;
        Ok(row.map(|row| row.blob("sealed")).transpose()?.flatten())
    }

    async fn insert_server_secret(&self, name: &str, sealed: &[u8], now: UnixTime) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO server_secrets (name, sealed, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
                params![name, sealed, now],
            )
            .await?;
        Ok(())
    }
}
