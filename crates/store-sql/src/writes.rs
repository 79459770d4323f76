//! The writes that decide single use, run inside a transaction of the engine's (each
//! engine's `Engine::redeem`, `rotate_refresh_token`, `insert_tokens` by default, and the
//! PostgreSQL batcher): a code is used once (RFC 6749
//! §4.1.2), a device code yields tokens once (RFC 8628 §3.5), and two racing uses of one
//! refresh token never both yield live tokens (RFC 9700 §4.14.2) — each is one conditional
//! UPDATE in the transaction that stores what it yields.

use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::Issuance;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Redemption, Rotation, StoreError};

use crate::records::{Columns, to_json, to_json_list};
use crate::tx::Tx;
use crate::{Value, params};

/// The columns of a `tokens` row, in the order of [`token_rows`]' values.
pub const INSERT_INTO: &str =
    "INSERT INTO tokens (hash, kind, grant_id, client_id, subject, scope, issued_at,
    expires_at, grant_expires_at, paired_refresh, audience, jti, kid, authentication, sid, claims, jkt) ";

/// One row of [`INSERT_INTO`].
const INSERT_ONE: &str = "INSERT INTO tokens (hash, kind, grant_id, client_id, subject, scope, issued_at,
    expires_at, grant_expires_at, paired_refresh, audience, jti, kid, authentication, sid, claims, jkt)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

/// The rows of one response's tokens: its access token, and its refresh token if any.
pub fn token_rows(issuance: &Issuance) -> Vec<Vec<Value>> {
    let refresh_hash = issuance.refresh.as_ref().map(|(token, _)| token.hash.as_bytes().to_vec());
    let mut tokens = vec![("access", &issuance.access, None, refresh_hash)];
    if let Some((token, family_end)) = &issuance.refresh {
        tokens.push(("refresh", token, Some(*family_end), None));
    }
    // Every token of an OpenID grant names the session that signed the user in: a logout
    // of the session revokes them (Back-Channel Logout §2.7).
    let sid = issuance.authentication.as_ref().and_then(|authentication| authentication.session_id.clone());
    tokens
        .into_iter()
        .map(|(kind, token, family_end, paired)| {
            params![
                &token.hash,
                kind,
                &issuance.grant_id,
                &issuance.client_id,
                issuance.subject.clone(),
                token.scope.to_string(),
                issuance.issued_at,
                token.expires_at,
                family_end,
                paired,
                to_json_list(&token.audience),
                token.jwt.as_ref().map(|(jti, _)| jti.clone()),
                token.jwt.as_ref().map(|(_, kid)| kid.clone()),
                // The grant's sign-in, kept on its refresh token (OpenID Connect Core §12.2).
                issuance.authentication.as_ref().filter(|_| kind == "refresh").map(to_json),
                sid.clone(),
                // The `claims` request (Core §5.5), for userinfo and refreshed ID tokens.
                issuance.claims.as_ref().map(to_json),
                token.jkt.clone(),
            ]
        })
        .collect()
}

/// Stores the tokens of one response, inside the caller's transaction.
pub async fn insert_tokens<R: Columns + Send>(
    tx: &mut dyn Tx<Row = R>,
    issuance: &Issuance,
) -> Result<(), StoreError> {
    for row in token_rows(issuance) {
        tx.execute(INSERT_ONE, row).await?;
    }
    Ok(())
}

/// The refresh token a rotation issues.
pub(crate) fn successor_of(issuance: &Issuance) -> Result<&SecretHash, StoreError> {
    issuance
        .refresh
        .as_ref()
        .map(|(token, _)| &token.hash)
        .ok_or_else(|| StoreError::Other("a rotation must issue a refresh token".into()))
}

/// Marks the live, unrotated refresh token `old` as rotated into the issuance's refresh
/// token; false if it was not live any more. Inside the caller's transaction.
pub async fn mark_rotated<R: Columns + Send>(
    tx: &mut dyn Tx<Row = R>,
    old: &SecretHash,
    now: UnixTime,
    issuance: &Issuance,
) -> Result<bool, StoreError> {
    let rotated = tx
        .execute(
            "UPDATE tokens SET rotated_at = $2, successor = $3
             WHERE hash = $1 AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL",
            params![old, now, successor_of(issuance)?],
        )
        .await?;
    Ok(rotated == 1)
}

/// Rotates `old` and stores the issuance if it was still live.
pub async fn rotate<R: Columns + Send>(
    tx: &mut dyn Tx<Row = R>,
    old: &SecretHash,
    now: UnixTime,
    issuance: &Issuance,
) -> Result<Rotation, StoreError> {
    if !mark_rotated(tx, old, now, issuance).await? {
        return Ok(Rotation::Stale);
    }
    insert_tokens(tx, issuance).await?;
    Ok(Rotation::Rotated)
}

/// A code that yields tokens once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SingleUse {
    /// An authorization code (RFC 6749 §4.1.2).
    AuthorizationCode,
    /// An approved device code (RFC 8628 §3.5).
    DeviceCode,
}

/// Consumes the code if it is unused: `Fresh` then, else `Replayed` (an authorization code,
/// with its grant, whose tokens the caller revokes) or `Unknown`. One conditional UPDATE: of
/// racing consumers, one changes the row and the others find it consumed.
pub async fn consume<R: Columns + Send>(
    tx: &mut dyn Tx<Row = R>,
    kind: SingleUse,
    hash: &SecretHash,
    now: UnixTime,
) -> Result<Redemption, StoreError> {
    let sql = match kind {
        SingleUse::AuthorizationCode => {
            "UPDATE authorization_codes SET consumed_at = $2 WHERE hash = $1 AND consumed_at IS NULL"
        }
        // Only once the user approved it.
        SingleUse::DeviceCode => {
            "UPDATE device_codes SET consumed_at = $2
             WHERE hash = $1 AND status = 'approved' AND consumed_at IS NULL"
        }
    };
    if tx.execute(sql, params![hash, now]).await? == 1 {
        return Ok(Redemption::Fresh);
    }
    if kind == SingleUse::DeviceCode {
        return Ok(Redemption::Unknown);
    }
    let row =
        tx.fetch_optional("SELECT grant_id FROM authorization_codes WHERE hash = $1", params![hash]).await?;
    Ok(match row.map(|row| row.text("grant_id")).transpose()?.flatten() {
        Some(grant_id) => Redemption::Replayed { grant_id },
        None => Redemption::Unknown,
    })
}

/// Consumes the code and, if it was fresh, stores the issuance.
pub async fn redeem<R: Columns + Send>(
    tx: &mut dyn Tx<Row = R>,
    kind: SingleUse,
    hash: &SecretHash,
    now: UnixTime,
    issuance: &Issuance,
) -> Result<Redemption, StoreError> {
    let redemption = consume(tx, kind, hash, now).await?;
    if redemption == Redemption::Fresh {
        insert_tokens(tx, issuance).await?;
    }
    Ok(redemption)
}
