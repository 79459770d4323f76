//! `POST /token` (and the seed's `/access-token`): RFC 6749 §3.2. The steps are in
//! [`oauth2u_core::Provider::token`]; this turns HTTP into its inputs and its result into JSON.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::OAuthError;

use super::AppState;
use super::error::{JsonError, no_store};
use super::form::Form;

pub(crate) async fn post_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let result = async {
        let Form(params) = form.map_err(|rejection| rejection.0)?;
        let authorization = authorization(&headers)?;
        state.provider.token(&params, authorization).await
    };
    match result.await {
        Ok(response) => (no_store(), Json(response.into_json())).into_response(),
        Err(error) => JsonError(error).into_response(),
    }
}

/// The `Authorization` header, if any; a repeated or unreadable one is `invalid_client`.
fn authorization(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OAuthError::invalid_client("more than one Authorization header"));
    }
    value.to_str().map(Some).map_err(|_| OAuthError::invalid_client("malformed Authorization header"))
}
