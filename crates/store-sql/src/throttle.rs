//! `LoginThrottleStore`: one conditional write reserves an attempt before anything is
//! checked, so concurrent guesses cannot slip past the limit (STYLE.md #14).

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::store::{Attempt, AttemptLimits, LoginThrottleStore, StoreError};

use crate::records::Columns;
use crate::{Engine, SqlStore, params};

/// The wait that follows an attempt, from the row before it (`$4` free attempts, `$5` the
/// longest wait, `$3` the start of the window): none while attempts are free or the window
/// has passed, then 1 s, doubling. Written with CASE alone, which both engines read alike.
macro_rules! next_delay {
    () => {
        "CASE WHEN (CASE WHEN login_failures.last_at < $3 THEN 1 ELSE login_failures.failures + 1 END) < $4 THEN 0
              WHEN login_failures.last_at < $3 OR login_failures.delay = 0 THEN 1
              WHEN login_failures.delay * 2 > $5 THEN $5
              ELSE login_failures.delay * 2 END"
    };
}

/// One conditional write reserves an attempt: a new key, a key whose window has slid past
/// (no attempt for `$3`), or one whose wait is over (`allowed_at <= now`) takes it; any
/// other leaves the row untouched and affects nothing.
const RESERVE: &str = concat!(
    "INSERT INTO login_failures (key, failures, first_at, last_at, allowed_at, delay)
     VALUES ($1, 1, $2, $2, $2 + CASE WHEN 1 < $4 THEN 0 ELSE 1 END, CASE WHEN 1 < $4 THEN 0 ELSE 1 END)
     ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN login_failures.last_at < $3 THEN 1 ELSE login_failures.failures + 1 END,
        first_at = CASE WHEN login_failures.last_at < $3 THEN $2 ELSE login_failures.first_at END,
        last_at = $2,
        delay = ",
    next_delay!(),
    ",
        allowed_at = $2 + ",
    next_delay!(),
    "
     WHERE login_failures.last_at < $3 OR login_failures.allowed_at <= $2"
);

/// Gives an attempt back; below the free attempts the wait goes too.
const REFUND: &str = "UPDATE login_failures SET failures = failures - 1,
        delay = CASE WHEN failures - 1 < $3 THEN 0 ELSE delay END,
        allowed_at = CASE WHEN failures - 1 < $3 THEN $2 ELSE allowed_at END
     WHERE key = $1 AND failures > 0";

#[async_trait]
impl<E: Engine> LoginThrottleStore for SqlStore<E> {
    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        limits: &AttemptLimits,
    ) -> Result<Attempt, StoreError> {
        let reserved = self
            .engine
            .execute(RESERVE, params![key, now, now - limits.window, limits.free, limits.max_delay])
            .await?;
        if reserved == 1 {
            return Ok(Attempt::Allowed);
        }
        let row = self
            .engine
            .fetch_optional("SELECT allowed_at FROM login_failures WHERE key = $1", params![key])
            .await?;
        let allowed_at = row.map(|row| row.int("allowed_at")).transpose()?.flatten();
        Ok(Attempt::Refused { retry_after: allowed_at.map_or(1, |at| (at - now).max(1)) })
    }

    async fn refund_attempt(
        &self,
        key: &str,
        now: UnixTime,
        limits: &AttemptLimits,
    ) -> Result<(), StoreError> {
        self.engine.execute(REFUND, params![key, now, limits.free]).await?;
        Ok(())
    }

    async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        self.engine.execute("DELETE FROM login_failures WHERE key = $1", params![key]).await?;
        Ok(())
    }
}
