//! oauth2u's client half: what a program needs to get tokens from any standard OAuth 2.0
//! authorization server, built on the `oauth2` crate and `reqwest`.
//!
//! - [`discover`] finds a server's metadata (RFC 8414), [`Provider::resolve`] its endpoints
//!   (overridable for servers without discovery); [`resource`] finds the server from an
//!   API's URL (RFC 9728);
//! - [`Client`] runs client credentials, refresh, revocation, introspection and the device
//!   flow; [`login`] the authorization code flow with PKCE on a loopback redirect;
//! - [`TokenCache`] keeps tokens between runs and refreshes them under a lock;
//! - [`Client::dpop`] asks for DPoP-bound tokens (RFC 9449), with a key per cache entry;
//! - [`profiles`] reads named settings from `~/.config/oauth2u/client.toml`.
//!
//! ```no_run
//! use oauth2u_client::{Client, Endpoint, Provider, ProviderOptions, Request, TokenCache};
//!
//! async fn token() -> Result<String, oauth2u_client::ClientError> {
//!     let http = oauth2u_client::http_client(&[])?;
//!     let options = ProviderOptions { issuer: "https://auth.example".into(), ..Default::default() };
//!     let provider = Provider::resolve(&http, options, &[Endpoint::Token]).await?;
//!     let client = Client::new(http, provider, "reports".into(), Some("the secret".into()));
//!     let request = Request { scope: Some("reports:read".into()), ..Default::default() };
//!     // From the cache while fresh, else a new one (or a refreshed one), stored 0600.
//!     let cache = TokenCache::new("/var/cache/reports/tokens");
//!     let wanted = &request;
//!     let obtain = |client: Client| async move { client.client_credentials(wanted).await };
//!     let (tokens, _source) = cache.tokens(&client, &request, obtain).await?;
//!     Ok(tokens.access_token().to_owned())
//! }
//! ```

pub mod cache;
pub mod client;
pub mod discovery;
pub mod dpop;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
pub mod id_token;
pub mod login;
pub mod profiles;
pub mod provider;
pub mod resource;
pub mod tokens;

pub use cache::{Source, TokenCache};
pub use client::{Client, DeviceAuthorization, Request, http_client};
pub use discovery::{Metadata, discover};
pub use dpop::DpopKey;
pub use error::ClientError;
pub use login::{LoginOptions, login};
pub use provider::{Endpoint, Endpoints, Provider, ProviderOptions};
pub use resource::{ResourceMetadata, discover_from_challenge, discover_resource};
pub use tokens::Tokens;
