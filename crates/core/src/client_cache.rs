//! Client records, cached for at most `client_cache_ttl` of the provider's clock (1 s by
//! default). Client authentication runs on every request; a change made with the command
//! line — another process — still shows within that time.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::UnixTime;
use crate::model::Client;
use crate::store::{Store, StoreError};

/// Past this many entries the cache starts over, so random client ids cannot grow it.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub(crate) struct ClientCache {
    entries: Mutex<HashMap<String, (UnixTime, Client)>>,
}

impl ClientCache {
    /// The client with this id: from the cache when read less than `ttl` seconds before
    /// `now`, else from the store (and cached). A `ttl` of 0 always reads the store.
    pub(crate) async fn client(
        &self,
        store: &dyn Store,
        id: &str,
        now: UnixTime,
        ttl: i64,
    ) -> Result<Option<Client>, StoreError> {
        if ttl > 0
            && let Ok(entries) = self.entries.lock()
            && let Some((cached_at, client)) = entries.get(id)
            && now - cached_at < ttl
        {
            return Ok(Some(client.clone()));
        }
        let client = store.client(id).await?;
        if ttl > 0
            && let (Some(client), Ok(mut entries)) = (&client, self.entries.lock())
        {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(id.to_owned(), (now, client.clone()));
        }
        Ok(client)
    }

    /// Drops the cached record of `id`: this process changed it.
    pub(crate) fn forget(&self, id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(id);
        }
    }
}
