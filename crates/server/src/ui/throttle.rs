//! Slowing down password guessing, per username and per client address: a few failures
//! are free, then each further attempt waits twice as long as the one before (up to 15
//! minutes). Counted in the database, so every instance sees the same counts.

use std::net::IpAddr;

use oauth2u_core::OAuthError;

use crate::http::AppState;

/// Failures allowed in a window before attempts are slowed down.
const FREE_FAILURES: i64 = 5;
/// How long failures are remembered.
const WINDOW: i64 = 15 * 60;
/// The longest wait.
const MAX_DELAY: i64 = 15 * 60;

/// The keys a sign-in attempt is counted under.
pub(crate) fn keys(username: &str, address: Option<IpAddr>) -> Vec<String> {
    let mut keys = vec![format!("user:{username}")];
    keys.extend(address.map(|address| format!("ip:{address}")));
    keys
}

/// Seconds to wait before another attempt is allowed under any of the keys; 0 if none.
pub(crate) async fn wait(state: &AppState, keys: &[String]) -> Result<i64, OAuthError> {
    let now = state.provider.now();
    let mut wait = 0;
    for key in keys {
        let Some(failures) = state.provider.store().login_failures(key).await? else {
            continue;
        };
        if failures.first_at < now - WINDOW || failures.failures < FREE_FAILURES {
            continue;
        }
        let exponent = u32::try_from(failures.failures - FREE_FAILURES).unwrap_or(u32::MAX).min(20);
        let delay = 2i64.pow(exponent).min(MAX_DELAY);
        wait = wait.max(failures.last_at + delay - now);
    }
    Ok(wait)
}

/// Counts a failed attempt under every key.
pub(crate) async fn fail(state: &AppState, keys: &[String]) -> Result<(), OAuthError> {
    let now = state.provider.now();
    for key in keys {
        state.provider.store().record_login_failure(key, now, now - WINDOW).await?;
    }
    Ok(())
}

/// Forgets the username's failures after a successful sign-in (the address keeps its count).
pub(crate) async fn succeed(state: &AppState, username: &str) -> Result<(), OAuthError> {
    Ok(state.provider.store().clear_login_failures(&format!("user:{username}")).await?)
}
