//! `ClientStore`.

use async_trait::async_trait;
use oauth2u_core::clock::UnixTime;
use oauth2u_core::model::{Client, ClientKeys, SubjectType};
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::{ClientStore, StoreError};

use crate::records::{self, Columns, to_json, to_json_list};
use crate::{Engine, SqlStore, Value, params};

/// A day, in seconds: how fresh `last_used_at` is kept.
const DAY: i64 = 24 * 3600;

#[async_trait]
impl<E: Engine> ClientStore for SqlStore<E> {
    async fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        let row = self.engine.fetch_optional("SELECT * FROM clients WHERE id = $1", params![id]).await?;
        row.as_ref().map(records::client).transpose()
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        let all = self.engine.fetch_all("SELECT * FROM clients ORDER BY id", params![]).await?;
        all.iter().map(records::client).collect()
    }

    async fn clients_page(&self, after: Option<&str>, limit: i64) -> Result<Vec<Client>, StoreError> {
        let rows = self
            .engine
            .fetch_all(
                "SELECT * FROM clients WHERE $1 IS NULL OR id > $1 ORDER BY id LIMIT $2",
                params![after, limit],
            )
            .await?;
        rows.iter().map(records::client).collect()
    }

    async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        // A client_id may never equal a user's subject.
        let sql = "INSERT INTO clients (id, name, public, secret_hash, previous_secret_hash,
                previous_secret_expires_at, redirect_uris, grant_types, scopes, default_scopes,
                allowed_origins, access_token_lifetime, refresh_token_lifetime, resource_server, resources,
                default_resource, access_token_format, id_token_alg, subject_type, sector_identifier,
                post_logout_redirect_uris, backchannel_logout_uri, backchannel_logout_session_required,
                registration_token_hash, registration_metadata, jwks, jwks_uri, dpop_bound_access_tokens,
                require_pushed_authorization_requests, created_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30
            WHERE NOT EXISTS (SELECT 1 FROM users WHERE subject = $1)";
        let taken = || StoreError::Conflict(format!("the id {} is taken", client.id));
        let mut values = client_values(client);
        values.push(client.created_at.into());
        let inserted = self.engine.execute(sql, values).await.map_err(|error| match error {
            StoreError::Conflict(_) => taken(),
            other => other,
        })?;
        if inserted == 0 {
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
                backchannel_logout_session_required = $23, registration_token_hash = $24,
                registration_metadata = $25, jwks = $26, jwks_uri = $27, dpop_bound_access_tokens = $28,
                require_pushed_authorization_requests = $29
            WHERE id = $1";
        Ok(self.engine.execute(sql, client_values(client)).await? == 1)
    }

    async fn remove_client(&self, id: &str, now: UnixTime) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.engine
            .transaction(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "UPDATE tokens SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL",
                        params![&id, now],
                    )
                    .await?;
                    tx.execute("DELETE FROM authorization_codes WHERE client_id = $1", params![&id]).await?;
                    Ok(tx.execute("DELETE FROM clients WHERE id = $1", params![&id]).await? == 1)
                })
            })
            .await
    }

    async fn origin_allowed(&self, origin: &str) -> Result<bool, StoreError> {
        Ok(self.engine.fetch_optional(E::ORIGIN_ALLOWED, params![origin]).await?.is_some())
    }

    async fn insert_registration_token(
        &self,
        hash: &SecretHash,
        expires_at: Option<UnixTime>,
        uses: Option<i64>,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        self.engine
            .execute(
                "INSERT INTO registration_tokens (hash, expires_at, uses_left, created_at) VALUES ($1, $2, $3, $4)",
                params![hash, expires_at, uses, now],
            )
            .await?;
        Ok(())
    }

    async fn use_registration_token(&self, hash: &SecretHash, now: UnixTime) -> Result<bool, StoreError> {
        let used = self
            .engine
            .execute(
                "UPDATE registration_tokens SET uses_left = uses_left - 1
                 WHERE hash = $1 AND (expires_at IS NULL OR expires_at > $2)
                   AND (uses_left IS NULL OR uses_left > 0)",
                params![hash, now],
            )
            .await?;
        Ok(used == 1)
    }

    async fn record_client_use(&self, id: &str, now: UnixTime) -> Result<(), StoreError> {
        self.engine
            .execute(
                "UPDATE clients SET last_used_at = $2
                 WHERE id = $1 AND registration_token_hash IS NOT NULL
                   AND (last_used_at IS NULL OR last_used_at < $3)",
                params![id, now, now - DAY],
            )
            .await?;
        Ok(())
    }

    async fn remove_unused_dynamic_clients(
        &self,
        unused_since: UnixTime,
        now: UnixTime,
    ) -> Result<u64, StoreError> {
        let ids: Vec<String> = {
            let rows = self
                .engine
                .fetch_all(
                    "SELECT id FROM clients WHERE registration_token_hash IS NOT NULL
                       AND COALESCE(last_used_at, created_at) < $1",
                    params![unused_since],
                )
                .await?;
            rows.iter()
                .map(|row| row.text("id"))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect()
        };
        let mut removed = 0;
        for id in ids {
            removed += u64::from(self.remove_client(&id, now).await?);
        }
        Ok(removed)
    }
}

/// $1..$25 in the column order of the statements above.
fn client_values(client: &Client) -> Vec<Value> {
    let uris: Vec<&str> = client.redirect_uris.iter().map(|uri| uri.as_str()).collect();
    let grants: Vec<&str> = client.grant_types.iter().map(|grant| grant.as_str()).collect();
    let seconds = |lifetime: Option<std::time::Duration>| lifetime.map(oauth2u_core::clock::seconds);
    params![
        &client.id,
        &client.name,
        client.public,
        client.secret_hash.map(|hash| hash.as_bytes().to_vec()),
        client.previous_secret.map(|(hash, _)| hash.as_bytes().to_vec()),
        client.previous_secret.map(|(_, until)| until),
        to_json_list(&uris),
        to_json_list(&grants),
        client.scopes.to_string(),
        client.default_scopes.as_ref().map(ToString::to_string),
        to_json_list(&client.allowed_origins),
        seconds(client.access_token_lifetime),
        seconds(client.refresh_token_lifetime),
        client.resource_server.clone(),
        to_json_list(&client.resources),
        client.default_resource.clone(),
        client.access_token_format.map(|format| format.as_str()),
        client.id_token_alg.map(|alg| alg.as_str()),
        client.subject_type.as_str(),
        match &client.subject_type {
            SubjectType::Pairwise { sector } => Some(sector.clone()),
            SubjectType::Public => None,
        },
        to_json_list(&client.post_logout_redirect_uris),
        client.backchannel_logout.as_ref().map(|logout| logout.uri.clone()),
        client.backchannel_logout.as_ref().is_some_and(|logout| logout.session_required),
        client.registration.as_ref().map(|registration| registration.token_hash.as_bytes().to_vec()),
        client.registration.as_ref().map(|registration| to_json(&registration.metadata)),
        match &client.keys {
            Some(ClientKeys::Jwks(jwks)) => Some(to_json(jwks)),
            _ => None,
        },
        match &client.keys {
            Some(ClientKeys::JwksUri(uri)) => Some(uri.clone()),
            _ => None,
        },
        client.dpop_bound_access_tokens,
        client.require_pushed_authorization_requests,
    ]
}
