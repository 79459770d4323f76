//! Embedded migrations. A database migrated by a newer oauth2u is refused, not damaged.

use std::borrow::Cow;

use crate::shared::records::{COMPATIBLE_FROM, NEWEST_MIGRATION, check_schema};
use oauth2u_core::store::StoreError;
use sqlx::SqlitePool;
use sqlx::migrate::{Migration, MigrationType, Migrator};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "sessions", include_str!("../migrations/0002_sessions.sql")),
    (3, "resources", include_str!("../migrations/0003_resources.sql")),
    (4, "signing keys", include_str!("../migrations/0004_signing_keys.sql")),
    (5, "device codes", include_str!("../migrations/0005_device_codes.sql")),
    (6, "housekeeping", include_str!("../migrations/0006_housekeeping.sql")),
    (7, "schema compatibility", include_str!("../migrations/0007_schema_compatibility.sql")),
    (8, "throttle reservations", include_str!("../migrations/0008_throttle_reservations.sql")),
    (9, "openid", include_str!("../migrations/0009_openid.sql")),
    (10, "openid sessions", include_str!("../migrations/0010_openid_sessions.sql")),
];

pub(crate) async fn run(pool: &SqlitePool) -> Result<(), StoreError> {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    check(pool).await?;
    // Migrations newer than ours were found compatible above: run ours, leave theirs.
    let migrator = Migrator { migrations: Cow::Owned(migrations), ignore_missing: true, ..Migrator::DEFAULT };
    // Two processes opening a new file at once (a server and the command line, or two
    // servers) both try migration 1; SQLite runs each migration in a transaction, so the
    // loser's is undone whole, and on a second look it finds the work done.
    let mut attempts = 0;
    let migrated = loop {
        match migrator.run(pool).await {
            Err(error) if attempts < 10 => {
                attempts += 1;
                tracing::debug!(%error, "migrating collided with another process; looking again");
                tokio::time::sleep(std::time::Duration::from_millis(50 * attempts)).await;
            }
            outcome => break outcome,
        }
    };
    migrated.map_err(|error| StoreError::Other(format!("migration failed: {error}")))
}

/// Refuses a database whose newer schema says it is not for this version (rolling upgrades:
/// `crate::shared::records::check_schema`).
async fn check(pool: &SqlitePool) -> Result<(), StoreError> {
    // Before the first migration neither table exists: nothing to check.
    let applied: Option<i64> = sqlx::query_scalar(NEWEST_MIGRATION).fetch_one(pool).await.unwrap_or(None);
    let compatible_from: Option<i64> =
        sqlx::query_scalar(COMPATIBLE_FROM).fetch_optional(pool).await.unwrap_or(None);
    check_schema(MIGRATIONS.len() as i64, applied, compatible_from)
}
