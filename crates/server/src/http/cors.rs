//! CORS for browser clients on the endpoints they fetch: token, revocation and userinfo
//! for the origins clients registered (`--allowed-origin`); the public documents (metadata,
//! JWKS) and registration for any origin, since no cookie or user secret is involved. Never
//! on `/authorize`, which is navigated to, not fetched.

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::state::AppState;

pub(crate) fn registered_origins(state: &AppState) -> CorsLayer {
    let provider = state.provider.clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(move |origin: HeaderValue, _| {
            let provider = provider.clone();
            async move {
                match origin.to_str() {
                    Ok(origin) => provider.origin_allowed(origin).await,
                    Err(_) => false,
                }
            }
        }))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        // A browser client reads why userinfo refused its token (RFC 6750 §3).
        .expose_headers([header::WWW_AUTHENTICATE])
}

/// Any origin, without credentials: for what holds nothing of a user's.
pub(crate) fn any_origin() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::WWW_AUTHENTICATE])
}
