//! Group commit on one writer thread, which owns the only writing connection. It takes
//! every write waiting in its queue as one batch, runs them in one transaction — each
//! transaction of the stores inside its own savepoint — and commits once: one fsync for
//! the batch instead of one each. A write that fails is undone alone (its savepoint, or
//! SQLite's undo of a failed statement) and answered with its error; every caller is
//! answered only after its batch has committed, so an acknowledged write is durable
//! (`synchronous = FULL`).
//!
//! The statements run here, without a hand-off per statement: a request pays one wake-up
//! of the writer and one of itself, whatever its write does. The batch holds SQLite's
//! write lock (`BEGIN IMMEDIATE`), so a write may read and then update without another
//! writer in between.

use std::sync::mpsc;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use oauth2u_core::store::StoreError;
use oauth2u_store_sql::{BoxFuture, Tx, Value};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::row::Row;
use crate::statement;

/// Told whether the batch committed.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// One write: runs on the writer's connection inside the batch's transaction.
type Job = Box<dyn FnOnce(&mut Connection) -> Completion + Send>;

/// The largest batch: bounds how long one transaction holds the write lock.
const MAX_BATCH: usize = 256;

#[derive(Debug, Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`; it ends when the last `Writer` is dropped.
    pub(crate) fn start(conn: Connection) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("oauth2u-sqlite-writer".into())
            .spawn(move || run(conn, queue))
            .map_err(|error| StoreError::Other(format!("cannot start the database writer: {error}")))?;
        Ok(Self { jobs })
    }

    /// Runs one statement in the next batch; how many rows it changed, once committed.
    pub(crate) async fn execute(&self, sql: &'static str, params: Vec<Value>) -> Result<u64, StoreError> {
        self.submit(move |conn| statement::execute(conn, sql, &params)).await
    }

    /// Runs `work` in the next batch, inside its own savepoint; its answer, once committed.
    pub(crate) async fn transaction<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx<Row = Row>) -> BoxFuture<'t, Result<T, StoreError>> + Send + 'static,
    {
        self.submit(move |conn| in_savepoint(conn, work)).await
    }

    async fn submit<T, W>(&self, write: W) -> Result<T, StoreError>
    where
        T: Send + 'static,
        W: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn| {
            let outcome = write(conn);
            Box::new(move |committed: Result<(), String>| {
                let _ = answer.send(
                    outcome.and_then(|value| committed.map(|()| value).map_err(StoreError::Unavailable)),
                );
            })
        });
        self.jobs.send(job).map_err(|_| StoreError::Unavailable("the database writer has stopped".into()))?;
        // A job dropped unrun (its batch could not begin) is an unavailable database.
        answered.await.map_err(|_| StoreError::Unavailable("the database write did not run".into()))?
    }
}

fn run(mut conn: Connection, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(error) = run_statement(&conn, "BEGIN IMMEDIATE") {
            tracing::error!(%error, "the database writer cannot begin a transaction");
            continue; // dropping the batch answers each caller "unavailable"
        }
        let mut completions = Vec::with_capacity(batch.len());
        for job in batch {
            // An I/O error or a full disk may have ended the transaction: what remains of
            // the batch is not run, and its callers are answered "unavailable".
            if conn.is_autocommit() {
                break;
            }
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut conn))) {
                Ok(complete) => completions.push(complete),
                Err(_) => {
                    // The thread lives on; the batch is undone, and its callers told so.
                    tracing::error!("a database write panicked; its batch is undone");
                    let _ = run_statement(&conn, "ROLLBACK");
                    break;
                }
            }
        }
        let committed = commit(&conn);
        for complete in completions {
            complete(committed.clone());
        }
    }
}

fn commit(conn: &Connection) -> Result<(), String> {
    match run_statement(conn, "COMMIT") {
        Ok(()) => Ok(()),
        Err(error) => {
            if !conn.is_autocommit() {
                let _ = run_statement(conn, "ROLLBACK");
            }
            Err(format!("commit failed: {error}"))
        }
    }
}

fn run_statement(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    statement::execute(conn, sql, &[]).map(|_| ())
}

/// Runs `work` inside a savepoint, kept if it succeeds and undone if it fails.
fn in_savepoint<T, F>(conn: &mut Connection, work: F) -> Result<T, StoreError>
where
    F: for<'t> FnOnce(&'t mut dyn Tx<Row = Row>) -> BoxFuture<'t, Result<T, StoreError>>,
{
    run_statement(conn, "SAVEPOINT write")?;
    let outcome = now_or_never(work(&mut WriterTx { conn }));
    let closed = match &outcome {
        Ok(_) => run_statement(conn, "RELEASE write"),
        Err(_) => {
            run_statement(conn, "ROLLBACK TO write").and_then(|()| run_statement(conn, "RELEASE write"))
        }
    };
    if let Err(error) = closed {
        tracing::error!(%error, "a savepoint could not be closed");
        return Err(error);
    }
    outcome
}

/// Runs a transaction's future to its end at once: every step of it is a statement on this
/// thread's connection, ready when it is polled, so it never waits.
fn now_or_never<T>(mut work: BoxFuture<'_, Result<T, StoreError>>) -> Result<T, StoreError> {
    match work.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(outcome) => outcome,
        Poll::Pending => {
            Err(StoreError::Other("a SQLite transaction waited for something other than SQLite".into()))
        }
    }
}

/// The writer's connection, as the shared stores see a transaction.
struct WriterTx<'c> {
    conn: &'c mut Connection,
}

#[async_trait]
impl Tx for WriterTx<'_> {
    type Row = Row;

    async fn execute(&mut self, sql: &'static str, params: Vec<Value>) -> Result<u64, StoreError> {
        statement::execute(self.conn, sql, &params)
    }

    async fn fetch_optional(
        &mut self,
        sql: &'static str,
        params: Vec<Value>,
    ) -> Result<Option<Row>, StoreError> {
        Ok(statement::fetch(self.conn, sql, &params, 1)?.pop())
    }

    async fn fetch_all(&mut self, sql: &'static str, params: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        statement::fetch(self.conn, sql, &params, usize::MAX)
    }
}
