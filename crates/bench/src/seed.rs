//! Live tokens written straight into the database: the growth curve needs a million, and
//! the revocation scenario needs tokens nobody has revoked yet.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqlitePool;

/// Inserts `count` live access tokens of `client_id`; returns them in the clear when `keep`.
pub async fn tokens(
    database_url: &str,
    client_id: &str,
    count: usize,
    keep: bool,
) -> Result<Vec<String>, String> {
    let pool = SqlitePool::connect(database_url).await.map_err(|error| error.to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0));
    let mut kept = Vec::new();
    let mut left = count;
    while left > 0 {
        let batch = left.min(20_000);
        let mut tx = pool.begin().await.map_err(|error| error.to_string())?;
        for _ in 0..batch {
            let mut random = [0u8; 32];
            getrandom::fill(&mut random).map_err(|error| error.to_string())?;
            let token = format!("o2u_at_{}", URL_SAFE_NO_PAD.encode(random));
            let hash = Sha256::digest(token.as_bytes()).to_vec();
            sqlx::query(
                "INSERT INTO tokens (hash, kind, grant_id, client_id, scope, issued_at, expires_at)
                 VALUES ($1, 'access', $2, $3, 'read', $4, $5)",
            )
            .bind(hash)
            .bind(&token[7..23])
            .bind(client_id)
            .bind(now)
            .bind(now + 86_400)
            .execute(&mut *tx)
            .await
            .map_err(|error| error.to_string())?;
            if keep {
                kept.push(token);
            }
        }
        tx.commit().await.map_err(|error| error.to_string())?;
        left -= batch;
    }
    pool.close().await;
    Ok(kept)
}
