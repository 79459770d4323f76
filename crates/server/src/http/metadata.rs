//! `GET /.well-known/oauth-authorization-server` (RFC 8414) and
//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4): one document
//! that core builds from the settings, with the paths of the route table (`paths::ENDPOINTS`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::respond::JsonError;
use crate::state::AppState;

pub(crate) async fn get_metadata(State(state): State<AppState>) -> Response {
    match state.provider.metadata().await {
        Ok(document) => {
            let headers = [(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"))];
            (headers, Json(document)).into_response()
        }
        Err(error) => JsonError(error).into_response(),
    }
}
