//! Secrets of the server itself (the pairwise-subject salt of OpenID Connect Core §8.1):
//! 32 random bytes made on first use, kept in the database sealed under the master key, so
//! that every instance on the database uses the same one, and cached once opened.

use std::sync::Arc;

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::store::Store;

use super::KeyRing;

/// The sealing context of a server secret: it opens as nothing else.
fn context(name: &str) -> String {
    format!("server-secret:{name}")
}

impl KeyRing {
    /// The server secret `name`, made now if no instance has made it yet.
    pub async fn server_secret(
        &self,
        store: &dyn Store,
        name: &str,
        now: UnixTime,
    ) -> Result<Arc<Vec<u8>>, OAuthError> {
        if let Ok(secrets) = self.secrets.lock()
            && let Some(secret) = secrets.get(name)
        {
            return Ok(secret.clone());
        }
        let sealed = match store.server_secret(name).await? {
            Some(sealed) => sealed,
            None => {
                let mut fresh = [0u8; 32];
                getrandom::fill(&mut fresh).map_err(OAuthError::server_error)?;
                let sealed = self.master.seal(&fresh, &context(name))?;
                // Two instances may race: the first row stored wins, and both read it back.
                store.insert_server_secret(name, &sealed, now).await?;
                store.server_secret(name).await?.ok_or_else(|| {
                    OAuthError::server_error("a server secret was stored but cannot be read")
                })?
            }
        };
        let secret = Arc::new(self.master.open(&sealed, &context(name))?);
        if let Ok(mut secrets) = self.secrets.lock() {
            secrets.insert(name.to_owned(), secret.clone());
        }
        Ok(secret)
    }
}
