//! OpenID Connect Core 1.0 on top of the OAuth 2.0 endpoints.
//!
//! - [`request`]: what makes an authorization request an OpenID request, and the
//!   parameters §3.1.2.1 adds to it (`prompt`, `nonce`, `request`, `request_uri`).

pub mod request;

pub use request::{MAX_NONCE_LENGTH, OpenIdRequest, Prompt, is_openid_scope};
