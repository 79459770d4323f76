//! The protocol's settings: which grants are on, lifetimes, PKCE policy.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::GrantType;
pub use crate::model::TokenFormat;

/// The protocol settings of one server.
#[derive(Debug, Clone)]
pub struct ProtocolConfig {
    /// The issuer identifier (RFC 8414 §2, RFC 9207): an https URL in production.
    pub issuer: String,
    /// Which grants are switched on server-wide.
    pub grants: GrantSwitches,
    /// Token and code lifetimes.
    pub lifetimes: Lifetimes,
    /// Require PKCE from every client, not only public ones (RFC 9700 §2.1.1).
    pub pkce_required: bool,
    /// Accept `code_challenge_method=plain` (RFC 7636 §4.2); S256 is always accepted.
    /// Off by default: RFC 9700 §2.1.1, only S256 keeps the verifier out of the request.
    pub pkce_plain_allowed: bool,
    /// Opaque or JWT access tokens, unless a client says otherwise.
    pub access_token_format: TokenFormat,
    /// The audience of a JWT access token when the request names no resource and the
    /// client has no default (RFC 9068 §3); the issuer when unset.
    pub default_resource: Option<String>,
    /// How long a client record may be served from memory (0: always read it).
    pub client_cache_ttl: Duration,
    /// How fast passwords and device user codes may be guessed.
    pub login_throttle: LoginThrottle,
    /// How long browser sessions at the server last.
    pub sessions: Sessions,
    /// OpenID Connect choices.
    pub oidc: Oidc,
    /// Dynamic client registration (RFC 7591).
    pub registration: Registration,
    /// Pushed authorization requests (RFC 9126).
    pub par: Par,
    /// DPoP (RFC 9449).
    pub dpop: Dpop,
    /// Where the endpoints are, under the issuer.
    pub paths: EndpointPaths,
}

impl ProtocolConfig {
    /// The URL of the endpoint at `path` (one of [`ProtocolConfig::paths`]).
    pub fn endpoint_url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer.trim_end_matches('/'))
    }
}

impl ProtocolConfig {
    /// Defaults for an issuer.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            grants: GrantSwitches::default(),
            lifetimes: Lifetimes::default(),
            pkce_required: false,
            pkce_plain_allowed: false,
            access_token_format: TokenFormat::Opaque,
            default_resource: None,
            client_cache_ttl: Duration::from_secs(1),
            login_throttle: LoginThrottle::default(),
            sessions: Sessions::default(),
            oidc: Oidc::default(),
            registration: Registration::default(),
            par: Par::default(),
            dpop: Dpop::default(),
            paths: EndpointPaths::STANDARD,
        }
    }
}

/// Where the server mounts its endpoints (paths under the issuer), from its route table.
#[derive(Debug, Clone, Copy)]
pub struct EndpointPaths {
    /// RFC 6749 §3.1.
    pub authorization: &'static str,
    /// RFC 6749 §3.2.
    pub token: &'static str,
    /// RFC 7009.
    pub revocation: &'static str,
    /// RFC 7662.
    pub introspection: &'static str,
    /// RFC 8628 §3.1.
    pub device_authorization: &'static str,
    /// RFC 7517.
    pub jwks: &'static str,
    /// OpenID Connect Core §5.3.
    pub userinfo: &'static str,
    /// OpenID Connect RP-Initiated Logout §2.
    pub end_session: &'static str,
    /// RFC 7591 §3.
    pub registration: &'static str,
    /// RFC 9126 §2.
    pub pushed_authorization_request: &'static str,
}

impl EndpointPaths {
    /// The paths oauth2u's server mounts.
    pub const STANDARD: EndpointPaths = EndpointPaths {
        authorization: "/authorize",
        token: "/token",
        revocation: "/revoke",
        introspection: "/introspect",
        device_authorization: "/device_authorization",
        jwks: "/jwks.json",
        userinfo: "/userinfo",
        end_session: "/logout",
        registration: "/register",
        pushed_authorization_request: "/par",
    };
}

/// Pushed authorization requests (`[par]`, RFC 9126).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Par {
    /// §5: every authorization request must be pushed first (per client too:
    /// `require_pushed_authorization_requests`).
    pub required: bool,
    /// How long a `request_uri` may be used (§2.2 `expires_in`; default 60 s).
    #[serde(with = "humantime_serde")]
    pub lifetime: Duration,
}

