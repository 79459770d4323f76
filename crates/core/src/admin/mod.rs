//! Administration: clients, users and signing keys. The command line and embedding
//! programs call these; the rules that make a registration safe live here.

mod clients;
mod keys;
mod registration_tokens;
mod sessions;
mod tokens;
mod users;

pub use clients::{
    ClientSpec, RegisteredClient, describe_client, list_clients, register_client, register_dynamic_client,
    remove_client, replace_dynamic_client, rotate_client_secret, unstored_client, update_client,
};
pub use keys::{describe_key, key_state, list_keys, revoke_key, rotate_keys};
pub use registration_tokens::add_registration_token;
pub use sessions::{describe_session, user_sessions};
pub use tokens::{TokenOwner, revoke_tokens};
pub use users::{
    AfterPasswordChange, add_user, describe_user, disable_user, enable_user, find_user, list_users,
    remove_user, revoke_user_consent, set_user_password, update_user_claims, user_consents,
};

use crate::error::OAuthError;
use crate::store::StoreError;

/// Why an administrative change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request cannot be made safe (a bad redirect URI, a grant a public client may not use, …).
    #[error("{0}")]
    Invalid(String),
    /// No client or user by that name.
    #[error("{0}")]
    NotFound(String),
    /// The id or username is taken.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// A fault (the random source, the password hasher).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => Self::Conflict(what),
            other => Self::Store(other),
        }
    }
}

impl From<OAuthError> for AdminError {
    fn from(error: OAuthError) -> Self {
        Self::Internal(error.description.into_owned())
    }
}
