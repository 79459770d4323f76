//! Embedded migrations. A database migrated by a newer oauth2u is refused, not damaged.
//!
//! The record of what ran is the `_sqlx_migrations` table, as it was while this store ran
//! on sqlx, with the same checksums (SHA-384 of the script): a database from either kind
//! of binary opens in the other, which rolling upgrades need.

use std::time::Duration;

use oauth2u_core::store::StoreError;
use oauth2u_store_sql::records::{COMPATIBLE_FROM, NEWEST_MIGRATION, check_schema};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha384};

use crate::statement::map_error;

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
    (11, "dynamic registration", include_str!("../migrations/0011_dynamic_registration.sql")),
    (12, "sender constraints", include_str!("../migrations/0012_sender_constraints.sql")),
];

const HISTORY: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

/// Runs the migrations this database lacks, each in a transaction with its record.
pub(crate) fn run(conn: &mut Connection) -> Result<(), StoreError> {
    // Two processes opening a new file at once (a server and the command line, or two
    // servers) both try migration 1; the loser's transaction waits or is undone whole, and
    // on a second look it finds the work done.
    let mut attempts = 0;
    loop {
        match migrate(conn) {
            Err(StoreError::Unavailable(cause)) if attempts < 10 => {
                attempts += 1;
                tracing::debug!(%cause, "migrating collided with another process; looking again");
                std::thread::sleep(Duration::from_millis(50 * attempts));
            }
            outcome => return outcome,
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    check(conn)?;
    conn.execute_batch(HISTORY).map_err(map_error)?;
    // Migrations newer than ours were found compatible above: run ours, leave theirs.
    for (version, description, sql) in MIGRATIONS {
        let checksum = Sha384::digest(sql.as_bytes()).to_vec();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_error)?;
        let applied: Option<Vec<u8>> = tx
            .query_row(
                "SELECT checksum FROM _sqlx_migrations WHERE version = ?1 AND success",
                [version],
                |row| row.get(0),
            )
            .optional()
            .map_err(map_error)?;
        match applied {
            Some(applied) if applied == checksum => continue,
            Some(_) => {
                return Err(StoreError::Other(format!(
                    "migration {version} ({description}) was changed after this database applied it"
                )));
            }
            None => {}
        }
        tx.execute_batch(sql).map_err(|error| migration_failed(*version, error))?;
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (?1, ?2, TRUE, ?3, -1)",
            rusqlite::params![version, description, checksum],
        )
        .map_err(map_error)?;
        tx.commit().map_err(map_error)?;
    }
    Ok(())
}

fn migration_failed(version: i64, error: rusqlite::Error) -> StoreError {
    match map_error(error) {
        StoreError::Other(cause) => StoreError::Other(format!("migration {version} failed: {cause}")),
        other => other,
    }
}

/// Refuses a database whose newer schema says it is not for this version (rolling upgrades:
/// `check_schema`).
fn check(conn: &Connection) -> Result<(), StoreError> {
    // Before the first migration neither table exists: nothing to check.
    let applied: Option<i64> = conn.query_row(NEWEST_MIGRATION, [], |row| row.get(0)).unwrap_or(None);
    let compatible_from: Option<i64> = conn.query_row(COMPATIBLE_FROM, [], |row| row.get(0)).unwrap_or(None);
    check_schema(MIGRATIONS.len() as i64, applied, compatible_from)
}
