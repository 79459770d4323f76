//! Row inserts as data, not code: the writer can merge the rows of many concurrent writes
//! into one multi-row `INSERT` — one statement, one hand-off to the connection's thread,
//! for a whole batch of issued tokens.

use oauth2u_core::store::StoreError;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::map_error;

/// One column value of a row to insert.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    Null,
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<Vec<u8>> for Value {
    fn from(value: Vec<u8>) -> Self {
        Self::Blob(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// Rows for one table, inserted together or not at all.
#[derive(Debug, Clone)]
pub(crate) struct Insert {
    /// `INSERT INTO table (columns) ` — the writer merges inserts with the same text.
    pub(crate) into: &'static str,
    pub(crate) rows: Vec<Vec<Value>>,
}

impl Insert {
    /// Runs these rows as one statement on `conn`.
    pub(crate) async fn execute(&self, conn: &mut SqliteConnection) -> Result<(), StoreError> {
        execute_merged(conn, &[self]).await
    }
}

/// Runs the rows of several inserts of the same table as one statement.
pub(crate) async fn execute_merged(
    conn: &mut SqliteConnection,
    inserts: &[&Insert],
) -> Result<(), StoreError> {
    let Some(first) = inserts.first() else { return Ok(()) };
    let mut statement = QueryBuilder::<Sqlite>::new(first.into);
    statement.push_values(inserts.iter().flat_map(|insert| &insert.rows), |mut row, values| {
        for value in values {
            match value.clone() {
                Value::Int(int) => row.push_bind(int),
                Value::Text(text) => row.push_bind(text),
                Value::Blob(blob) => row.push_bind(blob),
                Value::Null => row.push_bind(None::<i64>),
            };
        }
    });
    statement.build().execute(conn).await.map_err(map_error)?;
    Ok(())
}
