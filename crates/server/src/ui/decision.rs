//! The step both consent forms share (the authorization request's and the device's): read
//! `decision=allow` or `decision=deny`, and rotate the session for it, so each form is
//! decided once — a replayed form no longer carries the session's CSRF token.

use oauth2u_core::{OAuthError, Params};

use super::session::{self, ActiveSession};
use crate::state::AppState;

/// What a consent form decided; `Allow` and `Deny` carry the session that replaced the
/// form's, whose cookie goes on the response.
pub(crate) enum Decided {
    Allow(ActiveSession),
    Deny(ActiveSession),
    /// Neither: not a form of ours. Nothing changed.
    Neither,
}

/// Reads the decision of a form whose session (`active`, signed in) and CSRF token have
/// been checked, and rotates the session.
pub(crate) async fn decide(
    state: &AppState,
    active: &ActiveSession,
    fields: &Params,
) -> Result<Decided, OAuthError> {
    let allow = match fields.get("decision").ok().flatten() {
        Some("allow") => true,
        Some("deny") => false,
        _ => return Ok(Decided::Neither),
    };
    let rotated = session::rotate(state, active).await?;
    Ok(if allow { Decided::Allow(rotated) } else { Decided::Deny(rotated) })
}
