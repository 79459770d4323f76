//! `POST /par`: RFC 9126 §2. The steps are in
//! [`oauth2u_core::Provider::push_authorization_request`]; this turns HTTP into its inputs,
//! and its answer into 201 with JSON (§2.2) or an error in JSON (§2.3).

use axum::Json;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::dpop::{proof_of, with_nonce};
use crate::form::{Form, client_request};
use crate::respond::{JsonError, no_store};
use crate::state::AppState;

pub(crate) async fn post_par(
    State(state): State<AppState>,
    method: Method,
    path: MatchedPath,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let provider = &state.provider;
    let dpop = proof_of(&state, &headers, &method, &path);
    let result = client_request(&headers, form, |params, authorization| async move {
        provider.push_authorization_request(&params, authorization.as_deref(), dpop.as_ref()).await
    });
    let response = match result.await {
        Ok(pushed) => {
            let body = json!({ "request_uri": pushed.request_uri, "expires_in": pushed.expires_in });
            (StatusCode::CREATED, no_store(), Json(body)).into_response()
        }
        Err(error) => JsonError(error).into_response(),
    };
    with_nonce(&state, response).await
}
