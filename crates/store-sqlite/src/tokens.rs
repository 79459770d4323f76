//! `TokenStore` on SQLite. Rotation is a conditional UPDATE in the transaction that stores
//! the successor, so two racing uses of one refresh token never both yield live tokens.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{Issuance, TokenRecord};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Rotation, StoreError, TokenStore};
use sqlx::SqliteConnection;

use crate::insert::Insert;
use crate::{SqliteStore, map_error, rows};

/// The rows of one response's tokens: an access token, and its refresh token if any.
pub(crate) fn token_rows(issuance: &Issuance) -> Insert {
    let refresh_hash = issuance.refresh.as_ref().map(|(token, _)| token.hash.as_bytes().to_vec());
    let mut tokens = vec![("access", &issuance.access, None, refresh_hash)];
    if let Some((token, family_end)) = &issuance.refresh {
        tokens.push(("refresh", token, Some(*family_end), None));
    }
    let rows = tokens
        .into_iter()
        .map(|(kind, token, family_end, paired)| {
            vec![
                token.hash.as_bytes().to_vec().into(),
                kind.into(),
                issuance.grant_id.as_str().into(),
                issuance.client_id.as_str().into(),
                issuance.subject.clone().into(),
                token.scope.to_string().into(),
                issuance.issued_at.into(),
                token.expires_at.into(),
                family_end.into(),
                paired.into(),
                crate::shared::records::to_json_list(&token.audience).into(),
                token.jwt.as_ref().map(|(jti, _)| jti.clone()).into(),
                token.jwt.as_ref().map(|(_, kid)| kid.clone()).into(),
                authentication(issuance, kind).into(),
                session_id(issuance).into(),
                issuance.claims.as_ref().map(crate::shared::records::to_json).into(),
            ]
        })
        .collect();
    Insert {
        into: "INSERT INTO tokens (hash, kind, grant_id, client_id, subject, scope, issued_at,
            expires_at, grant_expires_at, paired_refresh, audience, jti, kid, authentication, sid, claims) ",
        rows,
    }
}

/// An OpenID grant's sign-in, kept on its refresh token (Core §12.2).
fn authentication(issuance: &Issuance, kind: &str) -> Option<String> {
    let authentication = issuance.authentication.as_ref().filter(|_| kind == "refresh");
    authentication.map(crate::shared::records::to_json)
}

/// The session that signed the user in, kept on every token of the grant: a logout of the
/// session revokes them (Back-Channel Logout §2.7).
fn session_id(issuance: &Issuance) -> Option<String> {
    issuance.authentication.as_ref().and_then(|authentication| authentication.session_id.clone())
}

/// Stores the tokens of one response (inside the caller's transaction), in one statement.
pub(crate) async fn insert(conn: &mut SqliteConnection, issuance: &Issuance) -> Result<(), StoreError> {
    token_rows(issuance).execute(conn).await
}

fn successor_of(issuance: &Issuance) -> Result<Vec<u8>, StoreError> {
    issuance
        .refresh
        .as_ref()
        .map(|(token, _)| token.hash.as_bytes().to_vec())
        .ok_or_else(|| StoreError::Other("a rotation must issue a refresh token".into()))
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn insert_tokens(&self, issuance: &Issuance) -> Result<(), StoreError> {
        self.writer.insert(token_rows(issuance)).await
    }

    async fn token(&self, hash: &SecretHash) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM tokens WHERE hash = $1")
            .bind(hash.as_bytes().to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::token).transpose()
    }

    async fn rotate_refresh_token(
        &self,
        old: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Rotation, StoreError> {
        let successor = successor_of(issuance)?;
        let (old, issuance) = (old.as_bytes().to_vec(), issuance.clone());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    let rotated = sqlx::query(
                        "UPDATE tokens SET rotated_at = $2, successor = $3
                         WHERE hash = $1 AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL",
                    )
                    .bind(old)
                    .bind(now)
                    .bind(successor)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_error)?;
                    if rotated.rows_affected() != 1 {
                        return Ok(Rotation::Stale);
                    }
                    insert(conn, &issuance).await?;
                    Ok(Rotation::Rotated)
                })
            })
            .await
    }

    async fn retry_rotation(
        &self,
        old: &SecretHash,
        successor: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Rotation, StoreError> {
        let new_successor = successor_of(issuance)?;
        let (old, successor, issuance) =
            (old.as_bytes().to_vec(), successor.as_bytes().to_vec(), issuance.clone());
        self.writer
            .write(move |conn| {
                Box::pin(async move {
                    // Check before writing: the batch holds the write lock, so nothing changes in between.
                    let claimable: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM tokens WHERE hash = $1 AND successor = $2 AND grace_used = 0
                             AND revoked_at IS NULL)
                         AND EXISTS (SELECT 1 FROM tokens WHERE hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL)",
                    )
                    .bind(&old)
                    .bind(&successor)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(map_error)?;
                    if !claimable {
                        return Ok(Rotation::Stale);
                    }
                    sqlx::query("UPDATE tokens SET grace_used = 1, successor = $2 WHERE hash = $1")
                        .bind(&old)
                        .bind(new_successor)
                        .execute(&mut *conn)
                        .await
                        .map_err(map_error)?;
                    // The successor, and the access token issued with it, are replaced.
                    sqlx::query(
                        "UPDATE tokens SET revoked_at = $2 WHERE (hash = $1 OR paired_refresh = $1) AND revoked_at IS NULL",
                    )
                    .bind(&successor)
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_error)?;
                    insert(conn, &issuance).await?;
                    Ok(Rotation::Rotated)
                })
            })
            .await
    }

    async fn revoke_token(&self, hash: &SecretHash, now: UnixTime) -> Result<(), StoreError> {
        self.update_at("UPDATE tokens SET revoked_at = $2 WHERE hash = $1 AND revoked_at IS NULL", hash, now)
            .await
    }

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<u64, StoreError> {
        let grant_id = grant_id.to_owned();
        self.writer
            .write_one(move |conn| {
                Box::pin(async move {
                    let revoked = sqlx::query(
                        "UPDATE tokens SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL",
                    )
                    .bind(grant_id)
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_error)?;
                    Ok(revoked.rows_affected())
                })
            })
            .await
    }
}
