//! Leases: one instance at a time does a job (migrations, cleanup, key rotation). A lease
//! is a row taken with a conditional `UPDATE` — portable to CockroachDB, which has no
//! advisory locks — and it expires, so a killed holder blocks nobody for long.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2u_core::secret::random_id;
use oauth2u_core::store::StoreError;
use sqlx::PgPool;

use crate::map_error;

/// The lease table. It is made outside the migrations, because migrating needs a lease.
const CREATE: &str = "CREATE TABLE IF NOT EXISTS oauth2u_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT,
    expires_at  BIGINT NOT NULL DEFAULT 0
)";

/// A lease held by this process until released or expired.
#[derive(Debug)]
pub struct Lease {
    pool: PgPool,
    name: String,
    holder: String,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

impl Lease {
    /// Takes the lease `name` for `ttl` if nobody holds it; `None` if someone does.
    pub async fn try_take(pool: &PgPool, name: &str, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        ensure_table(pool).await?;
        sqlx::query("INSERT INTO oauth2u_leases (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(pool)
            .await
            .map_err(map_error)?;
        let holder = random_id(16).map_err(|error| StoreError::Other(error.description.into_owned()))?;
        let now = unix_now();
        let taken = sqlx::query(
            "UPDATE oauth2u_leases SET holder = $2, expires_at = $3 WHERE name = $1 AND expires_at <= $4",
        )
        .bind(name)
        .bind(&holder)
        .bind(now + ttl.as_secs() as i64)
        .bind(now)
        .execute(pool)
        .await
        .map_err(map_error)?;
        Ok((taken.rows_affected() == 1).then(|| Lease { pool: pool.clone(), name: name.to_owned(), holder }))
    }

    /// Waits (polling) until the lease is free and takes it; gives up after `patience`.
    pub async fn take(
        pool: &PgPool,
        name: &str,
        ttl: Duration,
        patience: Duration,
    ) -> Result<Lease, StoreError> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if let Some(lease) = Self::try_take(pool, name, ttl).await? {
                return Ok(lease);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StoreError::Unavailable(format!(
                    "the lease {name} stayed taken for {patience:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Gives the lease up at once (it would expire by itself).
    pub async fn release(self) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE oauth2u_leases SET holder = NULL, expires_at = 0 WHERE name = $1 AND holder = $2",
        )
        .bind(&self.name)
        .bind(&self.holder)
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }
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
