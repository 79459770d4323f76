//! Settings: defaults, then `oauth2u.toml` (or `--config FILE`), then `OAUTH2U_*`
//! environment variables, then command-line flags — each layer overriding the one before.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use oauth2u_core::ProtocolConfig;
use oauth2u_core::clock::seconds;
use oauth2u_core::config::{
    Dpop, GrantSwitches, Lifetimes, LoginThrottle, Oidc, Par, Registration, Sessions, TokenFormat,
};
use oauth2u_core::keys::{KeyRing, MasterKey, SigningAlgorithm};
use serde::{Deserialize, Serialize};

mod environment;

/// The config file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "oauth2u.toml";

/// Every setting of a server (see the README for the file format).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).
    pub host: IpAddr,
    /// Port to listen on (default 8000, the seed's).
    pub port: u16,
    /// Issuer identifier; default `http://localhost:PORT`.
    pub issuer: Option<String>,
    /// `sqlite://PATH` (default `sqlite://oauth2u.db`) or `postgres://USER@HOST/DB`.
    pub database_url: String,
    /// PEM certificate chain for native TLS (with `tls_key`); without, plain HTTP.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` / `X-Forwarded-Proto` headers
    /// are believed (addresses or networks, e.g. `["10.0.0.0/8"]`); from anyone else they
    /// are ignored. Default: none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The one header the trusted proxies set for the client's address: `x-forwarded-for`
    /// (default, with `X-Forwarded-Proto`) or `forwarded` (RFC 7239). The other is ignored.
    pub forwarded_header: ForwardedHeader,
    /// Database connections (`[pool]`).
    pub pool: Pool,
    /// Where `/metrics` is served (`[metrics]`); by default nowhere.
    pub metrics: MetricsSettings,
    /// `text` (default) or `json`.
    pub log_format: LogFormat,
    /// Development switch: approve every authorization request for this username.
    pub auto_approve: Option<String>,
    /// Require PKCE from every client, not only public ones.
    pub pkce_required: bool,
    /// Accept `code_challenge_method=plain` (off by default: RFC 9700 §2.1.1).
    pub pkce_plain_allowed: bool,
    /// Grants switched on server-wide.
    pub grants: GrantSwitches,
    /// Token and code lifetimes.
    pub lifetimes: Lifetimes,
    /// Request limits and timeouts.
    pub limits: Limits,
    /// Sign-in sessions.
    pub sessions: Sessions,
    /// OpenID Connect choices (`[oidc]`).
    pub oidc: Oidc,
    /// Dynamic client registration (`[registration]`, RFC 7591; off by default).
    pub registration: Registration,
    /// Pushed authorization requests (`[par]`, RFC 9126).
    pub par: Par,
    /// DPoP (`[dpop]`, RFC 9449).
    pub dpop: Dpop,
    /// Fetching the documents clients point to (`[fetch]`).
    pub fetch: FetchSettings,
    /// The admin API (`[admin]`, off by default).
    pub admin: AdminSettings,
    /// What each scope means to a person (`[scopes."NAME"]`): the consent pages show the
    /// description instead of the raw scope.
    pub scopes: std::collections::BTreeMap<String, ScopeDescription>,
    /// How fast passwords and device user codes may be guessed (`[login_throttle]`).
    pub login_throttle: LoginThrottle,
    /// A directory whose templates (`login.html`, `consent.html`, …, `style.css`) replace the built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// Directories of plugin scripts (`*.rhai`), the seed's `plugins_directories`.
    pub plugins_directories: Vec<PathBuf>,
    /// How scripts run (`[plugins]`).
    pub plugins: Plugins,
    /// Directories of handler scripts (`*.rhai`) that register extra URLs, the seed's `handlers_directories`.
    pub handlers_directories: Vec<PathBuf>,
    /// `opaque` (default) or `jwt` access tokens, unless a client says otherwise.
    pub access_token_format: TokenFormat,
    /// The algorithm of new signing keys: ES256 (default), EdDSA or RS256.
    pub jwt_algorithm: SigningAlgorithm,
    /// How long resource servers may cache the JWKS; a new key is published this long before it signs.
    #[serde(with = "humantime_serde")]
    pub jwks_max_age: Duration,
    /// Rotate the signing key this often (off by default; `oauth2u keys rotate` rotates by hand).
    #[serde(with = "humantime_serde")]
    pub key_rotation_interval: Option<Duration>,
    /// The master key (base64 of 32 bytes) that seals signing keys; best from `OAUTH2U_MASTER_KEY`.
    pub master_key: Option<String>,
    /// A file holding the master key; default: beside the SQLite file (`oauth2u.db.key`), created 0600.
    pub master_key_file: Option<PathBuf>,
    /// The audience of JWT access tokens when a request names no resource and the client has no default.
    pub default_resource: Option<String>,
    /// How long a client record may be served from memory; a change made with the command
    /// line shows within this time (default 1 s; 0 reads the database every time).
    #[serde(with = "humantime_serde")]
    pub client_cache_ttl: Duration,
    /// How often expired codes, tokens, device codes and sessions are deleted (default
    /// 1 min; 0 switches the job off). One instance at a time does it.
    #[serde(with = "humantime_serde")]
    pub cleanup_interval: Duration,
    /// How long the list of signing keys may be served from memory; `oauth2u keys revoke`
    /// stops a key signing within this time (default 1 s; 0 reads it every time).
    #[serde(with = "humantime_serde")]
    pub signing_key_cache_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8000,
            issuer: None,
            database_url: "sqlite://oauth2u.db".into(),
            pool: Pool::default(),
            metrics: MetricsSettings::default(),
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::default(),
            tls_cert: None,
            tls_key: None,
            log_format: LogFormat::Text,
            auto_approve: None,
            pkce_required: false,
            pkce_plain_allowed: false,
            grants: GrantSwitches::default(),
            lifetimes: Lifetimes::default(),
            limits: Limits::default(),
            sessions: Sessions::default(),
            oidc: Oidc::default(),
            registration: Registration::default(),
            par: Par::default(),
            dpop: Dpop::default(),
            fetch: FetchSettings::default(),
            admin: AdminSettings::default(),
            scopes: std::collections::BTreeMap::new(),
            login_throttle: LoginThrottle::default(),
            templates_dir: None,
            plugins_directories: Vec::new(),
            plugins: Plugins::default(),
            handlers_directories: Vec::new(),
            access_token_format: TokenFormat::Opaque,
            jwt_algorithm: SigningAlgorithm::ES256,
            jwks_max_age: Duration::from_secs(3600),
            key_rotation_interval: None,
            master_key: None,
            master_key_file: None,
            default_resource: None,
            client_cache_ttl: Duration::from_secs(1),
            signing_key_cache_ttl: Duration::from_secs(1),
            cleanup_interval: Duration::from_secs(60),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Which header carries the client's address from the trusted proxies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` and `X-Forwarded-Proto`.
    #[default]
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// RFC 7239 `Forwarded`.
    #[serde(rename = "forwarded")]
    Forwarded,
}

