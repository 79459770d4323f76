//! `/logout`: a confirmation form (so that no other site can sign the user out with a
//! link), then the end of the session.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::{error_page, expired_form, session};
use crate::form::Form;
use crate::respond::JsonError;
use crate::state::AppState;

pub(crate) async fn get_logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::current(&state, &headers).await {
        Ok(Some(active)) if active.session.subject.is_some() => state.templates.page(
            StatusCode::OK,
            "logout.html",
            context! { csrf_token => active.csrf_token() },
        ),
        Ok(_) => signed_out(&state),
        Err(error) => error_page(&state, &error),
    }
}

pub(crate) async fn post_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let Ok(Form(params)) = form else {
        return expired_form(&state);
    };
    if let Err(error) = params.reject_repeated() {
        return error_page(&state, &error);
    }
    let active = match session::current(&state, &headers).await {
        Ok(Some(active)) => active,
        Ok(None) => return signed_out(&state),
        Err(error) => return error_page(&state, &error),
    };
    if !active.csrf_matches(params.get("csrf_token").ok().flatten()) {
        return expired_form(&state);
    }
    if let Err(error) = session::end(&state, &active).await {
        return error_page(&state, &error);
    }
    let mut response = signed_out(&state);
    response.headers_mut().insert(header::SET_COOKIE, session::clearing_cookie(&state));
    response.into_response()
}

fn signed_out(state: &AppState) -> Response {
    state.templates.page(
        StatusCode::OK,
        "message.html",
        context! { title => "Signed out", message => "You are signed out." },
    )
}
