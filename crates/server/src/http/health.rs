//! Liveness: the process answers HTTP.

use axum::Json;
use serde_json::{Value, json};

pub(crate) async fn get_live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
