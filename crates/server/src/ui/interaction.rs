//! The built-in interaction of the authorization endpoint: sign in, then consent.
//!
//! No pending request is kept on the server: the login and consent forms carry the
//! original authorization request, which is validated again on every step. The forms
//! post to their own routes with the session's CSRF token; each step rotates the session,
//! so a form can be submitted once.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use oauth2u_core::authorization_request::AuthorizationRequest;
use oauth2u_core::endpoints::authorize::AuthorizeError;
use oauth2u_core::model::Authentication;
use oauth2u_core::openid::request::{answered_by_sign_in, switching_account};
use oauth2u_core::openid::sign_in_step::{SignInStep, sign_in_step};
use oauth2u_core::throttle::SignIn;
use oauth2u_core::{OAuthError, Params};

use super::decision::{Decided, decide};
use super::session::{self, ActiveSession};
use super::to_client::{refused, to_client};
use super::{error_page, expired_form, scope_descriptions};
use crate::form::Form;
use crate::paths::Route;
use crate::respond::{JsonError, redirect};
use crate::state::{AppState, ClientAddr};

/// A validated request from `/authorize`: show the login page, the consent page, or —
/// with remembered consent — go straight back to the client.
pub(crate) async fn interact(
    state: &AppState,
    headers: &HeaderMap,
    request: &AuthorizationRequest,
    params: &Params,
    status: StatusCode,
) -> Response {
    let outcome = async {
        let current = session::current(state, headers).await?;
        let signed_in =
            current.as_ref().map(|active| &active.session).filter(|session| session.subject.is_some());
        // The signed-in user as the client knows them, to compare with the user it expects.
        let seen_as = match signed_in.and_then(|session| session.subject.as_deref()) {
            Some(subject)
                if request.openid.as_ref().is_some_and(|openid| openid.expected_subject.is_some()) =>
            {
                Some(state.provider.subject_for(&request.client, subject).await?)
            }
            _ => None,
        };
        match sign_in_step(request, signed_in, seen_as.as_deref(), state.provider.now()) {
            SignInStep::UseSession => {
                if let Some(active) = current {
                    return consent_or_approve(state, headers, active, request, params, status).await;
                }
            }
            // Core §3.1.2.1: with `prompt=none` no page is shown, and a sign-in that would
            // need one is `login_required` (§3.1.2.6).
            SignInStep::SignIn if request.prompt().none => {
                let error = OAuthError::login_required("a sign-in is needed, and prompt=none shows no page");
                return Ok(refused(state, status, request, &error).await);
            }
            SignInStep::SelectAccount => {
                if let Some(active) = current {
                    return select_account_page(state, &active, request, params).await;
                }
            }
            SignInStep::SignIn => {}
        }
        // Core §3.1.2.1: `login_hint` fills in the username, or else the user that
        // `id_token_hint` names.
        let hinted = match request.openid.as_ref().and_then(|openid| openid.expected_subject.as_deref()) {
            Some(subject) if request.login_hint().is_none() => {
                state.provider.user_by_subject(subject).await?.map(|user| user.username)
            }
            _ => None,
        };
        let hint = LoginForm { username: request.login_hint().or(hinted.as_deref()), message: None };
        let (active, new) = match current {
            Some(active) => (active, false),
            None => (session::start(state, None).await?, true),
        };
        let continuation = continue_with(request, params);
        let mut page = login_page(state, &active, &request.client.name, &continuation, &hint, StatusCode::OK);
        if new {
            page.headers_mut().insert(header::SET_COOKIE, active.cookie(state));
        }
        Ok::<_, OAuthError>(page)
    };
    match outcome.await {
        Ok(response) => response,
        // The client and redirect URI are trusted by now: report the fault to the client.
        Err(error) => refused(state, status, request, &error).await,
    }
}

async fn consent_or_approve(
    state: &AppState,
    headers: &HeaderMap,
    active: ActiveSession,
    request: &AuthorizationRequest,
    params: &Params,
    status: StatusCode,
) -> Result<Response, OAuthError> {
    let subject = active.session.subject.clone().unwrap_or_default();
    if state.provider.consent_remembered(request, &subject).await? {
        return Ok(approve(state, request, &subject, &active.session.authentication(), status).await);
    }
    if request.prompt().none {
        let error = OAuthError::consent_required("consent is needed, and prompt=none shows no page");
        return Ok(refused(state, status, request, &error).await);
    }
    let user = state.provider.user_by_subject(&subject).await?;
    let context = context! {
        client_name => &request.client.name,
        // A client read from its metadata document named itself: say whose host it is.
        self_asserted_host => request.client.metadata_document.as_ref().map(|_| host_of(&request.client.id)),
        redirect_host => host_of(&request.redirect_uri),
        scopes => request.consent_scope().iter().map(str::to_owned).collect::<Vec<_>>(),
        scope_descriptions => scope_descriptions(state, request.consent_scope().iter(), headers),
        username => user.map(|user| user.username),
        may_remember => request.client.may_skip_consent(),
        csrf_token => active.csrf_token(),
        request => params.to_query(),
        action => "/consent",
    };
    Ok(state.templates.page(StatusCode::OK, "consent.html", context))
}

