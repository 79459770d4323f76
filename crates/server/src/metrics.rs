//! The server's metrics: requests by endpoint and status, their latency, tokens issued by
//! grant, database connections; rendered in the Prometheus (OpenMetrics) text format by
//! `http/metrics.rs`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use oauth2u_core::store::Connections;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::paths::Route;

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

    /// The text exposition, with the database pool's state as it is now.
    pub(crate) fn render(&self, connections: Option<Connections>) -> String {
        if let Some(pool) = connections {
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

/// A bounded label for a path: the route it is, or `other` (no label per unknown URL).
fn endpoint(path: &str) -> &'static str {
    Route::find(path).map_or("other", Route::path)
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
