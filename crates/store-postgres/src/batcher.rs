//! Group insert: the tokens that concurrent requests issue leave as one multi-row
//! `INSERT` — one statement and one commit for the batch instead of one each, which is
//! most of what a token costs PostgreSQL. Each caller is answered after the batch commits;
//! if the merged statement fails, each issuance is inserted alone and gets its own answer,
//! so one bad row never fails the others.

use std::sync::Arc;

use oauth2u_core::model::Issuance;
use oauth2u_core::store::StoreError;
use sqlx::PgPool;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::{map_error, tokens};

type Job = (Issuance, oneshot::Sender<Result<(), StoreError>>);

/// The largest batch.
const MAX_BATCH: usize = 256;
/// Batches in flight at once: one filling while another commits.
const IN_FLIGHT: usize = 2;

#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Batcher {
    pub(crate) fn start(pool: PgPool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, queue));
        Self { jobs }
    }

    /// Inserts the tokens of `issuance` with the next batch; answers once it has committed.
    pub(crate) async fn insert(&self, issuance: Issuance) -> Result<(), StoreError> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send((issuance, answer))
            .map_err(|_| StoreError::Unavailable("the token writer has stopped".into()))?;
        answered.await.map_err(|_| StoreError::Unavailable("the token write did not run".into()))?
    }
}

async fn run(pool: PgPool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = queue.recv().await {
        // Wait for a free slot first: meanwhile the queue fills, and the batch grows.
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            commit(&pool, batch).await;
            drop(slot);
        });
    }
}

async fn commit(pool: &PgPool, batch: Vec<Job>) {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(error) => {
            let cause = map_error(error).to_string();
            for (_, answer) in batch {
                let _ = answer.send(Err(StoreError::Unavailable(cause.clone())));
            }
            return;
        }
    };
    let issuances: Vec<&Issuance> = batch.iter().map(|(issuance, _)| issuance).collect();
    if tokens::insert_all(&mut conn, &issuances).await.is_ok() {
        for (_, answer) in batch {
            let _ = answer.send(Ok(()));
        }
        return;
    }
    for (issuance, answer) in batch {
        let _ = answer.send(tokens::insert(&mut conn, &issuance).await);
    }
}
