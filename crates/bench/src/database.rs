//! The database a run uses: a fresh SQLite file in the run's directory by default, or,
//! with `--database postgres://…`, a fresh schema on that server (dropped afterwards), with
//! a master key for the server, which on PostgreSQL has no key file beside the database.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sqlx::Connection;

pub struct Database {
    /// What the server is started with.
    pub url: String,
    /// Environment the server and its command line need (the master key on PostgreSQL).
    pub env: Vec<(String, String)>,
    /// The PostgreSQL server and schema to drop at the end.
    schema: Option<(String, String)>,
}

impl Database {
    pub async fn fresh(requested: Option<&str>, dir: &Path) -> Result<Self, String> {
        let Some(server) = requested.filter(|url| url.starts_with("postgres")) else {
            if let Some(other) = requested.filter(|url| !url.starts_with("sqlite")) {
                return Err(format!("unsupported database {other}: sqlite://… or postgres://…"));
            }
            let url = requested
                .map_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()), str::to_owned);
            return Ok(Self { url, env: Vec::new(), schema: None });
        };
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let schema = format!("o2u_bench_{now}_{}", std::process::id());
        let mut conn =
            sqlx::PgConnection::connect(server).await.map_err(|error| format!("{server}: {error}"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await
            .map_err(|error| error.to_string())?;
        let separator = if server.contains('?') { '&' } else { '?' };
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|error| error.to_string())?;
        Ok(Self {
            url: format!("{server}{separator}options[search_path]={schema}"),
            env: vec![("OAUTH2U_MASTER_KEY".into(), STANDARD.encode(key))],
            schema: Some((server.to_owned(), schema)),
        })
    }

    pub fn engine(&self) -> &'static str {
        if self.schema.is_some() { "PostgreSQL" } else { "SQLite" }
    }

    /// Drops the run's schema (a SQLite file goes with the run's directory).
    pub async fn drop(self) {
        if let Some((server, schema)) = self.schema
            && let Ok(mut conn) = sqlx::PgConnection::connect(&server).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&mut conn)
                .await;
        }
    }
}
