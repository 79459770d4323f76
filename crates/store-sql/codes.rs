//! Code redemption's condition, the same on SQLite and PostgreSQL (RFC 6749 §4.1.2: a code
//! is used once). Each engine runs it inside the transaction that stores the tokens.

use oauth2u_core::clock::UnixTime;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Redemption, StoreError};

use crate::engine::Connection;
use crate::map_error;

/// Consumes the code if it is unused: `Fresh` then, else `Replayed` (with its grant, whose
/// tokens the caller revokes) or `Unknown`. One conditional UPDATE: of racing consumers,
/// one changes the row and the others find it consumed.
pub(crate) async fn consume(
    conn: &mut Connection,
    hash: &SecretHash,
    now: UnixTime,
) -> Result<Redemption, StoreError> {
    let hash = hash.as_bytes().to_vec();
    let consumed = sqlx::query(
        "UPDATE authorization_codes SET consumed_at = $2 WHERE hash = $1 AND consumed_at IS NULL",
    )
    .bind(&hash)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(map_error)?;
    if consumed.rows_affected() == 1 {
        return Ok(Redemption::Fresh);
    }
    let grant_id: Option<String> =
        sqlx::query_scalar("SELECT grant_id FROM authorization_codes WHERE hash = $1")
            .bind(&hash)
            .fetch_optional(&mut *conn)
            .await
            .map_err(map_error)?;
    Ok(match grant_id {
        Some(grant_id) => Redemption::Replayed { grant_id },
        None => Redemption::Unknown,
    })
}
