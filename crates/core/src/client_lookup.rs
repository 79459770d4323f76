//! Finding the client a request names: a registered one, from the cache while fresh
//! (`client_cache_ttl`), or — where switched on — one described by the metadata document
//! its `client_id` points to ([`crate::metadata_document`]). Kept out of `provider.rs`, so
//! that the provider does not depend on administration, which documents are read through.

use crate::metadata_document;
use crate::model::Client;
use crate::provider::Provider;
use crate::store::StoreError;

impl Provider {
    /// The client with this id, or none.
    pub async fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        if self.config.registration.client_id_metadata_documents
            && let Some(url) = metadata_document::document_url(id)
        {
            return Ok(self.document_client(&url).await);
        }
        let ttl = crate::clock::seconds(self.config.client_cache_ttl);
        self.clients.client(self.store.as_ref(), id, self.now(), ttl).await
    }
}
