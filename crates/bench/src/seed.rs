//! Live tokens written straight into the database: the growth curve needs a million, and
//! the revocation scenario needs tokens nobody has revoked yet.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder};

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
        let path = database_url.trim_start_matches("sqlite://");
        let conn = rusqlite::Connection::open(path).map_err(|error| error.to_string())?;
        // The server's writer may hold the lock for a batch: wait for it.
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|error| error.to_string())?;
        Conn::Sqlite(conn)
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
                .map(|_| ())
                .map_err(|error| error.to_string()),
            Conn::Sqlite(conn) => {
                insert_sqlite(conn, rows, client_id, now).map_err(|error| error.to_string())
            }
        };
        inserted?;
        left -= batch;
    }
    Ok(kept)
}

enum Conn {
    Postgres(PgConnection),
    Sqlite(rusqlite::Connection),
}

const INSERT: &str = "INSERT INTO tokens (hash, kind, grant_id, client_id, scope, issued_at, expires_at) ";

/// The same rows on SQLite: one transaction, one prepared statement.
fn insert_sqlite(
    conn: &mut rusqlite::Connection,
    rows: Vec<(Vec<u8>, String)>,
    client_id: &str,
    now: i64,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut statement = tx.prepare(&format!("{INSERT} VALUES (?1, 'access', ?2, ?3, 'read', ?4, ?5)"))?;
        for (hash, grant) in rows {
            statement.execute(rusqlite::params![hash, grant, client_id, now, now + 86_400])?;
        }
    }
    tx.commit()
}

/// One multi-row INSERT of `rows` (hash, grant id), valid for a day.
fn insert<'q>(
    statement: &'q mut QueryBuilder<Postgres>,
    rows: Vec<(Vec<u8>, String)>,
    client_id: &str,
    now: i64,
) -> &'q mut QueryBuilder<Postgres> {
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
