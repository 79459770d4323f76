//! Client registration (RFC 6749 §2) with the refusals that keep it safe.

use std::time::Duration;

use crate::client_id::ClientId;
use crate::client_keys::{check_jwks, is_key_set_url};
use crate::clock::{UnixTime, seconds};
use crate::model::{BackchannelLogout, Client, ClientKeys, DynamicRegistration, GrantType, SubjectType};
use crate::openid::id_token::DEFAULT_ID_TOKEN_ALGORITHM;
use crate::openid::subject::sector_of;
use crate::redirect_uri::RedirectUri;
use crate::scope::ScopeSet;
use crate::secret::{Secret, SecretKind, random_id};
use crate::store::Store;

use super::AdminError;

/// What an operator asks for when registering or updating a client. On update, `None`
/// leaves a setting as it was.
#[derive(Debug, Clone, Default)]
pub struct ClientSpec {
    /// `client_id`; generated when absent.
    pub id: Option<String>,
    /// A name shown to people.
    pub name: Option<String>,
    /// Redirect URIs.
    pub redirect_uris: Option<Vec<String>>,
    /// A public client (no secret).
    pub public: Option<bool>,
    /// Grant types; default `authorization_code, refresh_token`.
    pub grant_types: Option<Vec<GrantType>>,
    /// Scopes the client may ask for.
    pub scopes: Option<String>,
    /// Scopes granted when a request names none.
    pub default_scopes: Option<String>,
    /// Browser origins allowed to call the token endpoint.
    pub allowed_origins: Option<Vec<String>>,
    /// For an API: the URI it is known by (a `resource` value and an audience).
    pub resource_server: Option<String>,
    /// Resources (RFC 8707) the client may ask tokens for.
    pub resources: Option<Vec<String>>,
    /// The audience of its JWT access tokens when a request names no resource.
    pub default_resource: Option<String>,
    /// Opaque or JWT access tokens for this client.
    pub access_token_format: Option<crate::config::TokenFormat>,
    /// Access token lifetime override.
    pub access_token_lifetime: Option<Duration>,
    /// Refresh token lifetime override.
    pub refresh_token_lifetime: Option<Duration>,
    /// The algorithm of its ID tokens (RS256 when unset).
    pub id_token_alg: Option<crate::signing_key::SigningAlgorithm>,
    /// Pairwise (`true`) or public subjects (OpenID Connect Core §8).
    pub pairwise: Option<bool>,
    /// The sector of a pairwise client, when its redirect URIs do not name one host.
    pub sector_identifier: Option<String>,
    /// RP-Initiated Logout §3: where the browser may be sent after logging out.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Back-Channel Logout §2.2: where Logout Tokens go; an empty string removes it.
    pub backchannel_logout_uri: Option<String>,
    /// Back-Channel Logout §2.2: whether Logout Tokens must carry `sid`.
    pub backchannel_logout_session_required: Option<bool>,
    /// `private_key_jwt` (RFC 7523 §2.2): the client proves itself with JWTs signed by one
    /// of its `keys`, and has no secret.
    pub private_key_jwt: Option<bool>,
    /// Its public keys: a JWK Set, or the https URL of one.
    pub keys: Option<ClientKeys>,
    /// RFC 9449 §5.2: every token request must carry a DPoP proof.
    pub dpop_bound_access_tokens: Option<bool>,
    /// RFC 9126 §6: every authorization request must be pushed first.
    pub require_pushed_authorization_requests: Option<bool>,
}

/// A registered client and, for a confidential one, its secret — shown this once.
#[derive(Debug)]
pub struct RegisteredClient {
    /// The client as stored.
    pub client: Client,
    /// The new secret, in the clear.
    pub secret: Option<Secret>,
}

