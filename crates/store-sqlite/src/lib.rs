//! The oauth2u store on embedded SQLite: WAL journal, `synchronous = FULL` so that an
//! acknowledged token survives power loss, migrations embedded and run at open.
//!
//! Writes that must be atomic run in `BEGIN IMMEDIATE` transactions, which take the write
//! lock first, so concurrent requests queue instead of failing to upgrade a read lock.

mod codes;
mod engine;
mod insert;
mod maintenance;
mod migrations;
// The stores whose SQL reads the same on both engines, written once (see its mod.rs).
#[path = "../../store-sql/mod.rs"]
mod shared;
mod tokens;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use oauth2u_core::clock::UnixTime;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use shared::rows;

/// The store. Cheap to clone: it is a connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: writer::Writer,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at a `sqlite://PATH` URL and migrates it.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::Other(format!(
                "unsupported database URL `{}`: use sqlite://PATH, e.g. sqlite://oauth2u.db",
                oauth2u_core::secret::redact_url(url)
            )));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|error| {
                StoreError::Other(format!(
                    "bad SQLite URL {}: {error}",
                    oauth2u_core::secret::redact_url(url)
                ))
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        create_owner_only(options.get_filename())?;
        let pool_options = SqlitePoolOptions::new()
            .max_connections(8)
            // The connections are in-process: a ping before each use would only cost a
            // round trip to the connection's thread.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10));
        // Switching a new file to WAL takes a lock that another process opening it at the
        // same moment may hold, and SQLite answers BUSY at once rather than waiting.
        let mut attempts = 0;
        let pool = loop {
            match pool_options.clone().connect_with(options.clone()).await.map_err(map_error) {
                Err(StoreError::Unavailable(_)) if attempts < 10 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(50 * attempts)).await;
                }
                outcome => break outcome?,
            }
        };
        migrations::run(&pool).await?;
        Ok(Self { writer: writer::Writer::start(pool.clone()), pool })
    }

    /// One `UPDATE … WHERE hash = $1` that sets a time `$2`, as a single-statement write.
    async fn update_at(
        &self,
        statement: &'static str,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let hash = hash.as_bytes().to_vec();
        self.writer
            .write_one(move |conn| {
                Box::pin(async move {
                    sqlx::query(statement)
                        .bind(hash)
                        .bind(now)
                        .execute(&mut *conn)
                        .await
                        .map_err(map_error)?;
                    Ok(())
                })
            })
            .await
    }

    /// A write transaction: `BEGIN IMMEDIATE` takes the write lock first (see above).
    async fn transaction(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_error)
    }
}

/// Creates a new database file readable by its owner alone (0600), as the master key file
/// beside it is. SQLite gives the `-wal` and `-shm` files the database file's permissions.
fn create_owner_only(path: &std::path::Path) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => {
            Err(StoreError::Other(format!("cannot create the database file {}: {error}", path.display())))
        }
    }
}

/// Maps a driver error: unreachable → `Unavailable`, unique violation → `Conflict`.
pub(crate) fn map_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.message().to_owned())
        }
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), in any extended form: worth a retry later.
        // So are SQLITE_IOERR (10) and SQLITE_FULL (13): the disk is full or refuses the
        // write (a file-size limit); nothing was written, and the writer recovers by itself
        // when space returns.
        sqlx::Error::Database(db) if is_retryable(db.code().as_deref()) => {
            StoreError::Unavailable(error.to_string())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Other(error.to_string()),
    }
}

fn is_retryable(code: Option<&str>) -> bool {
    code.and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| matches!(code & 0xff, 5 | 6 | 10 | 13))
}

#[async_trait::async_trait]
impl oauth2u_core::store::HealthStore for SqliteStore {
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
