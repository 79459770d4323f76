//! `/logout`, the OpenID Connect `end_session_endpoint` (RP-Initiated Logout 1.0): GET or
//! POST (§2: the OP MUST support both) with the client's parameters, checked in
//! `core/src/openid/logout.rs`, then a confirmation form with the session's CSRF token, so
//! that no other site can sign the user out with a link (§2 SHOULD ask). A confirmed
//! logout ends the session everywhere it counts (`Provider::log_out`) and goes back to
//! the client's registered URI, or shows the "signed out" page.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use oauth2u_core::Params;
use oauth2u_core::openid::logout::LogoutRequest;

use super::{error_page, expired_form, session};
use crate::form::Form;
use crate::respond::{JsonError, redirect};
use crate::state::AppState;

pub(crate) async fn get_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match Params::parse_limited(query.unwrap_or_default().as_bytes(), state.settings.limits.max_parameters) {
        Ok(params) => ask(&state, &headers, &params, StatusCode::FOUND).await,
        Err(error) => error_page(&state, &error),
    }
}

/// A POST is either the confirmation (it carries the CSRF token) or a logout request
/// sent as a form.
pub(crate) async fn post_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let Ok(Form(params)) = form else {
        return expired_form(&state);
    };
    if params.get("csrf_token").ok().flatten().is_none() {
        return ask(&state, &headers, &params, StatusCode::SEE_OTHER).await;
    }
    let request = match state.provider.validate_logout(&params).await {
        Ok(request) => request,
        Err(error) => return error_page(&state, &error),
    };
    let active = match session::current(&state, &headers).await {
        Ok(Some(active)) => active,
        Ok(None) => return finish(&state, &request, StatusCode::SEE_OTHER),
        Err(error) => return error_page(&state, &error),
    };
    if !active.csrf_matches(params.get("csrf_token").ok().flatten()) {
        return expired_form(&state);
    }
    if let Err(error) = state.provider.log_out(&active.session).await {
        return error_page(&state, &error);
    }
    let mut response = finish(&state, &request, StatusCode::SEE_OTHER);
    response.headers_mut().insert(header::SET_COOKIE, session::clearing_cookie(&state));
    response.into_response()
}

/// Checks the request; a signed-in user is asked to confirm, anyone else is done already.
async fn ask(state: &AppState, headers: &HeaderMap, params: &Params, status: StatusCode) -> Response {
    let request = match state.provider.validate_logout(params).await {
        Ok(request) => request,
        Err(error) => return error_page(state, &error),
    };
    match session::current(state, headers).await {
        Ok(Some(active)) if active.session.subject.is_some() => {
            let username = match state
                .provider
                .user_by_subject(active.session.subject.as_deref().unwrap_or_default())
                .await
            {
                Ok(user) => user.map(|user| user.username),
                Err(error) => return error_page(state, &error),
            };
            let context = context! {
                csrf_token => active.csrf_token(),
                username,
                client_name => request.client.as_ref().map(|client| &client.name),
                client_id => request.client.as_ref().map(|client| &client.id),
                post_logout_redirect_uri => &request.post_logout_redirect_uri,
                state => &request.state,
            };
            state.templates.page(StatusCode::OK, "logout.html", context)
        }
        Ok(_) => finish(state, &request, status),
        Err(error) => error_page(state, &error),
    }
}

/// Back to the client's registered URI with `state`, or the "signed out" page.
fn finish(state: &AppState, request: &LogoutRequest, status: StatusCode) -> Response {
    match request.redirect() {
        Some(location) => redirect(status, &location),
        None => state.templates.page(
            StatusCode::OK,
            "message.html",
            context! { title => "Signed out", message => "You are signed out." },
        ),
    }
}
