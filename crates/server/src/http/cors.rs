//! CORS for browser clients on the endpoints they fetch (token, revocation, metadata),
//! limited to the origins clients registered (`--allowed-origin`). Never on `/authorize`,
//! which is navigated to, not fetched.

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::AppState;

pub(crate) fn registered_origins(state: &AppState) -> CorsLayer {
    let store = state.provider.store().clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(move |origin: HeaderValue, _| {
            let store = store.clone();
            async move {
                match origin.to_str() {
                    Ok(origin) => store.origin_allowed(origin).await.unwrap_or(false),
                    Err(_) => false,
                }
            }
        }))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
}
