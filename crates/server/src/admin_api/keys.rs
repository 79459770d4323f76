//! `/admin/keys`: the signing keys, as `oauth2u keys` manages them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use oauth2u_core::admin;
use serde_json::{Value, json};

use super::AdminState;
use super::problem::Problem;

/// `GET /admin/keys`: every key, public parts and state only.
pub(super) async fn list(State(state): State<AdminState>) -> Result<impl IntoResponse, Problem> {
    let keys = admin::list_keys(state.provider.store().as_ref()).await?;
    let now = state.provider.now();
    let items: Vec<Value> = keys.iter().map(|key| admin::describe_key(key, now)).collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /admin/keys/rotate`: the keys it introduced.
pub(super) async fn rotate(State(state): State<AdminState>) -> Result<impl IntoResponse, Problem> {
    let ring =
        state.provider.keys().ok_or_else(|| Problem::bad_request("this server has no signing keys"))?;
    let now = state.provider.now();
    let added = admin::rotate_keys(state.provider.store().as_ref(), ring, now).await?;
    let items: Vec<Value> = added.iter().map(|key| admin::describe_key(key, now)).collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /admin/keys/{kid}/revoke`; 204.
pub(super) async fn revoke(
    State(state): State<AdminState>,
    Path(kid): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    admin::revoke_key(state.provider.store().as_ref(), &kid, state.provider.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
