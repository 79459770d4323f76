//! `UserStore`.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::User;
use oauth2u_core::store::{StoreError, UserStore};
use serde_json::{Map, Value as Json};

use crate::records::{self, Columns, to_json};
use crate::{Engine, SqlStore, params};

#[async_trait]
impl<E: Engine> UserStore for SqlStore<E> {
    async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row =
            self.engine.fetch_optional("SELECT * FROM users WHERE username = $1", params![username]).await?;
        row.as_ref().map(records::user).transpose()
    }

    async fn user_by_subject(&self, subject: &str) -> Result<Option<User>, StoreError> {
        let row =
            self.engine.fetch_optional("SELECT * FROM users WHERE subject = $1", params![subject]).await?;
        row.as_ref().map(records::user).transpose()
    }

    async fn users(&self, after: Option<&str>, limit: i64) -> Result<Vec<User>, StoreError> {
        let rows = self
            .engine
            .fetch_all(
                "SELECT * FROM users WHERE $1 IS NULL OR username > $1 ORDER BY username LIMIT $2",
                params![after, limit],
            )
            .await?;
        rows.iter().map(records::user).collect()
    }

    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        // A subject may never equal a client_id.
        let inserted = self
            .engine
            .execute(
                "INSERT INTO users (subject, username, password_hash, disabled, created_at, claims)
                 SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM clients WHERE id = $1)",
                params![
                    &user.subject,
                    &user.username,
                    &user.password_hash,
                    user.disabled,
                    user.created_at,
                    to_json(&user.claims)
                ],
            )
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("a user named {} exists", user.username))
                }
                other => other,
            })?;
        if inserted == 0 {
            return Err(StoreError::Conflict("subject collides with a client id".into()));
        }
        Ok(())
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StoreError> {
        let sql = "UPDATE users SET password_hash = $2 WHERE username = $1";
        Ok(self.engine.execute(sql, params![username, password_hash]).await? == 1)
    }

    async fn set_claims(&self, username: &str, claims: &Map<String, Json>) -> Result<bool, StoreError> {
        let sql = "UPDATE users SET claims = $2 WHERE username = $1";
        Ok(self.engine.execute(sql, params![username, to_json(claims)]).await? == 1)
    }

    async fn disable_user(&self, username: &str, now: UnixTime) -> Result<bool, StoreError> {
        self.end_user(username, now, Some("UPDATE users SET disabled = TRUE WHERE username = $1")).await
    }

    async fn enable_user(&self, username: &str) -> Result<bool, StoreError> {
        let sql = "UPDATE users SET disabled = FALSE WHERE username = $1";
        Ok(self.engine.execute(sql, params![username]).await? == 1)
    }

    async fn remove_user(&self, username: &str, now: UnixTime) -> Result<bool, StoreError> {
        self.end_user(username, now, Some("DELETE FROM users WHERE username = $1")).await
    }

    async fn sign_out_everywhere(&self, username: &str, now: UnixTime) -> Result<bool, StoreError> {
        self.end_user(username, now, None).await
    }
}

impl<E: Engine> SqlStore<E> {
    /// Revokes a user's tokens, codes and device approvals and ends their sessions, then —
    /// with `statement` — disables or removes the user and forgets their consents, atomically.
    async fn end_user(
        &self,
        username: &str,
        now: UnixTime,
        statement: Option<&'static str>,
    ) -> Result<bool, StoreError> {
        let username = username.to_owned();
        self.engine
            .transaction(move |tx| {
                Box::pin(async move {
                    // A concurrent change to this user waits for this one.
                    let row = tx.fetch_optional(E::USER_FOR_CHANGE, params![&username]).await?;
                    let Some(subject) = row.map(|row| row.text("subject")).transpose()?.flatten() else {
                        return Ok(false);
                    };
                    tx.execute(
                        "UPDATE tokens SET revoked_at = $2 WHERE subject = $1 AND revoked_at IS NULL",
                        params![&subject, now],
                    )
                    .await?;
                    // Back-Channel Logout §2.5: the clients its sessions signed into are told.
                    tx.execute(records::QUEUE_USER_LOGOUTS, params![&subject, now]).await?;
                    // Codes and sessions go, and an approved device that has not polled yet is
                    // denied (RFC 8628 §3.5 access_denied at its next poll): nothing may act for
                    // the user any more.
                    let mut statements = vec![
                        "DELETE FROM authorization_codes WHERE subject = $1",
                        "DELETE FROM sessions WHERE subject = $1",
                        "UPDATE device_codes SET status = 'denied' WHERE subject = $1 AND consumed_at IS NULL",
                    ];
                    if let Some(statement) = statement {
                        statements.push("DELETE FROM consents WHERE subject = $1");
                        tx.execute(statement, params![&username]).await?;
                    }
                    for statement in statements {
                        tx.execute(statement, params![&subject]).await?;
                    }
                    Ok(true)
                })
            })
            .await
    }
}