/// Database connections (`[pool]`): used on PostgreSQL; SQLite keeps its own small pool.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pool {
    /// Connections one instance may hold (default 16).
    pub max_connections: u32,
    /// How long a request waits for a connection before the database counts as
    /// unavailable and the request is answered 503 (default 5 s).
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
    /// The deadline of every database call (default 5 s), on both engines; past it the
    /// request is answered 503. On PostgreSQL also its `statement_timeout`.
    #[serde(with = "humantime_serde")]
    pub statement_timeout: Duration,
}

impl Default for Pool {
    fn default() -> Self {
        let defaults = oauth2u_store_postgres::PoolSettings::default();
        Self {
            max_connections: defaults.max_connections,
            acquire_timeout: defaults.acquire_timeout,
            statement_timeout: defaults.statement_timeout,
        }
    }
}

/// Request limits (`[limits]`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest accepted request body, in bytes; larger is 413.
    pub max_body_bytes: usize,
    /// Most parameters one request may carry (query or form); more is `invalid_request`
    /// before any other work.
    pub max_parameters: usize,
    /// Time allowed to send the request headers (cuts off slowloris clients).
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// Time allowed for a whole request, body included; then 408.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// On shutdown, how long in-flight requests may take to finish.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_parameters: oauth2u_core::params::DEFAULT_MAX_PARAMETERS,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// `/metrics` (`[metrics]`): on a port of its own, or on the public port with a token.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `/metrics` on this address, e.g. `127.0.0.1:9100`, open to whoever reaches it.
    pub address: Option<std::net::SocketAddr>,
    /// Serve `/metrics` on the public port too, to requests with `Authorization: Bearer TOKEN`.
    pub token: Option<String>,
}

/// A scope as people read it (`[scopes."invoices:read"]`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScopeDescription {
    /// What it lets the application do, in a sentence: "Read your invoices".
    pub description: String,
    /// The same in other languages, by language tag: `fr = "Lire vos factures"`.
    pub translations: std::collections::BTreeMap<String, String>,
}

impl ScopeDescription {
    /// The text for a reader whose `Accept-Language` is `accepted`: the first language it
    /// names (or that language's primary tag) that has a translation, else the description.
    pub fn for_languages(&self, accepted: Option<&str>) -> &str {
        let tags = accepted.unwrap_or_default().split(',').filter_map(|range| {
            let tag = range.split(';').next()?.trim().to_ascii_lowercase();
            (!tag.is_empty() && tag != "*").then_some(tag)
        });
        for tag in tags {
            let primary = tag.split('-').next().unwrap_or_default().to_owned();
            let found = self.translations.iter().find(|(language, _)| {
                language.eq_ignore_ascii_case(&tag) || language.eq_ignore_ascii_case(&primary)
            });
            if let Some((_, text)) = found {
                return text;
            }
        }
        &self.description
    }
}

