//! Signing keys: their state as an operator sees it, rotation and revocation — for the
//! command line and the admin API alike.

use serde_json::{Value, json};

use crate::clock::UnixTime;
use crate::keys::KeyRing;
use crate::signing_key::SigningKeyRecord;
use crate::store::Store;

use super::AdminError;

/// Where a key is in its life at `now`.
pub fn key_state(key: &SigningKeyRecord, now: UnixTime) -> &'static str {
    match (key.revoked_at, key.publish_until) {
        (Some(_), _) => "revoked",
        (None, Some(until)) if until <= now => "retired",
        (None, Some(_)) => "published (succeeded)",
        (None, None) if key.activates_at > now => "published (next)",
        (None, None) => "signing",
    }
}

/// A key as shown: its public half and state, never its private part.
pub fn describe_key(key: &SigningKeyRecord, now: UnixTime) -> Value {
    json!({
        "kid": key.kid,
        "alg": key.algorithm.as_str(),
        "state": key_state(key, now),
        "created_at": key.created_at,
        "activates_at": key.activates_at,
        "publish_until": key.publish_until,
        "revoked_at": key.revoked_at,
        "public_jwk": key.public_jwk,
    })
}

/// Every key.
pub async fn list_keys(store: &dyn Store) -> Result<Vec<SigningKeyRecord>, AdminError> {
    Ok(store.signing_keys().await?)
}

/// New keys for every algorithm in service: published now, signing once the JWKS cache time
/// has passed.
pub async fn rotate_keys(
    store: &dyn Store,
    ring: &KeyRing,
    now: UnixTime,
) -> Result<Vec<SigningKeyRecord>, AdminError> {
    Ok(ring.rotate(store, now).await?)
}

/// Revokes a key at once: it leaves the JWKS and its tokens fail introspection.
pub async fn revoke_key(store: &dyn Store, kid: &str, now: UnixTime) -> Result<(), AdminError> {
    if store.revoke_signing_key(kid, now).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("no unrevoked key {kid}")))
    }
}
