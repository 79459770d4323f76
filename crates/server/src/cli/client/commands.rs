//! One function per client command, each a few library calls.

use std::time::Duration;

use oauth2u_client::{Client, ClientError, Endpoint, LoginOptions, Tokens, login};

use super::display;
use super::{Connection, Resolved, Wanted, from_stdin_if_dash};

#[derive(Debug, clap::Subcommand)]
pub enum ClientCommand {
    /// Get a token for the client itself: the client credentials grant (RFC 6749 §4.4).
    #[command(
        after_help = "Example:\n  curl -H \"Authorization: Bearer $(oauth2u token --issuer https://auth.example \
                            --client-id reports --client-secret-stdin --raw < secret.txt)\" https://api.example/"
    )]
    Token {
        #[command(flatten)]
        connection: Connection,
        #[command(flatten)]
        wanted: Wanted,
        #[command(flatten)]
        output: Output,
    },
    /// Sign in as a person in the browser: authorization code + PKCE on a loopback redirect
    /// (RFC 6749 §4.1, RFC 7636, RFC 8252).
    #[command(after_help = "The client must be registered with the redirect URI http://127.0.0.1/callback \
                            (any port matches, RFC 8252 §7.3).\n\nExample:\n  oauth2u login --issuer \
                            https://auth.example --client-id cli --scope \"openid read\"")]
    Login {
        #[command(flatten)]
        connection: Connection,
        #[command(flatten)]
        wanted: Wanted,
        #[command(flatten)]
        output: Output,
        /// Print the URL to open instead of launching a browser.
        #[arg(long)]
        no_browser: bool,
        /// The loopback port to listen on (default: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// How long to wait for the browser to come back.
        #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
    /// Sign in on another device: the device authorization grant (RFC 8628).
    #[command(after_help = "Shows a code and a URL (and a QR code on a terminal) to open on a phone or \
                            computer, then waits for approval.\n\nExample:\n  oauth2u device --issuer \
                            https://auth.example --client-id tv --scope watch")]
    Device {
        #[command(flatten)]
        connection: Connection,
        #[command(flatten)]
        wanted: Wanted,
        #[command(flatten)]
        output: Output,
    },
    /// Use a refresh token now (RFC 6749 §6): the cached one, or one given.
    Refresh {
        #[command(flatten)]
        connection: Connection,
        #[command(flatten)]
        wanted: Wanted,
        #[command(flatten)]
        output: Output,
        /// The refresh token to use, instead of the cached one; `-` reads it from standard input.
        #[arg(long, value_name = "TOKEN")]
        refresh_token: Option<String>,
    },
    /// Revoke a token (RFC 7009), as the client it was issued to.
    Revoke {
        #[command(flatten)]
        connection: Connection,
        /// The access or refresh token; `-` reads it from standard input (keeps it out of argv).
        token: String,
        /// What the token is, to speed the server's lookup.
        #[arg(long, value_name = "TYPE", value_parser = ["access_token", "refresh_token"])]
        hint: Option<String>,
    },
    /// Ask the userinfo endpoint about the signed-in user (OpenID Connect Core §5.3), with
    /// the cached access token of `oauth2u login` (refreshed when it is due), or one given.
    #[command(
        after_help = "Example:\n  oauth2u login --issuer https://auth.example --client-id cli --scope \
                            \"openid profile email\"\n  oauth2u userinfo --issuer https://auth.example \
                            --client-id cli --scope \"openid profile email\""
    )]
    Userinfo {
        #[command(flatten)]
        connection: Connection,
        #[command(flatten)]
        wanted: Wanted,
        /// The access token to use, instead of the cached one; `-` reads it from standard input.
        #[arg(long, value_name = "TOKEN")]
        access_token: Option<String>,
    },
    /// Ask the server what it knows of a token (RFC 7662), with the caller's credentials.
    Introspect {
        #[command(flatten)]
        connection: Connection,
        /// The access or refresh token; `-` reads it from standard input (keeps it out of argv).
        token: String,
        /// What the token is, to speed the server's lookup.
        #[arg(long, value_name = "TYPE", value_parser = ["access_token", "refresh_token"])]
        hint: Option<String>,
    },
}

