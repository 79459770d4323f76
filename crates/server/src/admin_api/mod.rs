//! The admin API: JSON over REST under `/admin/`, on an address of its own (`[admin]
//! address`), never on the public port. Every request needs the bearer token whose SHA-256
//! is configured (`[admin] token_sha256`, or `OAUTH2U_ADMIN_TOKEN`); it is compared in
//! constant time. Routes call the same `core::admin` functions as the command line.
//!
//! Conventions, so that every route reads the same: errors are `application/problem+json`
//! (RFC 9457, `problem.rs`); lists are paged by cursor (`?limit=N&after=CURSOR`, with a
//! `next` link); every resource has an `ETag`, and a stale `If-Match` is 412 (`etag.rs`).

mod client_document;
mod clients;
mod etag;
mod keys;
mod page;
mod problem;
mod tokens;
mod users;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use oauth2u_core::Provider;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use problem::Problem;

/// What the admin routes share.
#[derive(Clone)]
pub(crate) struct AdminState {
    pub(crate) provider: Provider,
    /// The SHA-256 of the bearer token.
    token_hash: [u8; 32],
}

impl AdminState {
    pub(crate) fn new(provider: Provider, token_hash: [u8; 32]) -> Self {
        Self { provider, token_hash }
    }
}

/// The token's hash from the settings' hex, or from the token in `OAUTH2U_ADMIN_TOKEN`.
pub(crate) fn token_hash(configured_hex: Option<&str>, token: Option<&str>) -> Result<[u8; 32], String> {
    match (configured_hex, token) {
        (Some(hex), _) => {
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|at| hex.get(at..at + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
                .collect::<Option<_>>()
                .ok_or("[admin] token_sha256 must be 64 hex digits")?;
            bytes.try_into().map_err(|_| "[admin] token_sha256 must be 64 hex digits".to_owned())
        }
        (None, Some(token)) if token.len() >= 32 => Ok(Sha256::digest(token.as_bytes()).into()),
        (None, Some(_)) => Err("OAUTH2U_ADMIN_TOKEN must be at least 32 characters".into()),
        (None, None) => {
            Err("the admin API needs a token: [admin] token_sha256 or OAUTH2U_ADMIN_TOKEN".into())
        }
    }
}

/// The admin API's routes, behind the token.
pub(crate) fn router(state: AdminState) -> Router {
    Router::new()
        .route("/admin/clients", get(clients::list).post(clients::create))
        .route("/admin/clients/{id}", get(clients::show).patch(clients::patch).delete(clients::remove))
        .route("/admin/clients/{id}/rotate-secret", post(clients::rotate_secret))
        .route("/admin/keys", get(keys::list))
        .route("/admin/keys/rotate", post(keys::rotate))
        .route("/admin/keys/{kid}/revoke", post(keys::revoke))
        .route("/admin/tokens/revoke", post(tokens::revoke))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/{username}", get(users::show).patch(users::patch).delete(users::remove))
        .route("/admin/users/{username}/enable", post(users::enable))
        .route("/admin/users/{username}/disable", post(users::disable))
        .route("/admin/users/{username}/password", put(users::password))
        .route("/admin/users/{username}/consents", get(users::consents))
        .route("/admin/users/{username}/sessions", get(users::sessions))
        .route("/admin/users/{username}/sessions/{sid}", delete(users::end_session))
        .fallback(|| async { Problem::not_found("no such admin resource").into_response() })
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state)
}

/// RFC 6750 §2.1 bearer authentication; anything else is 401 with a problem document.
async fn authenticate(State(state): State<AdminState>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| Sha256::digest(token.trim().as_bytes()));
    match presented {
        Some(hash) if bool::from(hash.as_slice().ct_eq(&state.token_hash)) => next.run(request).await,
        _ => Problem::unauthorized().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_hash_comes_from_the_settings_hex_or_from_a_long_enough_token() {
        let token = "an admin token of at least 32 characters";
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(token_hash(Some(&hex), None), Ok(digest));
        assert_eq!(token_hash(None, Some(token)), Ok(digest));
        assert_eq!(token_hash(Some(&hex), Some("another token entirely, long enough")), Ok(digest));
        assert!(token_hash(Some("abc"), None).is_err());
        assert!(token_hash(Some(&"zz".repeat(32)), None).is_err());
        assert!(token_hash(None, Some("short")).is_err());
        assert!(token_hash(None, None).is_err());
    }
}
