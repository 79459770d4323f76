//! `GET /jwks.json`: the public signing keys (RFC 7517), cacheable for as long as a new key
//! is published before it signs.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::respond::JsonError;
use crate::state::AppState;

pub(crate) async fn get_jwks(State(state): State<AppState>) -> Response {
    match state.provider.published_keys().await {
        Ok(None) => axum::http::StatusCode::NOT_FOUND.into_response(),
        Ok(Some((published, max_age))) => {
            let cache = HeaderValue::from_str(&format!("public, max-age={max_age}"))
                .unwrap_or(HeaderValue::from_static("no-cache"));
            ([(header::CACHE_CONTROL, cache)], Json(json!({ "keys": published }))).into_response()
        }
        Err(error) => JsonError(error).into_response(),
    }
}