/// A client as the command line and the admin API show it: JSON, without any secret
/// material (no secret hash, no registration access token).
pub fn describe_client(client: &Client) -> serde_json::Value {
    let seconds = |lifetime: Option<Duration>| lifetime.map(|d| d.as_secs());
    serde_json::json!({
        "client_id": client.id,
        "name": client.name,
        "public": client.public,
        "redirect_uris": client.redirect_uris.iter().map(|uri| uri.as_str()).collect::<Vec<_>>(),
        "grant_types": client.grant_types.iter().map(|grant| grant.as_str()).collect::<Vec<_>>(),
        "scopes": client.scopes.to_string(),
        "default_scopes": client.default_scope().to_string(),
        "allowed_origins": client.allowed_origins,
        "resource_server": client.resource_server,
        "resources": client.resources,
        "default_resource": client.default_resource,
        "access_token_format": client.access_token_format.map(|format| format.as_str()),
        "access_token_lifetime": seconds(client.access_token_lifetime),
        "refresh_token_lifetime": seconds(client.refresh_token_lifetime),
        "id_token_alg": client.id_token_alg.unwrap_or(DEFAULT_ID_TOKEN_ALGORITHM).as_str(),
        "subject_type": client.subject_type.as_str(),
        "sector_identifier": match &client.subject_type {
            SubjectType::Pairwise { sector } => Some(sector),
            SubjectType::Public => None,
        },
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "backchannel_logout_uri": client.backchannel_logout.as_ref().map(|logout| &logout.uri),
        "backchannel_logout_session_required": client.backchannel_logout.as_ref().map(|logout| logout.session_required),
        "secret_overlap_until": client.previous_secret.map(|(_, until)| until),
        "token_endpoint_auth_method": if client.public {
            "none"
        } else if client.authenticates_with_keys() {
            "private_key_jwt"
        } else {
            "client_secret_basic"
        },
        "jwks": match &client.keys { Some(ClientKeys::Jwks(jwks)) => Some(jwks), _ => None },
        "jwks_uri": match &client.keys { Some(ClientKeys::JwksUri(uri)) => Some(uri), _ => None },
        "dpop_bound_access_tokens": client.dpop_bound_access_tokens,
        "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
        "dynamic": client.registration.is_some(),
    })
}

