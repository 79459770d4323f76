//! What every handler stands on: the application state and what each request learned of
//! its connection (the client's address, whether it came over https).

use std::net::IpAddr;
use std::sync::Arc;

use oauth2u_core::Provider;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::templates::Templates;

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

/// Whether the client reached us over https: directly (native TLS) or through a trusted proxy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Https(pub bool);