impl Default for Par {
    fn default() -> Self {
        Self { required: false, lifetime: Duration::from_secs(60) }
    }
}

/// DPoP (`[dpop]`, RFC 9449).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dpop {
    /// §8: proofs at the token and PAR endpoints must carry a nonce this server gave out
    /// (`use_dpop_nonce` until they do). Off by default.
    pub nonces: bool,
    /// How old a proof's `iat` may be (default 60 s); proofs from further in the future
    /// than the clock leeway are refused too.
    #[serde(with = "humantime_serde")]
    pub proof_max_age: Duration,
}

impl Default for Dpop {
    fn default() -> Self {
        Self { nonces: false, proof_max_age: Duration::from_secs(60) }
    }
}

/// Who may register a client at `/register` (RFC 7591 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationMode {
    /// No endpoint (the default).
    #[default]
    Off,
    /// Anyone, for development: registrations are throttled per address.
    Open,
    /// Only with an initial access token (`oauth2u registration tokens add`).
    Token,
}

/// Dynamic client registration (`[registration]`, RFC 7591 and RFC 7592).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Registration {
    /// `off` (default), `open` or `token`.
    pub mode: RegistrationMode,
    /// The scopes a registered client may ask for; a registration that asks for others is
    /// refused, and one that asks for none gets all of them.
    pub scopes: String,
    /// The grant types a registered client may use (the `client_credentials` grant is
    /// left out by default: registering would hand out API access without a user).
    pub grant_types: Vec<String>,
    /// The resources (RFC 8707) every registered client may ask tokens for.
    pub resources: Vec<String>,
    /// Registrations each address may make per minute (both modes).
    pub per_address_per_minute: u32,
    /// A registered client that has been issued no token for this long is removed by the
    /// cleanup job (default 30 days; 0 keeps them).
    #[serde(with = "humantime_serde")]
    pub unused_client_lifetime: Duration,
    /// Accept a `client_id` that is the https URL of the client's metadata document
    /// (Client ID Metadata Documents, as MCP uses them), held to the rules above.
    pub client_id_metadata_documents: bool,
}

impl Default for Registration {
    fn default() -> Self {
        Self {
            mode: RegistrationMode::Off,
            scopes: "openid profile email offline_access".into(),
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "urn:ietf:params:oauth:grant-type:device_code".into(),
            ],
            resources: Vec::new(),
            per_address_per_minute: 10,
            unused_client_lifetime: Duration::from_secs(30 * 24 * 3600),
            client_id_metadata_documents: false,
        }
    }
}

/// OpenID Connect choices (`[oidc]`).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Oidc {
    /// Core §11: issue refresh tokens to OpenID requests only when they ask for
    /// `offline_access` (and the user consents to it). Off by default: a client
    /// registered for the refresh grant gets refresh tokens as in plain OAuth 2.0.
    pub refresh_requires_offline_access: bool,
    /// How Logout Tokens are delivered (`[oidc.backchannel_logout]`).
    pub backchannel_logout: BackchannelDelivery,
}

/// Back-Channel Logout §2.5: delivering Logout Tokens to clients, in the background.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackchannelDelivery {
    /// How long one POST may take before it counts as failed (default 5 s).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Attempts before a delivery is given up (default 3).
    pub attempts: u32,
    /// The wait before the first retry; each later one waits twice as long (default 10 s).
    #[serde(with = "humantime_serde")]
    pub retry_delay: Duration,
    /// How often the outbox is looked at for deliveries queued elsewhere (by another
    /// instance, or the command line) or due for a retry (default 2 s).
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Deliver to `http://` URIs on a loopback address too. Only https otherwise: for
    /// development and tests.
    pub allow_http_loopback: bool,
}

impl Default for BackchannelDelivery {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            attempts: 3,
            retry_delay: Duration::from_secs(10),
            poll_interval: Duration::from_secs(2),
            allow_http_loopback: false,
        }
    }
}

