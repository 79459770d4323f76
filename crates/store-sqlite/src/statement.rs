//! Running one statement on a connection: the shared stores' `$N` parameters bound by
//! number, the statement prepared once per connection and kept.

use std::sync::Arc;

use oauth2u_core::store::StoreError;
use oauth2u_store_sql::Value;
use rusqlite::{Connection, Statement};

use crate::row::Row;

/// Runs a write; how many rows it changed.
pub(crate) fn execute(conn: &Connection, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(map_error)?;
    bind(&mut statement, params)?;
    let changed = statement.raw_execute().map_err(map_error)?;
    Ok(changed as u64)
}

/// Runs a query (or a write with `RETURNING`); at most `limit` rows.
pub(crate) fn fetch(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    limit: usize,
) -> Result<Vec<Row>, StoreError> {
    let mut statement = conn.prepare_cached(sql).map_err(map_error)?;
    bind(&mut statement, params)?;
    let names: Arc<[Box<str>]> = statement.column_names().into_iter().map(Box::from).collect();
    let mut rows = statement.raw_query();
    let mut fetched = Vec::new();
    while fetched.len() < limit
        && let Some(row) = rows.next().map_err(map_error)?
    {
        let values =
            (0..names.len()).map(|index| row.get(index)).collect::<Result<_, _>>().map_err(map_error)?;
        fetched.push(Row { names: names.clone(), values });
    }
    Ok(fetched)
}

/// Binds `$N` to `params[N - 1]`. SQLite numbers named parameters in the order they first
/// appear, which need not be `$1`, `$2`, …: the name says which value is meant.
fn bind(statement: &mut Statement<'_>, params: &[Value]) -> Result<(), StoreError> {
    for index in 1..=statement.parameter_count() {
        let number =
            statement.parameter_name(index).and_then(|name| name.strip_prefix('$')?.parse::<usize>().ok());
        let value = number
            .and_then(|number| params.get(number.checked_sub(1)?))
            .ok_or_else(|| StoreError::Other(format!("statement parameter {index} has no value")))?;
        let bound = match value {
            Value::Int(int) => statement.raw_bind_parameter(index, int),
            Value::Text(text) => statement.raw_bind_parameter(index, text),
            Value::Blob(blob) => statement.raw_bind_parameter(index, blob),
            Value::Bool(flag) => statement.raw_bind_parameter(index, flag),
        };
        bound.map_err(map_error)?;
    }
    Ok(())
}

/// Maps a driver error: busy, locked, a full disk or an I/O error → `Unavailable` (worth a
/// retry later: nothing was written, and the writer recovers by itself when space
/// returns); a unique violation → `Conflict`.
pub(crate) fn map_error(error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::{ConstraintViolation, DatabaseBusy, DatabaseLocked, DiskFull, SystemIoFailure};
    use rusqlite::ffi::{SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
    match &error {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == ConstraintViolation
                && matches!(
                    failure.extended_code,
                    SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
        {
            StoreError::Conflict(error.to_string())
        }
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(failure.code, DatabaseBusy | DatabaseLocked | DiskFull | SystemIoFailure) =>
        {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Other(error.to_string()),
    }
}
