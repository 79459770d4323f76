//! Embedded migrations. A database migrated by a newer oauth2u is refused, not damaged.

use std::borrow::Cow;

use oauth2u_core::store::StoreError;
use sqlx::SqlitePool;
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "sessions", include_str!("../migrations/0002_sessions.sql")),
    (3, "resources", include_str!("../migrations/0003_resources.sql")),
    (4, "signing keys", include_str!("../migrations/0004_signing_keys.sql")),
    (5, "device codes", include_str!("../migrations/0005_device_codes.sql")),
    (6, "housekeeping", include_str!("../migrations/0006_housekeeping.sql")),
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
    let migrator = Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT };
    // Two processes opening a new file at once (a server and the command line, or two
    // servers) both try migration 1; SQLite runs each migration in a transaction, so the
    // loser's is undone whole, and on a second look it finds the work done.
    let mut attempts = 0;
    let migrated = loop {
        match migrator.run(pool).await {
            Err(error) if attempts < 10 && !matches!(error, MigrateError::VersionMissing(_)) => {
                attempts += 1;
                tracing::debug!(%error, "migrating collided with another process; looking again");
                tokio::time::sleep(std::time::Duration::from_millis(50 * attempts)).await;
            }
            outcome => break outcome,
        }
    };
    migrated.map_err(|error| match error {
        MigrateError::VersionMissing(version) => StoreError::Other(format!(
            "the database has schema version {version}, newer than this oauth2u knows; upgrade oauth2u or use another database"
        )),
        other => StoreError::Other(format!("migration failed: {other}")),
    })
}
