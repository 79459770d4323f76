//! OpenID Connect Core 1.0 on top of the OAuth 2.0 endpoints.
//!
//! - [`request`]: what makes an authorization request an OpenID request, and the
//!   parameters §3.1.2.1 adds to it (`prompt`, `nonce`, `request`, `request_uri`).
//! - [`id_token`]: the ID token of §2, from the token endpoint (§3.1.3.3, §12.2).
//! - [`claims`]: the standard claims of §5.1 and the scopes that release them (§5.4).
//! - [`userinfo`]: the UserInfo endpoint (§5.3).
//! - [`sign_in_step`]: when a session answers, and when `prompt`, `max_age` and
//!   `id_token_hint` ask for a sign-in or an account choice (§3.1.2.1).
//! - [`id_token_hint`]: checking a hint is one of our ID tokens.
//! - [`discovery`]: what OpenID Connect Discovery 1.0 §3 adds to the RFC 8414 document.
//! - [`subject`]: public and pairwise subject identifiers (§8).
//! - [`logout`]: RP-Initiated Logout 1.0, the `end_session_endpoint`.
//! - [`logout_token`]: Back-Channel Logout 1.0's Logout Token (§2.4); the server's
//!   background task delivers it (`server/src/backchannel.rs`).
//! - [`crate::claims_request`]: the `claims` request parameter (§5.5), parsed below
//!   every OpenID module like the request itself.

pub mod claims;
pub mod discovery;
pub mod id_token;
pub mod id_token_hint;
pub mod logout;
pub mod logout_token;
/// Where the request's parameters are parsed: with the authorization request they belong
/// to, below every OpenID module (imports run one way).
pub use crate::authorization_request::openid as request;
pub mod sign_in_step;
pub mod subject;
pub mod userinfo;

pub use request::{MAX_NONCE_LENGTH, OpenIdRequest, Prompt, is_openid_scope};

/// Core §11: the scope value that asks for a refresh token usable while the user is away.
pub const OFFLINE_ACCESS: &str = "offline_access";
