//! Entity tags for admin resources (RFC 9110 §8.8.3): a strong tag derived from the
//! resource's JSON, so any change to it changes the tag; and `If-Match` (§13.1.1), optional
//! on writes, whose stale value is 412.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::problem::Problem;

/// The tag of a resource as shown: a quoted hash of its JSON.
pub(crate) fn of(resource: &Value) -> String {
    let digest = Sha256::digest(resource.to_string().as_bytes());
    let hex: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("\"{hex}\"")
}

/// The `ETag` header of a resource.
pub(crate) fn header(resource: &Value) -> (header::HeaderName, HeaderValue) {
    (header::ETAG, HeaderValue::from_str(&of(resource)).unwrap_or(HeaderValue::from_static("\"\"")))
}

/// A resource with its `ETag`.
pub(crate) fn tagged(resource: Value) -> Response {
    ([header(&resource)], Json(resource)).into_response()
}

/// §13.1.1: without `If-Match`, any state; with it, one of its tags (or `*`) must be current.
pub(crate) fn check_if_match(headers: &HeaderMap, current: &Value) -> Result<(), Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let value = value.to_str().map_err(|_| Problem::bad_request("If-Match is not readable"))?;
    let tag = of(current);
    let matches = value.split(',').map(str::trim).any(|candidate| candidate == "*" || candidate == tag);
    if matches { Ok(()) } else { Err(Problem::precondition_failed()) }
}
