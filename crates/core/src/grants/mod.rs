//! RFC 6749 §3.2 and §5 — the token endpoint: one function whose steps read in order
//! (STYLE.md #3), and one file per grant behind the closed [`TokenRequest`] enum.

mod authorization_code;
mod client_credentials;
mod device_code;
mod password;
mod refresh_token;

use std::net::IpAddr;

use oauth2u_jose::dpop::Proof;

use crate::dpop::DpopHeader;
use crate::error::OAuthError;
use crate::hooks::TokenContext;
use crate::model::{Client, GrantType};
use crate::params::Params;
use crate::pkce::CodeVerifier;
use crate::provider::Provider;
use crate::scope::ScopeSet;

pub use crate::tokens::TokenResponse;

/// A token request, parsed by grant type.
#[derive(Debug)]
pub enum TokenRequest<'a> {
    /// §4.1.3.
    AuthorizationCode {
        /// `code`.
        code: &'a str,
        /// `redirect_uri`, required when it was sent to the authorization endpoint.
        redirect_uri: Option<&'a str>,
        /// RFC 7636 `code_verifier`.
        code_verifier: Option<CodeVerifier<'a>>,
    },
    /// §6.
    RefreshToken {
        /// `refresh_token`.
        refresh_token: &'a str,
        /// A narrower scope for the new access token.
        scope: Option<&'a str>,
    },
    /// §4.4.2.
    ClientCredentials {
        /// `scope`.
        scope: Option<&'a str>,
    },
    /// RFC 8628 §3.4.
    DeviceCode {
        /// `device_code`.
        device_code: &'a str,
    },
    /// §4.3.2.
    Password {
        /// `username`.
        username: &'a str,
        /// `password`.
        password: &'a str,
        /// `scope`.
        scope: Option<&'a str>,
    },
}

/// What a grant issued: the response, and what the response hooks are told of it.
pub(crate) struct Granted {
    /// The token response (RFC 6749 §5.1).
    pub(crate) response: TokenResponse,
    /// The user the tokens act for; none for client credentials.
    pub(crate) subject: Option<String>,
    /// The scope of the access token.
    pub(crate) scope: ScopeSet,
}

impl<'a> TokenRequest<'a> {
    /// The grant's own parameters; a missing one is `invalid_request`.
    fn parse(grant: GrantType, params: &'a Params) -> Result<Self, OAuthError> {
        Ok(match grant {
            GrantType::AuthorizationCode => Self::AuthorizationCode {
                code: params.require("code")?,
                redirect_uri: params.get("redirect_uri")?,
                code_verifier: params.get("code_verifier")?.map(CodeVerifier::new),
            },
            GrantType::RefreshToken => Self::RefreshToken {
                refresh_token: params.require("refresh_token")?,
                scope: params.get("scope")?,
            },
            GrantType::ClientCredentials => Self::ClientCredentials { scope: params.get("scope")? },
            GrantType::Password => Self::Password {
                username: params.require("username")?,
                password: params.require("password")?,
                scope: params.get("scope")?,
            },
            GrantType::DeviceCode => Self::DeviceCode { device_code: params.require("device_code")? },
            GrantType::Implicit => return Err(unsupported()),
        })
    }
}

