//! Minting tokens: opaque or JWT access tokens, refresh tokens, and what is stored for them.

use serde_json::Map;

use crate::claims_request::ClaimsRequest;
use crate::clock::{UnixTime, seconds};
use crate::config::TokenFormat;
use crate::error::OAuthError;
use crate::model::{Authentication, Client, GrantType, Issuance, NewToken};
use crate::provider::Provider;
use crate::scope::ScopeSet;

use super::TokenResponse;
use crate::secret::{Secret, SecretKind, random_string};

/// Tokens minted for one response, with what must be stored for them.
pub(crate) struct Minted {
    pub response: TokenResponse,
    pub issuance: Issuance,
}

/// What a grant asks to be minted.
pub(crate) struct Mint<'a> {
    pub client: &'a Client,
    pub subject: Option<&'a str>,
    /// The family; a new one for a new grant, the old one on refresh.
    pub grant_id: String,
    /// The access token's scope.
    pub scope: ScopeSet,
    /// The access token's audience.
    pub audience: Vec<String>,
    /// The refresh token, or `None` for none.
    pub refresh: Option<RefreshMint>,
    /// An OpenID grant's sign-in: kept with the refresh token for later ID tokens.
    pub authentication: Option<Authentication>,
    /// An OpenID grant's `claims` request (Core §5.5), kept with every token.
    pub claims: Option<ClaimsRequest>,
    /// RFC 9449 §6: the thumbprint of the DPoP key the tokens are bound to.
    pub jkt: Option<String>,
}

/// What a refresh token covers: the whole grant, however narrow its access tokens.
pub(crate) struct RefreshMint {
    pub scope: ScopeSet,
    pub audience: Vec<String>,
    /// The family's absolute end.
    pub family_end: UnixTime,
}

impl Provider {
    /// Whether a grant of this client should come with a refresh token: only when the
    /// refresh grant is on and registered for the client (§1.5, §4.4.3: never for client
    /// credentials, §4.2.2: never for implicit).
    pub(crate) fn issues_refresh_token(&self, client: &Client) -> bool {
        self.config.grants.refresh_token && client.allows(GrantType::RefreshToken)
    }

    /// The end of a new family's absolute lifetime.
    pub(crate) fn new_family_end(&self) -> UnixTime {
        self.now() + seconds(self.config.lifetimes.refresh_family)
    }

    pub(crate) async fn mint(&self, mint: Mint<'_>) -> Result<Minted, OAuthError> {
        let now = self.now();
        let lifetimes = &self.config.lifetimes;
        let access_lifetime = seconds(mint.client.access_token_lifetime.unwrap_or(lifetimes.access_token));
        let expires_at = now + access_lifetime;
        let format = mint.client.access_token_format.unwrap_or(self.config.access_token_format);
        let (access_token, jwt) = match format {
            TokenFormat::Opaque => (Secret::generate(SecretKind::AccessToken)?, None),
            TokenFormat::Jwt => {
                let signed = self.sign_access_token(&mint, now, expires_at).await?;
                (Secret::from_client(&signed.jwt), Some((signed.jti, signed.kid)))
            }
        };
        let access = NewToken {
            hash: access_token.hash(),
            scope: mint.scope.clone(),
            audience: mint.audience,
            expires_at,
            jwt,
            jkt: mint.jkt.clone(),
        };
        let (refresh_token, refresh) = match mint.refresh {
            Some(RefreshMint { scope, audience, family_end }) => {
                let lifetime = seconds(mint.client.refresh_token_lifetime.unwrap_or(lifetimes.refresh_token));
                let token = Secret::generate(SecretKind::RefreshToken)?;
                let stored = NewToken {
                    hash: token.hash(),
                    scope,
                    audience,
                    // A refresh token never outlives its family.
                    expires_at: (now + lifetime).min(family_end),
                    jwt: None,
                    // RFC 9449 §5: a public client's refresh token is bound to its key too.
                    jkt: mint.jkt.clone().filter(|_| mint.client.public),
                };
                (Some(token), Some((stored, family_end)))
            }
            None => (None, None),
        };
        Ok(Minted {
            issuance: Issuance {
                grant_id: mint.grant_id,
                client_id: mint.client.id.clone(),
                subject: mint.subject.map(str::to_owned),
                issued_at: now,
                access,
                refresh,
                authentication: mint.authentication,
                claims: mint.claims,
            },
            response: TokenResponse {
                access_token,
                expires_in: access_lifetime,
                refresh_token,
                scope: mint.scope,
                id_token: None,
                extra: Map::new(),
                dpop_bound: mint.jkt.is_some(),
            },
        })
    }
}

/// A new grant (token family) identifier.
pub(crate) fn new_grant_id() -> Result<String, OAuthError> {
    random_string(16)
}

impl Provider {
    /// §4.2.2: the access token of an implicit grant. Never a refresh token.
    pub(crate) async fn issue_implicit(
        &self,
        client: &Client,
        subject: &str,
        scope: &ScopeSet,
        audience: Vec<String>,
    ) -> Result<TokenResponse, OAuthError> {
        let minted = self
            .mint(Mint {
                client,
                subject: Some(subject),
                grant_id: new_grant_id()?,
                scope: scope.clone(),
                audience,
                refresh: None,
                authentication: None,
                claims: None,
                jkt: None,
            })
            .await?;
        self.store.insert_tokens(&minted.issuance).await?;
        Ok(minted.response)
    }
}
