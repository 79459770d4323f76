//! RFC 7591 — Dynamic Client Registration, and RFC 7592 — its management: a client
//! registers itself at `/register` and reads, replaces or deletes its registration at its
//! `registration_client_uri` with the registration access token it was given.
//!
//! Refusing is cheap: the throttle (one conditional write per address and minute) and the
//! initial access token come before any other work. The registration access token is
//! stored as a hash, so it cannot be shown again: each read or update answers with a new one
//! and the old one stops working (§2.1, §2.2 allow the server to issue a new one).

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::admin::{self, AdminError};
use crate::clock::UnixTime;
use crate::config::RegistrationMode;
use crate::error::OAuthError;
use crate::hooks::{RegistrationContext, RegistrationDecision};
use crate::model::{Client, DynamicRegistration};
use crate::provider::Provider;
use crate::registration::{self, Registered};
use crate::secret::{Secret, SecretKind};
use crate::store::{Attempt, AttemptLimits};

/// The answer to a registration, a read or an update: the client information response
/// (RFC 7591 §3.2.1, RFC 7592 §3).
pub struct ClientInformation {
    /// The client's id, for its `registration_client_uri`.
    pub client_id: String,
    /// The JSON body, the new registration access token in it.
    pub body: Map<String, Value>,
}

impl Provider {
    /// `POST /register` (RFC 7591 §3.1): the request's JSON body, its bearer token (an
    /// initial access token) and the caller's address. `Ok` is a 201.
    pub async fn register(
        &self,
        body: &[u8],
        bearer: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<ClientInformation, OAuthError> {
        let policy = &self.config.registration;
        let now = self.now();
        self.throttle_registration(address, now).await?;
        if policy.mode == RegistrationMode::Token {
            // §3: "the client MAY be required to present an initial access token".
            let token =
                bearer.ok_or_else(|| OAuthError::invalid_token("an initial access token is required"))?;
            if !self.store.use_registration_token(&Secret::from_client(token).hash(), now).await? {
                return Err(OAuthError::invalid_token(
                    "the initial access token is unknown, expired or used up",
                ));
            }
        }
        let requested = registration::supported_members(body)?;
        let Registered { spec, metadata, .. } = self.registration_policy(&requested, address, None).await?;
        let token = Secret::generate(SecretKind::RegistrationAccessToken)?;
        let dynamic = DynamicRegistration { token_hash: token.hash(), metadata, last_used_at: None };
        let registered =
            admin::register_dynamic_client(self.store.as_ref(), spec, dynamic, now).await.map_err(refused)?;
        let mut information = information(&registered.client, &token);
        if let Some(secret) = registered.secret {
            information.body.insert("client_secret".into(), secret.expose().into());
            // §3.2.1: 0 — the secret does not expire.
            information.body.insert("client_secret_expires_at".into(), 0.into());
        }
        Ok(information)
    }

    /// RFC 7592 §2.1: the registration of `client_id`, with a new registration access token.
    pub async fn read_registration(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<ClientInformation, OAuthError> {
        let mut client = self.registered_client(client_id, bearer).await?;
        let token = self.new_registration_token(&mut client).await?;
        Ok(information(&client, &token))
    }

    /// RFC 7592 §2.2: replaces the registration of `client_id` with the metadata in `body`,
    /// which must name the client; members left out are reset to their defaults.
    pub async fn update_registration(
        &self,
        client_id: &str,
        bearer: Option<&str>,
        body: &[u8],
        address: Option<IpAddr>,
    ) -> Result<ClientInformation, OAuthError> {
        let current = self.registered_client(client_id, bearer).await?;
        let Ok(Value::Object(whole)) = serde_json::from_slice::<Value>(body) else {
            return Err(OAuthError::invalid_client_metadata(
                "the body must be a JSON object (RFC 7591 §3.1)",
            ));
        };
        if whole.get("client_id").and_then(Value::as_str) != Some(client_id) {
            return Err(OAuthError::invalid_client_metadata(
                "the body's client_id must be this client's (RFC 7592 §2.2)",
            ));
        }
        // §2.2: a client_secret, if sent, must be the current one; the client never sets it.
        if let Some(sent) = whole.get("client_secret") {
            let matches = sent
                .as_str()
                .zip(current.secret_hash)
                .is_some_and(|(sent, hash)| Secret::from_client(sent).hash() == hash);
            if !matches {
                return Err(OAuthError::invalid_client_metadata(
                    "client_secret is not the current secret, and cannot be chosen",
                ));
            }
        }
        let requested = registration::supported_members(body)?;
        let Registered { spec, metadata, .. } =
            self.registration_policy(&requested, address, Some(client_id)).await?;
        if spec.public != Some(current.public)
            || spec.private_key_jwt != Some(current.authenticates_with_keys())
        {
            return Err(OAuthError::invalid_client_metadata(
                "token_endpoint_auth_method cannot change between none, a secret and private_key_jwt; register a new client",
            ));
        }
        let token = Secret::generate(SecretKind::RegistrationAccessToken)?;
        let last_used_at = current.registration.as_ref().and_then(|registration| registration.last_used_at);
        let dynamic = DynamicRegistration { token_hash: token.hash(), metadata, last_used_at };
        let updated = admin::replace_dynamic_client(self.store.as_ref(), client_id, spec, dynamic)
            .await
            .map_err(refused)?;
        self.clients.forget(client_id);
        Ok(information(&updated, &token))
    }

    /// RFC 7592 §2.3: removes the client and revokes its tokens. `Ok` is a 204.
    pub async fn delete_registration(&self, client_id: &str, bearer: Option<&str>) -> Result<(), OAuthError> {
        self.registered_client(client_id, bearer).await?;
        admin::remove_client(self.store.as_ref(), client_id, self.now()).await.map_err(refused)?;
        self.clients.forget(client_id);
        Ok(())
    }

    /// §3: "the authorization server MAY … rate-limit registration requests": per address,
    /// counted in the database so that every instance sees the same count.
    async fn throttle_registration(&self, address: Option<IpAddr>, now: UnixTime) -> Result<(), OAuthError> {
        let key =
            format!("register:{}", address.map_or_else(|| "unknown".into(), |address| address.to_string()));
        let limits = AttemptLimits {
            free: i64::from(self.config.registration.per_address_per_minute.max(1)),
            window: 60,
            max_delay: 60,
        };
        match self.store.reserve_attempt(&key, now, &limits).await? {
            Attempt::Allowed => Ok(()),
            Attempt::Refused { retry_after } => Err(OAuthError::slow_down(format!(
                "too many registrations from this address; try again in {retry_after} s"
            ))),
        }
    }

    /// The policy hook, then the rules of §2 on what it leaves, then the sector identifier's
    /// document (OpenID Connect Registration §5).
    async fn registration_policy(
        &self,
        requested: &Map<String, Value>,
        address: Option<IpAddr>,
        client_id: Option<&str>,
    ) -> Result<Registered, OAuthError> {
        let context = RegistrationContext { metadata: requested, address, client_id };
        let adjusted = match self.hooks.client_registration(&context).await? {
            RegistrationDecision::Allow => None,
            RegistrationDecision::Deny(error) => return Err(error),
            RegistrationDecision::Adjust(metadata) => Some(metadata),
        };
        let registered =
            registration::read(adjusted.as_ref().unwrap_or(requested), &self.config.registration)?;
        if let Some(uri) = &registered.sector_uri {
            let fetcher = self.fetcher.as_ref().ok_or_else(|| {
                OAuthError::invalid_client_metadata("this server fetches no sector_identifier_uri")
            })?;
            let document = fetcher.get_json(uri).await.map_err(|error| {
                OAuthError::invalid_client_metadata(format!("sector_identifier_uri: {error}"))
            })?;
            let redirect_uris = registered.spec.redirect_uris.clone().unwrap_or_default();
            registration::check_sector_document(&document.body, &redirect_uris)?;
        }
        Ok(registered)
    }

    /// The client whose registration `bearer` manages. RFC 7592 §2: an unknown client, a
    /// client made by an administrator, and a wrong token are all the same 401.
    async fn registered_client(&self, client_id: &str, bearer: Option<&str>) -> Result<Client, OAuthError> {
        let refused =
            || OAuthError::invalid_token("the registration access token is not valid for this client");
        let token = bearer.ok_or_else(refused)?;
        let client = self.store.client(client_id).await?.ok_or_else(refused)?;
        let registration = client.registration.as_ref().ok_or_else(refused)?;
        // SecretHash's equality is constant-time.
        if Secret::from_client(token).hash() != registration.token_hash {
            return Err(refused());
        }
        Ok(client)
    }

    /// Replaces the client's registration access token; the new one, in the clear.
    async fn new_registration_token(&self, client: &mut Client) -> Result<Secret, OAuthError> {
        let token = Secret::generate(SecretKind::RegistrationAccessToken)?;
        if let Some(registration) = client.registration.as_mut() {
            registration.token_hash = token.hash();
        }
        if !self.store.update_client(client).await? {
            return Err(OAuthError::invalid_token("the client no longer exists"));
        }
        Ok(token)
    }
}

/// The client information response: the registered metadata, the client's identity, and
/// how to manage it (the URI is completed by the HTTP layer, which knows the path).
fn information(client: &Client, token: &Secret) -> ClientInformation {
    let mut body =
        client.registration.as_ref().map(|registration| registration.metadata.clone()).unwrap_or_default();
    body.insert("client_id".into(), client.id.clone().into());
    body.insert("client_id_issued_at".into(), client.created_at.into());
    if client.secret_hash.is_some() {
        body.insert("client_secret_expires_at".into(), 0.into());
    }
    body.insert("registration_access_token".into(), token.expose().into());
    ClientInformation { client_id: client.id.clone(), body }
}

/// An administrative refusal, as §3.2.2 names it.
fn refused(error: AdminError) -> OAuthError {
    match error {
        AdminError::Invalid(why) => OAuthError::invalid_client_metadata(why),
        AdminError::NotFound(_) => OAuthError::invalid_token("the client no longer exists"),
        AdminError::Conflict(why) => OAuthError::invalid_client_metadata(why),
        AdminError::Store(error) => error.into(),
        other => OAuthError::server_error(other),
    }
}
