//! `POST /device_authorization`: RFC 8628 §3.1. The steps are in
//! [`oauth2u_core::Provider::device_authorization`].

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::error::{JsonError, no_store};
use super::form::{Form, authorization_header};
use super::{AppState, paths};

pub(crate) async fn post_device_authorization(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let verification_uri = format!("{}{}", state.settings.issuer().trim_end_matches('/'), paths::DEVICE);
    let result = async {
        let Form(params) = form.map_err(|rejection| rejection.0)?;
        state.provider.device_authorization(&params, authorization_header(&headers)?, &verification_uri).await
    };
    match result.await {
        Ok(answer) => (no_store(), Json(answer)).into_response(),
        Err(error) => JsonError(error).into_response(),
    }
}
