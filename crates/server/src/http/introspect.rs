//! `POST /introspect`: RFC 7662. The rules are in [`oauth2u_core::Provider::introspect`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::form::{Form, client_request};
use crate::respond::{JsonError, json_or_error};
use crate::state::AppState;

pub(crate) async fn post_introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let provider = &state.provider;
    let result = client_request(&headers, form, |params, authorization| async move {
        provider.introspect(&params, authorization.as_deref()).await
    });
    json_or_error(result.await)
}
