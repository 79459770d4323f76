//! `/admin/clients`: the clients, as `oauth2u clients` shows them.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::admin;
use serde_json::Value;

use super::client_document::{ClientDocument, merge_patch};

use super::page::{PageQuery, page};
use super::problem::Problem;
use super::{AdminState, etag};

/// `GET /admin/clients?limit=N&after=ID`.
pub(super) async fn list(
    State(state): State<AdminState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Query(query) = query?;
    let limit = query.limit()?;
    let clients = admin::list_clients(state.provider.store().as_ref(), query.after.as_deref(), limit).await?;
    let items = clients.iter().map(admin::describe_client).collect();
    Ok(Json(page("/admin/clients", items, clients.last().map(|client| client.id.as_str()), limit)))
}

/// `GET /admin/clients/{id}`, with its `ETag`.
pub(super) async fn show(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    Ok(etag::tagged(found(&state, &id).await?))
}

/// `DELETE /admin/clients/{id}`: removes it and revokes its tokens; 204.
pub(super) async fn remove(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, Problem> {
    let current = found(&state, &id).await?;
    etag::check_if_match(&headers, &current)?;
    admin::remove_client(state.provider.store().as_ref(), &id, state.provider.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/clients`: 201, with the client and, for a confidential one with a secret,
/// `client_secret` — shown this once.
pub(super) async fn create(
    State(state): State<AdminState>,
    body: Result<Json<ClientDocument>, JsonRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Json(document) = body?;
    let spec = document.into_spec(true)?;
    let registered =
        admin::register_client(state.provider.store().as_ref(), spec, state.provider.now()).await?;
    let shown = admin::describe_client(&registered.client);
    let mut body = shown.clone();
    if let Some(secret) = &registered.secret {
        body["client_secret"] = secret.expose().into();
    }
    let location = format!("/admin/clients/{}", registered.client.id);
    let location = location.parse().map_err(|_| Problem::bad_request("unusable client_id"))?;
    Ok((StatusCode::CREATED, [etag::header(&shown), (header::LOCATION, location)], Json(body)))
}

/// `PATCH /admin/clients/{id}`: a JSON Merge Patch (RFC 7396); `If-Match` optional.
pub(super) async fn patch(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Json(patch) = body?;
    let spec = merge_patch(patch)?.into_spec(false)?;
    etag::check_if_match(&headers, &found(&state, &id).await?)?;
    let updated = admin::update_client(state.provider.store().as_ref(), &id, spec).await?;
    let shown = admin::describe_client(&updated.client);
    let mut body = shown.clone();
    if let Some(secret) = &updated.secret {
        body["client_secret"] = secret.expose().into();
    }
    Ok(([etag::header(&shown)], Json(body)))
}

/// `POST /admin/clients/{id}/rotate-secret?overlap=SECONDS`: a new secret, shown this once;
/// the old one keeps working for the overlap.
pub(super) async fn rotate_secret(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    query: Result<Query<Overlap>, QueryRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Query(overlap) = query?;
    let overlap = std::time::Duration::from_secs(overlap.overlap.unwrap_or(0));
    let store = state.provider.store().as_ref();
    let rotated = admin::rotate_client_secret(store, &id, overlap, state.provider.now()).await?;
    let secret = rotated.secret.as_ref().map(|secret| secret.expose().to_owned());
    Ok(Json(serde_json::json!({ "client_id": id, "client_secret": secret })))
}

/// `?overlap=SECONDS`.
#[derive(Debug, serde::Deserialize)]
pub(super) struct Overlap {
    overlap: Option<u64>,
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
