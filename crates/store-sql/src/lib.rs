//! The oauth2u stores written once for every SQL engine. The SQL here reads the same on
//! SQLite and PostgreSQL; each engine crate implements [`Engine`] — how it reads, writes
//! and runs a transaction, and the few statements it spells its own way — and gets every
//! store trait through [`SqlStore`]. A piece an engine lacks is a compiler error at
//! `impl Engine`, not somewhere in a shared file.
//!
//! Single use is decided by the database: redeeming a code, rotating a refresh token or
//! exchanging a device code is one conditional `UPDATE` in the transaction that stores
//! what it yields (STYLE.md #6).

mod clients;
mod codes;
mod devices;
mod engine;
mod keys;
mod logouts;
mod maintenance;
mod one_time;
pub mod records;
mod sessions;
mod throttle;
mod tokens;
mod tx;
mod users;
mod value;
pub mod writes;

use async_trait::async_trait;
use oauth2u_core::store::{Connections, HealthStore, StoreError};

pub use engine::Engine;
pub use records::Columns;
pub use tx::{BoxFuture, Tx};
pub use value::Value;

/// Every store trait, on an engine.
#[derive(Debug, Clone)]
pub struct SqlStore<E> {
    engine: E,
}

impl<E: Engine> SqlStore<E> {
    /// The stores on `engine`.
    pub fn new(engine: E) -> Self {
        Self { engine }
    }

    /// The engine underneath.
    pub fn engine(&self) -> &E {
        &self.engine
    }
}

#[async_trait]
impl<E: Engine> HealthStore for SqlStore<E> {
    async fn ready(&self) -> Result<(), StoreError> {
        self.engine.ready().await
    }

    fn connections(&self) -> Option<Connections> {
        self.engine.connections()
    }
}