impl Provider {
    /// The token endpoint. Everything that can refuse runs before anything is consumed.
    /// `address` is the client's, for the password grant's throttle.
    /// `dpop` is the request's DPoP header, if it had one (RFC 9449 §5).
    pub async fn token(
        &self,
        params: &Params,
        authorization: Option<&str>,
        dpop: Option<&DpopHeader<'_>>,
        address: Option<IpAddr>,
    ) -> Result<TokenResponse, OAuthError> {
        // §3.1: no parameter may repeat.
        params.reject_repeated()?;
        // RFC 9449 §4.3: the proof, before anything is written — a `use_dpop_nonce` refusal
        // leaves the client assertion's `jti` unused, so the retry can send it again.
        let proof = self.check_dpop_proof(dpop).await?;
        // §3.2.1: authenticate the client.
        let client = self.authenticate_client(params, authorization).await?;
        let jkt = self.bind_proof(&client, proof.as_ref()).await?;
        let jkt = jkt.as_deref();
        // §5.2 unsupported_grant_type: unknown, not a token-endpoint grant, or switched off.
        let name = params.require("grant_type")?;
        let grant = GrantType::ALL
            .into_iter()
            .find(|grant| grant.as_str() == name)
            .filter(|grant| *grant != GrantType::Implicit && self.config.grants.enabled(*grant))
            .ok_or_else(unsupported)?;
        // §5.2 unauthorized_client: the client is not registered for this grant.
        if !client.allows(grant) {
            return Err(OAuthError::unauthorized_client(format!(
                "this client may not use the {grant} grant"
            )));
        }
        let request = TokenRequest::parse(grant, params)?;
        // Scope, the grant's checks, the validation hooks, then the state change.
        let Granted { response, subject, scope } = match request {
            TokenRequest::AuthorizationCode { code, redirect_uri, code_verifier } => {
                self.exchange_code(&client, params, jkt, code, redirect_uri, code_verifier).await?
            }
            TokenRequest::RefreshToken { refresh_token, scope } => {
                self.refresh(&client, params, jkt, refresh_token, scope).await?
            }
            TokenRequest::ClientCredentials { scope } => {
                self.client_credentials(&client, params, jkt, scope).await?
            }
            TokenRequest::DeviceCode { device_code } => {
                self.poll_device(&client, params, jkt, device_code).await?
            }
            TokenRequest::Password { username, password, scope } => {
                self.password(&client, params, jkt, (username, password), scope, address).await?
            }
        };
        // After commit: the response hook may add fields, never change the token's own.
        let context = TokenContext {
            client: &client,
            grant_type: grant,
            subject: subject.as_deref(),
            scope: &scope,
            params,
        };
        let extra = self.hooks.access_token_response(&context).await;
        // A client that registered itself is kept while it is used (`unused_client_lifetime`);
        // the cached record says when that was last written, so this is a write a day.
        let day_ago = self.now() - 24 * 3600;
        if let Some(registration) = &client.registration
            && registration.last_used_at.is_none_or(|last| last < day_ago)
            && let Err(error) = self.store.record_client_use(&client.id, self.now()).await
        {
            // The tokens are committed; a missed mark only shortens the client's life.
            tracing::warn!(%error, "could not record a registered client's use");
        }
        Ok(response.with_extra(extra))
    }

    /// RFC 9449 §5.2: a client registered with `dpop_bound_access_tokens` must send a proof;
    /// a proof's `jti` is used once (§11.1). The key the tokens will be bound to.
    pub(crate) async fn bind_proof(
        &self,
        client: &Client,
        proof: Option<&Proof>,
    ) -> Result<Option<String>, OAuthError> {
        match proof {
            Some(proof) => {
                self.record_dpop_proof(proof).await?;
                Ok(Some(proof.jkt.clone()))
            }
            None if client.dpop_bound_access_tokens => {
                Err(OAuthError::invalid_dpop_proof("this client must send a DPoP proof"))
            }
            None => Ok(None),
        }
    }

    /// Runs the `access_token_validation` hook.
    async fn validate_with_hooks(
        &self,
        client: &Client,
        grant_type: GrantType,
        subject: Option<&str>,
        scope: &ScopeSet,
        params: &Params,
    ) -> Result<(), OAuthError> {
        let context = TokenContext { client, grant_type, subject, scope, params };
        self.hooks.access_token_validation(&context).await
    }

    /// Whether tokens may still be issued for `subject`: checked by every grant that issues
    /// tokens for a user, at redemption, since the user may have been disabled after the
    /// code, refresh token or device approval was made. A subject that is no local user was
    /// granted by a hook, which answers for it; removing a user revokes what it held.
    pub(crate) async fn user_still_enabled(&self, subject: &str) -> Result<bool, OAuthError> {
        Ok(self.store.user_by_subject(subject).await?.is_none_or(|user| !user.disabled))
    }
}

fn unsupported() -> OAuthError {
    OAuthError::unsupported_grant_type("unsupported grant_type")
}
