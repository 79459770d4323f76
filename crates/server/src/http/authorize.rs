//! `GET /authorize` and `POST /authorize`: RFC 6749 §3.1 and §4.1.1 / §4.2.1.
//!
//! A validated request is decided by the development switch `--auto-approve USERNAME`,
//! or by the person at the browser through the built-in login and consent pages.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::endpoints::authorize::{AuthorizationRequest, AuthorizeError};
use oauth2u_core::{OAuthError, Params};

use super::AppState;
use super::error::JsonError;
use super::form::Form;
use crate::ui::{error_page, interaction};

pub(crate) async fn get_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    authorize(&state, &headers, &params, StatusCode::FOUND).await
}

/// RFC 6749 §3.1: the endpoint "MAY support the use of the HTTP POST method".
pub(crate) async fn post_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    match form {
        // RFC 9700 §4.12: after a POST, redirect with 303 so the browser does not re-post.
        Ok(Form(params)) => authorize(&state, &headers, &params, StatusCode::SEE_OTHER).await,
        // The client is not known yet: tell the user, never redirect.
        Err(JsonError(error)) => error_page(&state, &error),
    }
}

async fn authorize(state: &AppState, headers: &HeaderMap, params: &Params, status: StatusCode) -> Response {
    let request = match state.provider.validate_authorization(params).await {
        Ok(request) => request,
        Err(AuthorizeError::Page(error)) => return error_page(state, &error),
        Err(AuthorizeError::Redirect(location)) => return redirect(status, &location),
    };
    match &state.settings.auto_approve {
        Some(username) => auto_approve(state, &request, username, status).await,
        None => interaction::interact(state, headers, &request, params, status).await,
    }
}

/// The development switch: approve for one user without asking anyone.
async fn auto_approve(
    state: &AppState,
    request: &AuthorizationRequest,
    username: &str,
    status: StatusCode,
) -> Response {
    match state.provider.store().user(username).await {
        Ok(Some(user)) if !user.disabled => interaction::approve(state, request, &user.subject, status).await,
        Ok(_) => {
            let denied = OAuthError::access_denied("the auto-approve user does not exist or is disabled");
            redirect(status, &state.provider.refuse(request, &denied))
        }
        Err(error) => redirect(status, &state.provider.refuse(request, &error.into())),
    }
}

/// A redirect that carries a code, token or error: never cached, never leaked onward.
pub(crate) fn redirect(status: StatusCode, location: &str) -> Response {
    let Ok(location) = HeaderValue::from_str(location) else {
        tracing::error!("redirect URL is not a valid header value");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let headers = [
        (header::LOCATION, location),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        // The URL carries a code or token: do not leak it onward (RFC 9700 §4.2.4).
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ];
    (status, headers).into_response()
}
