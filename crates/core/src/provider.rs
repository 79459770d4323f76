//! The authorization server's protocol state: store, clock, hooks and settings.

use std::sync::Arc;

use crate::client_cache::ClientCache;
use crate::clock::{Clock, UnixTime};
use crate::config::ProtocolConfig;
use crate::error::OAuthError;
use crate::fetch::Fetcher;
use crate::hooks::Hooks;
use crate::key_set_cache::KeySetCache;
use crate::keys::KeyRing;
use crate::store::{Connections, Store, StoreError};
use crate::throttle::PasswordCheck;

/// One authorization server. The endpoint functions are methods on it, each in the
/// module of its RFC section: [`crate::endpoints::authorize`], [`crate::grants`].
#[derive(Clone)]
pub struct Provider {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hooks: Arc<dyn Hooks>,
    pub(crate) config: Arc<ProtocolConfig>,
    pub(crate) keys: Option<Arc<KeyRing>>,
    pub(crate) clients: Arc<ClientCache>,
    pub(crate) passwords: PasswordCheck,
    pub(crate) logouts_queued: Arc<tokio::sync::Notify>,
    /// What fetches the documents clients point to; none: such clients are refused.
    pub(crate) fetcher: Option<Arc<dyn Fetcher>>,
    /// Clients' key sets fetched from their `jwks_uri`.
    pub(crate) key_sets: Arc<KeySetCache>,
}

impl Provider {
    /// A provider over a store, a clock, hooks and settings.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        hooks: Arc<dyn Hooks>,
        config: ProtocolConfig,
    ) -> Self {
        let passwords = PasswordCheck::new(store.clone(), clock.clone(), config.login_throttle);
        // ID token hints and logout requests are verified on ring, not RustCrypto.
        oauth2u_jose::install();
        Self {
            store,
            clock,
            hooks,
            config: Arc::new(config),
            keys: None,
            clients: Arc::default(),
            passwords,
            logouts_queued: Arc::default(),
            fetcher: None,
            key_sets: Arc::default(),
        }
    }

    /// With a fetcher for the documents clients point to (sector identifiers).
    pub fn with_fetcher(mut self, fetcher: Arc<dyn Fetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// With signing keys: JWT access tokens and a JWKS.
    pub fn with_keys(mut self, keys: KeyRing) -> Self {
        self.keys = Some(Arc::new(keys));
        self
    }

    /// The signing keys, when the server has a master key.
    pub fn keys(&self) -> Option<&Arc<KeyRing>> {
        self.keys.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The hooks.
    pub fn hooks(&self) -> &Arc<dyn Hooks> {
        &self.hooks
    }

    /// The settings.
    pub fn config(&self) -> &ProtocolConfig {
        &self.config
    }

    /// Whether any client registered this browser origin (CORS); an unreadable store says no.
    pub async fn origin_allowed(&self, origin: &str) -> bool {
        self.store.origin_allowed(origin).await.unwrap_or(false)
    }

    /// The public keys that belong in the JWKS now, and how many seconds it may be cached;
    /// `None` without signing keys.
    pub async fn published_keys(&self) -> Result<Option<(Vec<serde_json::Value>, i64)>, OAuthError> {
        if self.config.grants.authorization_code {
            self.prepare_id_token_keys().await?;
        }
        match &self.keys {
            Some(keys) => Ok(Some((keys.published(self.store.as_ref(), self.now()).await?, keys.max_age()))),
            None => Ok(None),
        }
    }

    /// Whether the database answers now (for readiness probes); an error says why not.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.store.ready().await
    }

    /// The database pool's state now, for metrics; `None` where there is no pool.
    pub fn database_connections(&self) -> Option<Connections> {
        self.store.connections()
    }

    /// The current time by the provider's clock.
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }
}
