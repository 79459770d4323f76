//! The OAuth 2.0 protocol of oauth2u, free of any web framework and any database.
//!
//! The HTTP crate turns a request into the typed inputs here, calls one function of
//! [`Provider`], and turns the typed result (or [`OAuthError`]) into a response.
//! Storage is reached only through the traits in [`store`].
#![warn(missing_docs)]

pub mod admin;
pub mod authorization_request;
pub mod authorization_response;
pub mod claims_request;
pub mod client_auth;
mod client_cache;
pub mod client_id;
pub mod client_keys;
mod client_lookup;
pub mod clock;
pub mod config;
pub mod dpop;
pub mod endpoints;
pub mod error;
pub mod fetch;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
pub mod grants;
pub mod hooks;
pub mod interaction;
mod key_set_cache;
pub mod keys;
pub mod metadata_document;
pub mod model;
pub mod openid;
pub mod params;
pub mod password;
pub mod pkce;
pub mod provider;
pub mod redirect_uri;
pub mod registration;
pub mod resource;
pub mod scope;
pub mod secret;
pub mod signing_key;
pub mod store;
pub mod store_deadline;
pub mod throttle;
pub mod tokens;

/// The attribute that implementations of [`Hooks`] and the store traits use.
pub use async_trait::async_trait;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::ProtocolConfig;
pub use error::{ErrorCode, OAuthError};
pub use hooks::{Hooks, NoHooks};
pub use params::Params;
pub use provider::Provider;
pub use store::Store;
