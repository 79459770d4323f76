//! `oauth2u clients …`

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use oauth2u_core::Store;
use oauth2u_core::admin::{self, AdminError, ClientSpec, RegisteredClient};
use oauth2u_core::keys::SigningAlgorithm;
use oauth2u_core::model::{Client, ClientKeys, GrantType};
use serde_json::{Value, json};

use super::now;

#[derive(Debug, Subcommand)]
pub(super) enum ClientsCommand {
    /// Register a client. Prints its client_id and, for a confidential client, its
    /// client_secret: shown once, stored hashed.
    Add {
        #[command(flatten)]
        options: ClientOptions,
        /// Choose the client_id instead of generating one.
        #[arg(long)]
        id: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List clients.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one client.
    Show {
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a client; options not given stay as they are.
    Update {
        id: String,
        #[command(flatten)]
        options: ClientOptions,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue a new client secret.
    RotateSecret {
        id: String,
        /// How long the old secret keeps working, e.g. 1h or 7d (default: stops at once).
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        overlap: Option<Duration>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a client and revoke all its tokens.
    Remove { id: String },
}

#[derive(Debug, Args)]
pub(super) struct ClientOptions {
    /// A name shown to people.
    #[arg(long)]
    name: Option<String>,
    /// A redirect URI (repeatable): https, loopback http, or a private-use scheme like com.example.app:/cb.
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// A public client (a browser or native app that cannot keep a secret): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// A confidential client (the default for add; on update, gives a public client a secret).
    #[arg(long, conflicts_with = "public")]
    confidential: bool,
    /// Comma list from authorization_code,refresh_token,client_credentials,password,implicit
    /// (default authorization_code,refresh_token).
    #[arg(long, value_delimiter = ',', value_parser = parse_grant, value_name = "LIST")]
    grant_types: Option<Vec<GrantType>>,
    /// Scopes the client may ask for, space-separated: "read write".
    #[arg(long)]
    scopes: Option<String>,
    /// Scopes granted when a request names none (default: all of --scopes).
    #[arg(long)]
    default_scopes: Option<String>,
    /// A browser origin allowed to call the token endpoint (CORS), e.g. https://app.example.com (repeatable).
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// For an API: the URI it is known by; it becomes a valid `resource` value, and this client
    /// may introspect the tokens issued for it.
    #[arg(long, value_name = "URI")]
    resource_server: Option<String>,
    /// A resource (RFC 8707) this client may ask tokens for (repeatable).
    #[arg(long = "resource", value_name = "URI")]
    resources: Vec<String>,
    /// The audience of this client's JWT access tokens when a request names no resource.
    #[arg(long, value_name = "URI")]
    default_resource: Option<String>,
    /// opaque or jwt access tokens for this client (default: the server's).
    #[arg(long, value_parser = super::parse_format, value_name = "FORMAT")]
    access_token_format: Option<oauth2u_core::config::TokenFormat>,
    /// Access token lifetime for this client, e.g. 15m (default: the server's).
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    access_token_lifetime: Option<Duration>,
    /// Refresh token lifetime for this client, e.g. 7d (default: the server's).
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    refresh_token_lifetime: Option<Duration>,
    /// The algorithm of this client's ID tokens: RS256 (the default), ES256 or EdDSA.
    #[arg(long, value_parser = parse_algorithm, value_name = "ALG")]
    id_token_alg: Option<SigningAlgorithm>,
    /// public (the default) or pairwise: a pairwise client sees a `sub` of its sector alone,
    /// which clients of other sectors cannot link (OpenID Connect Core §8).
    #[arg(long, value_parser = parse_subject_type, value_name = "TYPE")]
    subject_type: Option<bool>,
    /// The sector of a pairwise client: a host it owns, or its client id. Required when its
    /// redirect URIs are loopback, private-use, or on more than one host.
    #[arg(long, value_name = "HOST")]
    sector_identifier: Option<String>,
    /// Where RP-Initiated Logout may send the browser afterwards, matched exactly (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    /// Where Logout Tokens are POSTed when a session this client signed into ends
    /// (Back-Channel Logout); "" removes it.
    #[arg(long, value_name = "URI")]
    backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in its Logout Tokens.
    #[arg(long)]
    backchannel_logout_session_required: bool,
    /// How the client authenticates: client_secret_basic (the default, also accepting
    /// client_secret_post), private_key_jwt (RFC 7523: a JWT signed by its key, no secret),
    /// or none (a public client, like --public).
    #[arg(long, value_parser = parse_auth_method, value_name = "METHOD")]
    auth_method: Option<AuthMethod>,
    /// A file holding the client's public keys as a JWK Set (for private_key_jwt and signed
    /// request objects).
    #[arg(long, value_name = "FILE", conflicts_with = "jwks_uri")]
    jwks_file: Option<std::path::PathBuf>,
    /// The https URL of the client's JWK Set, fetched and cached by the server.
    #[arg(long, value_name = "URL")]
    jwks_uri: Option<String>,
    /// Every token request of this client must carry a DPoP proof (RFC 9449 §5.2); `false` lifts it.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    dpop_bound: Option<bool>,
    /// Every authorization request of this client must be pushed first (RFC 9126 §6); `false` lifts it.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    require_par: Option<bool>,
}

/// `--auth-method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuthMethod {
    Secret,
    PrivateKeyJwt,
    None,
}

fn parse_auth_method(name: &str) -> Result<AuthMethod, String> {
    match name.trim() {
        "client_secret_basic" | "client_secret_post" => Ok(AuthMethod::Secret),
        "private_key_jwt" => Ok(AuthMethod::PrivateKeyJwt),
        "none" => Ok(AuthMethod::None),
        "client_secret_jwt" => Err("client_secret_jwt is not offered: secrets are stored hashed".into()),
        _ => Err(format!(
            "unknown method `{name}`; known: client_secret_basic, client_secret_post, private_key_jwt, none"
        )),
    }
}

fn parse_subject_type(name: &str) -> Result<bool, String> {
    match name.trim() {
        "public" => Ok(false),
        "pairwise" => Ok(true),
        _ => Err(format!("unknown subject type `{name}`; known: public, pairwise")),
    }
}

fn parse_grant(name: &str) -> Result<GrantType, String> {
    GrantType::parse(name.trim()).ok_or_else(|| {
        let known: Vec<_> = GrantType::ALL.iter().map(|grant| grant.as_str()).collect();
        format!("unknown grant type `{name}`; known: {}", known.join(","))
    })
}

fn parse_algorithm(name: &str) -> Result<SigningAlgorithm, String> {
    SigningAlgorithm::parse(name.trim())
        .ok_or_else(|| format!("unknown algorithm `{name}`; known: RS256, ES256, EdDSA"))
}

impl ClientOptions {
    fn into_spec(self, id: Option<String>) -> Result<ClientSpec, AdminError> {
        let list = |items: Vec<String>| (!items.is_empty()).then_some(items);
        let keys = match (&self.jwks_file, &self.jwks_uri) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|error| AdminError::Invalid(format!("{}: {error}", path.display())))?;
                let jwks = serde_json::from_str(&text)
                    .map_err(|error| AdminError::Invalid(format!("{}: not JSON: {error}", path.display())))?;
                Some(ClientKeys::Jwks(jwks))
            }
            (None, Some(uri)) => Some(ClientKeys::JwksUri(uri.clone())),
            (None, None) => None,
        };
        Ok(ClientSpec {
            id,
            name: self.name,
            redirect_uris: list(self.redirect_uris),
            public: match (self.public, self.confidential, self.auth_method) {
                (true, _, _) | (_, _, Some(AuthMethod::None)) => Some(true),
                (_, true, _) | (_, _, Some(AuthMethod::Secret | AuthMethod::PrivateKeyJwt)) => Some(false),
                _ => None,
            },
            grant_types: self.grant_types,
            scopes: self.scopes,
            default_scopes: self.default_scopes,
            allowed_origins: list(self.allowed_origins),
            resource_server: self.resource_server,
            resources: list(self.resources),
            default_resource: self.default_resource,
            access_token_format: self.access_token_format,
            access_token_lifetime: self.access_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            id_token_alg: self.id_token_alg,
            pairwise: self.subject_type,
            sector_identifier: self.sector_identifier,
            post_logout_redirect_uris: list(self.post_logout_redirect_uris),
            backchannel_logout_uri: self.backchannel_logout_uri,
            backchannel_logout_session_required: self.backchannel_logout_session_required.then_some(true),
            private_key_jwt: self.auth_method.map(|method| method == AuthMethod::PrivateKeyJwt),
            keys,
            dpop_bound_access_tokens: self.dpop_bound,
            require_pushed_authorization_requests: self.require_par,
        })
    }
}

