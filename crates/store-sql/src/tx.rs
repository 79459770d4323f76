//! A transaction as the shared stores see it: statements on one connection, kept or
//! undone together.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use oauth2u_core::store::StoreError;

use crate::Value;
use crate::records::Columns;

/// A boxed future that may move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

type Result<T> = std::result::Result<T, StoreError>;

/// The statements of one transaction run here; dropping it without committing undoes them.
#[async_trait]
pub trait Tx: Send {
    /// What a query yields.
    type Row: Columns + Send;
    /// Runs a statement; how many rows it changed.
    async fn execute(&mut self, sql: &'static str, params: Vec<Value>) -> Result<u64>;
    /// The first row of a query, if any.
    async fn fetch_optional(&mut self, sql: &'static str, params: Vec<Value>) -> Result<Option<Self::Row>>;
    /// Every row of a query (or of a write's `RETURNING`).
    async fn fetch_all(&mut self, sql: &'static str, params: Vec<Value>) -> Result<Vec<Self::Row>>;
}
