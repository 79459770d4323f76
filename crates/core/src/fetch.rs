//! Documents that clients point the server to — a sector identifier's list of redirect URIs
//! (OpenID Connect Registration §5), later client metadata documents and key sets. Fetching
//! is I/O, so the server supplies it (`oauth2u::fetch`, with its rules against
//! server-side request forgery); the protocol here only says what it needs.

use std::time::Duration;

use async_trait::async_trait;
use url::Url;

/// A JSON document fetched, and how long it may be reused.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The document.
    pub body: serde_json::Value,
    /// `Cache-Control: max-age`, within the fetcher's bounds; `None`: not to be reused.
    pub max_age: Option<Duration>,
}

/// Why a document could not be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The URL, or the address it resolves to, may not be fetched (not https, a private or
    /// special-use address, …): the client's fault.
    #[error("{0}")]
    Refused(String),
    /// It could not be fetched, or is not a JSON document: a timeout, a status other than
    /// 200, a redirect, a body too large.
    #[error("{0}")]
    Failed(String),
}

/// Fetches JSON documents under the server's rules.
#[async_trait]
pub trait Fetcher: Send + Sync {
    /// GET `url`, expecting JSON; a fetcher may answer from its cache.
    async fn get_json(&self, url: &Url) -> Result<Fetched, FetchError>;

    /// GET `url` now, not from a cache: the caller has seen the document and needs a newer
    /// one (a key set without the key a JWT names).
    async fn get_fresh_json(&self, url: &Url) -> Result<Fetched, FetchError> {
        self.get_json(url).await
    }
}
