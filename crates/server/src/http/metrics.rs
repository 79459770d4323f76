//! `GET /metrics` in the Prometheus (OpenMetrics) text format. Served on a port of its own
//! (`[metrics] address`) or on the public port behind a bearer token (`[metrics] token`);
//! with neither, not at all.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::state::AppState;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics` on its own port: whoever reaches the port may read.
pub(crate) async fn get_open(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(state.provider.database_connections());
    ([(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))], text).into_response()
}

/// `GET /metrics` on the public port: only with `Authorization: Bearer <metrics token>`.
pub(crate) async fn get_protected(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let expected = state.settings.metrics.token.as_deref().unwrap_or_default();
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if expected.is_empty() || !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        let challenge = HeaderValue::from_static("Bearer realm=\"oauth2u metrics\"");
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, challenge)]).into_response();
    }
    get_open(State(state)).await
}
