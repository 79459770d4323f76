//! Embedded migrations, run under the `migrations` lease so that instances starting
//! together migrate once. A database migrated by a newer oauth2u is refused, not damaged.

use std::borrow::Cow;
use std::time::Duration;

use oauth2u_core::store::StoreError;
use sqlx::PgPool;
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};

use crate::lease;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "housekeeping", include_str!("../migrations/0002_housekeeping.sql")),
];

pub(crate) async fn run(pool: &PgPool) -> Result<(), StoreError> {
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
    // The lease does what sqlx's advisory lock would, portably.
    let migrator = Migrator { migrations: Cow::Owned(migrations), locking: false, ..Migrator::DEFAULT };
    let patience = Duration::from_secs(130);
    let migrated = lease::with_lease(pool, "migrations", Duration::from_secs(120), patience, async || {
        migrator.run(pool).await
    })
    .await?;
    migrated.map_err(|error| match error {
        MigrateError::VersionMissing(version) => StoreError::Other(format!(
            "the database has schema version {version}, newer than this oauth2u knows; upgrade oauth2u or use another database"
        )),
        other => StoreError::Other(format!("migration failed: {other}")),
    })
}
