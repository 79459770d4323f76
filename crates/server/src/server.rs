//! `Server`: the seed's `Server(port=8000, …).start()` in Rust form.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use oauth2u_core::hooks::HookChain;
use oauth2u_core::keys::MasterKey;
use oauth2u_core::secret::redact_url;
use oauth2u_core::store::StoreError;
use oauth2u_core::throttle::PasswordCheck;
use oauth2u_core::{Clock, Hooks, NoHooks, Provider, Store, SystemClock};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// HTTP/2 streams one connection may have open at once (RFC 9113 §5.1.2): enough for a
/// browser or a pooled client, few enough that one connection cannot hog the workers.
const MAX_CONCURRENT_STREAMS: u32 = 100;

use crate::config::Settings;
use crate::forwarded::TrustedProxies;
use crate::master_key;
use crate::metrics::Metrics;
use crate::routes;
use crate::scripts::{self, plugins::PluginHost};
use crate::state::{AppState, ClientAddr, Https};
use crate::templates::Templates;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The settings are unusable.
    #[error("{0}")]
    Config(String),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The port could not be bound.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// Configures a [`Server`].
#[derive(Default)]
pub struct ServerBuilder {
    settings: Settings,
    store: Option<Arc<dyn Store>>,
    clock: Option<Arc<dyn Clock>>,
    hooks: Option<Arc<dyn Hooks>>,
    routes: Option<Router>,
    master_key: Option<MasterKey>,
}

impl ServerBuilder {
    /// The master key that seals signing keys (default: from the settings, or a key file
    /// beside the SQLite database).
    pub fn master_key(mut self, key: MasterKey) -> Self {
        self.master_key = Some(key);
        self
    }

    /// All settings at once (e.g. from [`Settings::load`]); later calls override fields.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The port; 0 picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.settings.port = port;
        self
    }

    /// The database URL (`sqlite://PATH` or `postgres://USER@HOST/DB`).
    pub fn database(mut self, url: impl Into<String>) -> Self {
        self.settings.database_url = url.into();
        self
    }

    /// The issuer identifier.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.settings.issuer = Some(issuer.into());
        self
    }

    /// A store of your own instead of the one `database` names.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock (tests move a [`oauth2u_core::ManualClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Your hooks, called at the seed's plugin points.
    pub fn hooks(mut self, hooks: Arc<dyn Hooks>) -> Self {
        self.hooks = Some(hooks);
        self
    }

    /// Directories of plugin scripts (`*.rhai`) defining the seed's hooks.
    pub fn plugins_directories<P: Into<PathBuf>>(mut self, directories: impl IntoIterator<Item = P>) -> Self {
        self.settings.plugins_directories = directories.into_iter().map(Into::into).collect();
        self
    }

    /// Directories of handler scripts (`*.rhai`) that register extra URLs.
    pub fn handlers_directories<P: Into<PathBuf>>(
        mut self,
        directories: impl IntoIterator<Item = P>,
    ) -> Self {
        self.settings.handlers_directories = directories.into_iter().map(Into::into).collect();
        self
    }

    /// Extra routes of your own, merged beside the OAuth endpoints.
    pub fn merge(mut self, routes: Router) -> Self {
        self.routes = Some(self.routes.take().unwrap_or_default().merge(routes));
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<Server, Error> {
        let issuer = url::Url::parse(&self.settings.issuer())
            .map_err(|error| Error::Config(format!("issuer must be an absolute URL: {error}")))?;
        // RFC 8414 §2: the issuer has no query or fragment.
        if issuer.query().is_some() || issuer.fragment().is_some() {
            return Err(Error::Config("issuer must not have a query or fragment".into()));
        }
        if !matches!(issuer.scheme(), "http" | "https") {
            return Err(Error::Config("issuer must be an http or https URL".into()));
        }
        Ok(Server { builder: self })
    }
}

/// An authorization server, ready to start.
pub struct Server {
    builder: ServerBuilder,
}

impl Server {
    /// A builder with the defaults: port 8000, `sqlite://oauth2u.db`.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Opens the database, listens, and serves until SIGINT or SIGTERM; in-flight
    /// requests finish before it returns.
    pub async fn start(self) -> Result<(), Error> {
        self.bind().await?.serve(shutdown_signal()).await
    }