/// The admin API (`[admin]`): off unless `address` is set; never on the public port.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminSettings {
    /// Serve the admin API on this address, e.g. `127.0.0.1:8001`.
    pub address: Option<std::net::SocketAddr>,
    /// The SHA-256 (hex) of its bearer token; or give the token itself in
    /// `OAUTH2U_ADMIN_TOKEN`, which never reaches the config file.
    pub token_sha256: Option<String>,
}

/// Fetching the documents clients point to: sector identifiers (`[fetch]`). Public https
/// addresses only (see `fetch.rs`).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchSettings {
    /// Also fetch from loopback addresses, over plain http too: for tests and development
    /// only (the server warns at start).
    pub allow_loopback: bool,
}

/// How plugin and handler scripts run (`[plugins]`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Plugins {
    /// The longest one script call may take; past it the call stops and its request gets
    /// `server_error` (default 1 s).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for Plugins {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(1) }
    }
}

/// Settings given as command-line flags; `None` leaves the lower layers' value.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_approve: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugins_directories: Vec<PathBuf>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub handlers_directories: Vec<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token_format: Option<TokenFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
}

impl Settings {
    /// Loads the layers: the config file (`file`, else `oauth2u.toml` if present), the
    /// `OAUTH2U_*` environment (nested keys with `__`: `OAUTH2U_GRANTS__PASSWORD=true`),
    /// and the flags. Returns the settings and the warnings to log once logging is set up.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<(Self, Vec<String>), String> {
        Self::load_from(file, overrides, std::env::vars())
    }

    /// [`Settings::load`] with the environment given, for tests.
    pub fn load_from(
        file: Option<&Path>,
        overrides: Overrides,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Self, Vec<String>), String> {
        let file = match file {
            Some(path) if !path.is_file() => return Err(format!("config file {} not found", path.display())),
            Some(path) => Some(path.to_owned()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|path| path.is_file()),
        };
        let (environment, warnings) = environment::server_variables(environment);
        let mut figment = Figment::new();
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read config file {}: {error}", path.display()))?;
            // toml's own errors name the line and column (figment's name only the key).
            if let Err(error) = toml::from_str::<Settings>(&text) {
                return Err(format!("invalid config file {}: {error}", path.display()));
            }
            figment = figment.merge(Toml::string(&text));
        }
        for variable in environment {
            figment = figment.merge(variable);
        }
        let settings = figment
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|error| format!("invalid configuration: {error}"))?;
        Ok((settings, warnings))
    }

    /// The issuer: as configured, or `http://localhost:PORT`.
    pub fn issuer(&self) -> String {
        let scheme = if self.tls_cert.is_some() { "https" } else { "http" };
        self.issuer.clone().unwrap_or_else(|| format!("{scheme}://localhost:{}", self.port))
    }

    /// The signing keys of these settings, sealed under `master`.
    pub fn key_ring(&self, master: MasterKey) -> KeyRing {
        KeyRing::new(
            master,
            self.jwt_algorithm,
            seconds(self.jwks_max_age),
            self.key_rotation_interval.map(seconds),
            seconds(self.lifetimes.access_token),
            seconds(self.signing_key_cache_ttl),
        )
    }

    /// The protocol settings.
    pub fn protocol(&self) -> ProtocolConfig {
        ProtocolConfig {
            issuer: self.issuer(),
            grants: self.grants,
            lifetimes: self.lifetimes,
            pkce_required: self.pkce_required,
            pkce_plain_allowed: self.pkce_plain_allowed,
            access_token_format: self.access_token_format,
            default_resource: self.default_resource.clone(),
            client_cache_ttl: self.client_cache_ttl,
            login_throttle: self.login_throttle,
            sessions: self.sessions,
            oidc: self.oidc,
            registration: self.registration.clone(),
            par: self.par,
            dpop: self.dpop,
            paths: crate::paths::ENDPOINTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ScopeDescription, Settings};

    #[test]
    fn a_scope_is_described_in_the_first_accepted_language_that_has_a_translation() {
        let scope = ScopeDescription {
            description: "Read your invoices".into(),
            translations: [
                ("fr".to_owned(), "Lire vos factures".to_owned()),
                ("de-CH".to_owned(), "Rechnungen lesen".to_owned()),
            ]
            .into_iter()
            .collect(),
        };
        assert_eq!(scope.for_languages(None), "Read your invoices");
        assert_eq!(scope.for_languages(Some("fr-CA,en;q=0.8")), "Lire vos factures");
        assert_eq!(scope.for_languages(Some("it, de-ch;q=0.9")), "Rechnungen lesen");
        assert_eq!(scope.for_languages(Some("es, *")), "Read your invoices");
    }

    /// The README's config file example is a valid config file: every key in it exists.
    #[test]
    fn the_readme_config_example_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml\nhost = ").expect("the example") + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("its end");
        if let Err(error) = toml::from_str::<Settings>(&readme[start..end]) {
            panic!("the README's config example: {error}");
        }
    }
}
