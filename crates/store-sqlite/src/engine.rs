//! What the store files shared with PostgreSQL (`crates/store-sql/`) need from SQLite: the
//! store type, row and query types, the statements that are spelled differently, and the
//! writes that go through the writer.

use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::Issuance;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Redemption, StoreError};

use crate::{map_error, tokens};

pub(crate) type Store = crate::SqliteStore;
pub(crate) type Row = sqlx::sqlite::SqliteRow;
pub(crate) type Connection = sqlx::SqliteConnection;
pub(crate) type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// The user about to be disabled or removed; `BEGIN IMMEDIATE` already serialises writers.
pub(crate) const USER_FOR_CHANGE: &str = "SELECT subject FROM users WHERE username = $1";

/// Whether any client lists the origin (the JSON list of `allowed_origins`).
pub(crate) const ORIGIN_ALLOWED: &str =
    "SELECT EXISTS (SELECT 1 FROM clients, json_each(clients.allowed_origins) WHERE json_each.value = $1)";

impl Store {
    /// Consumes an approved device code and stores its tokens, in one write of the writer.
    pub(crate) async fn redeem_device(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Redemption, StoreError> {
        let (hash, issuance) = (hash.as_bytes().to_vec(), issuance.clone());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let consumed = sqlx::query(crate::shared::devices::CONSUME_APPROVED)
                        .bind(hash)
                        .bind(now)
                        .execute(&mut *conn)
                        .await
                        .map_err(map_error)?;
                    if consumed.rows_affected() != 1 {
                        return Ok(Redemption::Unknown);
                    }
                    tokens::insert(conn, &issuance).await?;
                    Ok(Redemption::Fresh)
                })
            })
            .await
    }
}
