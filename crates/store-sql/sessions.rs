//! `SessionStore`, `ConsentStore` and `LoginThrottleStore`, the same on SQLite and PostgreSQL.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{Consent, LoginFailures, Session};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{ConsentStore, LoginThrottleStore, SessionStore, StoreError};

use crate::engine::Store;
use crate::{map_error, rows};

#[async_trait]
impl SessionStore for Store {
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (hash, subject, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session.hash.as_bytes().to_vec())
        .bind(&session.subject)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
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

#[async_trait]
impl LoginThrottleStore for Store {
    async fn login_failures(&self, key: &str) -> Result<Option<LoginFailures>, StoreError> {
        let row = sqlx::query("SELECT failures, first_at, last_at FROM login_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::login_failures).transpose()
    }

    async fn record_login_failure(
        &self,
        key: &str,
        now: UnixTime,
        window_start: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_failures (key, failures, first_at, last_at) VALUES ($1, 1, $2, $2)
             ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN login_failures.first_at < $3 THEN 1 ELSE login_failures.failures + 1 END,
                first_at = CASE WHEN login_failures.first_at < $3 THEN $2 ELSE login_failures.first_at END,
                last_at = $2",
        )
        .bind(key)
        .bind(now)
        .bind(window_start)
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