/// Grants switched on server-wide (`[grants]` in the config). A client can use a grant
/// only when it is on here *and* registered for the client.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrantSwitches {
    /// RFC 6749 §4.1 (on by default).
    pub authorization_code: bool,
    /// RFC 6749 §6 (on by default).
    pub refresh_token: bool,
    /// RFC 6749 §4.4 (on by default).
    pub client_credentials: bool,
    /// RFC 6749 §4.3 (off by default: RFC 9700 §2.4).
    pub password: bool,
    /// RFC 6749 §4.2 (off by default: RFC 9700 §2.1.2).
    pub implicit: bool,
    /// RFC 8628 (on by default).
    pub device_code: bool,
}

impl Default for GrantSwitches {
    fn default() -> Self {
        Self {
            authorization_code: true,
            refresh_token: true,
            client_credentials: true,
            password: false,
            implicit: false,
            device_code: true,
        }
    }
}

impl GrantSwitches {
    /// Whether a grant type is switched on.
    pub fn enabled(&self, grant: GrantType) -> bool {
        match grant {
            GrantType::AuthorizationCode => self.authorization_code,
            GrantType::RefreshToken => self.refresh_token,
            GrantType::ClientCredentials => self.client_credentials,
            GrantType::Password => self.password,
            GrantType::Implicit => self.implicit,
            GrantType::DeviceCode => self.device_code,
        }
    }
}

/// Lifetimes (`[lifetimes]` in the config; durations like "60s", "1h", "30d").
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Lifetimes {
    /// Access tokens (default 1 hour).
    #[serde(with = "humantime_serde")]
    pub access_token: Duration,
    /// Each refresh token (default 30 days).
    #[serde(with = "humantime_serde")]
    pub refresh_token: Duration,
    /// Authorization codes (default 60 seconds; RFC 6749 §4.1.2 recommends at most 10 minutes).
    #[serde(with = "humantime_serde")]
    pub authorization_code: Duration,
    /// A refresh token family's absolute lifetime, however often it rotates (default 90 days).
    #[serde(with = "humantime_serde")]
    pub refresh_family: Duration,
    /// Device codes (default 10 minutes, RFC 8628 §3.2's example).
    #[serde(with = "humantime_serde")]
    pub device_code: Duration,
    /// How long a just-rotated refresh token may be presented once more, for network
    /// retries (default 0: off).
    #[serde(with = "humantime_serde")]
    pub refresh_grace_period: Duration,
    /// ID tokens (default 1 hour). An ID token proves a sign-in to its client; the
    /// client keeps its own session after that.
    #[serde(with = "humantime_serde")]
    pub id_token: Duration,
}

const DAY: u64 = 24 * 60 * 60;

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: Duration::from_secs(60 * 60),
            refresh_token: Duration::from_secs(30 * DAY),
            authorization_code: Duration::from_secs(60),
            refresh_family: Duration::from_secs(90 * DAY),
            device_code: Duration::from_secs(600),
            refresh_grace_period: Duration::ZERO,
            id_token: Duration::from_secs(60 * 60),
        }
    }
}

/// Slowing down guessing (`[login_throttle]`). Each username and each address gets
/// `free_attempts` at once; after those each attempt waits twice as long as the one before,
/// until `window` passes without an attempt.
///
/// The wait per username is capped low (60 s) on purpose: a cap of minutes would let anyone
/// who knows a username keep its owner out by guessing. The per-address wait, capped high
/// (15 min), is what stops one source guessing fast.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginThrottle {
    /// Attempts that pass at once (default 5).
    pub free_attempts: u32,
    /// A username or address with no attempt for this long starts again (default 15 min).
    #[serde(with = "humantime_serde")]
    pub window: Duration,
    /// The longest wait for one username (default 60 s).
    #[serde(with = "humantime_serde")]
    pub username_max_delay: Duration,
    /// The longest wait for one address (default 15 min).
    #[serde(with = "humantime_serde")]
    pub address_max_delay: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            free_attempts: 5,
            window: Duration::from_secs(15 * 60),
            username_max_delay: Duration::from_secs(60),
            address_max_delay: Duration::from_secs(15 * 60),
        }
    }
}

/// Sign-in sessions (`[sessions]`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sessions {
    /// How long a session lasts, however active.
    #[serde(with = "humantime_serde")]
    pub lifetime: Duration,
    /// How long a session lasts without use.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
}

impl Default for Sessions {
    fn default() -> Self {
        Self { lifetime: Duration::from_secs(12 * 3600), idle_timeout: Duration::from_secs(3600) }
    }
}
