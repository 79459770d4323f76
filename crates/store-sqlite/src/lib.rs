//! The oauth2u store on embedded SQLite, on `rusqlite` with the bundled SQLite.
//!
//! - Reads run where the request runs, on a reader connection of their own
//!   (`readers.rs`): no hand-off to another thread.
//! - Writes go to one writer thread (`writer.rs`), which runs the writes of concurrent
//!   requests as one transaction and commits them with one fsync. Each caller is answered
//!   after the commit, and one failing write fails alone.
//! - WAL, `synchronous = FULL`, migrations embedded and run at open (`connection.rs`,
//!   `migrations.rs`); the WAL is copied back into the file by a thread of its own
//!   (`checkpoint.rs`), not inside the writer's commits.
//!
//! The stores themselves are `oauth2u-store-sql`'s, written once for every engine.

mod checkpoint;
mod connection;
mod migrations;
mod readers;
mod row;
mod statement;
mod writer;

use std::time::Duration;

use async_trait::async_trait;
use oauth2u_core::store::{Connections, StoreError};
use oauth2u_store_sql::{BoxFuture, Engine, SqlStore, Tx, Value};

pub use row::Row;

/// Every store trait on SQLite.
pub type SqliteStore = SqlStore<Sqlite>;

/// The SQLite engine: reader connections, and the writer thread.
#[derive(Debug)]
pub struct Sqlite {
    readers: readers::Readers,
    writer: writer::Writer,
    _checkpointer: checkpoint::Checkpointer,
}

/// Opens (creating if needed) the database at a `sqlite://PATH` URL and migrates it.
pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
    let path = connection::path_of(url)?;
    let engine = tokio::task::spawn_blocking(move || {
        connection::create_owner_only(&path)?;
        let mut conn = prepare_writer(&path)?;
        migrations::run(&mut conn)?;
        conn.pragma_update(None, "wal_autocheckpoint", checkpoint::WRITER_BACKSTOP_PAGES)
            .map_err(statement::map_error)?;
        Ok::<_, StoreError>(Sqlite {
            _checkpointer: checkpoint::Checkpointer::start(&path)?,
            readers: readers::Readers::new(path),
            writer: writer::Writer::start(conn)?,
        })
    })
    .await
    .map_err(|error| StoreError::Other(format!("opening the database failed: {error}")))??;
    Ok(SqlStore::new(engine))
}

/// The writer's connection, in WAL. Switching a new file to WAL takes a lock that another
/// process opening it at the same moment may hold, and SQLite answers BUSY at once rather
/// than waiting: a few tries.
fn prepare_writer(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let mut attempts = 0;
    loop {
        let prepared = connection::open(path).and_then(|conn| connection::use_wal(&conn).map(|()| conn));
        match prepared {
            Err(StoreError::Unavailable(_)) if attempts < 10 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(50 * attempts));
            }
            outcome => return outcome,
        }
    }
}

#[async_trait]
impl Engine for Sqlite {
    type Row = Row;

    // `BEGIN IMMEDIATE` already serialises writers: there is no row lock to take.
    const USER_FOR_CHANGE: &'static str = "SELECT subject FROM users WHERE username = $1";
    const ORIGIN_ALLOWED: &'static str =
        "SELECT 1 FROM clients, json_each(clients.allowed_origins) WHERE json_each.value = $1 LIMIT 1";
    const LIVE_REFRESH_TOKEN: &'static str =
        "SELECT 1 FROM tokens WHERE hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL";

    async fn fetch_optional(&self, sql: &'static str, params: Vec<Value>) -> Result<Option<Row>, StoreError> {
        self.readers.read(|conn| Ok(statement::fetch(conn, sql, &params, 1)?.pop()))
    }

    async fn fetch_all(&self, sql: &'static str, params: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        self.readers.read(|conn| statement::fetch(conn, sql, &params, usize::MAX))
    }

    async fn execute(&self, sql: &'static str, params: Vec<Value>) -> Result<u64, StoreError> {
        self.writer.execute(sql, params).await
    }

    async fn transaction<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx<Row = Row>) -> BoxFuture<'t, Result<T, StoreError>> + Send + 'static,
    {
        self.writer.transaction(work).await
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.readers.read(|conn| statement::fetch(conn, "SELECT 1", &[], 1)).map(|_| ())
    }

    fn connections(&self) -> Option<Connections> {
        Some(self.readers.connections())
    }
}
