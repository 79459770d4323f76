//! RFC 6749 §4.1.3 — Access Token Request with an authorization code, and RFC 7636 §4.6.
//!
//! A code is single-use and bound to its client and redirect URI. Every check runs
//! before the code is consumed; consuming it and storing the tokens is one atomic step,
//! so of many concurrent requests exactly one succeeds.

use crate::error::OAuthError;
use crate::model::{Client, GrantType};
use crate::openid::OFFLINE_ACCESS;
use crate::openid::id_token::IdToken;
use crate::params::Params;
use crate::pkce::CodeVerifier;
use crate::provider::Provider;
use crate::secret::Secret;
use crate::store::Redemption;

use super::Granted;
use crate::resource::narrowed_resources;
use crate::tokens::{Mint, RefreshMint};

impl Provider {
    pub(super) async fn exchange_code(
        &self,
        client: &Client,
        params: &Params,
        jkt: Option<&str>,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<CodeVerifier<'_>>,
    ) -> Result<Granted, OAuthError> {
        let hash = Secret::from_client(code).hash();
        let Some(stored) = self.store.code(&hash).await? else {
            return Err(invalid_code());
        };
        if stored.consumed_at.is_some() {
            // §4.1.2: "If an authorization code is used more than once, the authorization
            // server MUST deny the request and SHOULD revoke all tokens previously issued".
            self.revoke_replayed(&stored.grant_id).await?;
            return Err(invalid_code());
        }
        // §4.1.3: the code must have been issued to the authenticated client.
        if stored.client_id != client.id || stored.expires_at <= self.now() {
            return Err(invalid_code());
        }
        // §4.1.3: redirect_uri is required if it was sent to the authorization endpoint,
        // "and their values MUST be identical".
        if stored.redirect_uri.as_deref() != redirect_uri {
            return Err(OAuthError::invalid_grant("redirect_uri does not match the authorization request"));
        }
        match (&stored.challenge, code_verifier) {
            // RFC 7636 §4.6.
            (Some(challenge), Some(verifier)) if challenge.verify(&verifier) => {}
            (Some(_), _) => return Err(OAuthError::invalid_grant("code_verifier does not match")),
            // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a PKCE downgrade.
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant("code_verifier sent for a code issued without PKCE"));
            }
            (None, None) => {}
        }
        // RFC 9449 §10: a code bound with `dpop_jkt` is redeemed with a proof of that key.
        if let Some(bound) = &stored.dpop_jkt
            && jkt != Some(bound.as_str())
        {
            return Err(OAuthError::invalid_grant("the code is bound to another DPoP key"));
        }
        // RFC 8707 §2.2: the resources stay within what was authorized.
        let audience = narrowed_resources(params, &stored.resources)?;
        // The user may have been disabled since approving: nothing more for them.
        if !self.user_still_enabled(&stored.subject).await? {
            return Err(invalid_code());
        }
        self.validate_with_hooks(
            client,
            GrantType::AuthorizationCode,
            Some(&stored.subject),
            &stored.scope,
            params,
        )
        .await?;

        // OpenID Connect Core §11: where configured, an OpenID grant needs offline_access.
        let offline = stored.openid.is_none()
            || !self.config.oidc.refresh_requires_offline_access
            || stored.scope.contains(OFFLINE_ACCESS);
        let refresh = (self.issues_refresh_token(client) && offline).then(|| RefreshMint {
            scope: stored.scope.clone(),
            audience: stored.resources.clone(),
            family_end: self.new_family_end(),
        });
        let minted = self
            .mint(Mint {
                client,
                subject: Some(&stored.subject),
                grant_id: stored.grant_id.clone(),
                scope: stored.scope.clone(),
                audience,
                refresh,
                authentication: stored.openid.as_ref().map(|openid| openid.authentication.clone()),
                claims: stored.openid.as_ref().and_then(|openid| openid.claims.clone()),
                jkt: jkt.map(str::to_owned),
            })
            .await?;
        let mut response = minted.response;
        // OpenID Connect Core §3.1.3.3: an OpenID request's code also gets an ID token.
        if let Some(openid) = &stored.openid {
            response.id_token = Some(
                self.sign_id_token(&IdToken {
                    client,
                    subject: &stored.subject,
                    authentication: &openid.authentication,
                    nonce: openid.nonce.as_deref(),
                    claims: openid.claims.as_ref(),
                    access_token: response.access_token.expose(),
                    scope: &stored.scope,
                })
                .await?,
            );
        }
        match self.store.redeem_code(&hash, self.now(), &minted.issuance).await? {
            Redemption::Fresh => Ok(Granted { response, subject: Some(stored.subject), scope: stored.scope }),
            Redemption::Replayed { grant_id } => {
                // Another request consumed it first: this one is a replay.
                self.revoke_replayed(&grant_id).await?;
                Err(invalid_code())
            }
            Redemption::Unknown => Err(invalid_code()),
        }
    }

    async fn revoke_replayed(&self, grant_id: &str) -> Result<(), OAuthError> {
        let revoked = self.store.revoke_grant(grant_id, self.now()).await?;
        tracing::warn!(revoked, "authorization code replayed; its grant is revoked");
        Ok(())
    }
}

fn invalid_code() -> OAuthError {
    OAuthError::invalid_grant("the authorization code is invalid, expired or already used")
}
