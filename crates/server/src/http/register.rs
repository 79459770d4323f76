//! `POST /register` (RFC 7591 §3) and `GET`/`PUT`/`DELETE /register/{client_id}` (RFC 7592
//! §2), the client configuration endpoint. The steps are in
//! [`oauth2u_core::Provider::register`] and its neighbours; this reads the JSON body and
//! the bearer token, and writes the answer with its `registration_client_uri`.

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;
use oauth2u_core::endpoints::register::ClientInformation;
use oauth2u_core::{ErrorCode, OAuthError};

use crate::paths::Route;
use crate::respond::{JsonError, no_store};
use crate::state::{AppState, ClientAddr};

pub(crate) async fn post_register(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let address = address.map(|Extension(ClientAddr(address))| address);
    let result = async {
        let body = json_body(&state, &headers, body).await?;
        state.provider.register(&body, bearer(&headers)?.as_deref(), address).await
    };
    // §3.2.1: "HTTP 201 Created".
    answer(&state, StatusCode::CREATED, result.await)
}

pub(crate) async fn get_registration(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async { state.provider.read_registration(&client_id, bearer(&headers)?.as_deref()).await };
    answer(&state, StatusCode::OK, result.await)
}

pub(crate) async fn put_registration(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    address: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let address = address.map(|Extension(ClientAddr(address))| address);
    let result = async {
        // A malformed Authorization header is answered before the body is read.
        let token = bearer(&headers)?;
        let body = json_body(&state, &headers, body).await?;
        state.provider.update_registration(&client_id, token.as_deref(), &body, address).await
    };
    answer(&state, StatusCode::OK, result.await)
}

pub(crate) async fn delete_registration(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async { state.provider.delete_registration(&client_id, bearer(&headers)?.as_deref()).await };
    match result.await {
        // §2.3: "HTTP 204 No Content".
        Ok(()) => (StatusCode::NO_CONTENT, no_store()).into_response(),
        Err(error) => refuse(error),
    }
}

/// The client information response with `status`, with where the registration is managed
/// (RFC 7592 §3); or the refusal.
fn answer(state: &AppState, status: StatusCode, result: Result<ClientInformation, OAuthError>) -> Response {
    let ClientInformation { client_id, mut body } = match result {
        Ok(information) => information,
        Err(error) => return refuse(error),
    };
    let issuer = state.settings.issuer();
    // A registered client's id is generated (base64url): a path segment as it is.
    let uri = format!("{}{}/{client_id}", issuer.trim_end_matches('/'), Route::Register.path());
    body.insert("registration_client_uri".into(), uri.into());
    (status, no_store(), axum::Json(body)).into_response()
}

/// RFC 7591 §3.2.2 errors are JSON with status 400; a bad token is RFC 6750 §3.1's 401; a
/// throttled address waits (RFC 6585 §4's 429 with `Retry-After`).
fn refuse(error: OAuthError) -> Response {
    match error.code {
        ErrorCode::InvalidToken => {
            let challenge = format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                error.description.replace(['"', '\\'], "")
            );
            let mut response = JsonError(error).into_response();
            if let Ok(challenge) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
            }
            response
        }
        ErrorCode::SlowDown => {
            let mut response = JsonError(error).into_response();
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            response
        }
        _ => JsonError(error).into_response(),
    }
}

/// The bearer token of the `Authorization` header (RFC 6750 §2.1), if any.
fn bearer(headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(OAuthError::invalid_request("more than one Authorization header"));
    }
    let value = value.to_str().map_err(|_| OAuthError::invalid_token("malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim().to_owned()))
        }
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("bearer") => {
            Err(OAuthError::invalid_token("the bearer token is empty"))
        }
        // Another scheme carries no bearer token.
        _ => Ok(None),
    }
}

/// §3.1: the body is a JSON object, `application/json`, within the size limit.
async fn json_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, OAuthError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    let essence = content_type.and_then(|value| value.split(';').next()).map(str::trim);
    if !essence.is_some_and(|essence| essence.eq_ignore_ascii_case("application/json")) {
        return Err(OAuthError::invalid_client_metadata("the body must be application/json (RFC 7591 §3.1)"));
    }
    let limit = state.settings.limits.max_body_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|error| {
        if error.into_inner().downcast_ref::<LengthLimitError>().is_some() {
            OAuthError::request_too_large(format!("the request body exceeds {limit} bytes"))
        } else {
            OAuthError::invalid_request("the request body could not be read")
        }
    })?;
    Ok(bytes.to_vec())
}
