//! `POST /introspect`: RFC 7662. The rules are in [`oauth2u_core::Provider::introspect`].

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{JsonError, no_store};
use super::form::{Form, authorization_header};

pub(crate) async fn post_introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let result = async {
        let Form(params) = form.map_err(|rejection| rejection.0)?;
        state.provider.introspect(&params, authorization_header(&headers)?).await
    };
    match result.await {
        Ok(answer) => (no_store(), Json(answer)).into_response(),
        Err(error) => JsonError(error).into_response(),
    }
}
