//! The store a database URL names: `sqlite://PATH`, embedded and the default, or
//! `postgres://…` for several instances on one database.

use std::sync::Arc;

use oauth2u_core::Store;
use oauth2u_core::secret::redact_url;
use oauth2u_core::store::StoreError;
use oauth2u_core::store_deadline::DeadlineStore;
use oauth2u_store_postgres::PoolSettings;

use crate::config::Settings;

/// Opens and migrates the database of `settings`; every call then has the deadline
/// `pool.statement_timeout`.
pub async fn open(settings: &Settings) -> Result<Arc<dyn Store>, StoreError> {
    let store = open_engine(settings).await?;
    Ok(Arc::new(DeadlineStore::new(store, settings.pool.statement_timeout)))
}

async fn open_engine(settings: &Settings) -> Result<Arc<dyn Store>, StoreError> {
    let url = settings.database_url.as_str();
    if oauth2u_store_postgres::handles(url) {
        let pool = PoolSettings {
            max_connections: settings.pool.max_connections,
            acquire_timeout: settings.pool.acquire_timeout,
            statement_timeout: settings.pool.statement_timeout,
        };
        return Ok(Arc::new(oauth2u_store_postgres::open(url, &pool).await?));
    }
    if url.starts_with("sqlite:") {
        return Ok(Arc::new(oauth2u_store_sqlite::open(url).await?));
    }
    Err(StoreError::Other(format!(
        "unsupported database URL `{}`: use sqlite://PATH (e.g. sqlite://oauth2u.db) or postgres://USER@HOST/DB",
        redact_url(url)
    )))
}
