//! Group commit: the writes of concurrent requests — token issuance, refresh rotation, code
//! and device-code redemption, and every single-statement write (a revocation, a code stored, a session
//! touched) — leave together, in one transaction with one commit (and so one WAL flush)
//! for the batch instead of one each, which is most of what a write costs PostgreSQL. The
//! tokens they store are one multi-row `INSERT`. Each caller is answered after the batch
//! commits. If anything in the batch fails, it is rolled back and each write runs alone in
//! its own transaction and gets its own answer, so one bad write never fails the others.
//!
//! Single use holds as before: a rotation or redemption is still one conditional UPDATE,
//! which a second one in the same batch sees done (the transaction sees its own writes), and
//! one in another batch, on this instance or another, waits for on the row lock.

use std::sync::Arc;

use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::Issuance;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Redemption, Rotation, StoreError};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{Semaphore, mpsc, oneshot};

use oauth2u_store_sql::writes::{INSERT_INTO, SingleUse, consume, mark_rotated, token_rows};
use oauth2u_store_sql::{Tx, Value};
use sqlx::{Postgres, QueryBuilder};

use crate::engine::PgTx;
use crate::map_error;

/// One write a request asks for.
enum Write {
    /// Store the tokens of one response.
    Insert(Issuance),
    /// Rotate refresh token `old` into the issuance's refresh token (and store it).
    Rotate { old: SecretHash, now: UnixTime, issuance: Issuance },
    /// Consume `code` and store the issuance, if the code was unused.
    Redeem { code: SecretHash, kind: SingleUse, now: UnixTime, issuance: Issuance },
    /// Run one statement.
    Execute { sql: &'static str, params: Vec<Value> },
}

/// What a write came to.
enum Outcome {
    Inserted,
    Rotation(Rotation),
    Redemption(Redemption),
    /// How many rows a statement changed.
    Changed(u64),
}

type Job = (Write, oneshot::Sender<Result<Outcome, StoreError>>);

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

    async fn write(&self, write: Write) -> Result<Outcome, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send((write, answer))
            .map_err(|_| StoreError::Unavailable("the token writer has stopped".into()))?;
        answered.await.map_err(|_| StoreError::Unavailable("the token write did not run".into()))?
    }

    /// Inserts the tokens of `issuance` with the next batch; answers once it has committed.
    pub(crate) async fn insert(&self, issuance: Issuance) -> Result<(), StoreError> {
        match self.write(Write::Insert(issuance)).await? {
            Outcome::Inserted => Ok(()),
            _ => Err(mismatch()),
        }
    }

    /// Rotates `old` with the next batch.
    pub(crate) async fn rotate(
        &self,
        old: SecretHash,
        now: UnixTime,
        issuance: Issuance,
    ) -> Result<Rotation, StoreError> {
        match self.write(Write::Rotate { old, now, issuance }).await? {
            Outcome::Rotation(rotation) => Ok(rotation),
            _ => Err(mismatch()),
        }
    }

    /// Redeems `code`, of the kind given, with the next batch.
    pub(crate) async fn redeem(
        &self,
        kind: SingleUse,
        code: SecretHash,
        now: UnixTime,
        issuance: Issuance,
    ) -> Result<Redemption, StoreError> {
        match self.write(Write::Redeem { code, kind, now, issuance }).await? {
            Outcome::Redemption(redemption) => Ok(redemption),
            _ => Err(mismatch()),
        }
    }
}

impl Batcher {
    /// Runs one statement with the next batch; how many rows it changed, once committed.
    pub(crate) async fn execute(&self, sql: &'static str, params: Vec<Value>) -> Result<u64, StoreError> {
        match self.write(Write::Execute { sql, params }).await? {
            Outcome::Changed(changed) => Ok(changed),
            _ => Err(mismatch()),
        }
    }
}

fn mismatch() -> StoreError {
    StoreError::Other("the batch answered another kind of write".into())
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
    let writes: Vec<&Write> = batch.iter().map(|(write, _)| write).collect();
    if let Ok(outcomes) = together(&mut conn, &writes).await {
        for ((_, answer), outcome) in batch.into_iter().zip(outcomes) {
            let _ = answer.send(Ok(outcome));
        }
        return;
    }
    for (write, answer) in batch {
        let _ = answer.send(
            together(&mut conn, &[&write]).await.and_then(|mut outcomes| outcomes.pop().ok_or_else(mismatch)),
        );
    }
}

/// Runs the writes in one transaction: each one's condition first, then one INSERT of every
/// issuance that goes ahead, then one commit. An error leaves nothing behind.
async fn together(conn: &mut PgConnection, writes: &[&Write]) -> Result<Vec<Outcome>, StoreError> {
    // Inserts alone are one statement, atomic by itself: no transaction around it.
    if writes.iter().all(|write| matches!(write, Write::Insert(_))) {
        let issuances: Vec<&Issuance> = writes.iter().filter_map(|write| issuance_of(write)).collect();
        insert_all(conn, &issuances).await?;
        return Ok(writes.iter().map(|_| Outcome::Inserted).collect());
    }
    // So is one statement alone.
    if let [Write::Execute { sql, params }] = writes {
        return Ok(vec![Outcome::Changed(PgTx { conn }.execute(sql, params.clone()).await?)]);
    }
    let mut tx = conn.begin().await.map_err(map_error)?;
    let mut outcomes = Vec::with_capacity(writes.len());
    let mut issuances = Vec::new();
    for write in writes {
        let outcome = match write {
            Write::Insert(_) => Outcome::Inserted,
            Write::Rotate { old, now, issuance } => {
                match mark_rotated(&mut PgTx { conn: &mut tx }, old, *now, issuance).await? {
                    true => Outcome::Rotation(Rotation::Rotated),
                    false => Outcome::Rotation(Rotation::Stale),
                }
            }
            Write::Redeem { code, kind, now, .. } => {
                Outcome::Redemption(consume(&mut PgTx { conn: &mut tx }, *kind, code, *now).await?)
            }
            Write::Execute { sql, params } => {
                Outcome::Changed(PgTx { conn: &mut tx }.execute(sql, params.clone()).await?)
            }
        };
        let goes_ahead = matches!(
            outcome,
            Outcome::Inserted | Outcome::Rotation(Rotation::Rotated) | Outcome::Redemption(Redemption::Fresh)
        );
        if goes_ahead && let Some(issuance) = issuance_of(write) {
            issuances.push(issuance);
        }
        outcomes.push(outcome);
    }
    if !issuances.is_empty() {
        insert_all(&mut tx, &issuances).await?;
    }
    tx.commit().await.map_err(map_error)?;
    Ok(outcomes)
}

fn issuance_of(write: &Write) -> Option<&Issuance> {
    match write {
        Write::Insert(issuance) | Write::Rotate { issuance, .. } | Write::Redeem { issuance, .. } => {
            Some(issuance)
        }
        Write::Execute { .. } => None,
    }
}

/// Stores the tokens of several responses in one statement: all of them, or none.
async fn insert_all(conn: &mut PgConnection, issuances: &[&Issuance]) -> Result<(), StoreError> {
    let mut statement = QueryBuilder::<Postgres>::new(INSERT_INTO);
    statement.push_values(issuances.iter().flat_map(|issuance| token_rows(issuance)), |mut row, values| {
        for value in values {
            match value {
                Value::Int(int) => row.push_bind(int),
                Value::Text(text) => row.push_bind(text),
                Value::Blob(blob) => row.push_bind(blob),
                Value::Bool(flag) => row.push_bind(flag),
            };
        }
    });
    statement.build().execute(conn).await.map_err(map_error)?;
    Ok(())
}
