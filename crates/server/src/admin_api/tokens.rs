//! `POST /admin/tokens/revoke`: revokes every token of one client, one user or one grant.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::response::IntoResponse;
use oauth2u_core::admin::{self, TokenOwner};
use serde::Deserialize;
use serde_json::json;

use super::AdminState;
use super::problem::Problem;

/// Exactly one of the three.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Revocation {
    client_id: Option<String>,
    username: Option<String>,
    grant_id: Option<String>,
}

/// Answers `{"revoked": N}`, the number of tokens that were live.
pub(super) async fn revoke(
    State(state): State<AdminState>,
    body: Result<Json<Revocation>, JsonRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Json(revocation) = body?;
    let owner = match (revocation.client_id, revocation.username, revocation.grant_id) {
        (Some(id), None, None) => TokenOwner::Client(id),
        (None, Some(username), None) => TokenOwner::User(username),
        (None, None, Some(grant)) => TokenOwner::Grant(grant),
        _ => return Err(Problem::bad_request("give exactly one of client_id, username and grant_id")),
    };
    let revoked = admin::revoke_tokens(state.provider.store().as_ref(), &owner, state.provider.now()).await?;
    Ok(Json(json!({ "revoked": revoked })))
}
