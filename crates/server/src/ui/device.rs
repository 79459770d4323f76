//! `/device`: where a person enters the code their device shows (RFC 8628 §3.3), signs in,
//! and approves or denies on the consent page — which shows the code to compare with the
//! device's screen, and is never skipped by remembered consent (§3.3.1, §5.4). Wrong codes
//! are slowed down like wrong passwords, so guessing among 20^8 codes is hopeless.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use oauth2u_core::endpoints::device::display_user_code;
use oauth2u_core::interaction::UserCodeLookup;
use oauth2u_core::{OAuthError, Params};

use super::decision::{Decided, decide};
use super::interaction::{Continuation, LoginForm, form_session, login_page};
use super::session::{self, ActiveSession};
use super::{error_page, expired_form, scope_descriptions};
use crate::form::Form;
use crate::respond::JsonError;
use crate::state::{AppState, ClientAddr};

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
        Some(typed) => step(&state, &headers, &active, address, typed).await,
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
    step(&state, &headers, &active, address, typed).await
}

/// What a page calls a device before its code has passed the throttle.
pub(crate) const ANY_DEVICE: &str = "your device";

fn too_many(mut page: Response, retry_after: i64) -> Response {
    page.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
    page
}

/// A typed code: slowed down when wrong; else the login page, or the consent page.
async fn step(
    state: &AppState,
    headers: &HeaderMap,
    active: &ActiveSession,
    address: Option<Extension<ClientAddr>>,
    typed: &str,
) -> Response {
    let address = address.map(|Extension(ClientAddr(address))| address);
    let outcome = async {
        let device = match state.provider.look_up_user_code(typed, address).await? {
            UserCodeLookup::Live(device) => device,
            UserCodeLookup::Throttled(retry_after) => {
                let message = format!("Too many wrong codes. Try again in {retry_after} seconds.");
                let page = entry_page(state, active, typed, Some(&message), StatusCode::TOO_MANY_REQUESTS);
                return Ok(too_many(page, retry_after));
            }
            UserCodeLookup::Dead => {
                let message = "That code is not valid, or it has expired.";
                return Ok(entry_page(state, active, typed, Some(message), StatusCode::BAD_REQUEST));
            }
        };
        let Some(client) = state.provider.client(&device.client_id).await? else {
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
                &LoginForm::default(),
                StatusCode::OK,
            ));
        };
        let user = state.provider.user_by_subject(subject).await?;
        let context = context! {
            client_name => &client.name,
            scopes => device.scope.iter().collect::<Vec<_>>(),
            scope_descriptions => scope_descriptions(state, device.scope.iter(), headers),
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
    address: Option<Extension<ClientAddr>>,
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
    let address = address.map(|Extension(ClientAddr(address))| address);
    let outcome = async {
        let device = match state.provider.look_up_user_code(typed, address).await? {
            UserCodeLookup::Live(device) => device,
            UserCodeLookup::Throttled(retry_after) => {
                let text = format!("Too many wrong codes. Try again in {retry_after} seconds.");
                let page = message_page(&state, StatusCode::TOO_MANY_REQUESTS, "Too many attempts", &text);
                return Ok(too_many(page, retry_after));
            }
            UserCodeLookup::Dead => {
                let text = "Start again on your device.";
                return Ok(message_page(&state, StatusCode::BAD_REQUEST, "This code has expired", text));
            }
        };
        let response = match decide(&state, &active, &fields).await? {
            Decided::Allow(rotated) => {
                state.provider.decide_device_authorization(&device.user_code, Some(&subject)).await?;
                let page = message_page(
                    &state,
                    StatusCode::OK,
                    "Device connected",
                    "You can return to your device.",
                );
                rotated.set_on(page, &state)
            }
            Decided::Deny(rotated) => {
                state.provider.decide_device_authorization(&device.user_code, None).await?;
                let page =
                    message_page(&state, StatusCode::OK, "Access denied", "The device was not given access.");
                rotated.set_on(page, &state)
            }
            Decided::Neither => expired_form(&state),
        };
        Ok::<_, OAuthError>(response)
    };
    outcome.await.unwrap_or_else(|error| error_page(&state, &error))
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

fn message_page(state: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    state.templates.page(status, "message.html", context! { title, message => text })
}
