//! `UserStore`, the same on SQLite and PostgreSQL.

use crate::shared::records::to_json;
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::User;
use oauth2u_core::store::{StoreError, UserStore};
use serde_json::{Map, Value};

use crate::engine::{self, Store};
use crate::{map_error, rows};

#[async_trait]
impl UserStore for Store {
    async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn user_by_subject(&self, subject: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE subject = $1")
            .bind(subject)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        // A subject may never equal a client_id.
        let inserted = sqlx::query(
            "INSERT INTO users (subject, username, password_hash, disabled, created_at, claims)
             SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM clients WHERE id = $1)",
        )
        .bind(&user.subject)
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(user.disabled)
        .bind(user.created_at)
        .bind(to_json(&user.claims))
        .execute(&self.pool)
        .await
        .map_err(|error| match map_error(error) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("a user named {} exists", user.username)),
            other => other,
        })?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Conflict("subject collides with a client id".into()));
        }
        Ok(())
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StoreError> {
        let updated = sqlx::query("UPDATE users SET password_hash = $2 WHERE username = $1")
            .bind(username)
            .bind(password_hash)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn set_claims(&self, username: &str, claims: &Map<String, Value>) -> Result<bool, StoreError> {
        let updated = sqlx::query("UPDATE users SET claims = $2 WHERE username = $1")
            .bind(username)
            .bind(to_json(claims))
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn disable_user(&self, username: &str, now: UnixTime) -> Result<bool, StoreError> {
        self.end_user(username, now, Some("UPDATE users SET disabled = TRUE WHERE username = $1")).await
    }

    async fn enable_user(&self, username: &str) -> Result<bool, StoreError> {
        let updated = sqlx::query("UPDATE users SET disabled = FALSE WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn remove_user(&self, username: &str, now: UnixTime) -> Result<bool, StoreError> {
        self.end_user(username, now, Some("DELETE FROM users WHERE username = $1")).await
    }

    async fn sign_out_everywhere(&self, username: &str, now: UnixTime) -> Result<bool, StoreError> {
        self.end_user(username, now, None).await
    }
}

impl Store {
    /// Revokes a user's tokens, codes and device approvals and ends their sessions, then —
    /// with `statement` — disables or removes the user and forgets their consents, atomically.
    async fn end_user(
        &self,
        username: &str,
        now: UnixTime,
        statement: Option<&'static str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.transaction().await?;
        // A concurrent change to this user waits for this one.
        let subject: Option<String> = sqlx::query_scalar(engine::USER_FOR_CHANGE)
            .bind(username)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_error)?;
        let Some(subject) = subject else {
            return Ok(false);
        };
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE subject = $1 AND revoked_at IS NULL")
            .bind(&subject)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        // Back-Channel Logout §2.5: the clients its sessions signed into are told.
        sqlx::query(crate::shared::records::QUEUE_USER_LOGOUTS)
            .bind(&subject)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        // Codes and sessions go, and an approved device that has not polled yet is denied
        // (RFC 8628 §3.5 access_denied at its next poll): nothing may act for the user any more.
        let mut statements = vec![
            "DELETE FROM authorization_codes WHERE subject = $1",
            "DELETE FROM sessions WHERE subject = $1",
            "UPDATE device_codes SET status = 'denied' WHERE subject = $1 AND consumed_at IS NULL",
        ];
        if let Some(statement) = statement {
            statements.push("DELETE FROM consents WHERE subject = $1");
            sqlx::query(statement).bind(username).execute(&mut *tx).await.map_err(map_error)?;
        }
        for statement in statements {
            sqlx::query(statement).bind(&subject).execute(&mut *tx).await.map_err(map_error)?;
        }
        tx.commit().await.map_err(map_error)?;
        Ok(true)
    }
}
