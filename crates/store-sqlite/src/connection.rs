//! Opening the database file: where it is, who may read it, and the settings every
//! connection gets — WAL, so that readers never wait for the writer; `synchronous = FULL`,
//! so that an acknowledged token survives power loss.
//!
//! Not memory-mapped (`mmap_size`): a reader's page cache is dropped whenever the writer
//! commits, and mapped pages would be read again without a system call (introspection
//! measured some 25 % faster), but every mapped page of the file counts in the process's
//! resident memory — the whole file, at a million tokens — against its 60 MB budget.

use std::path::{Path, PathBuf};
use std::time::Duration;

use oauth2u_core::secret::redact_url;
use oauth2u_core::store::StoreError;
use rusqlite::{Connection, OpenFlags};

use crate::statement::map_error;

/// How long a connection waits for another process's lock (the command line writing to the
/// server's file) before the database counts as unavailable.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection: every statement the stores run.
const STATEMENT_CACHE: usize = 128;

/// The file a `sqlite://PATH` (or `sqlite:PATH`) URL names.
pub(crate) fn path_of(url: &str) -> Result<PathBuf, StoreError> {
    let unsupported = |why: &str| {
        StoreError::Other(format!(
            "unsupported database URL `{}`: {why}; use sqlite://PATH, e.g. sqlite://oauth2u.db",
            redact_url(url)
        ))
    };
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| unsupported("not SQLite"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // `mode=rwc` (read, write, create) is what the server does anyway; anything else would
    // be silently ignored, so it is refused.
    if let Some(option) = query.split('&').find(|option| !option.is_empty() && *option != "mode=rwc") {
        return Err(unsupported(&format!("the option `{option}` is not supported")));
    }
    if path.is_empty() || path.contains(":memory:") || path.starts_with("file:") {
        return Err(unsupported("the server's readers and writer share the database through a file"));
    }
    Ok(PathBuf::from(path))
}

/// Opens a connection to `path` with the settings every connection gets.
pub(crate) fn open(path: &Path) -> Result<Connection, StoreError> {
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|error| match map_error(error) {
        StoreError::Other(cause) => {
            StoreError::Other(format!("cannot open the database file {}: {cause}", path.display()))
        }
        other => other,
    })?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(map_error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;").map_err(map_error)?;
    Ok(conn)
}

/// Switches the file to WAL (it stays so); done by the writer before anyone reads.
pub(crate) fn use_wal(conn: &Connection) -> Result<(), StoreError> {
    let mode: String =
        conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(map_error)?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(StoreError::Other(format!("the database stays in journal mode {mode}, not WAL")))
    }
}

/// Creates a new database file readable by its owner alone (0600), as the master key file
/// beside it is. SQLite gives the `-wal` and `-shm` files the database file's permissions.
pub(crate) fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => {
            Err(StoreError::Other(format!("cannot create the database file {}: {error}", path.display())))
        }
    }
}
