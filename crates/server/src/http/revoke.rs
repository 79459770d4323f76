//! `POST /revoke`: RFC 7009. The steps are in [`oauth2u_core::Provider::revoke`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::form::{Form, client_request};
use crate::respond::{JsonError, no_store};
use crate::state::AppState;

pub(crate) async fn post_revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let provider = &state.provider;
    let result = client_request(&headers, form, |params, authorization| async move {
        provider.revoke(&params, authorization.as_deref()).await
    });
    match result.await {
        // §2.2: "The authorization server responds with HTTP status code 200" and no content.
        Ok(()) => no_store().into_response(),
        Err(error) => JsonError(error).into_response(),
    }
}
