//! `SessionStore`, `ConsentStore` and `LoginThrottleStore`, the same on SQLite and PostgreSQL.

use crate::shared::records::{self, to_json_list};
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{Consent, Session};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{
    Attempt, AttemptLimits, ConsentStore, LoginThrottleStore, SessionStore, StoreError,
};

use crate::engine::Store;
use crate::{map_error, rows};

#[async_trait]
impl SessionStore for Store {
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (hash, subject, created_at, last_seen_at, expires_at, sid, auth_time, amr)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(session.hash.as_bytes().to_vec())
        .bind(&session.subject)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .bind(&session.sid)
        .bind(session.auth_time)
        .bind(to_json_list(&session.amr))
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }

    async fn session(&self, hash: &SecretHash) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query("SELECT * FROM sessions WHERE hash = $1")
            .bind(hash.as_bytes().to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn touch_session(&self, hash: &SecretHash, now: UnixTime) -> Result<(), StoreError> {
        self.update_at("UPDATE sessions SET last_seen_at = $2 WHERE hash = $1", hash, now).await
    }

    async fn record_session_client(
        &self,
        sid: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO session_clients (sid, client_id, signed_in_at) VALUES ($1, $2, $3)
             ON CONFLICT (sid, client_id) DO NOTHING",
        )
        .bind(sid)
        .bind(client_id)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }

    async fn session_clients(&self, sid: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT client_id FROM session_clients WHERE sid = $1 ORDER BY client_id")
            .bind(sid)
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)
    }

    async fn log_out_session(&self, sid: &str, now: UnixTime) -> Result<u64, StoreError> {
        let mut tx = self.transaction().await?;
        let queued = sqlx::query(records::QUEUE_SESSION_LOGOUTS)
            .bind(sid)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?
            .rows_affected();
        sqlx::query(records::REVOKE_SESSION_TOKENS)
            .bind(sid)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        for statement in ["DELETE FROM sessions WHERE sid = $1", "DELETE FROM session_clients WHERE sid = $1"]
        {
            sqlx::query(statement).bind(sid).execute(&mut *tx).await.map_err(map_error)?;
        }
        tx.commit().await.map_err(map_error)?;
        Ok(queued)
    }

    async fn delete_session(&self, hash: &SecretHash) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE hash = $1")
            .bind(hash.as_bytes().to_vec())
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(())
    }
}

#[async_trait]
impl ConsentStore for Store {
    async fn consent(&self, subject: &str, client_id: &str) -> Result<Option<Consent>, StoreError> {
        let row = sqlx::query("SELECT * FROM consents WHERE subject = $1 AND client_id = $2")
            .bind(subject)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::consent).transpose()
    }

    async fn remember_consent(&self, consent: &Consent) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consents (subject, client_id, scope, granted_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (subject, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(&consent.subject)
        .bind(&consent.client_id)
        .bind(consent.scope.to_string())
        .bind(consent.granted_at)
        .execute(&self.pool)
        .await
        .map_err(map_error)?;
        Ok(())
    }

    async fn consents(&self, subject: &str) -> Result<Vec<Consent>, StoreError> {
        let all = sqlx::query("SELECT * FROM consents WHERE subject = $1 ORDER BY client_id")
            .bind(subject)
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)?;
        all.iter().map(rows::consent).collect()
    }

    async fn revoke_consent(
        &self,
        subject: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.transaction().await?;
        let removed = sqlx::query("DELETE FROM consents WHERE subject = $1 AND client_id = $2")
            .bind(subject)
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        sqlx::query(
            "UPDATE tokens SET revoked_at = $3 WHERE subject = $1 AND client_id = $2 AND revoked_at IS NULL",
        )
        .bind(subject)
        .bind(client_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        Ok(removed.rows_affected() == 1)
    }
}

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
impl LoginThrottleStore for Store {
    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        limits: &AttemptLimits,
    ) -> Result<Attempt, StoreError> {
        let reserved = sqlx::query(RESERVE)
            .bind(key)
            .bind(now)
            .bind(now - limits.window)
            .bind(limits.free)
            .bind(limits.max_delay)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        if reserved.rows_affected() == 1 {
            return Ok(Attempt::Allowed);
        }
        let allowed_at: Option<i64> =
            sqlx::query_scalar("SELECT allowed_at FROM login_failures WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_error)?;
        Ok(Attempt::Refused { retry_after: allowed_at.map_or(1, |at| (at - now).max(1)) })
    }

    async fn refund_attempt(
        &self,
        key: &str,
        now: UnixTime,
        limits: &AttemptLimits,
    ) -> Result<(), StoreError> {
        sqlx::query(REFUND)
            .bind(key)
            .bind(now)
            .bind(limits.free)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(())
    }
}
