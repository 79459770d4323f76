//! The database and its WAL files hold token hashes, sealed keys and password hashes: only
//! their owner may read them, whatever the process's umask.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;

use oauth2u_core::store::HealthStore;
use oauth2u_store_sqlite::SqliteStore;

#[tokio::test]
async fn the_database_and_its_wal_and_shm_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oauth2u.db");
    let store = SqliteStore::open(&format!("sqlite://{}", path.display())).await.unwrap();
    store.ready().await.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} has mode {mode:o}");
    }
}
