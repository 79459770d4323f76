//! `GET /authorize` and `POST /authorize`: RFC 6749 §3.1 and §4.1.1 / §4.2.1.
//!
//! A validated request is decided by the development switch `--auto-approve USERNAME`,
//! or by the person at the browser through the built-in login and consent pages.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use oauth2u_core::authorization_request::AuthorizationRequest;
use oauth2u_core::endpoints::authorize::AuthorizeError;
use oauth2u_core::hooks::{AuthorizationContext, AuthorizationDecision};
use oauth2u_core::model::Authentication;
use oauth2u_core::{OAuthError, Params};

use super::to_client::{refused, to_client};
use super::{error_page, expired_form, interaction, session};
use crate::form::Form;
use crate::respond::JsonError;
use crate::state::AppState;
use crate::templates::page_headers;

pub(crate) async fn get_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    // Too many parameters: the redirect URI is not validated yet, so an error page.
    match Params::parse_limited(query.unwrap_or_default().as_bytes(), state.settings.limits.max_parameters) {
        Ok(params) => authorize(&state, &headers, &params, None, StatusCode::FOUND).await,
        Err(error) => error_page(&state, &error),
    }
}

/// RFC 6749 §3.1: the endpoint "MAY support the use of the HTTP POST method". With an
/// `authorization_POST` plugin, a form posted to `/authorize?<request>` is the plugin's own.
pub(crate) async fn post_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    form: Result<Form, JsonError>,
) -> Response {
    // RFC 9700 §4.12: after a POST, redirect with 303 so the browser does not re-post.
    let status = StatusCode::SEE_OTHER;
    match (form, query) {
        (Ok(Form(fields)), Some(query)) if state.provider.hooks().handles_authorization_post() => {
            match Params::parse_limited(query.as_bytes(), state.settings.limits.max_parameters) {
                Ok(params) => authorize(&state, &headers, &params, Some(&fields), status).await,
                Err(error) => error_page(&state, &error),
            }
        }
        (Ok(Form(params)), _) => authorize(&state, &headers, &params, None, status).await,
        // The client is not known yet: tell the user, never redirect.
        (Err(JsonError(error)), _) => error_page(&state, &error),
    }
}

async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
    form: Option<&Params>,
    status: StatusCode,
) -> Response {
    let request = match state.provider.validate_authorization(params).await {
        Ok(request) => request,
        Err(AuthorizeError::Page(error)) => return error_page(state, &error),
        Err(AuthorizeError::Redirect(response)) => return to_client(state, status, response),
    };
    let hooks = state.provider.hooks();
    let hooked =
        if form.is_some() { hooks.handles_authorization_post() } else { hooks.handles_authorization_get() };
    if hooked {
        return with_hooks(state, headers, &request, params, form, status).await;
    }
    decide(state, headers, &request, params, status).await
}

/// Without a plugin's decision: the development switch, or the built-in pages.
async fn decide(
    state: &AppState,
    headers: &HeaderMap,
    request: &AuthorizationRequest,
    params: &Params,
    status: StatusCode,
) -> Response {
    match &state.settings.auto_approve {
        Some(username) => auto_approve(state, request, username, status).await,
        None => interaction::interact(state, headers, request, params, status).await,
    }
}

/// The seed's `authorization_GET` / `authorization_POST` plugins decide.
async fn with_hooks(
    state: &AppState,
    headers: &HeaderMap,
    request: &AuthorizationRequest,
    params: &Params,
    form: Option<&Params>,
    status: StatusCode,
) -> Response {
    // A session, so that a page the plugin renders can carry a CSRF token.
    let (active, new) = match session::current_or_start(state, headers).await {
        Ok(found) => found,
        Err(error) => return refused(state, status, request, &error).await,
    };
    if let Some(form) = form
        && !active.csrf_matches(form.get("csrf_token").ok().flatten())
    {
        return expired_form(state);
    }
    let csrf_token = active.csrf_token();
    let context = AuthorizationContext { request, params, form, csrf_token: &csrf_token };
    let hooks = state.provider.hooks();
    let decision = match form {
        Some(_) => hooks.authorization_post(&context).await,
        None => hooks.authorization_get(&context).await,
    };
    let mut response = match decision {
        Ok(AuthorizationDecision::Continue) => decide(state, headers, request, params, status).await,
        Ok(AuthorizationDecision::Grant { subject }) => {
            // The plugin signed the user in, not us: when, we only know as now.
            let authentication = Authentication::unseen(state.provider.now());
            interaction::approve(state, request, &subject, &authentication, status).await
        }
        Ok(AuthorizationDecision::Refuse(error)) | Err(error) => {
            refused(state, status, request, &error).await
        }
        // OpenID Connect Core §3.1.2.6: the plugin needs a page, which prompt=none forbids.
        Ok(AuthorizationDecision::Render { .. }) if request.prompt().none => {
            let error = OAuthError::interaction_required("a page is needed, and prompt=none shows none");
            refused(state, status, request, &error).await
        }
        Ok(AuthorizationDecision::Render { status, html }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (status, page_headers(), Html(html)).into_response()
        }
    };
    if new && !response.headers().contains_key(header::SET_COOKIE) {
        response.headers_mut().insert(header::SET_COOKIE, active.cookie(state));
    }
    response
}

/// The development switch: approve for one user without asking anyone.
async fn auto_approve(
    state: &AppState,
    request: &AuthorizationRequest,
    username: &str,
    status: StatusCode,
) -> Response {
    match state.provider.enabled_user(username).await {
        Ok(Some(user)) => {
            let authentication = Authentication::unseen(state.provider.now());
            interaction::approve(state, request, &user.subject, &authentication, status).await
        }
        Ok(None) => {
            let denied = OAuthError::access_denied("the auto-approve user does not exist or is disabled");
            refused(state, status, request, &denied).await
        }
        Err(error) => refused(state, status, request, &error).await,
    }
}