pub(super) async fn run(store: Arc<dyn Store>, command: ClientsCommand) -> Result<(), AdminError> {
    let store = store.as_ref();
    match command {
        ClientsCommand::Add { options, id, json } => {
            let registered = admin::register_client(store, options.into_spec(id)?, now()).await?;
            print_registered(&registered, json);
        }
        ClientsCommand::List { json } => {
            let clients = store.clients().await?;
            if json {
                println!("{}", Value::from(clients.iter().map(admin::describe_client).collect::<Vec<_>>()));
            } else if clients.is_empty() {
                println!("no clients");
            } else {
                for client in &clients {
                    let kind = if client.public { "public" } else { "confidential" };
                    // A client that registered itself (RFC 7591) says so.
                    let origin = if client.registration.is_some() { "\tdynamic" } else { "" };
                    println!("{}\t{}\t{}\t{}{origin}", client.id, client.name, kind, grant_list(client));
                }
            }
        }
        ClientsCommand::Show { id, json } => {
            let client = store
                .client(&id)
                .await?
                .ok_or_else(|| AdminError::NotFound(format!("no client with id {id}")))?;
            print_client(&client, None, json);
        }
        ClientsCommand::Update { id, options, json } => {
            let registered = admin::update_client(store, &id, options.into_spec(None)?).await?;
            print_registered(&registered, json);
        }
        ClientsCommand::RotateSecret { id, overlap, json } => {
            let registered =
                admin::rotate_client_secret(store, &id, overlap.unwrap_or_default(), now()).await?;
            print_registered(&registered, json);
        }
        ClientsCommand::Remove { id } => {
            admin::remove_client(store, &id, now()).await?;
            println!("removed client {id} and revoked its tokens");
        }
    }
    Ok(())
}

