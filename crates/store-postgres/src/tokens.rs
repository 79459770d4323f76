//! `TokenStore` on PostgreSQL. Rotation is a conditional UPDATE in the transaction that
//! stores the successor, so two racing uses of one refresh token — on one instance or on
//! two — never both yield live tokens.

use crate::shared::records::{to_json, to_json_list};
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{Issuance, TokenRecord};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{Rotation, StoreError, TokenStore};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use crate::{PostgresStore, map_error, rows};

/// Stores the tokens of one response in one statement (inside the caller's transaction, if any).
pub(crate) async fn insert(conn: &mut PgConnection, issuance: &Issuance) -> Result<(), StoreError> {
    insert_all(conn, &[issuance]).await
}

/// Stores the tokens of several responses in one statement: all of them, or none.
pub(crate) async fn insert_all(conn: &mut PgConnection, issuances: &[&Issuance]) -> Result<(), StoreError> {
    let mut tokens = Vec::new();
    for issuance in issuances {
        let refresh_hash = issuance.refresh.as_ref().map(|(token, _)| token.hash.as_bytes().to_vec());
        tokens.push((*issuance, "access", &issuance.access, None, refresh_hash));
        if let Some((token, family_end)) = &issuance.refresh {
            tokens.push((*issuance, "refresh", token, Some(*family_end), None));
        }
    }
    let mut statement = QueryBuilder::<Postgres>::new(
        "INSERT INTO tokens (hash, kind, grant_id, client_id, subject, scope, issued_at,
            expires_at, grant_expires_at, paired_refresh, audience, jti, kid, authentication, sid, claims) ",
    );
    statement.push_values(tokens, |mut row, (issuance, kind, token, family_end, paired)| {
        row.push_bind(token.hash.as_bytes().to_vec())
            .push_bind(kind)
            .push_bind(issuance.grant_id.clone())
            .push_bind(issuance.client_id.clone())
            .push_bind(issuance.subject.clone())
            .push_bind(token.scope.to_string())
            .push_bind(issuance.issued_at)
            .push_bind(token.expires_at)
            .push_bind(family_end)
            .push_bind(paired)
            .push_bind(to_json_list(&token.audience))
            .push_bind(token.jwt.as_ref().map(|(jti, _)| jti.clone()))
            .push_bind(token.jwt.as_ref().map(|(_, kid)| kid.clone()))
            // An OpenID grant's sign-in, kept on its refresh token (Core §12.2).
            .push_bind(issuance.authentication.as_ref().filter(|_| kind == "refresh").map(to_json))
            // Every token of the grant names its session: a logout revokes them (Back-Channel
            // Logout §2.7), and keeps the `claims` request (Core §5.5).
            .push_bind(
                issuance.authentication.as_ref().and_then(|authentication| authentication.session_id.clone()),
            )
            .push_bind(issuance.claims.as_ref().map(to_json));
    });
    statement.build().execute(conn).await.map_err(map_error)?;
    Ok(())
}

/// Marks the live, unrotated refresh token `old` as rotated into the issuance's refresh
/// token, inside the caller's transaction; false if it was not live any more.
pub(crate) async fn mark_rotated(
    conn: &mut PgConnection,
    old: &SecretHash,
    now: UnixTime,
    issuance: &Issuance,
) -> Result<bool, StoreError> {
    let rotated = sqlx::query(
        "UPDATE tokens SET rotated_at = $2, successor = $3
         WHERE hash = $1 AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL",
    )
    .bind(old.as_bytes().to_vec())
    .bind(now)
    .bind(successor_of(issuance)?)
    .execute(conn)
    .await
    .map_err(map_error)?;
    Ok(rotated.rows_affected() == 1)
}

fn successor_of(issuance: &Issuance) -> Result<Vec<u8>, StoreError> {
    issuance
        .refresh
        .as_ref()
        .map(|(token, _)| token.hash.as_bytes().to_vec())
        .ok_or_else(|| StoreError::Other("a rotation must issue a refresh token".into()))
}

#[async_trait]
impl TokenStore for PostgresStore {
    async fn insert_tokens(&self, issuance: &Issuance) -> Result<(), StoreError> {
        self.batcher.insert(issuance.clone()).await
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
        // With the next batch: its conditional UPDATE and the successor's INSERT commit
        // together, with other requests' writes.
        self.batcher.rotate(*old, now, issuance.clone()).await
    }

    async fn retry_rotation(
        &self,
        old: &SecretHash,
        successor: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Rotation, StoreError> {
        let new_successor = successor_of(issuance)?;
        let (old, successor) = (old.as_bytes().to_vec(), successor.as_bytes().to_vec());
        let mut tx = self.transaction().await?;
        // Lock the successor while it is still live: its own rotation, on any instance,
        // waits for this transaction and then finds it revoked.
        let live = sqlx::query(
            "SELECT 1 FROM tokens WHERE hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL FOR UPDATE",
        )
        .bind(&successor)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_error)?;
        if live.is_none() {
            return Ok(Rotation::Stale);
        }
        // The grace is used once: of racing retries, one updates the row.
        let claimed = sqlx::query(
            "UPDATE tokens SET grace_used = TRUE, successor = $3
             WHERE hash = $1 AND successor = $2 AND grace_used = FALSE AND revoked_at IS NULL",
        )
        .bind(&old)
        .bind(&successor)
        .bind(new_successor)
        .execute(&mut *tx)
        .await
        .map_err(map_error)?;
        if claimed.rows_affected() != 1 {
            return Ok(Rotation::Stale);
        }
        // The successor, and the access token issued with it, are replaced.
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE (hash = $1 OR paired_refresh = $1) AND revoked_at IS NULL")
            .bind(&successor)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        insert(&mut tx, issuance).await?;
        tx.commit().await.map_err(map_error)?;
        Ok(Rotation::Rotated)
    }

    async fn revoke_token(&self, hash: &SecretHash, now: UnixTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE hash = $1 AND revoked_at IS NULL")
            .bind(hash.as_bytes().to_vec())
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<u64, StoreError> {
        let revoked =
            sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL")
                .bind(grant_id)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
        Ok(revoked.rows_affected())
    }
}
