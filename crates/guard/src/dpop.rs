//! RFC 9449 at a resource server (§7): a token bound to a key (`cnf.jkt`, from the JWT or
//! the introspection answer) is accepted only as `Authorization: DPoP` with a proof of that
//! key for this request; a bound token presented as Bearer is refused (§7.1). Proofs are
//! checked by `oauth2u_jose::dpop`; their `jti`s are remembered here while they are fresh,
//! and the server nonces of §9 are an HMAC of the minute under a key of this guard.

use std::collections::HashMap;
use std::sync::Mutex;

use oauth2u_jose::dpop::{self, Expected};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Guard, GuardError};

/// How old a proof's `iat` may be, and how far in the future.
const MAX_AGE: i64 = 60;
const LEEWAY: i64 = 5;
/// A nonce is current in its minute and the next.
const NONCE_WINDOW: i64 = 60;
/// Past this many remembered `jti`s the oldest half is dropped: a flood of proofs cannot
/// grow the guard without bound (a dropped `jti` is at worst a minute-old proof).
const MAX_SEEN: usize = 100_000;

/// How a request presented its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// RFC 6750: `Bearer`, or the form body.
    Bearer,
    /// RFC 9449 §7.1: `DPoP`, with the proof of the `DPoP` header (or `Err` if that header
    /// is missing or repeated).
    Dpop(Result<String, &'static str>),
}

/// The guard's DPoP settings and memory.
pub(crate) struct DpopState {
    /// Bearer tokens are refused: every token must be bound (metadata
    /// `dpop_bound_access_tokens_required`).
    pub(crate) required: bool,
    /// §9: proofs must carry a nonce this guard gave out; the key of those nonces.
    pub(crate) nonce_key: Option<[u8; 32]>,
    /// The origin requests are made to, for `htu` (default: the audience's).
    pub(crate) origin: String,
    /// `jti` hashes of fresh proofs, with when they stop being fresh.
    seen: Mutex<HashMap<[u8; 32], i64>>,
}

impl DpopState {
    pub(crate) fn new(required: bool, nonce_key: Option<[u8; 32]>, origin: String) -> Self {
        Self { required, nonce_key, origin, seen: Mutex::default() }
    }
}

impl Guard {
    /// §7.1: whether the request's way of presenting its token fits the token's binding.
    pub(crate) fn check_binding(
        &self,
        scheme: &Scheme,
        claims: &Value,
        token: &str,
        method: &str,
        path: &str,
    ) -> Result<(), GuardError> {
        let state = &self.inner.dpop;
        let bound_to = claims.get("cnf").and_then(|cnf| cnf.get("jkt")).and_then(Value::as_str);
        let proof = match (scheme, bound_to) {
            (Scheme::Bearer, Some(_)) => {
                return Err(GuardError::InvalidToken(
                    "a DPoP-bound token must be sent with the DPoP scheme".into(),
                ));
            }
            (Scheme::Bearer, None) if state.required => {
                return Err(GuardError::InvalidToken("this API takes DPoP-bound tokens only".into()));
            }
            (Scheme::Bearer, None) => return Ok(()),
            (Scheme::Dpop(_), None) => {
                return Err(GuardError::InvalidToken("the token is not bound to a DPoP key".into()));
            }
            (Scheme::Dpop(proof), Some(_)) => {
                proof.as_deref().map_err(|why| GuardError::InvalidDpopProof((*why).into()))?
            }
        };
        let now = (self.inner.clock)();
        let url = format!("{}{path}", state.origin);
        let expected =
            Expected { method, url: &url, access_token: Some(token), now, max_age: MAX_AGE, leeway: LEEWAY };
        let proof =
            dpop::verify(proof, &expected).map_err(|error| GuardError::InvalidDpopProof(error.0.into()))?;
        if bound_to != Some(proof.jkt.as_str()) {
            return Err(GuardError::InvalidDpopProof("the proof is not made with the token's key".into()));
        }
        if let Some(key) = &state.nonce_key {
            let window = now.div_euclid(NONCE_WINDOW);
            let current = [window, window - 1]
                .iter()
                .any(|window| proof.nonce.as_deref() == Some(nonce(key, *window).as_str()));
            if !current {
                return Err(GuardError::UseDpopNonce(nonce(key, window)));
            }
        }
        // §11.1: a proof is used once while it is fresh.
        let digest: [u8; 32] = Sha256::digest(format!("{}:{}", proof.jkt, proof.jti).as_bytes()).into();
        let mut seen =
            state.seen.lock().map_err(|_| GuardError::Config("the proof memory is poisoned".into()))?;
        seen.retain(|_, until| *until > now);
        if seen.len() >= MAX_SEEN {
            let mut ends: Vec<i64> = seen.values().copied().collect();
            ends.sort_unstable();
            let median = ends[ends.len() / 2];
            seen.retain(|_, until| *until > median);
        }
        if seen.insert(digest, proof.iat.max(now) + MAX_AGE + LEEWAY).is_some() {
            return Err(GuardError::InvalidDpopProof("the proof was used before".into()));
        }
        Ok(())
    }

    /// §9: the nonce to give out now, when nonces are on.
    pub(crate) fn dpop_nonce(&self) -> Option<String> {
        let key = self.inner.dpop.nonce_key.as_ref()?;
        Some(nonce(key, (self.inner.clock)().div_euclid(NONCE_WINDOW)))
    }
}

/// The nonce of one window: base64url of an HMAC-SHA-256 of the window under `key`.
fn nonce(key: &[u8; 32], window: i64) -> String {
    use base64::Engine;
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), &window.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag.as_ref()[..18])
}
