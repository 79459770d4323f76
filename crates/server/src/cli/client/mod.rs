//! The client-side commands (`token`, `login`, `device`, `refresh`, `revoke`, `userinfo`,
//! `introspect`): flags and profiles resolved into an `oauth2u_client::Client`, then one
//! library call each. Exit status: 0 done, 1 refused (an OAuth error, a bad answer, a
//! refused callback), 2 the network.

mod commands;
mod display;

use std::path::PathBuf;
use std::process::ExitCode;

use oauth2u_client::profiles::{self, Profile};
use oauth2u_client::{
    Client, ClientError, DpopKey, Endpoint, Endpoints, Provider, ProviderOptions, Request, TokenCache,
};

pub use commands::ClientCommand;

/// Who the client is and which server it talks to; shared by every client command.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// A profile from the profiles file: its settings, overridden by flags.
    #[arg(short = 'p', long, value_name = "NAME")]
    profile: Option<String>,
    /// The profiles file (default ~/.config/oauth2u/client.toml).
    #[arg(long, value_name = "FILE", env = "OAUTH2U_CLIENT_PROFILES")]
    profiles: Option<PathBuf>,
    /// The authorization server's issuer identifier; its endpoints are discovered (RFC 8414).
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// The client identifier.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// The client secret (confidential clients; also OAUTH2U_CLIENT_SECRET); `-` reads it
    /// from standard input, which keeps it out of the process list.
    #[arg(long, value_name = "SECRET", env = "OAUTH2U_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Read the client secret from the first line of standard input.
    #[arg(long, conflicts_with = "client_secret")]
    client_secret_stdin: bool,
    /// The authorization endpoint, instead of discovery's.
    #[arg(long, value_name = "URL", help_heading = "Endpoints (for servers without discovery)")]
    authorization_endpoint: Option<String>,
    /// The token endpoint, instead of discovery's.
    #[arg(long, value_name = "URL", help_heading = "Endpoints (for servers without discovery)")]
    token_endpoint: Option<String>,
    /// The device authorization endpoint, instead of discovery's.
    #[arg(long, value_name = "URL", help_heading = "Endpoints (for servers without discovery)")]
    device_authorization_endpoint: Option<String>,
    /// The revocation endpoint, instead of discovery's.
    #[arg(long, value_name = "URL", help_heading = "Endpoints (for servers without discovery)")]
    revocation_endpoint: Option<String>,
    /// The introspection endpoint, instead of discovery's.
    #[arg(long, value_name = "URL", help_heading = "Endpoints (for servers without discovery)")]
    introspection_endpoint: Option<String>,
    /// Accept plain-http endpoints beyond loopback (never in production: tokens travel in clear).
    #[arg(long)]
    allow_insecure_http: bool,
    /// Also trust the certificate authorities in this PEM file (repeatable); the system's are trusted.
    #[arg(long, value_name = "FILE")]
    ca_cert: Vec<PathBuf>,
}

/// What the tokens are for, and whether to keep them; for the commands that get tokens.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Wanted {
    /// Scopes to ask for, space separated: --scope "read write".
    #[arg(long, value_name = "SCOPES")]
    scope: Option<String>,
    /// A resource (API) the token is for, RFC 8707 (repeatable).
    #[arg(long, value_name = "URI")]
    resource: Vec<String>,
    /// Neither read nor write the token cache (~/.cache/oauth2u/tokens).
    #[arg(long)]
    no_cache: bool,
    /// Ask for tokens bound to a key of this client's (DPoP, RFC 9449): the cache keeps one
    /// key per entry; with --no-cache a new key is made for this run.
    #[arg(long)]
    dpop: bool,
}

impl Wanted {
    /// For commands that get no tokens.
    pub(crate) fn nothing() -> Self {
        Self { no_cache: true, ..Self::default() }
    }
}

/// A connection resolved: the client, what to ask for, and the cache unless switched off.
pub(crate) struct Resolved {
    client: Client,
    request: Request,
    cache: Option<TokenCache>,
}

