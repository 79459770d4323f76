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
type Job = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, (bool, Completion)> + Send>;

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

    /// Runs `work` in the next batch; answers once that batch has committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn| {
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
        self.jobs.send(job).map_err(|_| StoreError::Unavailable("the database writer has stopped".into()))?;
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
        for job in batch {
            let savepoint = sqlx::query("SAVEPOINT write").execute(&mut *conn).await;
            let (keep, complete) = job(&mut conn).await;
            let end = if keep || savepoint.is_err() {
                sqlx::query("RELEASE write").execute(&mut *conn).await
            } else {
                let _ = sqlx::query("ROLLBACK TO write").execute(&mut *conn).await;
                sqlx::query("RELEASE write").execute(&mut *conn).await
            };
            if let Err(error) = savepoint.and(end) {
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
