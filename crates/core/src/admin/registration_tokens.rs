//! Initial access tokens for dynamic registration (RFC 7591 §3), which `[registration]
//! mode = "token"` asks a registering client to present: made here, stored as a hash, and
//! shown once.

use std::time::Duration;

use crate::clock::{UnixTime, seconds};
use crate::secret::{Secret, SecretKind};
use crate::store::Store;

use super::AdminError;

/// A new initial access token, valid for `expires_in` (forever without) and for `max_uses`
/// registrations (any number without). The token in the clear, to hand to a developer.
pub async fn add_registration_token(
    store: &dyn Store,
    expires_in: Option<Duration>,
    max_uses: Option<u32>,
    now: UnixTime,
) -> Result<Secret, AdminError> {
    if max_uses == Some(0) {
        return Err(AdminError::Invalid("--max-uses must be at least 1".into()));
    }
    let token = Secret::generate(SecretKind::InitialAccessToken)?;
    let expires_at = expires_in.map(|lifetime| now.saturating_add(seconds(lifetime)));
    store.insert_registration_token(&token.hash(), expires_at, max_uses.map(i64::from), now).await?;
    Ok(token)
}
