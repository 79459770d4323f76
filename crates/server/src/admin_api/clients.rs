//! `/admin/clients`: the clients, as `oauth2u clients` shows them.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use oauth2u_core::admin;

use super::page::{PageQuery, page};
use super::problem::Problem;
use super::{AdminState, etag};

/// `GET /admin/clients?limit=N&after=ID`.
pub(super) async fn list(
    State(state): State<AdminState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let answer = async {
        let Query(query) = query.map_err(|rejection| Problem::bad_request(rejection.body_text()))?;
        let limit = query.limit()?;
        let clients =
            admin::list_clients(state.provider.store().as_ref(), query.after.as_deref(), limit).await?;
        let items = clients.iter().map(admin::describe_client).collect();
        Ok::<_, Problem>(Json(page(
            "/admin/clients",
            items,
            clients.last().map(|client| client.id.as_str()),
            limit,
        )))
    };
    answer.await.into_response()
}

/// `GET /admin/clients/{id}`, with its `ETag`.
pub(super) async fn show(State(state): State<AdminState>, Path(id): Path<String>) -> Response {
    match found(&state, &id).await {
        Ok(client) => ([etag::header(&client)], Json(client)).into_response(),
        Err(problem) => problem.into_response(),
    }
}

/// `DELETE /admin/clients/{id}`: removes it and revokes its tokens; 204.
pub(super) async fn remove(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = async {
        let current = found(&state, &id).await?;
        etag::check_if_match(&headers, &current)?;
        admin::remove_client(state.provider.store().as_ref(), &id, state.provider.now()).await?;
        Ok::<_, Problem>(StatusCode::NO_CONTENT)
    };
    answer.await.into_response()
}

/// The client as shown, or 404.
async fn found(state: &AdminState, id: &str) -> Result<serde_json::Value, Problem> {
    let client = state
        .provider
        .store()
        .client(id)
        .await
        .map_err(|error| Problem::from(admin::AdminError::from(error)))?;
    client
        .as_ref()
        .map(admin::describe_client)
        .ok_or_else(|| Problem::not_found(format!("no client with id {id}")))
}