    /// Opens (and migrates) the database and binds the port, without serving yet.
    pub async fn bind(self) -> Result<BoundServer, Error> {
        let ServerBuilder { settings, store, clock, hooks, routes, master_key } = self.builder;
        let store: Arc<dyn Store> = match store {
            Some(store) => store,
            None => crate::database::open(&settings).await?,
        };
        let clock = clock.unwrap_or_else(|| Arc::new(SystemClock));
        let protocol = settings.protocol();
        // Scripts compile before anything listens: a broken one stops the start.
        let passwords = PasswordCheck::new(store.clone(), clock.clone(), protocol.login_throttle);
        let engine = scripts::engine(store.clone(), passwords, settings.plugins.timeout);
        let plugins = scripts::load(&engine, &settings.plugins_directories).map_err(Error::Config)?;
        let handlers = scripts::load(&engine, &settings.handlers_directories).map_err(Error::Config)?;
        let mut chain: Vec<Arc<dyn Hooks>> = hooks.into_iter().collect();
        if !plugins.is_empty() {
            chain.push(Arc::new(PluginHost::new(engine.clone(), plugins)));
        }
        let hooks: Arc<dyn Hooks> = match chain.len() {
            0 => Arc::new(NoHooks),
            1 => chain.remove(0),
            _ => Arc::new(HookChain(chain)),
        };
        let master = match master_key {
            Some(master) => master,
            None => master_key::load(&settings).map_err(Error::Config)?,
        };
        let keys = settings.key_ring(master);
        // A signing key from the first start, so the JWKS is never empty.
        keys.signing_key(store.as_ref(), clock.now())
            .await
            .map_err(|error| Error::Config(format!("signing key: {}", error.description)))?;
        let fetcher = crate::fetch::SafeFetcher::new(settings.fetch.allow_loopback).map_err(Error::Config)?;
        let provider =
            Provider::new(store, clock, hooks, protocol).with_keys(keys).with_fetcher(Arc::new(fetcher));
        let handler_routes = scripts::handlers::routes(engine, handlers).map_err(Error::Config)?;
        let listener = TcpListener::bind((settings.host, settings.port)).await?;
        let local_addr = listener.local_addr()?;
        let templates = Arc::new(Templates::load(settings.templates_dir.as_deref()).map_err(Error::Config)?);
        let settings = Arc::new(settings);
        let extra = match routes {
            Some(routes) => handler_routes.merge(routes),
            None => handler_routes,
        };
        let metrics = Arc::new(Metrics::default());
        let state = AppState { provider: provider.clone(), settings: settings.clone(), templates, metrics };
        let router = routes::router(state.clone(), extra);
        // `/metrics` on a port of its own, if configured: bound now, so a taken port stops the start.
        let metrics = match settings.metrics.address {
            Some(address) => {
                let listener = TcpListener::bind(address).await?;
                Some((listener, routes::metrics_port(state)))
            }
            None => None,
        };
        // The admin API on its own address, if configured: never on the public port.
        let admin = match settings.admin.address {
            Some(address) => {
                let token = std::env::var("OAUTH2U_ADMIN_TOKEN").ok();
                let hash =
                    crate::admin_api::token_hash(settings.admin.token_sha256.as_deref(), token.as_deref())
                        .map_err(Error::Config)?;
                let listener = TcpListener::bind(address).await?;
                Some((
                    listener,
                    crate::admin_api::router(crate::admin_api::AdminState::new(provider.clone(), hash)),
                ))
            }
            None => None,
        };
        let proxies =
            Arc::new(TrustedProxies::new(settings.trusted_proxies.clone(), settings.forwarded_header));
        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::acceptor(cert, key).map_err(Error::Config)?),
            (None, None) => None,
            _ => return Err(Error::Config("tls_cert and tls_key go together".into())),
        };
        Ok(BoundServer { listener, local_addr, router, provider, settings, proxies, metrics, admin, tls })
    }
}

