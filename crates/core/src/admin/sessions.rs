//! A user's sign-in sessions, as an administrator sees them.

use serde_json::{Value, json};

use crate::clock::UnixTime;
use crate::model::Session;
use crate::store::Store;

use super::{AdminError, find_user};

/// The live sessions of the user `username`, newest first.
pub async fn user_sessions(
    store: &dyn Store,
    username: &str,
    now: UnixTime,
) -> Result<Vec<Session>, AdminError> {
    let user = find_user(store, username).await?;
    Ok(store.user_sessions(&user.subject, now).await?)
}

/// A session as shown: never its cookie's hash.
pub fn describe_session(session: &Session) -> Value {
    json!({
        "sid": session.sid,
        "auth_time": session.auth_time,
        "amr": session.amr,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "expires_at": session.expires_at,
    })
}
