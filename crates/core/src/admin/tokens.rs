//! Revoking tokens by what they belong to: a client, a user or one grant (a token family).

use crate::clock::UnixTime;
use crate::store::Store;

use super::AdminError;

/// Whose tokens to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOwner {
    /// Every token issued to a client.
    Client(String),
    /// Every token issued for a user (by username).
    User(String),
    /// One grant: a code's or device code's tokens and every refresh of them.
    Grant(String),
}

/// Revokes the tokens of `owner`; returns how many were live. The client or user must exist.
pub async fn revoke_tokens(store: &dyn Store, owner: &TokenOwner, now: UnixTime) -> Result<u64, AdminError> {
    Ok(match owner {
        TokenOwner::Client(id) => {
            store.client(id).await?.ok_or_else(|| AdminError::NotFound(format!("no client with id {id}")))?;
            store.revoke_client_tokens(id, now).await?
        }
        TokenOwner::User(username) => {
            let user = store
                .user(username)
                .await?
                .ok_or_else(|| AdminError::NotFound(format!("no user {username}")))?;
            store.revoke_subject_tokens(&user.subject, now).await?
        }
        TokenOwner::Grant(grant_id) => store.revoke_grant(grant_id, now).await?,
    })
}
