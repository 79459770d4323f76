//! `/admin/keys`: the signing keys, as `oauth2u keys` manages them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oauth2u_core::admin;
use serde_json::{Value, json};

use super::AdminState;
use super::problem::Problem;

/// `GET /admin/keys`: every key, public parts and state only.
pub(super) async fn list(State(state): State<AdminState>) -> Response {
    match admin::list_keys(state.provider.store().as_ref()).await {
        Ok(keys) => {
            let now = state.provider.now();
            let items: Vec<Value> = keys.iter().map(|key| admin::describe_key(key, now)).collect();
            Json(json!({ "items": items })).into_response()
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

/// `POST /admin/keys/rotate`: the keys it introduced.
pub(super) async fn rotate(State(state): State<AdminState>) -> Response {
    let Some(ring) = state.provider.keys() else {
        return Problem::bad_request("this server has no signing keys").into_response();
    };
    let now = state.provider.now();
    match admin::rotate_keys(state.provider.store().as_ref(), ring, now).await {
        Ok(added) => {
            let items: Vec<Value> = added.iter().map(|key| admin::describe_key(key, now)).collect();
            Json(json!({ "items": items })).into_response()
        }
        Err(error) => Problem::from(error).into_response(),
    }
}

/// `POST /admin/keys/{kid}/revoke`; 204.
pub(super) async fn revoke(State(state): State<AdminState>, Path(kid): Path<String>) -> Response {
    match admin::revoke_key(state.provider.store().as_ref(), &kid, state.provider.now()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => Problem::from(error).into_response(),
    }
}