/// Where a sign-in leads back to.
pub(crate) enum Continuation {
    /// An authorization request (its query string).
    Authorize(String),
    /// A device's user code (`XXXX-XXXX`).
    Device(String),
}

/// What the login form shows besides its fields: the username filled in, and a message.
#[derive(Default)]
pub(crate) struct LoginForm<'a> {
    pub(crate) username: Option<&'a str>,
    pub(crate) message: Option<&'a str>,
}

/// The login page for `client_name`; the form carries what to continue with.
pub(crate) fn login_page(
    state: &AppState,
    active: &ActiveSession,
    client_name: &str,
    continuation: &Continuation,
    form: &LoginForm<'_>,
    status: StatusCode,
) -> Response {
    let (request, user_code) = match continuation {
        Continuation::Authorize(query) => (Some(query.as_str()), None),
        Continuation::Device(code) => (None, Some(code.as_str())),
    };
    let context = context! {
        client_name,
        csrf_token => active.csrf_token(),
        request,
        user_code,
        message => form.message,
        username => form.username.unwrap_or_default(),
    };
    state.templates.page(status, "login.html", context)
}

/// The request the login form returns to; the `prompt=login` or `max_age` it answers is
/// taken out.
fn continue_with(request: &AuthorizationRequest, params: &Params) -> Continuation {
    if request.openid.is_some() {
        return Continuation::Authorize(answered_by_sign_in(params));
    }
    Continuation::Authorize(params.to_query())
}

/// Core §3.1.2.1 `prompt=select_account`: who is signed in, with a way to go on as them
/// and a way to sign in as someone else. Both are links to the request again: going on
/// drops `select_account`, switching asks for `prompt=login`.
async fn select_account_page(
    state: &AppState,
    active: &ActiveSession,
    request: &AuthorizationRequest,
    params: &Params,
) -> Result<Response, OAuthError> {
    let subject = active.session.subject.as_deref().unwrap_or_default();
    let user = state.provider.user_by_subject(subject).await?;
    let context = context! {
        client_name => &request.client.name,
        username => user.map(|user| user.username),
        continue_url => format!("/authorize?{}", answered_by_sign_in(params)),
        switch_url => format!("/authorize?{}", switching_account(params)),
    };
    Ok(state.templates.page(StatusCode::OK, "select_account.html", context))
}

/// A form and its session: live, and the form carries the session's CSRF token.
pub(crate) async fn form_session(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<Form, JsonError>,
) -> Result<(ActiveSession, Params), Response> {
    let Ok(Form(fields)) = form else {
        return Err(expired_form(state));
    };
    // RFC 6749 §3.1's rule holds for our own forms too: a repeated field is a 400 page,
    // never silently the first or last value.
    if let Err(error) = fields.reject_repeated() {
        return Err(error_page(state, &error));
    }
    match session::current(state, headers).await {
        Ok(Some(active)) if active.csrf_matches(fields.get("csrf_token").ok().flatten()) => {
            Ok((active, fields))
        }
        Ok(_) => Err(expired_form(state)),
        Err(error) => Err(error_page(state, &error)),
    }
}

/// The steps both forms share: a live session, its CSRF token, the request re-validated.
async fn form_step(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<Form, JsonError>,
) -> Result<(ActiveSession, Params, Params, AuthorizationRequest), Response> {
    let (active, fields) = form_session(state, headers, form).await?;
    let original = Params::parse(fields.get("request").ok().flatten().unwrap_or_default().as_bytes());
    match state.provider.validate_authorization(&original).await {
        Ok(request) => Ok((active, fields, original, request)),
        Err(AuthorizeError::Page(error)) => Err(error_page(state, &error)),
        Err(AuthorizeError::Redirect(response)) => Err(to_client(state, StatusCode::SEE_OTHER, response)),
    }
}

