//! Users (resource owners): Argon2id passwords and stable, opaque subject identifiers.

use crate::clock::UnixTime;
use serde_json::{Map, Value};

use crate::model::{Consent, User};
use crate::openid::claims::PROTOCOL_CLAIMS;
use crate::password::hash_password;
use crate::secret::random_id;
use crate::store::Store;

use super::AdminError;

/// Adds a user with a new random subject identifier.
pub async fn add_user(
    store: &dyn Store,
    username: &str,
    password: &str,
    now: UnixTime,
) -> Result<User, AdminError> {
    let username = check_username(username)?;
    check_password(password)?;
    let user = User {
        subject: random_id(16)?,
        username,
        password_hash: hash(password).await?,
        disabled: false,
        claims: serde_json::Map::new(),
        created_at: now,
    };
    store.insert_user(&user).await?;
    Ok(user)
}

/// What a password change leaves standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPasswordChange {
    /// End every session and revoke every token of the user (the default): whoever knew
    /// the old password holds nothing more.
    SignOutEverywhere,
    /// Keep sessions, tokens and pending codes.
    KeepTokens,
}

/// Sets a new password; by default the user's sessions end and their tokens are revoked.
pub async fn set_user_password(
    store: &dyn Store,
    username: &str,
    password: &str,
    after: AfterPasswordChange,
    now: UnixTime,
) -> Result<(), AdminError> {
    check_password(password)?;
    let hashed = hash(password).await?;
    if !store.set_password(username, &hashed).await? {
        return Err(not_found(username));
    }
    if after == AfterPasswordChange::SignOutEverywhere {
        store.sign_out_everywhere(username, now).await?;
    }
    Ok(())
}

/// A user as the command line and the admin API show it: JSON, without the password hash.
pub fn describe_user(user: &User) -> Value {
    serde_json::json!({
        "username": user.username,
        "sub": user.subject,
        "disabled": user.disabled,
        "created_at": user.created_at,
        "claims": user.claims,
    })
}

/// The users after `after` (a username; none: from the first), `limit` at most (1 to 1000).
pub async fn list_users(store: &dyn Store, after: Option<&str>, limit: i64) -> Result<Vec<User>, AdminError> {
    Ok(store.users(after, limit.clamp(1, 1000)).await?)
}

/// The user named `username`.
pub async fn find_user(store: &dyn Store, username: &str) -> Result<User, AdminError> {
    store.user(username).await?.ok_or_else(|| not_found(username))
}

/// The longest profile claim value accepted, as JSON text: claims go into every userinfo
/// answer, so they stay small.
const MAX_CLAIM_BYTES: usize = 4096;

/// Changes a user's profile claims (OpenID Connect Core §5.1 names, or a deployment's
/// own): each of `changes` is set, and a `null` one removed. The protocol's own claims
/// (`sub`, `iss`, …) cannot be set.
pub async fn update_user_claims(
    store: &dyn Store,
    username: &str,
    changes: Map<String, Value>,
) -> Result<User, AdminError> {
    let mut user = find_user(store, username).await?;
    for (name, value) in changes {
        if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
            return Err(AdminError::Invalid(format!("`{name}` is not a claim name")));
        }
        if PROTOCOL_CLAIMS.contains(&name.as_str()) {
            return Err(AdminError::Invalid(format!("`{name}` is the protocol's, not a user attribute")));
        }
        if value.to_string().len() > MAX_CLAIM_BYTES {
            return Err(AdminError::Invalid(format!(
                "the value of `{name}` exceeds {MAX_CLAIM_BYTES} bytes"
            )));
        }
        match value {
            Value::Null => user.claims.remove(&name),
            value => user.claims.insert(name, value),
        };
    }
    if !store.set_claims(username, &user.claims).await? {
        return Err(not_found(username));
    }
    Ok(user)
}

/// Enables a disabled user; what disabling revoked stays revoked.
pub async fn enable_user(store: &dyn Store, username: &str) -> Result<(), AdminError> {
    if store.enable_user(username).await? { Ok(()) } else { Err(not_found(username)) }
}

/// Disables a user and revokes their tokens.
pub async fn disable_user(store: &dyn Store, username: &str, now: UnixTime) -> Result<(), AdminError> {
    if store.disable_user(username, now).await? { Ok(()) } else { Err(not_found(username)) }
}

/// Removes a user and revokes their tokens.
pub async fn remove_user(store: &dyn Store, username: &str, now: UnixTime) -> Result<(), AdminError> {
    if store.remove_user(username, now).await? { Ok(()) } else { Err(not_found(username)) }
}

async fn hash(password: &str) -> Result<String, AdminError> {
    let password = password.to_owned();
    let hashed = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AdminError::Internal(error.to_string()))??;
    Ok(hashed)
}

fn check_username(username: &str) -> Result<String, AdminError> {
    let ok = !username.is_empty()
        && username.len() <= 255
        && !username.chars().any(char::is_control)
        && username.trim() == username;
    if ok {
        Ok(username.to_owned())
    } else {
        Err(AdminError::Invalid(
            "a username is 1 to 255 characters, without control characters or surrounding spaces".into(),
        ))
    }
}

fn check_password(password: &str) -> Result<(), AdminError> {
    if password.chars().count() < 8 {
        return Err(AdminError::Invalid("a password needs at least 8 characters".into()));
    }
    Ok(())
}

fn not_found(username: &str) -> AdminError {
    AdminError::NotFound(format!("no user named {username}"))
}

/// The consents a user has given, by client.
pub async fn user_consents(store: &dyn Store, username: &str) -> Result<Vec<Consent>, AdminError> {
    let user = store.user(username).await?.ok_or_else(|| not_found(username))?;
    Ok(store.consents(&user.subject).await?)
}

/// Forgets a user's consent for a client and revokes the client's tokens for the user.
pub async fn revoke_user_consent(
    store: &dyn Store,
    username: &str,
    client_id: &str,
    now: UnixTime,
) -> Result<(), AdminError> {
    let user = store.user(username).await?.ok_or_else(|| not_found(username))?;
    if store.revoke_consent(&user.subject, client_id, now).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("{username} has not consented to client {client_id}")))
    }
}
