//! `/metrics` in the Prometheus (OpenMetrics) text format: requests by endpoint and status,
//! their latency, tokens issued by grant, database connections. Served on a port of its
//! own (`[metrics] address`) or on the public port behind a bearer token
//! (`[metrics] token`); with neither, not at all.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use subtle::ConstantTimeEq;

use crate::http::{AppState, paths};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant_type: String,
}

type Latency = Family<EndpointLabels, Histogram, fn() -> Histogram>;

/// The server's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    tokens: Family<GrantLabels, Counter>,
    connections_open: Gauge,
    connections_idle: Gauge,
    connections_max: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("oauth2u");
        let requests = Family::default();
        registry.register("http_requests", "HTTP requests by endpoint and status", requests.clone());
        // 0.25 ms to ~4 s.
        let latency: Latency =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.00025, 2.0, 15)));
        registry.register("http_request_duration_seconds", "Time to answer, by endpoint", latency.clone());
        let tokens = Family::default();
        registry.register("tokens_issued", "Token responses by grant type", tokens.clone());
        let (connections_open, connections_idle, connections_max) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("database_connections_open", "Database connections open", connections_open.clone());
        registry.register("database_connections_idle", "Database connections idle", connections_idle.clone());
        registry.register(
            "database_connections_max",
            "Database connections allowed",
            connections_max.clone(),
        );
        Self { registry, requests, latency, tokens, connections_open, connections_idle, connections_max }
    }
}

impl Metrics {
    /// A token response for `grant_type` (a valid one: only successes are counted).
    pub(crate) fn token_issued(&self, grant_type: &str) {
        self.tokens.get_or_create(&GrantLabels { grant_type: grant_type.to_owned() }).inc();
    }

    fn render(&self, state: &AppState) -> String {
        if let Some(pool) = state.provider.store().connections() {
            self.connections_open.set(i64::from(pool.open));
            self.connections_idle.set(i64::from(pool.idle));
            self.connections_max.set(i64::from(pool.max));
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// A bounded label for a path: the endpoint it is, or `other` (no label per unknown URL).
fn endpoint(path: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        paths::AUTHORIZE,
        paths::TOKEN,
        paths::ACCESS_TOKEN,
        paths::REVOKE,
        paths::INTROSPECT,
        paths::METADATA,
        paths::JWKS,
        paths::DEVICE_AUTHORIZATION,
        paths::DEVICE,
        "/login",
        "/consent",
        "/logout",
        "/health/live",
        "/health/ready",
        "/metrics",
    ];
    KNOWN.iter().copied().find(|known| *known == path).unwrap_or("other")
}

/// Middleware: counts and times every request.
pub(crate) async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let endpoint = endpoint(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.latency.get_or_create(&EndpointLabels { endpoint }).observe(started.elapsed().as_secs_f64());
    metrics.requests.get_or_create(&RequestLabels { endpoint, status: response.status().as_u16() }).inc();
    response
}

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics` on its own port: whoever reaches the port may read.
pub(crate) async fn get_open(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(&state);
    ([(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))], text).into_response()
}

/// `GET /metrics` on the public port: only with `Authorization: Bearer <metrics token>`.
pub(crate) async fn get_protected(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let expected = state.settings.metrics.token.as_deref().unwrap_or_default();
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if expected.is_empty() || !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        let challenge = HeaderValue::from_static("Bearer realm=\"oauth2u metrics\"");
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, challenge)]).into_response();
    }
    get_open(State(state)).await
}
