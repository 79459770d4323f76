//! `/device`: where a person enters the code their device shows (RFC 8628 §3.3), signs in,
//! and approves or denies on the consent page — which shows the code to compare with the
//! device's screen, and is never skipped by remembered consent (§3.3.1, §5.4). Wrong codes
//! are slowed down like wrong passwords, so guessing among 20^8 codes is hopeless.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use oauth2u_core::Params;
use oauth2u_core::endpoints::device::display_user_code;

use super::interaction::{Continuation, form_session, login_page};
use super::session::{self, ActiveSession};
use super::{error_page, expired_form, throttle};
use crate::http::error::JsonError;
use crate::http::form::Form;
use crate::http::{AppState, ClientAddr};

/// `GET /device[?user_code=…]`: the entry form, or — with a code — the next step.
pub(crate) async fn get_device(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = match Params::parse_limited(
        query.unwrap_or_default().as_bytes(),
        state.settings.limits.max_parameters,
    ) {
        Ok(query) => query,
        Err(error) => return error_page(&state, &error),
    };
    let (active, new) = match session::current_or_start(&state, &headers).await {
        Ok(found) => found,
        Err(error) => return error_page(&state, &error),
    };
    let mut response = match query.get("user_code").ok().flatten() {
        Some(typed) => step(&state, &active, address, typed).await,
        None => entry_page(&state, &active, "", None, StatusCode::OK),
    };
    if new {
        response.headers_mut().insert(header::SET_COOKIE, active.cookie(&state));
    }
    response
}

/// `POST /device`: the entry form.
pub(crate) async fn post_device(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let (active, fields) = match form_session(&state, &headers, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let typed = fields.get("user_code").ok().flatten().unwrap_or_default();
    step(&state, &active, address, typed).await
}

/// A typed code: slowed down when wrong; else the login page, or the consent page.
async fn step(
    state: &AppState,
    active: &ActiveSession,
    address: Option<Extension<ClientAddr>>,
    typed: &str,
) -> Response {
    let keys: Vec<String> =
        address.map(|Extension(ClientAddr(address))| format!("device:{address}")).into_iter().collect();
    let outcome = async {
        let wait = throttle::wait(state, &keys).await?;
        if wait > 0 {
            let message = format!("Too many wrong codes. Try again in {wait} seconds.");
            return Ok(entry_page(state, active, typed, Some(&message), StatusCode::TOO_MANY_REQUESTS));
        }
        let Some(device) = state.provider.pending_device_authorization(typed).await? else {
            throttle::fail(state, &keys).await?;
            let message = "That code is not valid, or it has expired.";
            return Ok(entry_page(state, active, typed, Some(message), StatusCode::BAD_REQUEST));
        };
        let Some(client) = state.provider.store().client(&device.client_id).await? else {
            return Ok(entry_page(
                state,
                active,
                typed,
                Some("That device is no longer registered."),
                StatusCode::BAD_REQUEST,
            ));
        };
        let code = display_user_code(&device.user_code);
        let Some(subject) = &active.session.subject else {
            return Ok(login_page(
                state,
                active,
                &client.name,
                &Continuation::Device(code),
                None,
                StatusCode::OK,
            ));
        };
        let user = state.provider.store().user_by_subject(subject).await?;
        let context = context! {
            client_name => &client.name,
            scopes => device.scope.iter().collect::<Vec<_>>(),
            username => user.map(|user| user.username),
            user_code => code,
            may_remember => false,
            csrf_token => active.csrf_token(),
            action => "/device/consent",
        };
        Ok(state.templates.page(StatusCode::OK, "consent.html", context))
    };
    outcome.await.unwrap_or_else(|error| error_page(state, &error))
}

/// `POST /device/consent`: `decision=allow` or `decision=deny`.
pub(crate) async fn post_device_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let (active, fields) = match form_session(&state, &headers, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(subject) = active.session.subject.clone() else {
        return expired_form(&state);
    };
    let typed = fields.get("user_code").ok().flatten().unwrap_or_default();
    let outcome = async {
        let Some(device) = state.provider.pending_device_authorization(typed).await? else {
            return Ok(message(
                &state,
                StatusCode::BAD_REQUEST,
                "This code has expired",
                "Start again on your device.",
            ));
        };
        // One decision per form: the session's secret changes.
        state.provider.store().delete_session(&active.session.hash).await?;
        let rotated = session::start(&state, Some(subject.clone())).await?;
        let mut response = match fields.get("decision").ok().flatten() {
            Some("allow") => {
                state.provider.decide_device_authorization(&device.user_code, Some(&subject)).await?;
                message(&state, StatusCode::OK, "Device connected", "You can return to your device.")
            }
            Some("deny") => {
                state.provider.decide_device_authorization(&device.user_code, None).await?;
                message(&state, StatusCode::OK, "Access denied", "The device was not given access.")
            }
            _ => return Ok(expired_form(&state)),
        };
        response.headers_mut().insert(header::SET_COOKIE, rotated.cookie(&state));
        Ok::<_, oauth2u_core::OAuthError>(response)
    };
    outcome.await.unwrap_or_else(|error| error_page(&state, &error))
}

/// The name of the client a user code belongs to, for the login page.
pub(crate) async fn client_name(state: &AppState, typed: &str) -> String {
    let device = state.provider.pending_device_authorization(typed).await.ok().flatten();
    match device {
        Some(device) => match state.provider.store().client(&device.client_id).await {
            Ok(Some(client)) => client.name,
            _ => "your device".into(),
        },
        None => "your device".into(),
    }
}

fn entry_page(
    state: &AppState,
    active: &ActiveSession,
    typed: &str,
    message: Option<&str>,
    status: StatusCode,
) -> Response {
    let context = context! { csrf_token => active.csrf_token(), user_code => typed, message };
    state.templates.page(status, "device.html", context)
}

fn message(state: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    state.templates.page(status, "message.html", context! { title, message => text })
}
