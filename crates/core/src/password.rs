//! User passwords: Argon2id with a random salt, in PHC string form.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::OAuthError;
use crate::model::User;
use crate::store::Store;

/// Hashes a password with Argon2id (the crate's default parameters, per RFC 9106's
/// second recommended option). CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String, OAuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(OAuthError::server_error)
}

/// Whether the password matches the stored PHC string (constant-time inside argon2).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// A hash of a password nobody has, verified when the user is unknown so that the time
/// taken does not reveal whether a username exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing").unwrap_or_default())
}

/// Checks a user's credentials. An unknown user, a wrong password and a disabled user
/// all give `None`, after the same amount of work, so neither answer nor timing tells
/// which it was.
pub async fn authenticate(
    store: &dyn Store,
    username: &str,
    password: &str,
) -> Result<Option<User>, OAuthError> {
    let user = store.user(username).await?;
    let stored = user.as_ref().map_or_else(|| decoy_hash().to_owned(), |user| user.password_hash.clone());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(OAuthError::server_error)?;
    Ok(user.filter(|user| matches && !user.disabled))
}
