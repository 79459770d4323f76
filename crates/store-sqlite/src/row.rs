//! A result row, owned: read on a reader connection or in the writer, decoded anywhere.

use std::sync::Arc;

use oauth2u_core::store::StoreError;
use oauth2u_store_sql::Columns;
use rusqlite::types::Value;

/// One row: the statement's column names (shared by its rows) and the values.
#[derive(Debug, Clone)]
pub struct Row {
    pub(crate) names: Arc<[Box<str>]>,
    pub(crate) values: Vec<Value>,
}

impl Row {
    fn value(&self, column: &str) -> Result<&Value, StoreError> {
        let index = self.names.iter().position(|name| &**name == column);
        index
            .and_then(|index| self.values.get(index))
            .ok_or_else(|| StoreError::Other(format!("no column {column} in the row")))
    }
}

fn mistyped(column: &str) -> StoreError {
    StoreError::Other(format!("corrupt row: {column} has another type"))
}

impl Columns for Row {
    fn int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Integer(int) => Ok(Some(*int)),
            _ => Err(mistyped(column)),
        }
    }

    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        match self.value(column)? {
            Value::Integer(int) => Ok(*int != 0),
            _ => Err(mistyped(column)),
        }
    }

    fn text(&self, column: &str) -> Result<Option<String>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Text(text) => Ok(Some(text.clone())),
            _ => Err(mistyped(column)),
        }
    }

    fn blob(&self, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Blob(blob) => Ok(Some(blob.clone())),
            _ => Err(mistyped(column)),
        }
    }
}