/// A server whose port is bound: its address is known before it serves.
pub struct BoundServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
    provider: Provider,
    settings: Arc<Settings>,
    proxies: Arc<TrustedProxies>,
    metrics: Option<(TcpListener, Router)>,
    admin: Option<(TcpListener, Router)>,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl BoundServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The admin API's address, when it is on.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// The protocol provider (its store, clock and settings).
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish
    /// (within `limits.shutdown_timeout`).
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), Error> {
        self.announce().await;
        let metrics = self.metrics.map(|(listener, routes)| {
            tracing::info!(address = ?listener.local_addr().ok(), "metrics at /metrics");
            tokio::spawn(async move { axum::serve(listener, routes).await })
        });
        let cleanup = (!self.settings.cleanup_interval.is_zero()).then(|| {
            tokio::spawn(crate::cleanup::run(self.provider.clone(), self.settings.cleanup_interval))
        });
        let logouts = tokio::spawn(crate::backchannel::run(
            self.provider.clone(),
            self.settings.oidc.backchannel_logout,
        ));
        let server = ConnectionServer::new(&self.settings, self.tls.clone(), self.proxies.clone());
        let graceful = GracefulShutdown::new();
        // The admin API: the same connections, TLS included, on its own address.
        let admin = self.admin.map(|(listener, routes)| {
            tracing::info!(address = ?listener.local_addr().ok(), "admin API at /admin/");
            let (server, watchers) = (server.clone(), GracefulShutdown::new());
            tokio::spawn(async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, peer)) => server.spawn(stream, peer, routes.clone(), watchers.watcher()),
                        Err(error) => {
                            tracing::warn!(%error, "accept failed");
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                    }
                }
            })
        });
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: wait a moment, keep serving.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            server.spawn(stream, peer, self.router.clone(), graceful.watcher());
        }
        tracing::info!("shutting down; waiting for in-flight requests");
        for task in [
            cleanup.map(|task| task.abort_handle()),
            metrics.map(|task| task.abort_handle()),
            admin.map(|task| task.abort_handle()),
            Some(logouts.abort_handle()),
        ]
        .into_iter()
        .flatten()
        {
            task.abort();
        }
        if tokio::time::timeout(self.settings.limits.shutdown_timeout, graceful.shutdown()).await.is_err() {
            tracing::warn!("in-flight requests did not finish in time");
        }
        Ok(())
    }

    /// What an operator needs to see at start.
    async fn announce(&self) {
        let settings = &self.settings;
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        tracing::info!(address = %format!("{scheme}://{}", self.local_addr), issuer = %settings.issuer(), database = %redact_url(&settings.database_url), "oauth2u listening");
        if let Ok(issuer) = url::Url::parse(&settings.issuer())
            && issuer.scheme() != "https"
            && !matches!(issuer.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
        {
            tracing::warn!(issuer = %settings.issuer(), "the issuer is neither https nor loopback: tokens would travel in the clear");
        }
        if settings.fetch.allow_loopback {
            tracing::warn!(
                "[fetch] allow_loopback is on: documents that clients name may be fetched from this machine's loopback; for tests only"
            );
        }
        if let Some(user) = &settings.auto_approve {
            tracing::warn!(%user, "--auto-approve is on: every authorization request is approved without asking anyone; for development only");
        }
        for (on, grant) in [(settings.grants.implicit, "implicit"), (settings.grants.password, "password")] {
            if on {
                tracing::warn!(grant, "a legacy grant is switched on (RFC 9700 advises against it)");
            }
        }
        if let Ok(clients) = self.provider.store().clients().await
            && clients.is_empty()
        {
            let database = match settings.database_url.as_str() {
                url if url == Settings::default().database_url => String::new(),
                url => format!(" --database {}", redact_url(url)),
            };
            tracing::info!(
                "no client is registered yet; register one with: oauth2u{database} clients add --name \"My app\" --redirect-uri http://127.0.0.1:9000/callback"
            );
        }
    }
}

/// What serves accepted connections, on the public port and the admin one alike: HTTP/1.1
/// and HTTP/2 on one port (cleartext HTTP/2 with prior knowledge, RFC 9113 §3.3; over TLS as
/// ALPN chooses), TLS when configured, and each request told its client's address.
#[derive(Clone)]
struct ConnectionServer {
    connections: auto::Builder<TokioExecutor>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    proxies: Arc<TrustedProxies>,
    handshake_timeout: std::time::Duration,
}

impl ConnectionServer {
    fn new(
        settings: &Settings,
        tls: Option<tokio_rustls::TlsAcceptor>,
        proxies: Arc<TrustedProxies>,
    ) -> Self {
        let mut connections = auto::Builder::new(TokioExecutor::new());
        // A client that trickles its headers (slowloris) is cut off.
        connections.http1().timer(TokioTimer::new()).header_read_timeout(settings.limits.header_read_timeout);
        // HTTP/2: a bounded number of streams per connection, and a ping to find dead peers.
        connections
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
            .keep_alive_interval(Some(settings.limits.header_read_timeout))
            .keep_alive_timeout(settings.limits.header_read_timeout);
        Self { connections, tls, proxies, handshake_timeout: settings.limits.header_read_timeout }
    }

    /// Serves one accepted connection with `router`, tracked by `watcher`.
    fn spawn(&self, stream: tokio::net::TcpStream, peer: SocketAddr, router: Router, watcher: Watcher) {
        // Each request learns its client's address (for throttling and logs) and scheme,
        // from the peer or, behind a trusted proxy, from the proxy's headers.
        let proxies = self.proxies.clone();
        let https = self.tls.is_some();
        let service = router.map_request(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            let origin = proxies.origin(peer, https, request.headers());
            request.extensions_mut().insert(ClientAddr(origin.address));
            request.extensions_mut().insert(Https(origin.https));
            request
        });
        let service = TowerToHyperService::new(service);
        let (connections, tls, handshake_timeout) =
            (self.connections.clone(), self.tls.clone(), self.handshake_timeout);
        tokio::spawn(async move {
            let served = match tls {
                None => watcher.watch(connections.serve_connection(TokioIo::new(stream), service)).await,
                // The handshake is bounded like the headers: a trickling client is cut off.
                Some(acceptor) => {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            watcher.watch(connections.serve_connection(TokioIo::new(stream), service)).await
                        }
                        Ok(Err(error)) => return tracing::debug!(%error, "TLS handshake failed"),
                        Err(_) => return tracing::debug!("TLS handshake timed out"),
                    }
                }
            };
            if let Err(error) = served {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
