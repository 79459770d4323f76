//! A guard for resource servers: put it in front of an axum router and every request must
//! carry a valid OAuth 2.0 bearer token (RFC 6750) with the scopes the routes need.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use oauth2u_guard::{AccessToken, Guard};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let guard = Guard::builder("https://auth.example.com", "https://photos.example/api")
//!     .jwks_uri("https://auth.example.com/jwks.json")
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/photos", get(|token: AccessToken| async move { format!("hello {}", token.subject().unwrap_or("?")) }))
//!     .layer(guard.require(["photos:read"]))
//!     .merge(guard.metadata_router());
//! # Ok(()) }
//! ```
//!
//! - JWT access tokens (RFC 9068) are verified locally against the JWKS, which is cached
//!   and fetched again when a token names an unknown `kid`. The header must say
//!   `typ: at+jwt`; the algorithm must be on the allow-list (ES256, EdDSA, RS256 — never
//!   `none`, never HMAC); `iss`, `aud`, `exp` and `nbf` are checked.
//! - Opaque tokens are checked by introspection (RFC 7662), cached briefly.
//! - Answers per RFC 6750 §3: no token → 401 with `WWW-Authenticate: Bearer realm="…"`
//!   and no error code; a bad token → 401 `invalid_token`; too little scope → 403
//!   `insufficient_scope` with the `scope` needed; a malformed request → 400 `invalid_request`.
//! - Tokens come only from the `Authorization` header; the form-body method (§2.2) can be
//!   switched on; the query-parameter method is not offered (RFC 9700 §4.3.2).
//! - RFC 9728: [`Guard::metadata_router`] serves the API's protected-resource metadata at its
//!   well-known URL, and every challenge names it (`resource_metadata`, §5.1), so that a
//!   client that knows only the API's URL finds the authorization server.

mod dpop;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
mod jwks;
mod layer;
mod metadata;
mod token;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use error::GuardError;
pub use layer::{AccessToken, RequireLayer};
use serde_json::Value;

/// Where `now` comes from (seconds since the Unix epoch); tests move it by hand.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// A configured guard. Cheap to clone.
#[derive(Clone)]
pub struct Guard {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    realm: String,
    jwks_uri: Option<String>,
    introspection: Option<Introspection>,
    form_body: bool,
    clock: Clock,
    http: reqwest::Client,
    jwks: jwks::JwksCache,
    introspected: Mutex<HashMap<[u8; 32], (i64, Value)>>,
    introspection_cache: i64,
    /// Where the RFC 9728 metadata document is; none for an audience that is no URL.
    metadata_url: Option<url::Url>,
    /// `scopes_supported` as configured; otherwise the scopes the routes require.
    scopes_supported: Option<Vec<String>>,
    required_scopes: Mutex<BTreeSet<String>>,
    resource_name: Option<String>,
    dpop: dpop::DpopState,
}

struct Introspection {
    endpoint: String,
    client_id: String,
    client_secret: String,
}

/// Builds a [`Guard`].
pub struct GuardBuilder {
    issuer: String,
    audience: String,
    realm: Option<String>,
    jwks_uri: Option<String>,
    introspection: Option<Introspection>,
    form_body: bool,
    clock: Option<Clock>,
    introspection_cache: Duration,
    scopes_supported: Option<Vec<String>>,
    resource_name: Option<String>,
    dpop_required: bool,
    dpop_nonces: bool,
    origin: Option<String>,
}

impl Guard {
    /// A guard for tokens issued by `issuer` for the API known as `audience`.
    pub fn builder(issuer: impl Into<String>, audience: impl Into<String>) -> GuardBuilder {
        GuardBuilder {
            issuer: issuer.into(),
            audience: audience.into(),
            realm: None,
            jwks_uri: None,
            introspection: None,
            form_body: false,
            clock: None,
            introspection_cache: Duration::from_secs(30),
            scopes_supported: None,
            resource_name: None,
            dpop_required: false,
            dpop_nonces: false,
            origin: None,
        }
    }

