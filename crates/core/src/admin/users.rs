//! Users (resource owners): Argon2id passwords and stable, opaque subject identifiers.

use crate::clock::UnixTime;
use crate::model::{Consent, User};
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
