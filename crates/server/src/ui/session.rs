//! The browser session: a cookie holding 256 random bits, stored only as its hash, and the
//! CSRF token bound to it.
//!
//! Until someone signs in the session is not stored at all: the cookie's secret alone
//! anchors the CSRF token, so an anonymous visitor — or a flood of them — writes nothing
//! durable. A row is written at sign-in, when a new secret is drawn (no fixation).
//!
//! The CSRF token is derived from the session secret (SHA-256 under a fixed label), so it
//! needs no storage, differs from the stored hash, and a page of another session cannot
//! supply it.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2u_core::OAuthError;
use oauth2u_core::model::Session;
use oauth2u_core::secret::{Secret, random_string};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::state::AppState;

pub(crate) const COOKIE: &str = "oauth2u_session";

/// A live session and its secret (from the cookie).
pub(crate) struct ActiveSession {
    secret: Secret,
    pub session: Session,
    /// Whether a row backs it (signed in); anonymous sessions live in the cookie only.
    stored: bool,
}

impl ActiveSession {
    /// The CSRF token for forms of this session.
    pub(crate) fn csrf_token(&self) -> String {
        let digest =
            Sha256::new().chain_update(b"oauth2u csrf\0").chain_update(self.secret.expose()).finalize();
        URL_SAFE_NO_PAD.encode(digest)
    }

    /// Whether a submitted form carries this session's CSRF token.
    pub(crate) fn csrf_matches(&self, submitted: Option<&str>) -> bool {
        submitted.is_some_and(|token| bool::from(token.as_bytes().ct_eq(self.csrf_token().as_bytes())))
    }

    /// `response`, giving the browser this session.
    pub(crate) fn set_on(&self, mut response: Response, state: &AppState) -> Response {
        response.headers_mut().insert(header::SET_COOKIE, self.cookie(state));
        response
    }

    /// The `Set-Cookie` header that gives the browser this session.
    pub(crate) fn cookie(&self, state: &AppState) -> HeaderValue {
        let max_age = self.session.expires_at - self.session.created_at;
        cookie_header(state, self.secret.expose(), max_age)
    }
}

/// The session the request's cookie names: the stored one if it is live (not expired, not
/// idle too long), else an anonymous one on the cookie's secret.
pub(crate) async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<ActiveSession>, OAuthError> {
    let Some(value) = cookie_value(headers) else {
        return Ok(None);
    };
    let secret = Secret::from_client(value);
    if let Some(session) = state.provider.live_session(&secret.hash()).await? {
        return Ok(Some(ActiveSession { secret, session, stored: true }));
    }
    Ok(Some(anonymous(state, secret)))
}

/// The live session, or a new anonymous one; `true` when new (its cookie must be set).
pub(crate) async fn current_or_start(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(ActiveSession, bool), OAuthError> {
    match current(state, headers).await? {
        Some(active) => Ok((active, false)),
        None => Ok((start(state, None).await?, true)),
    }
}

/// Starts a new session: signed in as `subject`, stored; or anonymous, in the cookie alone.
pub(crate) async fn start(state: &AppState, subject: Option<String>) -> Result<ActiveSession, OAuthError> {
    let secret = Secret::from_client(&random_string(32)?);
    let Some(subject) = subject else {
        return Ok(anonymous(state, secret));
    };
    let session = state.provider.start_session(secret.hash(), subject).await?;
    Ok(ActiveSession { secret, session, stored: true })
}

/// Replaces a signed-in session with one on a new secret, for the same sign-in: the new
/// one is stored before the old one goes, so the sign-in is never without a session.
pub(crate) async fn rotate(state: &AppState, active: &ActiveSession) -> Result<ActiveSession, OAuthError> {
    let secret = Secret::from_client(&random_string(32)?);
    let session = state.provider.continue_session(secret.hash(), &active.session).await?;
    end(state, active).await?;
    Ok(ActiveSession { secret, session, stored: true })
}

/// Ends a session (before a new one replaces it, or at logout): its row goes, if it has one.
pub(crate) async fn end(state: &AppState, active: &ActiveSession) -> Result<(), OAuthError> {
    if active.stored {
        state.provider.end_session(&active.session.hash).await?;
    }
    Ok(())
}

fn anonymous(state: &AppState, secret: Secret) -> ActiveSession {
    let session = state.provider.new_session(secret.hash(), None);
    ActiveSession { secret, session, stored: false }
}

/// The `Set-Cookie` header that removes the session cookie.
pub(crate) fn clearing_cookie(state: &AppState) -> HeaderValue {
    cookie_header(state, "", 0)
}

fn cookie_header(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    // Secure whenever the issuer is https; Lax so the cookie survives the client's top-level redirect to us.
    let secure = if state.settings.issuer().starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}
