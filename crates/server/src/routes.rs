//! The router: every route of the table in `paths.rs` whose feature is on, with its
//! handler from `http/` (what clients call) or `ui/` (what people see), and the layers
//! every request passes: limits, timeouts, the panic guard, security headers, metrics and
//! request logging.

use axum::Router;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::routing::{MethodRouter, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use oauth2u_core::config::RegistrationMode;

use crate::http;
use crate::metrics;
use crate::paths::{Feature, Route};
use crate::respond::method_not_allowed;
use crate::state::{AppState, ClientAddr, Https};
use crate::ui;

/// Whether a feature's routes are mounted on this server.
fn enabled(state: &AppState, feature: Feature) -> bool {
    match feature {
        Feature::Always => true,
        Feature::DeviceGrant => state.settings.grants.device_code,
        Feature::SigningKeys => state.provider.keys().is_some(),
        Feature::PublicMetrics => state.settings.metrics.token.is_some(),
        Feature::Registration => state.settings.registration.mode != RegistrationMode::Off,
    }
}

/// The handler of a route.
fn handler(state: &AppState, route: Route) -> MethodRouter<AppState> {
    // Endpoints that browser clients fetch get CORS for the origins clients registered.
    let cors = || http::cors::registered_origins(state);
    // Public documents and registration carry no cookie and no secret of a user: any origin
    // may fetch them (a browser-based client has no registered origin before it registers).
    let any_origin = http::cors::any_origin;
    let post_only = |router: MethodRouter<AppState>| router.fallback(method_not_allowed);
    match route {
        Route::Authorize => get(ui::authorize::get_authorize).post(ui::authorize::post_authorize),
        Route::Token | Route::AccessToken => post_only(post(http::token::post_token)).layer(cors()),
        Route::Par => post_only(post(http::par::post_par)),
        Route::Revoke => post_only(post(http::revoke::post_revoke)).layer(cors()),
        Route::Introspect => post_only(post(http::introspect::post_introspect)),
        Route::Metadata | Route::OpenIdConfiguration => get(http::metadata::get_metadata).layer(any_origin()),
        Route::Userinfo => {
            get(http::userinfo::get_userinfo).post(http::userinfo::post_userinfo).layer(cors())
        }
        Route::Jwks => get(http::jwks::get_jwks).layer(any_origin()),
        Route::DeviceAuthorization => post_only(post(http::device_authorization::post_device_authorization)),
        Route::Device => get(ui::device::get_device).post(ui::device::post_device),
        Route::DeviceConsent => post(ui::device::post_device_consent),
        Route::Login => post(ui::interaction::post_login),
        Route::Consent => post(ui::interaction::post_consent),
        Route::Logout => get(ui::logout::get_logout).post(ui::logout::post_logout),
        Route::Stylesheet => get(ui::get_stylesheet),
        Route::HealthLive => get(http::health::get_live),
        Route::HealthReady => get(http::health::get_ready),
        Route::Metrics => get(http::metrics::get_protected),
        Route::Register => post(http::register::post_register).layer(any_origin()),
        Route::RegistrationClient => get(http::register::get_registration)
            .put(http::register::put_registration)
            .delete(http::register::delete_registration)
            .layer(any_origin()),
    }
}

/// The application's routes, with `extra` routes (handler scripts, an embedder's own)
/// beside them, all under the same limits, timeouts, panic guard and request logging.
pub(crate) fn router(state: AppState, extra: Router) -> Router {
    let limits = state.settings.limits;
    let metrics = state.metrics.clone();
    let metrics_on = state.settings.metrics.address.is_some() || state.settings.metrics.token.is_some();
    let mut router = Router::new();
    for route in Route::ALL.iter().copied().filter(|route| enabled(&state, route.feature())) {
        router = router.route(route.path(), handler(&state, route));
    }
    // RFC 8414 §3: an issuer with a path has its metadata under that path too.
    let issuer_path = url::Url::parse(&state.settings.issuer())
        .map(|issuer| issuer.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    if !issuer_path.is_empty() {
        let path = format!("{}{issuer_path}", Route::Metadata.path());
        router = router.route(&path, handler(&state, Route::Metadata));
        // Discovery §4: appended, not inserted.
        if enabled(&state, Route::OpenIdConfiguration.feature()) {
            let path = format!("{issuer_path}{}", Route::OpenIdConfiguration.path());
            router = router.route(&path, handler(&state, Route::OpenIdConfiguration));
        }
    }
    let router = router
        .fallback(ui::not_found)
        .with_state(state.clone())
        .merge(extra)
        // A bug must never take the process down; the person sees a friendly page.
        .layer(CatchPanicLayer::custom(move |_| {
            ui::error_page(&state, &oauth2u_core::OAuthError::server_error("a request handler panicked"))
        }))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
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

/// The router of the metrics port (`[metrics] address`): `/metrics` alone, open.
pub(crate) fn metrics_port(state: AppState) -> Router {
    Router::new().route(Route::Metrics.path(), get(http::metrics::get_open)).with_state(state)
}

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
