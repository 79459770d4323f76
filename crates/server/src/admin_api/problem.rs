//! RFC 9457 problem details: every refusal of the admin API is one, with the status, a
//! short `title` for the kind of problem and a `detail` for this occurrence.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::OAuthError;
use oauth2u_core::admin::AdminError;
use oauth2u_core::store::StoreError;
use serde_json::json;

/// A problem document (§3).
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    title: &'static str,
    detail: String,
}

impl Problem {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self { status, title, detail: detail.into() }
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", "a valid admin bearer token is required")
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// RFC 9110 §13.1.1: the resource changed since the `If-Match` the client sent.
    pub(crate) fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "Precondition failed",
            "the resource changed since that ETag",
        )
    }
}

impl From<AdminError> for Problem {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::NotFound(detail) => Self::not_found(detail),
            AdminError::Invalid(detail) => Self::bad_request(detail),
            AdminError::Conflict(detail) => Self::new(StatusCode::CONFLICT, "Conflict", detail),
            AdminError::Store(StoreError::Unavailable(detail)) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "Unavailable", detail)
            }
            other => {
                tracing::error!(error = %other, "admin API fault");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "see the server's log")
            }
        }
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

impl From<QueryRejection> for Problem {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        AdminError::from(error).into()
    }
}

impl From<OAuthError> for Problem {
    fn from(error: OAuthError) -> Self {
        AdminError::from(error).into()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({ "type": "about:blank", "title": self.title, "status": self.status.as_u16(), "detail": self.detail });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"oauth2u-admin\""));
        }
        response
    }
}
