//! Browser sessions at the authorization server: how long they live, and when they end.
//! The cookie and the CSRF token derived from its secret are the server's (`ui/session.rs`);
//! only the secret's hash reaches the store.

use crate::clock::seconds;
use crate::error::OAuthError;
use crate::model::Session;
use crate::provider::Provider;
use crate::secret::{SecretHash, random_string};

/// RFC 8176 §2: the method of the login form.
pub const PASSWORD: &str = "pwd";

impl Provider {
    /// A session on the secret with this hash, beginning now, for `subject` (or anonymous),
    /// with the configured lifetime. Not stored: see [`Provider::start_session`].
    pub fn new_session(&self, hash: SecretHash, subject: Option<String>) -> Session {
        let now = self.now();
        Session {
            hash,
            subject,
            // Not secret: the `sid` relying parties see (OpenID Connect Back-Channel Logout §2.1).
            sid: random_string(16).unwrap_or_else(|_| hash.hex_prefix()),
            auth_time: now,
            amr: vec![PASSWORD.to_owned()],
            created_at: now,
            last_seen_at: now,
            expires_at: now + seconds(self.config.sessions.lifetime),
        }
    }

    /// Starts and stores the session of a user who just signed in with a password.
    pub async fn start_session(&self, hash: SecretHash, subject: String) -> Result<Session, OAuthError> {
        let session = self.new_session(hash, Some(subject));
        self.store.insert_session(&session).await?;
        Ok(session)
    }

    /// Stores the session that replaces `previous` on a new secret (after a decision): the
    /// same sign-in (`sid`, `auth_time`, `amr`) with a fresh lifetime.
    pub async fn continue_session(
        &self,
        hash: SecretHash,
        previous: &Session,
    ) -> Result<Session, OAuthError> {
        let fresh = self.new_session(hash, previous.subject.clone());
        let session = Session {
            sid: previous.sid.clone(),
            auth_time: previous.auth_time,
            amr: previous.amr.clone(),
            ..fresh
        };
        self.store.insert_session(&session).await?;
        Ok(session)
    }

    /// The stored session with this hash if it is live — neither past its lifetime nor idle
    /// past the idle timeout — and then marked as used now. A dead one is deleted.
    pub async fn live_session(&self, hash: &SecretHash) -> Result<Option<Session>, OAuthError> {
        let Some(session) = self.store.session(hash).await? else {
            return Ok(None);
        };
        let now = self.now();
        if session_is_live(&session, now, seconds(self.config.sessions.idle_timeout)) {
            self.store.touch_session(&session.hash, now).await?;
            return Ok(Some(session));
        }
        self.store.delete_session(&session.hash).await?;
        Ok(None)
    }

    /// Ends a stored session (at sign-in, after a decision, at logout).
    pub async fn end_session(&self, hash: &SecretHash) -> Result<(), OAuthError> {
        Ok(self.store.delete_session(hash).await?)
    }
}

fn session_is_live(session: &Session, now: crate::clock::UnixTime, idle_timeout: i64) -> bool {
    session.expires_at > now && now - session.last_seen_at <= idle_timeout
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn a_session_lives_until_its_end_or_its_idle_timeout() {
        let session = Session {
            hash: Secret::from_client("s").hash(),
            subject: Some("alice".into()),
            sid: "sid".into(),
            auth_time: 0,
            amr: vec![PASSWORD.into()],
            created_at: 0,
            last_seen_at: 100,
            expires_at: 1000,
        };
        assert!(session_is_live(&session, 150, 60));
        assert!(session_is_live(&session, 160, 60), "exactly the idle timeout is still live");
        assert!(!session_is_live(&session, 161, 60), "idle too long");
        assert!(
            !session_is_live(&Session { last_seen_at: 999, ..session.clone() }, 1000, 60),
            "past its end"
        );
    }
}
