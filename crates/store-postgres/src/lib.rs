//! The oauth2u store on PostgreSQL, for several stateless instances on one database.
//!
//! Every single-use step (a code redeemed, a refresh token rotated, a device code
//! exchanged) is one conditional `UPDATE` in the transaction that stores what it yields:
//! the database decides which of any number of racing instances wins. Coordination
//! between instances uses lease rows (`lease.rs`), not advisory locks, and the SQL stays
//! within what CockroachDB and YugabyteDB also speak.

mod batcher;
mod codes;
mod engine;
mod lease;
mod maintenance;
mod migrations;
// The stores whose SQL reads the same on both engines, written once (see its mod.rs).
#[path = "../../store-sql/mod.rs"]
mod shared;
mod tokens;

use std::str::FromStr;
use std::time::Duration;

use oauth2u_core::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

use shared::rows;

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

/// The store. Cheap to clone: it is a connection pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    batcher: batcher::Batcher,
}

impl PostgresStore {
    /// Whether `url` names a PostgreSQL database.
    pub fn handles(url: &str) -> bool {
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// Connects to a `postgres://` URL and migrates the database (one instance at a time).
    pub async fn open(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
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
        Ok(Self { batcher: batcher::Batcher::start(pool.clone()), pool })
    }

    /// The connection pool, for health checks and metrics.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn transaction(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pool.begin().await.map_err(map_error)
    }
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

#[async_trait::async_trait]
impl oauth2u_core::store::HealthStore for PostgresStore {
    async fn ready(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_error)?;
        Ok(())
    }

    fn connections(&self) -> Option<oauth2u_core::store::Connections> {
        Some(oauth2u_core::store::Connections {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        })
    }
}
