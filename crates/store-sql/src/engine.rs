//! The contract between the shared stores and an engine. An engine says how it reads, how
//! it writes one statement, and how it runs several statements as one transaction; the
//! writes that it batches its own way it may take over from the defaults here. Statements
//! are written once, with `$1`-style parameters, in SQL both engines read alike; the few
//! that differ are the constants below.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::Issuance;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Connections, Redemption, Rotation, StoreError};

use crate::records::Columns;
use crate::tx::{BoxFuture, Tx};
use crate::writes::SingleUse;
use crate::{Value, writes};

type Result<T> = std::result::Result<T, StoreError>;

/// A database engine the shared stores run on.
#[async_trait]
pub trait Engine: Send + Sync + 'static {
    /// What a query yields.
    type Row: Columns + Send + 'static;

    /// The subject of the user `$1` (a username) about to be disabled or removed, locked
    /// where the engine locks rows: a concurrent change to the user waits for this one.
    const USER_FOR_CHANGE: &'static str;
    /// A row if any client lists the browser origin `$1` in its JSON list `allowed_origins`.
    const ORIGIN_ALLOWED: &'static str;
    /// A row if the refresh token `$1` is live and unrotated, locked like `USER_FOR_CHANGE`:
    /// its own rotation, anywhere, waits and then finds it revoked.
    const LIVE_REFRESH_TOKEN: &'static str;

    /// The first row of a query, if any.
    async fn fetch_optional(&self, sql: &'static str, params: Vec<Value>) -> Result<Option<Self::Row>>;
    /// Every row of a query.
    async fn fetch_all(&self, sql: &'static str, params: Vec<Value>) -> Result<Vec<Self::Row>>;
    /// A write of one statement, atomic by itself; how many rows it changed. Answered once
    /// it is durable.
    async fn execute(&self, sql: &'static str, params: Vec<Value>) -> Result<u64>;
    /// Runs `work` in one transaction: all of it is kept, or none. A `work` that fails is
    /// undone and its error returned. Answered once it is durable.
    async fn transaction<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx<Row = Self::Row>) -> BoxFuture<'t, Result<T>> + Send + 'static;

    /// Whether the database answers now.
    async fn ready(&self) -> Result<()>;
    /// The connection pool's state now, where there is one.
    fn connections(&self) -> Option<Connections> {
        None
    }

    /// Stores the tokens of one response.
    async fn insert_tokens(&self, issuance: Issuance) -> Result<()> {
        self.transaction(move |tx| Box::pin(async move { writes::insert_tokens(tx, &issuance).await })).await
    }

    /// Consumes the code and stores the issuance if it was unused (RFC 6749 §4.1.2, RFC
    /// 8628 §3.5).
    async fn redeem(
        &self,
        kind: SingleUse,
        code: SecretHash,
        now: UnixTime,
        issuance: Issuance,
    ) -> Result<Redemption> {
        self.transaction(move |tx| {
            Box::pin(async move { writes::redeem(tx, kind, &code, now, &issuance).await })
        })
        .await
    }

    /// Rotates the live refresh token `old` into the issuance's, and stores the issuance.
    async fn rotate_refresh_token(
        &self,
        old: SecretHash,
        now: UnixTime,
        issuance: Issuance,
    ) -> Result<Rotation> {
        self.transaction(move |tx| Box::pin(async move { writes::rotate(tx, &old, now, &issuance).await }))
            .await
    }
}
