//! Group commit: one writer task runs the writes of concurrent requests in one
//! transaction, so a batch pays one fsync instead of one each. A write that fails is
//! undone alone (its own savepoint, or SQLite's undo of a failed statement) and answered
//! with its error; every caller is answered only after its batch has committed, so an
//! acknowledged write is durable (`synchronous = FULL`).
//!
//! Neighbouring row inserts into one table are merged into one multi-row statement, and a
//! batch that is one statement runs without BEGIN/COMMIT: sqlx hands every statement to
//! the connection's own thread, and those hand-offs, not SQLite, are the cost.
//!
//! The batch transaction holds SQLite's write lock (`BEGIN IMMEDIATE`), so a write may
//! read and then update without another writer in between.

use std::future::Future;
use std::pin::Pin;

use oauth2u_core::store::StoreError;
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::insert::{Insert, execute_merged};
use crate::map_error;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Called with the batch's commit outcome.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// One write: runs on the writer's connection, says whether to keep its changes.
type Work = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Completion)> + Send>;

/// A write the writer runs in a batch.
enum Job {
    /// Code, and whether it needs its own savepoint: a single statement does not, since
    /// SQLite undoes a failed statement by itself — and every statement saved is two fewer
    /// hand-offs to the connection's thread.
    Work { work: Work, savepoint: bool },
    /// Rows, merged with the rows of neighbouring inserts into the same table.
    Insert { insert: Insert, answer: oneshot::Sender<Result<(), StoreError>> },
}

/// The largest batch: bounds how long one transaction holds the write lock.
const MAX_BATCH: usize = 256;

#[derive(Debug, Clone)]
pub(crate) struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    pub(crate) fn start(pool: SqlitePool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, queue));
        Self { jobs }
    }

    /// Runs `work` — several statements — in the next batch, inside its own savepoint;
    /// answers once that batch has committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        self.submit(work, true).await
    }

    /// Runs `work` — exactly one statement — in the next batch, without a savepoint.
    pub(crate) async fn write_one<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        self.submit(work, false).await
    }

    /// Inserts `insert`'s rows in the next batch, merged into one statement with the rows
    /// of other inserts into the same table; answers once that batch has committed.
    pub(crate) async fn insert(&self, insert: Insert) -> Result<(), StoreError> {
        let (answer, answered) = oneshot::channel();
        self.send(Job::Insert { insert, answer })?;
        answered.await.map_err(|_| StoreError::Unavailable("the database write did not run".into()))?
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs.send(job).map_err(|_| StoreError::Unavailable("the database writer has stopped".into()))
    }

    async fn submit<T, F>(&self, work: F, savepoint: bool) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T, StoreError>>();
        let work: Work = Box::new(move |conn| {
            Box::pin(async move {
                match work(conn).await {
                    Ok(value) => {
                        let complete: Completion = Box::new(move |committed: Result<(), String>| {
                            let _ = answer.send(committed.map(|()| value).map_err(StoreError::Unavailable));
                        });
                        (true, complete)
                    }
                    Err(error) => {
                        let complete: Completion = Box::new(move |_| {
                            let _ = answer.send(Err(error));
                        });
                        (false, complete)
                    }
                }
            })
        });
        self.send(Job::Work { work, savepoint })?;
        // A dropped job (the batch could not start) is an unavailable database.
        answered.await.map_err(|_| StoreError::Unavailable("the database write did not run".into()))?
    }
}

async fn run(pool: SqlitePool, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut conn = match pool.acquire().await {
            Ok(conn) => conn,
            Err(error) => {
                tracing::error!(%error, "database writer cannot get a connection");
                continue; // dropping the batch answers each caller "unavailable"
            }
        };
        let units = units(batch);
        // A batch of one statement commits by itself: no BEGIN and COMMIT to hand over.
        let transaction =
            !matches!(units.as_slice(), [Unit::Inserts(_)] | [Unit::Work { savepoint: false, .. }]);
        if transaction && let Err(error) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
            tracing::error!(error = %map_error(error), "database writer cannot begin");
            continue;
        }
        let mut completions = Vec::with_capacity(units.len());
        for unit in units {
            unit.run(&mut conn, &mut completions).await;
        }
        let committed = if transaction { commit(&mut conn).await } else { Ok(()) };
        for complete in completions {
            complete(committed.clone());
        }
    }
}

async fn commit(conn: &mut SqliteConnection) -> Result<(), String> {
    match sqlx::query("COMMIT").execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(error) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(format!("commit failed: {}", map_error(error)))
        }
    }
}

/// What the batch runs in order: code, or neighbouring inserts into one table merged.
enum Unit {
    Work { work: Work, savepoint: bool },
    Inserts(Vec<(Insert, oneshot::Sender<Result<(), StoreError>>)>),
}

fn units(batch: Vec<Job>) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    for job in batch {
        match job {
            Job::Work { work, savepoint } => units.push(Unit::Work { work, savepoint }),
            Job::Insert { insert, answer } => match units.last_mut() {
                Some(Unit::Inserts(inserts)) if inserts[0].0.into == insert.into => {
                    inserts.push((insert, answer))
                }
                _ => units.push(Unit::Inserts(vec![(insert, answer)])),
            },
        }
    }
    units
}

impl Unit {
    async fn run(self, conn: &mut SqliteConnection, completions: &mut Vec<Completion>) {
        match self {
            Unit::Work { work, savepoint: false } => completions.push(work(conn).await.1),
            Unit::Work { work, savepoint: true } => {
                let opened = sqlx::query("SAVEPOINT write").execute(&mut *conn).await;
                let (keep, complete) = work(conn).await;
                let closed = if keep || opened.is_err() {
                    sqlx::query("RELEASE write").execute(&mut *conn).await
                } else {
                    let _ = sqlx::query("ROLLBACK TO write").execute(&mut *conn).await;
                    sqlx::query("RELEASE write").execute(&mut *conn).await
                };
                if let Err(error) = opened.and(closed) {
                    tracing::error!(error = %map_error(error), "savepoint failed");
                }
                completions.push(complete);
            }
            Unit::Inserts(inserts) => {
                let rows: Vec<&Insert> = inserts.iter().map(|(insert, _)| insert).collect();
                let merged = execute_merged(conn, &rows).await;
                for (insert, answer) in inserts {
                    // One bad row fails the merged statement as a whole (SQLite undoes it):
                    // then each insert runs alone and gets its own answer.
                    let outcome = match merged {
                        Ok(()) => Ok(()),
                        Err(_) => insert.execute(conn).await,
                    };
                    completions.push(Box::new(move |committed: Result<(), String>| {
                        let _ = answer.send(committed.map_err(StoreError::Unavailable).and(outcome));
                    }));
                }
            }
        }
    }
}
