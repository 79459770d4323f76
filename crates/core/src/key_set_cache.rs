//! Clients' key sets fetched from their `jwks_uri` (RFC 7591 §2), by URL: how long each
//! is kept is `client_keys`' to say; this only holds them, bounded.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::jwk::JwkSet;

use crate::clock::UnixTime;

/// The shortest a fetched set is kept, and the least time between two fetches of one set.
pub(crate) const MIN_REFRESH: i64 = 60;
/// The longest a fetched set is kept.
pub(crate) const MAX_AGE: i64 = 24 * 3600;
/// Past this many sets the cache starts over, so that many clients cannot grow it.
const MAX_ENTRIES: usize = 1_000;

/// A set, when it was fetched, and until when it may be used without asking again.
#[derive(Clone)]
pub(crate) struct CachedKeySet {
    pub(crate) keys: JwkSet,
    pub(crate) fetched_at: UnixTime,
    pub(crate) fresh_until: UnixTime,
}

/// Fetched key sets, by URL.
#[derive(Default)]
pub(crate) struct KeySetCache {
    entries: Mutex<HashMap<String, CachedKeySet>>,
}

impl KeySetCache {
    pub(crate) fn get(&self, uri: &str) -> Option<CachedKeySet> {
        self.entries.lock().ok().and_then(|entries| entries.get(uri).cloned())
    }

    pub(crate) fn put(&self, uri: &str, set: CachedKeySet) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(uri.to_owned(), set);
        }
    }
}
