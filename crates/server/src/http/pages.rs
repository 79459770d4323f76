//! Server-rendered pages, from templates auto-escaped by minijinja, each with the headers
//! that keep it from being framed, cached or leaking its URL.

use std::sync::OnceLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, context};
use oauth2u_core::{ErrorCode, OAuthError};

fn templates() -> &'static Environment<'static> {
    static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut env = Environment::new();
        // Built in, so a failure here is a bug that the tests catch.
        if let Err(error) = env.add_template("error.html", include_str!("../../templates/error.html")) {
            tracing::error!(%error, "built-in template does not compile");
        }
        env
    })
}

/// RFC 6749 §4.1.2.1: the page that tells the user what went wrong when the client or
/// redirect URI cannot be trusted.
pub(crate) fn error_page(error: &OAuthError) -> Response {
    let status = match error.code {
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    let page = templates()
        .get_template("error.html")
        .and_then(|template| {
            template.render(context! { error => error.code.as_str(), description => &error.description })
        })
        .unwrap_or_else(|_| "error".to_owned());
    (status, page_headers(), Html(page)).into_response()
}

/// Headers for every page: no framing (clickjacking), no script, no caching, no referrer.
fn page_headers() -> [(header::HeaderName, HeaderValue); 4] {
    [
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}
