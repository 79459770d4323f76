//! The schema is created on first open; a database from a newer oauth2u is used while that
//! version says its schema still serves this one (rolling upgrades), and refused otherwise.
#![allow(clippy::unwrap_used)]

use oauth2u_store_sqlite::SqliteStore;

#[tokio::test]
async fn a_newer_schema_is_used_while_compatible_and_refused_with_a_clear_message_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    drop(SqliteStore::open(&url).await.unwrap());
    // Reopening the current schema is fine.
    drop(SqliteStore::open(&url).await.unwrap());

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    // An additive newer schema (the default) serves this version too.
    drop(SqliteStore::open(&url).await.unwrap());

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE oauth2u_schema SET compatible_from = 9999").execute(&pool).await.unwrap();
    pool.close().await;
    let error = SqliteStore::open(&url).await.unwrap_err().to_string();
    assert!(error.contains("schema version 9999") && error.contains("upgrade oauth2u"), "{error}");
}
