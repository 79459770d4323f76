//! RFC 6749 §4.3 — Resource Owner Password Credentials Grant. Legacy: RFC 9700 §2.4
//! says it MUST NOT be used, so it is off unless switched on server-wide and per client.

use std::net::IpAddr;

use crate::error::OAuthError;
use crate::model::{Client, GrantType};
use crate::params::Params;
use crate::provider::Provider;
use crate::resource::requested_resources;
use crate::throttle::SignIn;

use super::Granted;
use crate::tokens::{Mint, RefreshMint, new_grant_id};

impl Provider {
    pub(super) async fn password(
        &self,
        client: &Client,
        params: &Params,
        jkt: Option<&str>,
        (username, password): (&str, &str),
        scope: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<Granted, OAuthError> {
        let scope = client.requested_scope(scope)?;
        let audience = requested_resources(client, params)?;
        // §5.2 invalid_grant: "the provided authorization grant (e.g., ... resource owner
        // credentials) is invalid". §4.3.2: the server MUST protect against brute force; a
        // throttled attempt gets the same answer as a wrong password, so it tells nothing.
        let user = match self.sign_in(username, password, address).await? {
            SignIn::User(user) => user,
            SignIn::Invalid | SignIn::Throttled { .. } => {
                return Err(OAuthError::invalid_grant("invalid username or password"));
            }
        };

        self.validate_with_hooks(client, GrantType::Password, Some(&user.subject), &scope, params).await?;
        let refresh = self.issues_refresh_token(client).then(|| RefreshMint {
            scope: scope.clone(),
            audience: audience.clone(),
            family_end: self.new_family_end(),
        });
        let minted = self
            .mint(Mint {
                client,
                subject: Some(&user.subject),
                grant_id: new_grant_id()?,
                scope: scope.clone(),
                audience,
                refresh,
                authentication: None,
                claims: None,
                jkt: jkt.map(str::to_owned),
            })
            .await?;
        self.store.insert_tokens(&minted.issuance).await?;
        Ok(Granted { response: minted.response, subject: Some(user.subject), scope })
    }
}
