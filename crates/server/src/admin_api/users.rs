//! `/admin/users`: the users (resource owners), as `oauth2u users` manages them.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::admin::{self, AfterPasswordChange};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::page::{PageQuery, page};
use super::problem::Problem;
use super::{AdminState, etag};

/// `POST /admin/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewUser {
    username: String,
    password: String,
    #[serde(default)]
    claims: Map<String, Value>,
}

/// `PATCH /admin/users/{username}`: a JSON Merge Patch (RFC 7396) of the user's `claims`;
/// a claim set to `null` is removed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserPatch {
    #[serde(default)]
    claims: Map<String, Value>,
}

/// `PUT /admin/users/{username}/password`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewPassword {
    password: String,
    /// Keep the user's sessions and tokens (by default they end).
    #[serde(default)]
    keep_tokens: bool,
}

/// `GET /admin/users?limit=N&after=USERNAME`.
pub(super) async fn list(
    State(state): State<AdminState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Query(query) = query?;
    let limit = query.limit()?;
    let users = admin::list_users(state.provider.store().as_ref(), query.after.as_deref(), limit).await?;
    let items = users.iter().map(admin::describe_user).collect();
    Ok(Json(page("/admin/users", items, users.last().map(|user| user.username.as_str()), limit)))
}

/// `POST /admin/users`: 201, with the user, its `Location` and `ETag`.
pub(super) async fn create(
    State(state): State<AdminState>,
    body: Result<Json<NewUser>, JsonRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Json(new) = body?;
    let store = state.provider.store().as_ref();
    let user = admin::add_user(store, &new.username, &new.password, state.provider.now()).await?;
    let user = match new.claims.is_empty() {
        true => user,
        false => admin::update_user_claims(store, &user.username, new.claims).await?,
    };
    let shown = admin::describe_user(&user);
    let location = format!("/admin/users/{}", url_segment(&user.username));
    Ok((
        StatusCode::CREATED,
        [
            etag::header(&shown),
            (header::LOCATION, location.parse().map_err(|_| Problem::bad_request("unusable username"))?),
        ],
        Json(shown),
    ))
}

/// `GET /admin/users/{username}`, with its `ETag`.
pub(super) async fn show(
    State(state): State<AdminState>,
    Path(username): Path<String>,
) -> Result<Response, Problem> {
    Ok(etag::tagged(found(&state, &username).await?))
}

/// `PATCH /admin/users/{username}`: its claims, merged (RFC 7396); `If-Match` optional.
pub(super) async fn patch(
    State(state): State<AdminState>,
    Path(username): Path<String>,
    headers: HeaderMap,
    body: Result<Json<UserPatch>, JsonRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Json(patch) = body?;
    etag::check_if_match(&headers, &found(&state, &username).await?)?;
    let user = admin::update_user_claims(state.provider.store().as_ref(), &username, patch.claims).await?;
    let shown = admin::describe_user(&user);
    Ok(([etag::header(&shown)], Json(shown)))
}

/// `DELETE /admin/users/{username}`: removes the user and revokes their tokens; 204.
pub(super) async fn remove(
    State(state): State<AdminState>,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, Problem> {
    etag::check_if_match(&headers, &found(&state, &username).await?)?;
    admin::remove_user(state.provider.store().as_ref(), &username, state.provider.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/users/{username}/enable`; 204.
pub(super) async fn enable(
    State(state): State<AdminState>,
    Path(username): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    admin::enable_user(state.provider.store().as_ref(), &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/users/{username}/disable`: also revokes their tokens; 204.
pub(super) async fn disable(
    State(state): State<AdminState>,
    Path(username): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    admin::disable_user(state.provider.store().as_ref(), &username, state.provider.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /admin/users/{username}/password`: ends their sessions and revokes their tokens
/// unless `keep_tokens`; 204.
pub(super) async fn password(
    State(state): State<AdminState>,
    Path(username): Path<String>,
    body: Result<Json<NewPassword>, JsonRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Json(new) = body?;
    let after = if new.keep_tokens {
        AfterPasswordChange::KeepTokens
    } else {
        AfterPasswordChange::SignOutEverywhere
    };
    let store = state.provider.store().as_ref();
    admin::set_user_password(store, &username, &new.password, after, state.provider.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /admin/users/{username}/consents`: the clients the user consented to, remembered.
pub(super) async fn consents(
    State(state): State<AdminState>,
    Path(username): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let consents = admin::user_consents(state.provider.store().as_ref(), &username).await?;
    let items: Vec<Value> = consents
        .iter()
        .map(|consent| {
            serde_json::json!({
                "client_id": consent.client_id,
                "scope": consent.scope.to_string(),
                "granted_at": consent.granted_at,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

/// The user as shown, or 404.
async fn found(state: &AdminState, username: &str) -> Result<Value, Problem> {
    Ok(admin::describe_user(&admin::find_user(state.provider.store().as_ref(), username).await?))
}

/// A username as one path segment.
fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `GET /admin/users/{username}/sessions`: the user's live sign-in sessions.
pub(super) async fn sessions(
    State(state): State<AdminState>,
    Path(username): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let sessions =
        admin::user_sessions(state.provider.store().as_ref(), &username, state.provider.now()).await?;
    let items: Vec<Value> = sessions.iter().map(admin::describe_session).collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

/// `DELETE /admin/users/{username}/sessions/{sid}`: ends it as a logout would (its tokens
/// revoked, its clients told); 204.
pub(super) async fn end_session(
    State(state): State<AdminState>,
    Path((username, sid)): Path<(String, String)>,
) -> Result<impl IntoResponse, Problem> {
    let store = state.provider.store().as_ref();
    let sessions = admin::user_sessions(store, &username, state.provider.now()).await?;
    if !sessions.iter().any(|session| session.sid == sid) {
        return Err(Problem::not_found(format!("{username} has no session {sid}")));
    }
    state.provider.log_out_sid(&sid).await?;
    Ok(StatusCode::NO_CONTENT)
}
