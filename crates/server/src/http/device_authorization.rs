//! `POST /device_authorization`: RFC 8628 §3.1. The steps are in
//! [`oauth2u_core::Provider::device_authorization`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::error::{JsonError, json_or_error};
use super::form::{Form, client_request};
use super::{AppState, paths};

pub(crate) async fn post_device_authorization(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let verification_uri = format!("{}{}", state.settings.issuer().trim_end_matches('/'), paths::DEVICE);
    let provider = &state.provider;
    let result = client_request(&headers, form, |params, authorization| async move {
        provider.device_authorization(&params, authorization.as_deref(), &verification_uri).await
    });
    json_or_error(result.await)
}
