//! Group commit: one writer task runs the writes of concurrent requests in one
//! transaction, so a batch pays one fsync instead of one each. Every write runs inside
//! its own savepoint — a write that fails is rolled back alone and answered with its
//! error — and every caller is answered only after its batch has committed, so an
//! acknowledged write is durable (`synchronous = FULL`).
//!
//! The batch transaction holds SQLite's write lock (`BEGIN IMMEDIATE`), so a write may
//! read and then update without another writer in between.

use std::future::Future;
use std::pin::Pin;

use oauth2u_core::store::StoreError;
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::map_error;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Called with the batch's commit outcome.
type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
/// One write: runs on the writer's connection, says whether to keep its changes.
type Work = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Completion)> + Send>;

/// A write, and whether it needs its own savepoint: a single statement does not, since
/// SQLite undoes a failed statement by itself — and every statement saved is two fewer
/// hand-offs to the connection's thread.
struct Job {
    work: Work,
    savepoint: bool,
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
        self.jobs
            .send(Job { work, savepoint })
            .map_err(|_| StoreError::Unavailable("the database writer has stopped".into()))?;
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
        if let Err(error) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
            tracing::error!(error = %map_error(error), "database writer cannot begin");
            continue;
        }
        let mut completions = Vec::with_capacity(batch.len());
        for Job { work, savepoint } in batch {
            if !savepoint {
                let (_, complete) = work(&mut conn).await;
                completions.push(complete);
                continue;
            }
            let opened = sqlx::query("SAVEPOINT write").execute(&mut *conn).await;
            let (keep, complete) = work(&mut conn).await;
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
        let committed = match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => Ok(()),
            Err(error) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                Err(format!("commit failed: {}", map_error(error)))
            }
        };
        for complete in completions {
            complete(committed.clone());
        }
    }
}
