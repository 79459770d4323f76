//! Embedded migrations, run under the `migrations` lease so that instances starting
//! together migrate once. A database migrated by a newer oauth2u is refused, not damaged.

use std::borrow::Cow;
use std::time::Duration;

use oauth2u_core::store::StoreError;
use oauth2u_store_sql::records::{COMPATIBLE_FROM, NEWEST_MIGRATION, check_schema};
use sqlx::PgPool;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::lease;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../migrations/0001_initial.sql")),
    (2, "housekeeping", include_str!("../migrations/0002_housekeeping.sql")),
    (3, "schema compatibility", include_str!("../migrations/0003_schema_compatibility.sql")),
    (4, "throttle reservations", include_str!("../migrations/0004_throttle_reservations.sql")),
    (5, "openid", include_str!("../migrations/0005_openid.sql")),
    (6, "openid sessions", include_str!("../migrations/0006_openid_sessions.sql")),
    (7, "dynamic registration", include_str!("../migrations/0007_dynamic_registration.sql")),
    (8, "sender constraints", include_str!("../migrations/0008_sender_constraints.sql")),
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
    // Migrations newer than ours are checked for compatibility first: run ours, leave theirs.
    let migrator = Migrator {
        migrations: Cow::Owned(migrations),
        locking: false,
        ignore_missing: true,
        ..Migrator::DEFAULT
    };
    let patience = Duration::from_secs(130);
    lease::with_lease(pool, "migrations", Duration::from_secs(120), patience, async || {
        check(pool).await?;
        migrator.run(pool).await.map_err(|error| StoreError::Other(format!("migration failed: {error}")))
    })
    .await?
}

/// Refuses a database whose newer schema says it is not for this version (rolling upgrades:
/// `crate::shared::records::check_schema`).
async fn check(pool: &PgPool) -> Result<(), StoreError> {
    // Before the first migration neither table exists: nothing to check. (Each query runs
    // alone, so a missing table cannot spoil a transaction.)
    let applied: Option<i64> = sqlx::query_scalar(NEWEST_MIGRATION).fetch_one(pool).await.unwrap_or(None);
    let compatible_from: Option<i64> =
        sqlx::query_scalar(COMPATIBLE_FROM).fetch_optional(pool).await.unwrap_or(None);
    check_schema(MIGRATIONS.len() as i64, applied, compatible_from)
}
