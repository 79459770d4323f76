//! `POST /device_authorization`: RFC 8628 §3.1. The steps are in
//! [`oauth2u_core::Provider::device_authorization`].

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::form::{Form, client_request};
use crate::paths::Route;
use crate::respond::{JsonError, json_or_error};
use crate::state::AppState;

pub(crate) async fn post_device_authorization(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let verification_uri =
        format!("{}{}", state.settings.issuer().trim_end_matches('/'), Route::Device.path());
    let provider = &state.provider;
    let result = client_request(&headers, form, |params, authorization| async move {
        provider.device_authorization(&params, authorization.as_deref(), &verification_uri).await
    });
    json_or_error(result.await)
}
