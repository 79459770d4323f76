//! Reading `application/x-www-form-urlencoded` bodies into [`Params`] with RFC answers:
//! a wrong content type is `invalid_request`, a body over the limit is 413 — never
//! the framework's plain-text 415 or 422.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use http_body_util::LengthLimitError;
use oauth2u_core::{OAuthError, Params};

use std::future::Future;

use crate::respond::JsonError;
use crate::state::AppState;

/// The parameters of a form body.
pub(crate) struct Form(pub Params);

impl FromRequest<AppState> for Form {
    type Rejection = JsonError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        read_form(request, state).await.map(Self).map_err(JsonError)
    }
}

async fn read_form(request: Request, state: &AppState) -> Result<Params, OAuthError> {
    {
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
        let essence = content_type.and_then(|value| value.split(';').next()).map(str::trim);
        if !essence.is_some_and(|essence| essence.eq_ignore_ascii_case("application/x-www-form-urlencoded")) {
            return Err(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded"));
        }
        let limit = state.settings.limits.max_body_bytes;
        let bytes = axum::body::to_bytes(request.into_body(), limit).await.map_err(|error| {
            let error = error.into_inner();
            if error.downcast_ref::<LengthLimitError>().is_some() {
                OAuthError::request_too_large(format!("the request body exceeds {limit} bytes"))
            } else {
                OAuthError::invalid_request("the request body could not be read")
            }
        })?;
        Params::parse_limited(&bytes, state.settings.limits.max_parameters)
    }
}

/// The `Authorization` header, if any; a repeated or unreadable one is `invalid_client`.
pub(crate) fn authorization_header(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OAuthError::invalid_client("more than one Authorization header"));
    }
    value.to_str().map(Some).map_err(|_| OAuthError::invalid_client("malformed Authorization header"))
}

/// What the client-authenticated endpoints (token, revocation, introspection, device
/// authorization) share: the form, with RFC answers when it is bad, and the
/// `Authorization` header, handed to one protocol call.
pub(crate) async fn client_request<T, F, Fut>(
    headers: &HeaderMap,
    form: Result<Form, JsonError>,
    call: F,
) -> Result<T, OAuthError>
where
    F: FnOnce(Params, Option<String>) -> Fut,
    Fut: Future<Output = Result<T, OAuthError>>,
{
    let Form(params) = form.map_err(|rejection| rejection.0)?;
    let authorization = authorization_header(headers)?.map(str::to_owned);
    call(params, authorization).await
}