impl Connection {
    /// Flags over profile; discovery for whatever `needed` endpoint no flag gives.
    async fn resolve(self, wanted: Wanted, needed: &[Endpoint]) -> Result<Resolved, ClientError> {
        let profile = match &self.profile {
            Some(name) => {
                let path = self.profiles.clone().or_else(profiles::default_path).ok_or_else(|| {
                    ClientError::Local("no profiles file: set HOME or give --profiles".into())
                })?;
                profiles::load(&path, name)?
            }
            None => Profile::default(),
        };
        let secret = if self.client_secret_stdin {
            Some(super::read_stdin_line().map_err(ClientError::Local)?)
        } else {
            match self.client_secret {
                Some(secret) => Some(from_stdin_if_dash(secret)?),
                None => profile.secret()?,
            }
        };
        let client_id = self.client_id.or(profile.client_id).ok_or_else(|| {
            ClientError::Local("which client? give --client-id, or a profile that has one".into())
        })?;
        let endpoint = |flag: Option<String>, file: Option<String>| {
            flag.or(file).as_deref().map(oauth2u_client::provider::parse_url).transpose()
        };
        let overrides = Endpoints {
            authorization: endpoint(self.authorization_endpoint, profile.authorization_endpoint)?,
            token: endpoint(self.token_endpoint, profile.token_endpoint)?,
            device_authorization: endpoint(
                self.device_authorization_endpoint,
                profile.device_authorization_endpoint,
            )?,
            revocation: endpoint(self.revocation_endpoint, profile.revocation_endpoint)?,
            introspection: endpoint(self.introspection_endpoint, profile.introspection_endpoint)?,
            // Only from discovery: a server with userinfo is an OpenID Provider, which publishes it.
            userinfo: None,
        };
        let ca_files = if self.ca_cert.is_empty() { &profile.ca_cert } else { &self.ca_cert };
        let http = oauth2u_client::http_client(ca_files)?;
        let allow_insecure_http = self.allow_insecure_http || profile.allow_insecure_http;
        let issuer = match (self.issuer.or(profile.issuer), wanted.resource.first()) {
            (Some(issuer), _) => issuer,
            // RFC 9728: the API's metadata names the server that issues its tokens.
            (None, Some(resource)) => {
                if !allow_insecure_http {
                    let url = oauth2u_client::provider::parse_url(resource)?;
                    oauth2u_client::provider::check_https_url("resource", &url)?;
                }
                oauth2u_client::discover_resource(&http, resource).await?.authorization_server()?.to_owned()
            }
            (None, None) => {
                return Err(ClientError::Local(
                    "which server? give --issuer URL, --resource URL (its RFC 9728 metadata names the server), \
                     or a profile (-p NAME) that has one"
                        .into(),
                ));
            }
        };
        let options = ProviderOptions { issuer, overrides, allow_insecure_http };
        let provider = Provider::resolve(&http, options, needed).await?;
        let request = Request {
            scope: wanted.scope.or(profile.scope),
            resources: if wanted.resource.is_empty() { profile.resource } else { wanted.resource },
        };
        let cache = if wanted.no_cache {
            None
        } else {
            Some(TokenCache::new(TokenCache::default_dir().ok_or_else(|| {
                ClientError::Local("no cache directory: set HOME or XDG_CACHE_HOME, or use --no-cache".into())
            })?))
        };
        let mut client = Client::new(http, provider, client_id, secret).dpop(wanted.dpop);
        if wanted.dpop && cache.is_none() {
            client = client.with_dpop_key(DpopKey::generate()?.0);
        }
        Ok(Resolved { client, request, cache })
    }
}

/// A value given as `-` is read from standard input (its next line), so that secrets and
/// tokens stay out of argv, where every user of the machine can read them. With several,
/// the client secret comes first, then the token.
pub(crate) fn from_stdin_if_dash(value: String) -> Result<String, ClientError> {
    if value != "-" {
        return Ok(value);
    }
    match super::read_stdin_line().map_err(ClientError::Local)? {
        line if line.is_empty() => {
            Err(ClientError::Local("`-` reads a line from standard input, and it had none".into()))
        }
        line => Ok(line),
    }
}

/// Runs a client command and turns its outcome into an exit status.
pub async fn run(command: ClientCommand) -> ExitCode {
    match commands::run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(match error {
                ClientError::Network(_) => 2,
                _ => 1,
            })
        }
    }
}
