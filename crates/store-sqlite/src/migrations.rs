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
    migrator.run(pool).await.map_err(|error| match error {
        MigrateError::VersionMissing(version) => StoreError::Other(format!(
            "the database has schema version {version}, newer than this oauth2u knows; upgrade oauth2u or use another database"
        )),
        other => StoreError::Other(format!("migration failed: {other}")),
    })
}
