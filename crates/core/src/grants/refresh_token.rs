//! RFC 6749 §6 — Refreshing an Access Token, with rotation per RFC 9700 §4.14.2.
//!
//! Every use rotates the refresh token. Presenting a rotated token again means two
//! parties hold it, so the whole family is revoked — unless the optional grace period
//! allows one network retry, which revokes the successor and issues a fresh pair, so
//! the family keeps exactly one live branch.

use crate::clock::seconds;
use crate::error::OAuthError;
use crate::model::{Client, GrantType, TokenKind, TokenRecord};
use crate::params::Params;
use crate::provider::Provider;
use crate::scope::ScopeSet;
use crate::secret::{Secret, SecretHash};
use crate::store::Rotation;

use super::Granted;
use crate::openid::id_token::IdToken;
use crate::resource::narrowed_resources;
use crate::tokens::{Mint, Minted, RefreshMint};

impl Provider {
    pub(super) async fn refresh(
        &self,
        client: &Client,
        params: &Params,
        jkt: Option<&str>,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<Granted, OAuthError> {
        let hash = Secret::from_client(refresh_token).hash();
        let now = self.now();
        let stored = match self.store.token(&hash).await? {
            // §6: the refresh token must have been issued to the authenticated client.
            Some(token) if token.kind == TokenKind::Refresh && token.client_id == client.id => token,
            _ => return Err(invalid_refresh_token()),
        };
        let retry_of = match stored.rotated_at {
            None => None,
            Some(rotated_at) if self.is_grace_retry(&stored, rotated_at) => stored.successor,
            Some(_) => {
                // RFC 9700 §4.14.2: reuse of a rotated token revokes the whole family.
                self.revoke_reused(&stored.grant_id).await?;
                return Err(invalid_refresh_token());
            }
        };
        let family_end = stored.grant_expires_at.unwrap_or(now);
        if stored.revoked_at.is_some() || stored.expires_at <= now || family_end <= now {
            return Err(invalid_refresh_token());
        }
        // RFC 9449 §5: a refresh token bound to a DPoP key needs a proof with that key.
        if let Some(bound) = &stored.jkt
            && jkt != Some(bound.as_str())
        {
            return Err(OAuthError::invalid_grant("the refresh token is bound to another DPoP key"));
        }
        // §6: the new access token's scope may narrow; it "MUST NOT include any scope
        // not originally granted". The new refresh token keeps the grant's scope.
        let access_scope = match scope {
            None => stored.scope.clone(),
            Some(text) => {
                let requested = ScopeSet::parse(text)?;
                if !requested.is_subset(&stored.scope) {
                    return Err(OAuthError::invalid_scope("the requested scope exceeds the original grant"));
                }
                requested
            }
        };
        // RFC 8707 §2.2: within what the grant covers.
        let audience = narrowed_resources(params, &stored.audience)?;
        let subject = stored.subject.as_deref();
        if let Some(subject) = subject
            && !self.user_still_enabled(subject).await?
        {
            return Err(invalid_refresh_token());
        }
        self.validate_with_hooks(client, GrantType::RefreshToken, subject, &access_scope, params).await?;

        let minted = self
            .mint(Mint {
                client,
                subject,
                grant_id: stored.grant_id.clone(),
                scope: access_scope.clone(),
                audience,
                refresh: Some(RefreshMint {
                    scope: stored.scope.clone(),
                    audience: stored.audience.clone(),
                    family_end,
                }),
                authentication: stored.authentication.clone(),
                claims: stored.claims.clone(),
                jkt: jkt.map(str::to_owned),
            })
            .await?;
        let mut response = minted.response;
        // OpenID Connect Core §12.2: a new ID token for the same user and sign-in, no nonce.
        if let (Some(authentication), Some(subject)) = (&stored.authentication, subject) {
            response.id_token = Some(
                self.sign_id_token(&IdToken {
                    client,
                    subject,
                    authentication,
                    nonce: None,
                    claims: stored.claims.as_ref(),
                    access_token: response.access_token.expose(),
                    scope: &stored.scope,
                })
                .await?,
            );
        }
        let minted = Minted { response, issuance: minted.issuance };
        let rotation = match retry_of {
            None => self.store.rotate_refresh_token(&hash, now, &minted.issuance).await?,
            Some(successor) => self.retry(&hash, &successor, &minted).await?,
        };
        match rotation {
            Rotation::Rotated => {
                Ok(Granted { response: minted.response, subject: stored.subject, scope: access_scope })
            }
            Rotation::Stale => {
                // Another request rotated it first: this one is a reuse.
                self.revoke_reused(&stored.grant_id).await?;
                Err(invalid_refresh_token())
            }
        }
    }

    /// Whether presenting this rotated token is the one retry the grace period allows.
    fn is_grace_retry(&self, stored: &TokenRecord, rotated_at: i64) -> bool {
        let grace = seconds(self.config.lifetimes.refresh_grace_period);
        grace > 0 && !stored.grace_used && self.now() - rotated_at <= grace
    }

    async fn retry(
        &self,
        old: &SecretHash,
        successor: &SecretHash,
        minted: &Minted,
    ) -> Result<Rotation, OAuthError> {
        let rotation = self.store.retry_rotation(old, successor, self.now(), &minted.issuance).await?;
        tracing::info!("refresh token presented again within the grace period; its successor is replaced");
        Ok(rotation)
    }

    async fn revoke_reused(&self, grant_id: &str) -> Result<(), OAuthError> {
        let revoked = self.store.revoke_grant(grant_id, self.now()).await?;
        tracing::warn!(revoked, "rotated refresh token reused; its family is revoked");
        Ok(())
    }
}

fn invalid_refresh_token() -> OAuthError {
    OAuthError::invalid_grant("the refresh token is invalid, expired or revoked")
}
