//! RFC 6749 §4.4 — Client Credentials Grant. The client acts on its own behalf:
//! no resource owner, and "A refresh token SHOULD NOT be included" (§4.4.3) — we never do.

use crate::error::OAuthError;
use crate::model::{Client, GrantType};
use crate::params::Params;
use crate::provider::Provider;
use crate::resource::requested_resources;

use super::Granted;
use crate::tokens::{Mint, new_grant_id};

impl Provider {
    pub(super) async fn client_credentials(
        &self,
        client: &Client,
        params: &Params,
        jkt: Option<&str>,
        scope: Option<&str>,
    ) -> Result<Granted, OAuthError> {
        let scope = client.requested_scope(scope)?;
        let audience = requested_resources(client, params)?;
        self.validate_with_hooks(client, GrantType::ClientCredentials, None, &scope, params).await?;
        let minted = self
            .mint(Mint {
                client,
                subject: None,
                grant_id: new_grant_id()?,
                scope: scope.clone(),
                audience,
                refresh: None,
                authentication: None,
                claims: None,
                jkt: jkt.map(str::to_owned),
            })
            .await?;
        self.store.insert_tokens(&minted.issuance).await?;
        Ok(Granted { response: minted.response, subject: None, scope })
    }
}
