//! `POST /token` (and the seed's `/access-token`): RFC 6749 §3.2. The steps are in
//! [`oauth2u_core::Provider::token`]; this turns HTTP into its inputs and its result into JSON.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::{JsonError, no_store};
use super::form::{Form, authorization_header};

pub(crate) async fn post_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let result = async {
        let Form(params) = form.map_err(|rejection| rejection.0)?;
        let authorization = authorization_header(&headers)?;
        state.provider.token(&params, authorization).await
    };
    match result.await {
        Ok(response) => (no_store(), Json(response.into_json())).into_response(),
        Err(error) => JsonError(error).into_response(),
    }
}
