//! HTTP glue: one thin file per endpoint. Handlers turn a request into typed input, call
//! one protocol function, and turn its result into a response; no protocol logic here.

pub(crate) mod authorize;
mod cors;
mod device_authorization;
pub(crate) mod error;
pub(crate) mod form;
pub(crate) mod forwarded;
mod health;
mod introspect;
mod jwks;
mod metadata;
mod revoke;
mod token;

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Request, header};
use axum::routing::{get, post};
use oauth2u_core::Provider;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Settings;
use crate::metrics::{self, Metrics};
use crate::ui::{self, templates::Templates};

/// The paths of the endpoints, shared by the router and the metadata document.
pub(crate) mod paths {
    pub const AUTHORIZE: &str = "/authorize";
    pub const TOKEN: &str = "/token";
    /// The seed's path for the token endpoint.
    pub const ACCESS_TOKEN: &str = "/access-token";
    pub const REVOKE: &str = "/revoke";
    pub const INTROSPECT: &str = "/introspect";
    pub const METADATA: &str = "/.well-known/oauth-authorization-server";
    pub const JWKS: &str = "/jwks.json";
    pub const DEVICE_AUTHORIZATION: &str = "/device_authorization";
    /// The page where a person enters a device's user code (RFC 8628 `verification_uri`).
    pub const DEVICE: &str = "/device";
}

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub provider: Provider,
    pub settings: Arc<Settings>,
    pub templates: Arc<Templates>,
    pub metrics: Arc<Metrics>,
}

/// The client's address: the connection's peer, or what a trusted proxy says (`forwarded.rs`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub IpAddr);

/// The application's routes, with `extra` routes (handler scripts, an embedder's own)
/// beside them, all under the same limits, timeouts, panic guard and request logging.
pub(crate) fn router(state: AppState, extra: Router) -> Router {
    let limits = state.settings.limits;
    let metrics = state.metrics.clone();
    let metrics_on = state.settings.metrics.address.is_some() || state.settings.metrics.token.is_some();
    let token =
        post(token::post_token).fallback(error::method_not_allowed).layer(cors::registered_origins(&state));
    let revoke =
        post(revoke::post_revoke).fallback(error::method_not_allowed).layer(cors::registered_origins(&state));
    let introspect = post(introspect::post_introspect).fallback(error::method_not_allowed);
    let metadata = get(metadata::get_metadata).layer(cors::registered_origins(&state));
    let jwks = get(jwks::get_jwks).layer(cors::registered_origins(&state));
    // RFC 8414 §3: an issuer with a path has its metadata under that path too.
    let issuer_path = url::Url::parse(&state.settings.issuer())
        .map(|issuer| issuer.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let mut router = Router::new();
    if state.settings.metrics.token.is_some() {
        router = router.route("/metrics", get(metrics::get_protected));
    }
    if state.provider.keys().is_some() {
        router = router.route(paths::JWKS, jwks);
    }
    if !issuer_path.is_empty() {
        router = router.route(&format!("{}{issuer_path}", paths::METADATA), metadata.clone());
    }
    let router = router
        .route(paths::AUTHORIZE, get(authorize::get_authorize).post(authorize::post_authorize))
        .route(paths::TOKEN, token.clone())
        .route(paths::ACCESS_TOKEN, token)
        .route(paths::REVOKE, revoke)
        .route(paths::INTROSPECT, introspect)
        .route(paths::METADATA, metadata)
        .route(
            paths::DEVICE_AUTHORIZATION,
            post(device_authorization::post_device_authorization).fallback(error::method_not_allowed),
        )
        .route("/health/live", get(health::get_live))
        .route("/health/ready", get(health::get_ready))
        .merge(ui::routes())
        .fallback(ui::not_found)
        .with_state(state.clone())
        .merge(extra)
        // A bug must never take the process down; the person sees a friendly page.
        .layer(CatchPanicLayer::custom(move |_| {
            ui::error_page(&state, &oauth2u_core::OAuthError::server_error("a request handler panicked"))
        }))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::map_response(hsts));
    // Counting costs a little on every request: only when someone can read the counts.
    let router = if metrics_on {
        router.layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
    } else {
        router
    };
    router.layer(
        // Method and path only: queries carry codes and states, headers carry credentials.
        TraceLayer::new_for_http()
            .make_span_with(|request: &Request<_>| {
                let client = request.extensions().get::<ClientAddr>().map(|ClientAddr(address)| *address);
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    client = tracing::field::display(client.map_or_else(String::new, |a| a.to_string()))
                )
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
}

/// Whether the client reached us over https: directly (native TLS) or through a trusted proxy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Https(pub bool);

/// RFC 6797: a response over https tells the browser to use nothing else for a year.
async fn hsts(
    request_was: Option<axum::Extension<Https>>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    if let Some(axum::Extension(Https(true))) = request_was {
        response
            .headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}