/// `POST /login`: back to the authorization request, or to the device being connected.
pub(crate) async fn post_login(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let address = address.map(|Extension(ClientAddr(address))| address);
    let device =
        form.as_ref().ok().and_then(|Form(fields)| fields.get("user_code").ok().flatten().map(str::to_owned));
    let (active, fields, continuation, client_name) = match device {
        Some(user_code) => {
            let (active, fields) = match form_session(&state, &headers, form).await {
                Ok(found) => found,
                Err(response) => return response,
            };
            // The code is not looked up here: this page must not tell a live code from a
            // dead one before the code throttle has let an attempt through (`/device` does).
            (active, fields, Continuation::Device(user_code), super::device::ANY_DEVICE.to_owned())
        }
        None => match form_step(&state, &headers, form).await {
            Ok((active, fields, original, request)) => {
                (active, fields, Continuation::Authorize(original.to_query()), request.client.name)
            }
            Err(response) => return response,
        },
    };
    let username = fields.get("username").ok().flatten().unwrap_or_default();
    let password = fields.get("password").ok().flatten().unwrap_or_default();
    let page = |message: &str, status| {
        // The username as typed stays filled in.
        let form = LoginForm { username: Some(username), message: Some(message) };
        login_page(&state, &active, &client_name, &continuation, &form, status)
    };
    let outcome = async {
        let user = match state.provider.sign_in(username, password, address).await? {
            SignIn::User(user) => user,
            SignIn::Throttled { retry_after } => {
                let message = format!("Too many failed attempts. Try again in {retry_after} seconds.");
                let mut page = page(&message, StatusCode::TOO_MANY_REQUESTS);
                page.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
                return Ok(page);
            }
            // The same message for an unknown user, a wrong password and a disabled user.
            SignIn::Invalid => return Ok(page("Invalid username or password.", StatusCode::UNAUTHORIZED)),
        };
        // A new session at sign-in, so a session fixed before it is worth nothing.
        session::end(&state, &active).await?;
        let signed_in = session::start(&state, Some(user.subject)).await?;
        let next = match &continuation {
            Continuation::Authorize(query) => format!("/authorize?{query}"),
            Continuation::Device(code) => format!("{}?user_code={}", Route::Device.path(), code),
        };
        let mut response = redirect(StatusCode::SEE_OTHER, &next);
        response.headers_mut().insert(header::SET_COOKIE, signed_in.cookie(&state));
        Ok::<_, OAuthError>(response)
    };
    outcome.await.unwrap_or_else(|error| error_page(&state, &error))
}

/// `POST /consent`: `decision=allow` or `decision=deny`.
pub(crate) async fn post_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let (active, fields, _, request) = match form_step(&state, &headers, form).await {
        Ok(step) => step,
        Err(response) => return response,
    };
    let Some(subject) = active.session.subject.clone() else {
        return expired_form(&state);
    };
    let outcome = async {
        let response = match decide(&state, &active, &fields).await? {
            Decided::Allow(rotated) => {
                if fields.get("remember").ok().flatten() == Some("yes") {
                    state.provider.remember_consent(&request, &subject).await?;
                }
                let authentication = rotated.session.authentication();
                let approved =
                    approve(&state, &request, &subject, &authentication, StatusCode::SEE_OTHER).await;
                rotated.set_on(approved, &state)
            }
            Decided::Deny(rotated) => {
                let denied = OAuthError::access_denied("the user denied the request");
                rotated.set_on(refused(&state, StatusCode::SEE_OTHER, &request, &denied).await, &state)
            }
            Decided::Neither => expired_form(&state),
        };
        Ok::<_, OAuthError>(response)
    };
    match outcome.await {
        Ok(response) => response,
        Err(error) => refused(&state, StatusCode::SEE_OTHER, &request, &error).await,
    }
}

/// Issues the code or token for a sign-in, and sends the browser back to the client.
pub(crate) async fn approve(
    state: &AppState,
    request: &AuthorizationRequest,
    subject: &str,
    authentication: &Authentication,
    status: StatusCode,
) -> Response {
    match state.provider.approve(request, subject, authentication).await {
        Ok(response) | Err(AuthorizeError::Redirect(response)) => to_client(state, status, response),
        Err(AuthorizeError::Page(error)) => error_page(state, &error),
    }
}

/// Where responses go, as a person reads it: the host, or the whole URI for a custom scheme.
fn host_of(uri: &str) -> String {
    url::Url::parse(uri)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| uri.to_owned())
}
