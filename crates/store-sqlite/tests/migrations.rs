//! The schema is created on first open; a database from a newer oauth2u is used while that
//! version says its schema still serves this one (rolling upgrades), and refused otherwise.
#![allow(clippy::unwrap_used)]

#[tokio::test]
async fn a_newer_schema_is_used_while_compatible_and_refused_with_a_clear_message_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let url = format!("sqlite://{}", path.display());
    drop(oauth2u_store_sqlite::open(&url).await.unwrap());
    // Reopening the current schema is fine.
    drop(oauth2u_store_sqlite::open(&url).await.unwrap());

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .unwrap();
    drop(conn);

    // An additive newer schema (the default) serves this version too.
    drop(oauth2u_store_sqlite::open(&url).await.unwrap());

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("UPDATE oauth2u_schema SET compatible_from = 9999").unwrap();
    drop(conn);
    let error = oauth2u_store_sqlite::open(&url).await.unwrap_err().to_string();
    assert!(error.contains("schema version 9999") && error.contains("upgrade oauth2u"), "{error}");
}

/// The record of migrations is the one sqlx keeps, checksums and all: a database that the
/// sqlx-based engine before this one migrated opens here, and one migrated here passes
/// sqlx's migrator, which refuses any applied migration whose checksum differs. So a
/// rolling upgrade may mix the two binaries on one file.
#[tokio::test]
async fn the_migration_history_is_the_one_the_previous_engine_kept() {
    let scripts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let migrator = sqlx::migrate::Migrator::new(scripts).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let made_before = format!("sqlite://{}?mode=rwc", dir.path().join("before.db").display());
    let pool = sqlx::SqlitePool::connect(&made_before).await.unwrap();
    migrator.run(&pool).await.unwrap();
    pool.close().await;
    drop(oauth2u_store_sqlite::open(&made_before).await.unwrap());

    let made_here = format!("sqlite://{}", dir.path().join("here.db").display());
    drop(oauth2u_store_sqlite::open(&made_here).await.unwrap());
    let pool = sqlx::SqlitePool::connect(&made_here).await.unwrap();
    migrator.run(&pool).await.unwrap();
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&pool).await.unwrap();
    assert_eq!(applied, migrator.iter().count() as i64, "nothing was migrated twice");
    pool.close().await;
}

/// A migration changed after a database applied it is refused, not run again or ignored.
#[tokio::test]
async fn a_migration_changed_after_it_was_applied_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let url = format!("sqlite://{}", path.display());
    drop(oauth2u_store_sqlite::open(&url).await.unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 3").unwrap();
    drop(conn);
    let error = oauth2u_store_sqlite::open(&url).await.unwrap_err().to_string();
    assert!(error.contains("migration 3") && error.contains("changed"), "{error}");
}
