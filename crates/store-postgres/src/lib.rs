//! The oauth2u store on PostgreSQL, for several stateless instances on one database.
//!
//! Every single-use step (a code redeemed, a refresh token rotated, a device code
//! exchanged) is one conditional `UPDATE` in the transaction that stores what it yields:
//! the database decides which of any number of racing instances wins. Coordination
//! between instances uses lease rows (`lease.rs`), not advisory locks, and the SQL stays
//! within what CockroachDB and YugabyteDB also speak.
//!
//! The stores themselves are `oauth2u-store-sql`'s, written once for every engine; this
//! crate is how they run here (`engine.rs`), with token writes batched (`batcher.rs`).

mod batcher;
mod engine;
mod lease;
mod migrations;

use std::str::FromStr;
use std::time::Duration;

use oauth2u_core::store::StoreError;
use oauth2u_store_sql::SqlStore;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use engine::Row;

/// Every store trait on PostgreSQL.
pub type PostgresStore = SqlStore<Postgres>;

/// The PostgreSQL engine: a connection pool, and the batcher of token writes.
#[derive(Debug)]
pub struct Postgres {
    pool: PgPool,
    batcher: batcher::Batcher,
}

/// Pool settings; the defaults suit one instance of a few.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Connections this instance may hold.
    pub max_connections: u32,
    /// How long a request waits for a connection, or for a new one to open, before the
    /// database counts as unavailable.
    pub acquire_timeout: Duration,
    /// PostgreSQL's `statement_timeout` on every connection: the server itself ends a
    /// statement that runs longer (the client-side deadline covers a silent network).
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// Whether `url` names a PostgreSQL database.
pub fn handles(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connects to a `postgres://` URL and migrates the database (one instance at a time).
pub async fn open(url: &str, settings: &PoolSettings) -> Result<PostgresStore, StoreError> {
    let statement_timeout = settings.statement_timeout.as_millis().to_string();
    let options = PgConnectOptions::from_str(url)
        .map_err(|error| StoreError::Other(format!("bad PostgreSQL URL: {error}")))?
        .options([("statement_timeout", statement_timeout.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .connect_with(options)
        .await
        .map_err(map_error)?;
    migrations::run(&pool).await?;
    Ok(SqlStore::new(Postgres { batcher: batcher::Batcher::start(pool.clone()), pool }))
}

/// Maps a driver error: unreachable → `Unavailable`, unique violation → `Conflict`.
pub(crate) fn map_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        // Serialization failures and deadlocks (class 40), and the server going away
        // (classes 08 and 57): worth a retry later.
        sqlx::Error::Database(db)
            if db.code().is_some_and(|code| {
                code.starts_with("40") || code.starts_with("08") || code.starts_with("57")
            }) =>
        {
            StoreError::Unavailable(error.to_string())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Other(error.to_string()),
    }
}
