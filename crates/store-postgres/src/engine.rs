//! The shared stores' contract on PostgreSQL: reads and single statements on the pool, a
//! transaction on one pooled connection, and token writes through the batcher.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::Issuance;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Connections, Redemption, Rotation, StoreError};
use oauth2u_store_sql::writes::SingleUse;
use oauth2u_store_sql::{BoxFuture, Columns, Engine, Tx, Value};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{PgConnection, Row as _};

use crate::{Postgres, map_error};

type Query = sqlx::query::Query<'static, sqlx::Postgres, PgArguments>;

/// One result row.
#[derive(Debug)]
pub struct Row(PgRow);

impl Columns for Row {
    fn int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.0.try_get(column).map_err(map_error)
    }

    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        self.0.try_get(column).map_err(map_error)
    }

    fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.0.try_get(column).map_err(map_error)
    }

    fn blob(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.try_get(column).map_err(map_error)
    }
}

/// `sql` with `params` bound to `$1`, `$2`, …
pub(crate) fn query(sql: &'static str, params: Vec<Value>) -> Query {
    params.into_iter().fold(sqlx::query(sql), |query, value| match value {
        Value::Int(int) => query.bind(int),
        Value::Text(text) => query.bind(text),
        Value::Blob(blob) => query.bind(blob),
        Value::Bool(flag) => query.bind(flag),
    })
}

/// A transaction's connection, as the shared stores see it.
pub(crate) struct PgTx<'c> {
    pub(crate) conn: &'c mut PgConnection,
}

#[async_trait]
impl Tx for PgTx<'_> {
    type Row = Row;

    async fn execute(&mut self, sql: &'static str, params: Vec<Value>) -> Result<u64, StoreError> {
        let done = query(sql, params).execute(&mut *self.conn).await.map_err(map_error)?;
        Ok(done.rows_affected())
    }

    async fn fetch_optional(
        &mut self,
        sql: &'static str,
        params: Vec<Value>,
    ) -> Result<Option<Row>, StoreError> {
        Ok(query(sql, params).fetch_optional(&mut *self.conn).await.map_err(map_error)?.map(Row))
    }

    async fn fetch_all(&mut self, sql: &'static str, params: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        Ok(query(sql, params)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(map_error)?
            .into_iter()
            .map(Row)
            .collect())
    }
}

#[async_trait]
impl Engine for Postgres {
    type Row = Row;

    const USER_FOR_CHANGE: &'static str = "SELECT subject FROM users WHERE username = $1 FOR UPDATE";
    const ORIGIN_ALLOWED: &'static str = "SELECT 1 FROM clients,
         jsonb_array_elements_text(clients.allowed_origins::jsonb) AS origin WHERE origin = $1 LIMIT 1";
    const LIVE_REFRESH_TOKEN: &'static str =
        "SELECT 1 FROM tokens WHERE hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL FOR UPDATE";

    async fn fetch_optional(&self, sql: &'static str, params: Vec<Value>) -> Result<Option<Row>, StoreError> {
        Ok(query(sql, params).fetch_optional(&self.pool).await.map_err(map_error)?.map(Row))
    }

    async fn fetch_all(&self, sql: &'static str, params: Vec<Value>) -> Result<Vec<Row>, StoreError> {
        Ok(query(sql, params).fetch_all(&self.pool).await.map_err(map_error)?.into_iter().map(Row).collect())
    }

    // With the next batch: one commit, and so one WAL flush, for many requests' writes.
    async fn execute(&self, sql: &'static str, params: Vec<Value>) -> Result<u64, StoreError> {
        self.batcher.execute(sql, params).await
    }

    async fn transaction<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx<Row = Row>) -> BoxFuture<'t, Result<T, StoreError>> + Send + 'static,
    {
        let mut tx = self.pool.begin().await.map_err(map_error)?;
        // An error drops `tx`, which rolls it back.
        let value = work(&mut PgTx { conn: &mut tx }).await?;
        tx.commit().await.map_err(map_error)?;
        Ok(value)
    }

    async fn ready(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_error)?;
        Ok(())
    }

    fn connections(&self) -> Option<Connections> {
        Some(Connections {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        })
    }

    // Token writes leave with the next batch: their conditions and rows commit together,
    // with other requests' writes.
    async fn insert_tokens(&self, issuance: Issuance) -> Result<(), StoreError> {
        self.batcher.insert(issuance).await
    }

    async fn redeem(
        &self,
        kind: SingleUse,
        code: SecretHash,
        now: UnixTime,
        issuance: Issuance,
    ) -> Result<Redemption, StoreError> {
        self.batcher.redeem(kind, code, now, issuance).await
    }

    async fn rotate_refresh_token(
        &self,
        old: SecretHash,
        now: UnixTime,
        issuance: Issuance,
    ) -> Result<Rotation, StoreError> {
        self.batcher.rotate(old, now, issuance).await
    }
}