fn print_registered(registered: &RegisteredClient, json: bool) {
    print_client(&registered.client, registered.secret.as_ref().map(|secret| secret.expose()), json);
    if registered.secret.is_some() && !json {
        println!("The client secret is shown only this once; it is stored hashed.");
    }
}

fn print_client(client: &Client, secret: Option<&str>, json: bool) {
    let mut description = admin::describe_client(client);
    if let (Some(secret), Some(object)) = (secret, description.as_object_mut()) {
        object.insert("client_secret".into(), json!(secret));
    }
    if json {
        println!("{description}");
        return;
    }
    // Text: the identifiers first, then what is set.
    let order = [
        "client_id",
        "client_secret",
        "name",
        "public",
        "redirect_uris",
        "grant_types",
        "scopes",
        "default_scopes",
        "allowed_origins",
        "resource_server",
        "resources",
        "default_resource",
        "access_token_format",
        "access_token_lifetime",
        "refresh_token_lifetime",
        "id_token_alg",
        "subject_type",
        "sector_identifier",
        "post_logout_redirect_uris",
        "backchannel_logout_uri",
        "backchannel_logout_session_required",
        "token_endpoint_auth_method",
        "jwks_uri",
        "dpop_bound_access_tokens",
        "require_pushed_authorization_requests",
        "secret_overlap_until",
    ];
    for key in order {
        let shown = match &description[key] {
            Value::Null => continue,
            Value::String(text) => text.clone(),
            Value::Array(items) if items.is_empty() => continue,
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
            other => other.to_string(),
        };
        // Long names (the logout settings) keep a space before their value.
        let width = 24.max(key.len() + 1);
        println!("{key:<width$}{shown}");
    }
}

fn grant_list(client: &Client) -> String {
    client.grant_types.iter().map(|grant| grant.as_str()).collect::<Vec<_>>().join(",")
}