/// How tokens are printed.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Output {
    /// Print only the access token (for `$(...)` in scripts), not the whole response.
    #[arg(long)]
    raw: bool,
}

pub(super) async fn run(command: ClientCommand) -> Result<(), ClientError> {
    match command {
        ClientCommand::Token { connection, wanted, output } => {
            let Resolved { client, request, cache } = connection.resolve(wanted, &[Endpoint::Token]).await?;
            let wanted = &request;
            let obtain = |client: Client| async move { client.client_credentials(wanted).await };
            let tokens = match cache {
                Some(cache) => cache.tokens(&client, &request, obtain).await?.0,
                None => obtain(client.clone()).await?,
            };
            display::tokens(&tokens, output.raw)
        }
        ClientCommand::Login { connection, wanted, output, no_browser, port, timeout } => {
            let Resolved { client, request, cache } =
                connection.resolve(wanted, &[Endpoint::Authorization, Endpoint::Token]).await?;
            let options = LoginOptions { request: request.clone(), port, timeout };
            let options = &options;
            let obtain = |client: Client| async move {
                login(&client, options, |url| display::open_browser(url, no_browser)).await
            };
            let tokens = match cache {
                Some(cache) => cache.tokens(&client, &request, obtain).await?.0,
                None => obtain(client.clone()).await?,
            };
            display::signed_in(&tokens);
            display::tokens(&tokens, output.raw)
        }
        ClientCommand::Device { connection, wanted, output } => {
            let Resolved { client, request, cache } =
                connection.resolve(wanted, &[Endpoint::DeviceAuthorization, Endpoint::Token]).await?;
            let wanted = &request;
            let obtain = |client: Client| async move {
                let device = client.start_device(wanted).await?;
                display::device_prompt(&device);
                client.poll_device(&device).await.map_err(display::device_ending)
            };
            let tokens = match cache {
                Some(cache) => cache.tokens(&client, &request, obtain).await?.0,
                None => obtain(client.clone()).await?,
            };
            display::tokens(&tokens, output.raw)
        }
        ClientCommand::Refresh { connection, wanted, output, refresh_token } => {
            let Resolved { client, request, cache } = connection.resolve(wanted, &[Endpoint::Token]).await?;
            let tokens: Tokens = match (refresh_token, cache) {
                (Some(refresh_token), _) => {
                    client.refresh(&from_stdin_if_dash(refresh_token)?, &request).await?
                }
                (None, Some(cache)) => cache.refresh(&client, &request).await?,
                (None, None) => {
                    return Err(ClientError::Local(
                        "give --refresh-token, or use the cache (no --no-cache)".into(),
                    ));
                }
            };
            display::tokens(&tokens, output.raw)
        }
        ClientCommand::Revoke { connection, token, hint } => {
            let Resolved { client, .. } =
                connection.resolve(Wanted::nothing(), &[Endpoint::Revocation]).await?;
            client.revoke(&from_stdin_if_dash(token)?, hint.as_deref()).await
        }
        ClientCommand::Userinfo { connection, wanted, access_token } => {
            let Resolved { client, request, cache } =
                connection.resolve(wanted, &[Endpoint::Userinfo]).await?;
            let access_token = match (access_token, cache) {
                (Some(token), _) => from_stdin_if_dash(token)?,
                (None, Some(cache)) => {
                    let none_cached = |_| async {
                        Err(ClientError::Local(
                            "no cached tokens for this issuer, client and scope: run `oauth2u login` first, \
                             or give --access-token"
                                .into(),
                        ))
                    };
                    cache.tokens(&client, &request, none_cached).await?.0.access_token().to_owned()
                }
                (None, None) => {
                    return Err(ClientError::Local(
                        "give --access-token, or use the cache (no --no-cache)".into(),
                    ));
                }
            };
            display::json(&client.userinfo(&access_token).await?)
        }
        ClientCommand::Introspect { connection, token, hint } => {
            let Resolved { client, .. } =
                connection.resolve(Wanted::nothing(), &[Endpoint::Introspection]).await?;
            display::json(&client.introspect(&from_stdin_if_dash(token)?, hint.as_deref()).await?)
        }
    }
}