    /// A layer that admits requests whose token has every one of `scopes`.
    pub fn require<S: Into<String>>(&self, scopes: impl IntoIterator<Item = S>) -> RequireLayer {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if let Ok(mut required) = self.inner.required_scopes.lock() {
            required.extend(scopes.iter().cloned());
        }
        RequireLayer::new(self.clone(), scopes)
    }
}

impl GuardBuilder {
    /// The JWKS of the authorization server, for JWT access tokens.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Introspection, for opaque tokens: the endpoint and this API's client credentials.
    pub fn introspection(
        mut self,
        endpoint: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.introspection = Some(Introspection {
            endpoint: endpoint.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        });
        self
    }

    /// How long an introspection answer is reused (default 30 s; zero: never).
    pub fn introspection_cache(mut self, ttl: Duration) -> Self {
        self.introspection_cache = ttl;
        self
    }

    /// The `realm` in `WWW-Authenticate` (default: the audience).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Also accept `access_token` in an urlencoded request body (RFC 6750 §2.2).
    pub fn allow_form_body(mut self) -> Self {
        self.form_body = true;
        self
    }

    /// `scopes_supported` in the metadata document (RFC 9728 §2); by default, every scope
    /// that a [`Guard::require`] layer asks for.
    pub fn scopes_supported<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes_supported = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// `resource_name` in the metadata document, for people (RFC 9728 §2).
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// RFC 9449: refuse Bearer tokens; every token must be DPoP-bound (published as
    /// `dpop_bound_access_tokens_required`). DPoP-bound tokens are accepted either way.
    pub fn dpop_required(mut self) -> Self {
        self.dpop_required = true;
        self
    }

    /// RFC 9449 §9: proofs must carry a nonce this guard gives out (`use_dpop_nonce` and a
    /// `DPoP-Nonce` header until they do). A nonce is good for one to two minutes.
    pub fn dpop_nonces(mut self) -> Self {
        self.dpop_nonces = true;
        self
    }

    /// The origin clients reach this API at (`https://api.example`), which DPoP proofs'
    /// `htu` names with the request's path; default: the audience's origin.
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into().trim_end_matches('/').to_owned());
        self
    }

    /// The clock for `exp` and `nbf` (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The guard; it needs a JWKS URI, an introspection endpoint, or both.
    pub fn build(self) -> Result<Guard, GuardError> {
        // Every JWT this guard checks is verified on ring, not RustCrypto.
        oauth2u_jose::install();
        if self.jwks_uri.is_none() && self.introspection.is_none() {
            return Err(GuardError::Config(
                "a guard needs a jwks_uri, an introspection endpoint, or both".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| GuardError::Config(error.to_string()))?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(system_now));
        let metadata_url = metadata::metadata_url(&self.audience);
        let origin = match self.origin {
            Some(origin) => origin,
            None => url::Url::parse(&self.audience)
                .map(|url| url.origin().ascii_serialization())
                .map_err(|_| GuardError::Config("the audience is no URL: set public_origin for DPoP".into()))
                .unwrap_or_default(),
        };
        let nonce_key = match self.dpop_nonces {
            true => {
                let mut key = [0u8; 32];
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
                    .map_err(|_| GuardError::Config("no OS randomness for DPoP nonces".into()))?;
                Some(key)
            }
            false => None,
        };
        Ok(Guard {
            inner: Arc::new(Inner {
                realm: self.realm.unwrap_or_else(|| self.audience.clone()),
                issuer: self.issuer,
                audience: self.audience,
                jwks_uri: self.jwks_uri,
                introspection: self.introspection,
                form_body: self.form_body,
                clock,
                http,
                jwks: jwks::JwksCache::default(),
                introspected: Mutex::new(HashMap::new()),
                introspection_cache: i64::try_from(self.introspection_cache.as_secs()).unwrap_or(i64::MAX),
                metadata_url,
                scopes_supported: self.scopes_supported,
                required_scopes: Mutex::default(),
                resource_name: self.resource_name,
                dpop: dpop::DpopState::new(self.dpop_required, nonce_key, origin),
            }),
        })
    }
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}
