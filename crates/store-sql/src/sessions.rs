//! `SessionStore` and `ConsentStore`.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{Consent, Session};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{ConsentStore, SessionStore, StoreError};

use crate::records::{self, Columns, to_json_list};
use crate::{Engine, SqlStore, params};

#[async_trait]
impl<E: Engine> SessionStore for SqlStore<E> {
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO sessions (hash, subject, created_at, last_seen_at, expires_at, sid, auth_time, amr)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                params![
                    &session.hash,
                    session.subject.clone(),
                    session.created_at,
                    session.last_seen_at,
                    session.expires_at,
                    &session.sid,
                    session.auth_time,
                    to_json_list(&session.amr),
                ],
            )
            .await?;
        Ok(())
    }

    async fn session(&self, hash: &SecretHash) -> Result<Option<Session>, StoreError> {
        let row = self.engine.fetch_optional("SELECT * FROM sessions WHERE hash = $1", params![hash]).await?;
        row.as_ref().map(records::session).transpose()
    }

    async fn touch_session(&self, hash: &SecretHash, now: UnixTime) -> Result<(), StoreError> {
        self.engine
            .execute("UPDATE sessions SET last_seen_at = $2 WHERE hash = $1", params![hash, now])
            .await?;
        Ok(())
    }

    async fn record_session_client(
        &self,
        sid: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO session_clients (sid, client_id, signed_in_at) VALUES ($1, $2, $3)
                 ON CONFLICT (sid, client_id) DO NOTHING",
                params![sid, client_id, now],
            )
            .await?;
        Ok(())
    }

    async fn session_clients(&self, sid: &str) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT client_id FROM session_clients WHERE sid = $1 ORDER BY client_id";
        let rows = self.engine.fetch_all(sql, params![sid]).await?;
        rows.iter().map(|row| records::required(row.text("client_id")?, "client_id")).collect()
    }

    async fn log_out_session(&self, sid: &str, now: UnixTime) -> Result<u64, StoreError> {
        let sid = sid.to_owned();
        self.engine
            .transaction(move |tx| {
                Box::pin(async move {
                    let queued = tx.execute(records::QUEUE_SESSION_LOGOUTS, params![&sid, now]).await?;
                    tx.execute(records::REVOKE_SESSION_TOKENS, params![&sid, now]).await?;
                    for statement in
                        ["DELETE FROM sessions WHERE sid = $1", "DELETE FROM session_clients WHERE sid = $1"]
                    {
                        tx.execute(statement, params![&sid]).await?;
                    }
                    Ok(queued)
                })
            })
            .await
    }

    async fn user_sessions(&self, subject: &str, now: UnixTime) -> Result<Vec<Session>, StoreError> {
        let rows = self
            .engine
            .fetch_all(
                "SELECT * FROM sessions WHERE subject = $1 AND expires_at > $2 ORDER BY created_at DESC",
                params![subject, now],
            )
            .await?;
        rows.iter().map(records::session).collect()
    }

    async fn delete_session(&self, hash: &SecretHash) -> Result<(), StoreError> {
        self.engine.execute("DELETE FROM sessions WHERE hash = $1", params![hash]).await?;
        Ok(())
    }
}

#[async_trait]
impl<E: Engine> ConsentStore for SqlStore<E> {
    async fn consent(&self, subject: &str, client_id: &str) -> Result<Option<Consent>, StoreError> {
        let sql = "SELECT * FROM consents WHERE subject = $1 AND client_id = $2";
        let row = self.engine.fetch_optional(sql, params![subject, client_id]).await?;
        row.as_ref().map(records::consent).transpose()
    }

    async fn remember_consent(&self, consent: &Consent) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO consents (subject, client_id, scope, granted_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (subject, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
                params![&consent.subject, &consent.client_id, consent.scope.to_string(), consent.granted_at],
            )
            .await?;
        Ok(())
    }

    async fn consents(&self, subject: &str) -> Result<Vec<Consent>, StoreError> {
        let sql = "SELECT * FROM consents WHERE subject = $1 ORDER BY client_id";
        let all = self.engine.fetch_all(sql, params![subject]).await?;
        all.iter().map(records::consent).collect()
    }

    async fn revoke_consent(
        &self,
        subject: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        let (subject, client_id) = (subject.to_owned(), client_id.to_owned());
        self.engine
            .transaction(move |tx| {
                Box::pin(async move {
                    let removed = tx
                        .execute(
                            "DELETE FROM consents WHERE subject = $1 AND client_id = $2",
                            params![&subject, &client_id],
                        )
                        .await?;
                    tx.execute(
                        "UPDATE tokens SET revoked_at = $3 WHERE subject = $1 AND client_id = $2 AND revoked_at IS NULL",
                        params![&subject, &client_id, now],
                    )
                    .await?;
                    Ok(removed == 1)
                })
            })
            .await
    }
}
