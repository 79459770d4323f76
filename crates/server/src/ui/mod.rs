//! What people see: the authorization endpoint and its login and consent pages, the
//! device verification pages, logout, and friendly error pages. Every form carries a CSRF
//! token bound to the session, and every page the headers of `templates::page_headers`.

pub(crate) mod authorize;
mod decision;
pub(crate) mod device;
pub(crate) mod interaction;
pub(crate) mod logout;
mod session;
pub(crate) mod to_client;

use axum::extract::State;
use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use oauth2u_core::{ErrorCode, OAuthError};

use crate::state::AppState;

/// The descriptions of `scopes` that `[scopes]` gives, in the reader's language
/// (`Accept-Language`), for the consent pages: scope → text. Scopes without one show as they are.
pub(crate) fn scope_descriptions<'a>(
    state: &AppState,
    scopes: impl IntoIterator<Item = &'a str>,
    headers: &HeaderMap,
) -> BTreeMap<String, String> {
    let accepted = headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok());
    scopes
        .into_iter()
        .filter_map(|scope| {
            let described = state.settings.scopes.get(scope)?;
            Some((scope.to_owned(), described.for_languages(accepted).to_owned()))
        })
        .filter(|(_, text)| !text.is_empty())
        .collect()
}

/// The pages' stylesheet.
pub(crate) async fn get_stylesheet(State(state): State<AppState>) -> Response {
    state.templates.stylesheet()
}

/// RFC 6749 §4.1.2.1: the page that tells the user what went wrong when the client or
/// redirect URI cannot be trusted; and every other error a person can meet.
pub(crate) fn error_page(state: &AppState, error: &OAuthError) -> Response {
    let (status, title) = match error.code {
        ErrorCode::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong"),
        ErrorCode::TemporarilyUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "Try again in a moment"),
        ErrorCode::RequestTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "This request is too large"),
        _ => (StatusCode::BAD_REQUEST, "This sign-in request cannot be completed"),
    };
    let context = context! { title, description => &error.description, error => error.code.as_str() };
    state.templates.page(status, "error.html", context)
}

/// A form that is expired, replayed, or from another session.
pub(crate) fn expired_form(state: &AppState) -> Response {
    let context = context! {
        title => "This form has expired",
        description => "The page was open too long, was already submitted, or came from somewhere else. Return to the application and start again.",
    };
    state.templates.page(StatusCode::BAD_REQUEST, "error.html", context)
}

/// The page for an unknown path.
pub(crate) async fn not_found(State(state): State<AppState>) -> Response {
    let context = context! { title => "Page not found", description => "There is nothing at this address." };
    state.templates.page(StatusCode::NOT_FOUND, "error.html", context)
}
