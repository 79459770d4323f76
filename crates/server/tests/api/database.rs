//! Which database engine this test binary runs on. The suite is compiled twice: as `api`
//! on SQLite, and as `api_postgres` (tests/api_postgres.rs) on PostgreSQL, each test in a
//! schema of its own on `OAUTH2U_TEST_POSTGRES` (default postgres://postgres@127.0.0.1:5432/test).

use std::io::Write;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub fn engine() -> Engine {
    if env!("CARGO_CRATE_NAME") == "api_postgres" { Engine::Postgres } else { Engine::Sqlite }
}

pub fn server_url() -> String {
    std::env::var("OAUTH2U_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database for one test: a SQLite file in `dir`, or a new PostgreSQL schema.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    match engine() {
        Engine::Sqlite => format!("sqlite://{}", dir.join("oauth2u.db").display()),
        Engine::Postgres => {
            let mut conn = postgres().await;
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
            let schema =
                format!("o2u_test_{now}_{}", oauth2u::core::secret::random_id(6).unwrap().to_lowercase());
            let schema = schema.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&mut conn)
                .await
                .unwrap();
            format!("{}?options[search_path]={schema}", server_url())
        }
    }
}

/// A connection to the test server (one per call: each test has its own runtime, which
/// a shared pool would outlive). Without a server: with `CI=true` the suite fails;
/// otherwise the whole binary is skipped with one line.
async fn postgres() -> sqlx::PgConnection {
    static CLEANED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    let url = server_url();
    match sqlx::PgConnection::connect(&url).await {
        Ok(mut conn) => {
            CLEANED.get_or_init(|| drop_stale_schemas(&mut conn)).await;
            conn
        }
        Err(error) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("PostgreSQL is required with CI=true, and {url} is not reachable: {error}")
        }
        Err(error) => {
            static SKIP: std::sync::Once = std::sync::Once::new();
            SKIP.call_once(|| {
                // Straight to stderr, past the test harness's capture: this is the one line.
                let _ = writeln!(
                    std::io::stderr(),
                    "api_postgres: skipped, no PostgreSQL at {url} ({error}); set OAUTH2U_TEST_POSTGRES, or CI=true to require it"
                );
                std::process::exit(0);
            });
            unreachable!("the process has exited")
        }
    }
}

/// Schemas of test runs more than an hour old (runs that were killed) are dropped.
async fn drop_stale_schemas(conn: &mut sqlx::PgConnection) {
    let cutoff = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().saturating_sub(3600);
    let schemas: Vec<String> =
        sqlx::query_scalar("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'o2u_test_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for schema in schemas {
        let started = schema.split('_').nth(2).and_then(|secs| secs.parse::<u64>().ok());
        if started.is_some_and(|started| started < cutoff) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// Drops this test's schema (called when the test's app is dropped).
pub fn drop_database(url: &str) {
    if let Some(schema) = url.split("options[search_path]=").nth(1) {
        let _ = Command::new("psql")
            .args([&server_url(), "-q", "-c", &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")])
            .output();
    }
}

/// Runs a statement on the test's database, as an operator would (faults are injected so).
pub async fn execute(url: &str, statement: &str) {
    match engine() {
        Engine::Sqlite => sqlite(url).execute_batch(statement).unwrap(),
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(statement.to_owned())).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

/// A connection of the test's own to its SQLite file, beside the server's.
fn sqlite(url: &str) -> rusqlite::Connection {
    let connection = rusqlite::Connection::open(url.trim_start_matches("sqlite://")).unwrap();
    connection.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    connection
}

/// Everything the database holds, as bytes an attacker with a dump would have: the
/// SQLite file and its WAL, or `pg_dump` of the schema with binary values decoded.
pub fn dump(url: &str) -> Vec<u8> {
    match engine() {
        Engine::Sqlite => {
            let path = url.trim_start_matches("sqlite://");
            [std::fs::read(path).unwrap(), std::fs::read(format!("{path}-wal")).unwrap_or_default()].concat()
        }
        Engine::Postgres => {
            let schema = url.split("options[search_path]=").nth(1).unwrap();
            let output = Command::new("pg_dump")
                .args(["--dbname", &server_url(), "--schema", schema, "--data-only"])
                .output()
                .expect("pg_dump is installed with PostgreSQL");
            assert!(output.status.success(), "{output:?}");
            let text = String::from_utf8(output.stdout).unwrap();
            let mut bytes = text.clone().into_bytes();
            // bytea columns are dumped as \x followed by hex: decode them too.
            for hex in text.split("\\\\x").skip(1).chain(text.split("\\x").skip(1)) {
                let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
                bytes.extend(
                    (0..digits.len() / 2)
                        .filter_map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).ok()),
                );
            }
            bytes
        }
    }
}

/// One number from the test's database, as an operator's query would give it.
pub async fn count(url: &str, query: &str) -> i64 {
    match engine() {
        Engine::Sqlite => sqlite(url).query_row(query, [], |row| row.get(0)).unwrap(),
        Engine::Postgres => {
            let query = sqlx::AssertSqlSafe(query.to_owned());
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let n = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    }
}