/// The clients after `after` (a client id; none: from the first), `limit` at most (1 to 1000).
pub async fn list_clients(
    store: &dyn Store,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Client>, AdminError> {
    Ok(store.clients_page(after, limit.clamp(1, 1000)).await?)
}

/// Registers a new client.
pub async fn register_client(
    store: &dyn Store,
    spec: ClientSpec,
    now: UnixTime,
) -> Result<RegisteredClient, AdminError> {
    register(store, spec, None, now).await
}

/// Registers a client that registered itself (RFC 7591), under the same rules.
pub async fn register_dynamic_client(
    store: &dyn Store,
    spec: ClientSpec,
    registration: DynamicRegistration,
    now: UnixTime,
) -> Result<RegisteredClient, AdminError> {
    register(store, spec, Some(registration), now).await
}

/// Replaces a dynamic client's registration (RFC 7592 §2.2): the spec as a whole, fields
/// left out reset to their defaults; the secret stays.
pub async fn replace_dynamic_client(
    store: &dyn Store,
    id: &str,
    spec: ClientSpec,
    registration: DynamicRegistration,
) -> Result<Client, AdminError> {
    let current = find(store, id).await?;
    let blank = Client {
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        backchannel_logout: None,
        id_token_alg: None,
        subject_type: SubjectType::Public,
        keys: None,
        ..current
    };
    let mut client = apply(blank, ClientSpec { id: None, ..spec })?;
    client.registration = Some(registration);
    if !store.update_client(&client).await? {
        return Err(not_found(id));
    }
    Ok(client)
}

async fn register(
    store: &dyn Store,
    spec: ClientSpec,
    registration: Option<DynamicRegistration>,
    now: UnixTime,
) -> Result<RegisteredClient, AdminError> {
    let id = match &spec.id {
        Some(id) => check_client_id(id)?,
        None => random_id(16)?,
    };
    let blank = blank(id, &spec, registration, now);
    let private_key_jwt = spec.private_key_jwt == Some(true);
    let mut client = apply(blank, spec)?;
    if client.name.is_empty() {
        return Err(AdminError::Invalid("a client needs a --name".into()));
    }
    let secret = (!client.public && !private_key_jwt)
        .then(|| Secret::generate(SecretKind::ClientSecret))
        .transpose()?;
    client.secret_hash = secret.as_ref().map(Secret::hash);
    store.insert_client(&client).await?;
    Ok(RegisteredClient { client, secret })
}

/// A client nobody registered here: one read from its metadata document (the client ID
/// metadata document draft), under the same rules as `clients add`, public or with keys,
/// never stored.
pub fn unstored_client(
    id: &str,
    spec: ClientSpec,
    document_hash: String,
    now: UnixTime,
) -> Result<Client, AdminError> {
    let mut blank = blank(id.to_owned(), &spec, None, now);
    blank.metadata_document = Some(document_hash);
    // Public, unless it proves itself with its keys (`private_key_jwt`): never a secret.
    let public = spec.private_key_jwt != Some(true);
    let client = apply(blank, ClientSpec { id: None, public: Some(public), ..spec })?;
    if client.name.is_empty() {
        return Err(AdminError::Invalid("a client needs a name".into()));
    }
    Ok(client)
}

/// A client with every setting at its default, before a spec is applied.
fn blank(id: String, spec: &ClientSpec, registration: Option<DynamicRegistration>, now: UnixTime) -> Client {
    let blank = Client {
        id,
        name: String::new(),
        public: false,
        secret_hash: None,
        previous_secret: None,
        redirect_uris: Vec::new(),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: ScopeSet::empty(),
        default_scopes: None,
        allowed_origins: Vec::new(),
        resource_server: None,
        resources: Vec::new(),
        default_resource: None,
        access_token_format: None,
        access_token_lifetime: None,
        refresh_token_lifetime: None,
        id_token_alg: None,
        subject_type: SubjectType::Public,
        post_logout_redirect_uris: Vec::new(),
        backchannel_logout: None,
        registration,
        metadata_document: None,
        keys: None,
        dpop_bound_access_tokens: false,
        require_pushed_authorization_requests: false,
        created_at: now,
    };
    // An API (a resource server) only authenticates to introspect: it needs no grant.
    match (&spec.grant_types, &spec.resource_server) {
        (None, Some(_)) => Client { grant_types: Vec::new(), ..blank },
        _ => blank,
    }
}

/// Changes a client's registration. Making a confidential client public drops its secrets;
/// making a public client confidential gives it a new secret.
pub async fn update_client(
    store: &dyn Store,
    id: &str,
    spec: ClientSpec,
) -> Result<RegisteredClient, AdminError> {
    let current = find(store, id).await?;
    let had_secret = current.secret_hash.is_some();
    let private_key_jwt = spec.private_key_jwt.unwrap_or(current.authenticates_with_keys());
    let mut client = apply(current, ClientSpec { id: None, ..spec })?;
    let mut secret = None;
    if client.public || private_key_jwt {
        client.secret_hash = None;
        client.previous_secret = None;
    } else if !had_secret {
        let new = Secret::generate(SecretKind::ClientSecret)?;
        client.secret_hash = Some(new.hash());
        secret = Some(new);
    }
    if !store.update_client(&client).await? {
        return Err(not_found(id));
    }
    Ok(RegisteredClient { client, secret })
}

/// Issues a new secret. The old one keeps working for `overlap`, then stops.
pub async fn rotate_client_secret(
    store: &dyn Store,
    id: &str,
    overlap: Duration,
    now: UnixTime,
) -> Result<RegisteredClient, AdminError> {
    let mut client = find(store, id).await?;
    if client.public || client.authenticates_with_keys() {
        return Err(AdminError::Invalid(format!(
            "client {id} has no secret: it is public or uses private_key_jwt"
        )));
    }
    let secret = Secret::generate(SecretKind::ClientSecret)?;
    client.previous_secret = match (client.secret_hash, overlap.is_zero()) {
        (Some(old), false) => Some((old, now + seconds(overlap))),
        _ => None,
    };
    client.secret_hash = Some(secret.hash());
    if !store.update_client(&client).await? {
        return Err(not_found(id));
    }
    Ok(RegisteredClient { client, secret: Some(secret) })
}

/// Removes a client and revokes every token it holds.
pub async fn remove_client(store: &dyn Store, id: &str, now: UnixTime) -> Result<(), AdminError> {
    if store.remove_client(id, now).await? { Ok(()) } else { Err(not_found(id)) }
}

async fn find(store: &dyn Store, id: &str) -> Result<Client, AdminError> {
    store.client(id).await?.ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(format!("no client with id {id}"))
}

/// Applies a spec to a client and checks the result as a whole.
fn apply(mut client: Client, spec: ClientSpec) -> Result<Client, AdminError> {
    let invalid = |message: String| AdminError::Invalid(message);
    let spec_openid = OpenIdSpec {
        pairwise: spec.pairwise,
        sector_identifier: spec.sector_identifier.clone(),
        post_logout_redirect_uris: spec.post_logout_redirect_uris.clone(),
        backchannel_logout_uri: spec.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: spec.backchannel_logout_session_required,
    };
    if let Some(name) = spec.name {
        client.name = name.trim().to_owned();
    }
    if let Some(public) = spec.public {
        client.public = public;
    }
    if let Some(uris) = spec.redirect_uris {
        client.redirect_uris = uris
            .iter()
            .map(|uri| RedirectUri::parse(uri).map_err(|error| invalid(error.to_string())))
            .collect::<Result<_, _>>()?;
    }
    if let Some(mut grants) = spec.grant_types {
        grants.sort();
        grants.dedup();
        client.grant_types = grants;
    }
    if let Some(scopes) = spec.scopes {
        client.scopes = parse_scopes(&scopes)?;
    }
    if let Some(defaults) = spec.default_scopes {
        client.default_scopes = Some(parse_scopes(&defaults)?);
    }
    if let Some(origins) = spec.allowed_origins {
        client.allowed_origins =
            origins.iter().map(|origin| check_origin(origin)).collect::<Result<_, _>>()?;
    }
    if let Some(uri) = spec.resource_server {
        crate::resource::check_uri(&uri).map_err(|error| invalid(error.description.into_owned()))?;
        client.resource_server = Some(uri);
    }
    if let Some(resources) = spec.resources {
        for uri in &resources {
            crate::resource::check_uri(uri).map_err(|error| invalid(error.description.into_owned()))?;
        }
        client.resources = resources;
    }
    if let Some(uri) = spec.default_resource {
        crate::resource::check_uri(&uri).map_err(|error| invalid(error.description.into_owned()))?;
        client.default_resource = Some(uri);
    }
    if spec.access_token_format.is_some() {
        client.access_token_format = spec.access_token_format;
    }
    if spec.access_token_lifetime.is_some() {
        client.access_token_lifetime = spec.access_token_lifetime;
    }
    if spec.id_token_alg.is_some() {
        client.id_token_alg = spec.id_token_alg;
    }
    if spec.refresh_token_lifetime.is_some() {
        client.refresh_token_lifetime = spec.refresh_token_lifetime;
    }
    if let Some(keys) = spec.keys {
        check_keys(&keys)?;
        client.keys = Some(keys);
    }
    if spec.private_key_jwt == Some(true) && (client.public || client.keys.is_none()) {
        return Err(invalid(
            "private_key_jwt needs a confidential client with keys (--jwks-file or --jwks-uri)".into(),
        ));
    }
    if let Some(bound) = spec.dpop_bound_access_tokens {
        client.dpop_bound_access_tokens = bound;
    }
    if let Some(required) = spec.require_pushed_authorization_requests {
        client.require_pushed_authorization_requests = required;
    }
    apply_openid(&mut client, &spec_openid)?;
    check(&client)?;
    Ok(client)
}

/// What OpenID Connect adds to a registration: subjects and logout.
struct OpenIdSpec {
    pairwise: Option<bool>,
    sector_identifier: Option<String>,
    post_logout_redirect_uris: Option<Vec<String>>,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: Option<bool>,
}

fn apply_openid(client: &mut Client, spec: &OpenIdSpec) -> Result<(), AdminError> {
    let invalid = |message: String| AdminError::Invalid(message);
    // Core §8. The sector is fixed when the client becomes pairwise, so that its users'
    // subjects stay the same when its redirect URIs change later; naming one changes it.
    let pairwise = spec.pairwise.unwrap_or(matches!(client.subject_type, SubjectType::Pairwise { .. }));
    client.subject_type = match (&client.subject_type, pairwise) {
        (_, false) => SubjectType::Public,
        (SubjectType::Pairwise { sector }, true) if spec.sector_identifier.is_none() => {
            SubjectType::Pairwise { sector: sector.clone() }
        }
        (_, true) => SubjectType::Pairwise {
            sector: sector_of(spec.sector_identifier.as_deref(), &client.redirect_uris).map_err(invalid)?,
        },
    };
    if spec.sector_identifier.is_some() && !pairwise {
        return Err(invalid("--sector-identifier is for pairwise clients (--subject-type pairwise)".into()));
    }
    if let Some(uris) = &spec.post_logout_redirect_uris {
        // RP-Initiated Logout §3: held to the rules of redirect URIs, and matched exactly.
        for uri in uris {
            RedirectUri::parse(uri).map_err(|error| invalid(format!("post-logout {error}")))?;
        }
        client.post_logout_redirect_uris = uris.clone();
    }
    if let Some(uri) = &spec.backchannel_logout_uri {
        client.backchannel_logout = match uri.is_empty() {
            true => None,
            false => Some(BackchannelLogout {
                uri: check_backchannel_uri(uri)?,
                session_required: client
                    .backchannel_logout
                    .as_ref()
                    .is_some_and(|logout| logout.session_required),
            }),
        };
    }
    if let Some(required) = spec.backchannel_logout_session_required {
        match &mut client.backchannel_logout {
            Some(logout) => logout.session_required = required,
            None if required => {
                return Err(invalid(
                    "--backchannel-logout-session-required needs --backchannel-logout-uri".into(),
                ));
            }
            None => {}
        }
    }
    Ok(())
}

/// Back-Channel Logout §2.2: an absolute URI without a fragment; https, or http on a
/// loopback address (for development; delivery to it must also be allowed in the settings).
fn check_backchannel_uri(uri: &str) -> Result<String, AdminError> {
    let url = url::Url::parse(uri).ok().filter(|url| url.fragment().is_none() && url.host().is_some());
    let fine = url.is_some_and(|url| match url.scheme() {
        "https" => true,
        "http" => crate::redirect_uri::is_loopback_url(&url),
        _ => false,
    });
    if fine {
        Ok(uri.to_owned())
    } else {
        Err(AdminError::Invalid(format!(
            "back-channel logout URI `{uri}` must be an absolute https URI without a fragment \
             (http only on a loopback address)"
        )))
    }
}

fn check(client: &Client) -> Result<(), AdminError> {
    let invalid = |message: String| Err(AdminError::Invalid(message));
    if client.public {
        // RFC 6749 §4.4 and §4.3: these grants need a client that can keep a secret.
        if let Some(grant) = client.grant_types.iter().find(|grant| grant.needs_confidential_client()) {
            return invalid(format!(
                "the {grant} grant is only for confidential clients; drop --public or the grant"
            ));
        }
    }
    let redirecting = client.allows(GrantType::AuthorizationCode) || client.allows(GrantType::Implicit);
    if redirecting && client.redirect_uris.is_empty() {
        return invalid("authorization_code and implicit need at least one --redirect-uri".into());
    }
    if let Some(defaults) = &client.default_scopes
        && !defaults.is_subset(&client.scopes)
    {
        return invalid("--default-scopes must be within --scopes".into());
    }
    Ok(())
}

/// RFC 7591 §2: a key set of public keys, or an https URL to fetch one from.
fn check_keys(keys: &ClientKeys) -> Result<(), AdminError> {
    match keys {
        ClientKeys::Jwks(jwks) => check_jwks(jwks).map_err(AdminError::Invalid),
        ClientKeys::JwksUri(uri) => match url::Url::parse(uri) {
            Ok(url) if is_key_set_url(&url) => Ok(()),
            _ => Err(AdminError::Invalid(format!("jwks_uri `{uri}` must be an https URL"))),
        },
    }
}

fn parse_scopes(text: &str) -> Result<ScopeSet, AdminError> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Ok(ScopeSet::empty());
    }
    ScopeSet::parse(&text).map_err(|_| AdminError::Invalid(format!("malformed scope list `{text}`")))
}

/// RFC 6749 §2.2: client_id is printable ASCII (VSCHAR); we also keep out spaces and ':'
/// so that it survives Basic authentication unencoded.
fn check_client_id(id: &str) -> Result<String, AdminError> {
    if !id.contains(':')
        && let Ok(id) = ClientId::parse(id)
    {
        Ok(id.into())
    } else {
        Err(AdminError::Invalid(format!(
            "client id `{id}` must be 1 to 255 printable ASCII characters, without ':' or a leading '-'"
        )))
    }
}

/// A browser origin: `scheme://host[:port]`, nothing more (RFC 6454).
fn check_origin(origin: &str) -> Result<String, AdminError> {
    let parsed = url::Url::parse(origin).ok().filter(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && url.path() == "/"
            && !origin.ends_with('/')
    });
    match parsed {
        Some(url) if url.origin().ascii_serialization() == origin => Ok(origin.to_owned()),
        _ => Err(AdminError::Invalid(format!(
            "allowed origin `{origin}` must be scheme://host[:port], like https://app.example.com"
        ))),
    }
}
