//! Health: `/health/live` says the process answers HTTP (restart it if not);
//! `/health/ready` says it can serve requests now, its database answering (send it
//! traffic only then). A load balancer keeps a live but unready instance out of rotation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

pub(crate) async fn get_live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(crate) async fn get_ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.provider.ready().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(error) => {
            tracing::warn!(%error, "not ready: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
