//! What the store files shared with SQLite (`crates/store-sql/`) need from PostgreSQL: the
//! store type, row and query types, the statements that are spelled differently, and the
//! writes each engine runs its own way.

use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::Issuance;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Redemption, StoreError};

use crate::{map_error, tokens};

pub(crate) type Store = crate::PostgresStore;
pub(crate) type Row = sqlx::postgres::PgRow;
pub(crate) type Connection = sqlx::PgConnection;
pub(crate) type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// The user about to be disabled or removed, locked: a concurrent change waits for this one.
pub(crate) const USER_FOR_CHANGE: &str = "SELECT subject FROM users WHERE username = $1 FOR UPDATE";

/// Whether any client lists the origin (the JSON list of `allowed_origins`).
pub(crate) const ORIGIN_ALLOWED: &str = "SELECT EXISTS (SELECT 1 FROM clients,
     jsonb_array_elements_text(clients.allowed_origins::jsonb) AS origin WHERE origin = $1)";

impl Store {
    /// Consumes an approved device code and stores its tokens, in one transaction.
    pub(crate) async fn redeem_device(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Redemption, StoreError> {
        let mut tx = self.transaction().await?;
        let consumed = sqlx::query(crate::shared::devices::CONSUME_APPROVED)
            .bind(hash.as_bytes().to_vec())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        if consumed.rows_affected() != 1 {
            return Ok(Redemption::Unknown);
        }
        tokens::insert(&mut tx, issuance).await?;
        tx.commit().await.map_err(map_error)?;
        Ok(Redemption::Fresh)
    }

    /// One `UPDATE … WHERE hash = $1` that sets a time `$2`.
    pub(crate) async fn update_at(
        &self,
        statement: &'static str,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(statement)
            .bind(hash.as_bytes().to_vec())
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(())
    }
}
