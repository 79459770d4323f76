//! The database and its WAL files hold token hashes, sealed keys and password hashes: only
//! their owner may read them, whatever the process's umask.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;

use oauth2u_core::store::HealthStore;

#[tokio::test]
async fn the_database_and_its_wal_and_shm_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oauth2u.db");
    let store = oauth2u_store_sqlite::open(&format!("sqlite://{}", path.display())).await.unwrap();
    store.ready().await.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} has mode {mode:o}");
    }
}

/// An in-memory database cannot be shared by the readers and the writer: refused with a
/// clear message, as is an option that would otherwise be ignored.
#[tokio::test]
async fn a_memory_database_or_an_unknown_option_is_refused_clearly() {
    for url in ["sqlite::memory:", "sqlite://db.sqlite?cache=shared"] {
        let error = oauth2u_store_sqlite::open(url).await.unwrap_err().to_string();
        assert!(error.contains("unsupported database URL"), "{url}: {error}");
    }
}
