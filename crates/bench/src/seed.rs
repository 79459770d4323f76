//! Live tokens written straight into the database: the growth curve needs a million, and
//! the revocation scenario needs tokens nobody has revoked yet.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder, Sqlite, SqliteConnection};

/// Inserts `count` live access tokens of `client_id`; returns them in the clear when `keep`.
pub async fn tokens(
    database_url: &str,
    client_id: &str,
    count: usize,
    keep: bool,
) -> Result<Vec<String>, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0));
    let mut conn = if database_url.starts_with("postgres") {
        Conn::Postgres(PgConnection::connect(database_url).await.map_err(|error| error.to_string())?)
    } else {
        Conn::Sqlite(SqliteConnection::connect(database_url).await.map_err(|error| error.to_string())?)
    };
    let mut kept = Vec::new();
    let mut left = count;
    while left > 0 {
        let batch = left.min(1_000);
        let mut rows = Vec::with_capacity(batch);
        for _ in 0..batch {
            let mut random = [0u8; 32];
            getrandom::fill(&mut random).map_err(|error| error.to_string())?;
            let token = format!("o2u_at_{}", URL_SAFE_NO_PAD.encode(random));
            rows.push((Sha256::digest(token.as_bytes()).to_vec(), token[7..23].to_owned()));
            if keep {
                kept.push(token);
            }
        }
        let inserted = match &mut conn {
            Conn::Postgres(conn) => insert(&mut QueryBuilder::<Postgres>::new(INSERT), rows, client_id, now)
                .build()
                .execute(conn)
                .await
                .map(|_| ()),
            Conn::Sqlite(conn) => insert(&mut QueryBuilder::<Sqlite>::new(INSERT), rows, client_id, now)
                .build()
                .execute(conn)
                .await
                .map(|_| ()),
        };
        inserted.map_err(|error| error.to_string())?;
        left -= batch;
    }
    Ok(kept)
}

enum Conn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

const INSERT: &str = "INSERT INTO tokens (hash, kind, grant_id, client_id, scope, issued_at, expires_at) ";

/// One multi-row INSERT of `rows` (hash, grant id), valid for a day.
fn insert<'q, DB>(
    statement: &'q mut QueryBuilder<DB>,
    rows: Vec<(Vec<u8>, String)>,
    client_id: &str,
    now: i64,
) -> &'q mut QueryBuilder<DB>
where
    DB: sqlx::Database,
    Vec<u8>: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    String: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'static str: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    statement.push_values(rows, |mut row, (hash, grant)| {
        row.push_bind(hash)
            .push_bind("access")
            .push_bind(grant)
            .push_bind(client_id.to_owned())
            .push_bind("read")
            .push_bind(now)
            .push_bind(now + 86_400);
    });
    statement
}
