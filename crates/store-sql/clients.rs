//! `ClientStore`, the same on SQLite and PostgreSQL.

use crate::shared::records::to_json_list;
use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{Client, SubjectType};
use oauth2u_core::store::{ClientStore, StoreError};

use crate::engine::{self, Query, Store};
use crate::{map_error, rows};

#[async_trait]
impl ClientStore for Store {
    async fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        let row = sqlx::query("SELECT * FROM clients WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_error)?;
        row.as_ref().map(rows::client).transpose()
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        let all = sqlx::query("SELECT * FROM clients ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)?;
        all.iter().map(rows::client).collect()
    }

    async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        // A client_id may never equal a user's subject.
        let sql = "INSERT INTO clients (id, name, public, secret_hash, previous_secret_hash,
                previous_secret_expires_at, redirect_uris, grant_types, scopes, default_scopes,
                allowed_origins, access_token_lifetime, refresh_token_lifetime, resource_server, resources,
                default_resource, access_token_format, id_token_alg, subject_type, sector_identifier,
                post_logout_redirect_uris, backchannel_logout_uri, backchannel_logout_session_required,
                created_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                $20, $21, $22, $23, $24
            WHERE NOT EXISTS (SELECT 1 FROM users WHERE subject = $1)";
        let taken = || StoreError::Conflict(format!("the id {} is taken", client.id));
        let inserted =
            bind_client(sqlx::query(sql), client).bind(client.created_at).execute(&self.pool).await.map_err(
                |error| match map_error(error) {
                    StoreError::Conflict(_) => taken(),
                    other => other,
                },
            )?;
        if inserted.rows_affected() == 0 {
            return Err(taken());
        }
        Ok(())
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let sql = "UPDATE clients SET name = $2, public = $3, secret_hash = $4, previous_secret_hash = $5,
                previous_secret_expires_at = $6, redirect_uris = $7, grant_types = $8, scopes = $9,
                default_scopes = $10, allowed_origins = $11, access_token_lifetime = $12,
                refresh_token_lifetime = $13, resource_server = $14, resources = $15,
                default_resource = $16, access_token_format = $17, id_token_alg = $18, subject_type = $19,
                sector_identifier = $20, post_logout_redirect_uris = $21, backchannel_logout_uri = $22,
                backchannel_logout_session_required = $23
            WHERE id = $1";
        let updated = bind_client(sqlx::query(sql), client).execute(&self.pool).await.map_err(map_error)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn remove_client(&self, id: &str, now: UnixTime) -> Result<bool, StoreError> {
        let mut tx = self.transaction().await?;
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        sqlx::query("DELETE FROM authorization_codes WHERE client_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        let removed = sqlx::query("DELETE FROM clients WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_error)?;
        tx.commit().await.map_err(map_error)?;
        Ok(removed.rows_affected() == 1)
    }

    async fn origin_allowed(&self, origin: &str) -> Result<bool, StoreError> {
        sqlx::query_scalar::<_, bool>(engine::ORIGIN_ALLOWED)
            .bind(origin)
            .fetch_one(&self.pool)
            .await
            .map_err(map_error)
    }
}

/// Binds $1..$23 in the column order of the statements above.
fn bind_client<'q>(query: Query<'q>, client: &Client) -> Query<'q> {
    let uris: Vec<&str> = client.redirect_uris.iter().map(|uri| uri.as_str()).collect();
    let grants: Vec<&str> = client.grant_types.iter().map(|grant| grant.as_str()).collect();
    let seconds = |lifetime: Option<std::time::Duration>| lifetime.map(oauth2u_core::clock::seconds);
    query
        .bind(client.id.clone())
        .bind(client.name.clone())
        .bind(client.public)
        .bind(client.secret_hash.map(|hash| hash.as_bytes().to_vec()))
        .bind(client.previous_secret.map(|(hash, _)| hash.as_bytes().to_vec()))
        .bind(client.previous_secret.map(|(_, until)| until))
        .bind(to_json_list(&uris))
        .bind(to_json_list(&grants))
        .bind(client.scopes.to_string())
        .bind(client.default_scopes.as_ref().map(ToString::to_string))
        .bind(to_json_list(&client.allowed_origins))
        .bind(seconds(client.access_token_lifetime))
        .bind(seconds(client.refresh_token_lifetime))
        .bind(client.resource_server.clone())
        .bind(to_json_list(&client.resources))
        .bind(client.default_resource.clone())
        .bind(client.access_token_format.map(|format| format.as_str()))
        .bind(client.id_token_alg.map(|alg| alg.as_str()))
        .bind(client.subject_type.as_str())
        .bind(match &client.subject_type {
            SubjectType::Pairwise { sector } => Some(sector.clone()),
            SubjectType::Public => None,
        })
        .bind(to_json_list(&client.post_logout_redirect_uris))
        .bind(client.backchannel_logout.as_ref().map(|logout| logout.uri.clone()))
        .bind(client.backchannel_logout.as_ref().is_some_and(|logout| logout.session_required))
}
