//! oauth2u's client half: what a program needs to get tokens from any standard OAuth 2.0
//! authorization server. Discovery first (RFC 8414); the grants, the token cache and the
//! command line build on it.

pub mod discovery;
mod error;

pub use discovery::{Metadata, discover};
pub use error::ClientError;
