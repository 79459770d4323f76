//! `GET /authorize` and `POST /authorize`: RFC 6749 §3.1 and §4.1.1 / §4.2.1.
//!
//! Until the login and consent pages arrive, a validated request is decided by the
//! development switch `--auto-approve USERNAME`, or denied with `access_denied`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::endpoints::authorize::AuthorizeError;
use oauth2u_core::{OAuthError, Params};

use super::AppState;
use super::error::JsonError;
use super::form::Form;
use super::pages::error_page;

pub(crate) async fn get_authorize(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    authorize(&state, &params, StatusCode::FOUND).await
}

/// RFC 6749 §3.1: the endpoint "MAY support the use of the HTTP POST method".
pub(crate) async fn post_authorize(State(state): State<AppState>, form: Result<Form, JsonError>) -> Response {
    match form {
        // RFC 9700 §4.12: after a POST, redirect with 303 so the browser does not re-post.
        Ok(Form(params)) => authorize(&state, &params, StatusCode::SEE_OTHER).await,
        // The client is not known yet: tell the user, never redirect.
        Err(JsonError(error)) => error_page(&error),
    }
}

async fn authorize(state: &AppState, params: &Params, status: StatusCode) -> Response {
    let provider = &state.provider;
    let request = match provider.validate_authorization(params).await {
        Ok(request) => request,
        Err(AuthorizeError::Page(error)) => return error_page(&error),
        Err(AuthorizeError::Redirect(location)) => return redirect(status, &location),
    };
    let decision = match &state.settings.auto_approve {
        Some(username) => match provider.store().user(username).await {
            Ok(Some(user)) if !user.disabled => Ok(user.subject),
            Ok(_) => Err(OAuthError::access_denied("the auto-approve user does not exist or is disabled")),
            Err(error) => Err(error.into()),
        },
        None => Err(OAuthError::access_denied(
            "no login is configured on this server (development: start it with --auto-approve USERNAME)",
        )),
    };
    let location = match decision {
        Ok(subject) => match provider.approve(&request, &subject).await {
            Ok(location) => location,
            Err(AuthorizeError::Redirect(location)) => location,
            Err(AuthorizeError::Page(error)) => return error_page(&error),
        },
        Err(error) => provider.refuse(&request, &error),
    };
    redirect(status, &location)
}

fn redirect(status: StatusCode, location: &str) -> Response {
    let Ok(location) = HeaderValue::from_str(location) else {
        return error_page(&OAuthError::server_error("redirect URL is not a valid header value"));
    };
    let headers = [
        (header::LOCATION, location),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        // The URL carries a code or token: do not leak it onward (RFC 9700 §4.2.4).
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ];
    (status, headers).into_response()
}
