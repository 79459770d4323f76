//! Leases: one instance at a time does a job (migrations, cleanup). A lease is a row taken
//! with a conditional `UPDATE` — portable to CockroachDB, which has no advisory locks — and
//! it expires, so a killed holder blocks nobody for long.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2u_core::clock::UnixTime;
use oauth2u_core::secret::random_id;
use oauth2u_core::store::StoreError;
use oauth2u_store_sql::records::{LEASE_ROW, RELEASE_LEASE, TAKE_LEASE};
use sqlx::PgPool;

use crate::map_error;

/// The lease table. It is made outside the migrations, because migrating needs a lease.
const CREATE: &str = "CREATE TABLE IF NOT EXISTS oauth2u_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT,
    expires_at  BIGINT NOT NULL DEFAULT 0
)";

/// Takes the lease `name` for `holder` until `until` if at `now` it is free, expired or
/// already `holder`'s.
pub(crate) async fn try_take(
    pool: &PgPool,
    name: &str,
    holder: &str,
    now: UnixTime,
    until: UnixTime,
) -> Result<bool, StoreError> {
    sqlx::query(LEASE_ROW).bind(name).execute(pool).await.map_err(map_error)?;
    let taken = sqlx::query(TAKE_LEASE)
        .bind(name)
        .bind(holder)
        .bind(now)
        .bind(until)
        .execute(pool)
        .await
        .map_err(map_error)?;
    Ok(taken.rows_affected() == 1)
}

pub(crate) async fn release(pool: &PgPool, name: &str, holder: &str) -> Result<(), StoreError> {
    sqlx::query(RELEASE_LEASE).bind(name).bind(holder).execute(pool).await.map_err(map_error)?;
    Ok(())
}

fn unix_now() -> UnixTime {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// Runs `job` under the lease `name`, waiting (polling) up to `patience` for it. Before
/// the store is open there is no injected clock: this uses the system's.
pub(crate) async fn with_lease<T>(
    pool: &PgPool,
    name: &str,
    ttl: Duration,
    patience: Duration,
    job: impl AsyncFnOnce() -> T,
) -> Result<T, StoreError> {
    ensure_table(pool).await?;
    let holder = random_id(16).map_err(|error| StoreError::Other(error.description.into_owned()))?;
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let now = unix_now();
        if try_take(pool, name, &holder, now, now + ttl.as_secs() as i64).await? {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::Unavailable(format!("the lease {name} stayed taken for {patience:?}")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let outcome = job().await;
    release(pool, name, &holder).await?;
    Ok(outcome)
}

/// Creates the lease table. Two instances creating it at once may collide in PostgreSQL's
/// catalog even with `IF NOT EXISTS`; the loser tries again and finds it there.
async fn ensure_table(pool: &PgPool) -> Result<(), StoreError> {
    let mut attempts = 0;
    loop {
        match sqlx::query(CREATE).execute(pool).await {
            Ok(_) => return Ok(()),
            Err(error) if attempts < 5 => {
                attempts += 1;
                tracing::debug!(%error, "creating the lease table collided; trying again");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => return Err(map_error(error)),
        }
    }
}
