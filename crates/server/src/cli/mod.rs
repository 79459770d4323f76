//! The `oauth2u` command line: the server (`serve`), its administration (`clients`, `users`,
//! `keys`), and the client half (`token`, `login`, `device`, `refresh`, `revoke`,
//! `introspect`). Admin commands open the same database as the server, and work while it
//! runs: the server reads every change at once.

mod client;
mod clients;
mod config;
mod keys;
mod registration;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use oauth2u_core::Store;
use oauth2u_core::admin::AdminError;
use oauth2u_core::config::TokenFormat;

use crate::config::{LogFormat, Overrides, Settings};
use crate::logging;
use crate::server::Server;

/// oauth2u — an OAuth 2.0 authorization server, and a client for any standard one.
#[derive(Debug, Parser)]
#[command(name = "oauth2u", version, about)]
pub struct Cli {
    /// Server config file (TOML); default ./oauth2u.toml if it exists.
    #[arg(long, global = true, env = "OAUTH2U_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (also OAUTH2U_DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the authorization server.
    Serve(ServeArgs),
    /// Register and manage clients.
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// Manage users (resource owners).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Manage the keys that sign JWT access tokens and ID tokens.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Check the configuration without starting.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Dynamic client registration (RFC 7591): initial access tokens.
    #[command(subcommand)]
    Registration(registration::RegistrationCommand),
    #[command(flatten)]
    Client(client::ClientCommand),
}

/// `opaque` or `jwt`.
pub(crate) fn parse_format(name: &str) -> Result<TokenFormat, String> {
    TokenFormat::parse(name).ok_or_else(|| format!("unknown access token format `{name}`: opaque or jwt"))
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Port to listen on (default 8000).
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).
    #[arg(long)]
    host: Option<std::net::IpAddr>,
    /// Issuer identifier (default http://localhost:PORT).
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// Log format.
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
    /// PEM certificate chain: serve https (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Development only: approve every authorization request for this user.
    #[arg(long, value_name = "USERNAME")]
    auto_approve: Option<String>,
    /// opaque or jwt access tokens (clients may override).
    #[arg(long, value_parser = parse_format, value_name = "FORMAT")]
    access_token_format: Option<TokenFormat>,
    /// A directory of plugin scripts, *.rhai (repeatable).
    #[arg(long = "plugins-dir", value_name = "DIR")]
    plugins_dirs: Vec<PathBuf>,
    /// A directory of handler scripts, *.rhai, that add URLs (repeatable).
    #[arg(long = "handlers-dir", value_name = "DIR")]
    handlers_dirs: Vec<PathBuf>,
}

/// Parses the command line and runs it.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    // The client half needs neither the server's settings nor its database.
    let command = match cli.command {
        Command::Client(command) => return client::run(command).await,
        command => command,
    };
    let cli = Cli { command, ..cli };
    let (overrides, default_level) = match &cli.command {
        Command::Serve(args) => (
            Overrides {
                host: args.host,
                port: args.port,
                issuer: args.issuer.clone(),
                database_url: cli.database.clone(),
                log_format: args.log_format,
                auto_approve: args.auto_approve.clone(),
                plugins_directories: args.plugins_dirs.clone(),
                handlers_directories: args.handlers_dirs.clone(),
                access_token_format: args.access_token_format,
                tls_cert: args.tls_cert.clone(),
                tls_key: args.tls_key.clone(),
            },
            "info,sqlx=warn",
        ),
        _ => (Overrides { database_url: cli.database.clone(), ..Overrides::default() }, "warn"),
    };
    let (settings, warnings) = match Settings::load(cli.config.as_deref(), overrides) {
        Ok(loaded) => loaded,
        Err(message) => return fail(2, &message),
    };
    // Held until the command returns, so that the last lines are written out.
    let _log_writer = logging::init(settings.log_format, default_level);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    match cli.command {
        Command::Serve(_) => serve(settings).await,
        Command::Clients(command) => admin(&settings, |store| clients::run(store, command)).await,
        Command::Users(command) => admin(&settings, |store| users::run(store, command)).await,
        Command::Keys(command) => admin(&settings, |store| keys::run(store, &settings, command)).await,
        Command::Registration(command) => admin(&settings, |store| registration::run(store, command)).await,
        Command::Config(command) => config::run(&settings, command),
        Command::Client(command) => client::run(command).await,
    }
}

async fn serve(settings: Settings) -> ExitCode {
    // A file-size limit (RLIMIT_FSIZE) must fail the write, not kill the server: with
    // SIGXFSZ caught, the write returns EFBIG, SQLite reports an I/O error, and the batch
    // is answered 503 like a full disk.
    #[cfg(unix)]
    let _file_size_signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(25));
    let server = match Server::builder().settings(settings).build() {
        Ok(server) => server,
        Err(error) => return fail(2, &error.to_string()),
    };
    match server.start().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(1, &error.to_string()),
    }
}

async fn admin<F, Fut>(settings: &Settings, command: F) -> ExitCode
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = Result<(), AdminError>>,
{
    let store: Arc<dyn Store> = match crate::database::open(settings).await {
        Ok(store) => store,
        Err(error) => return fail(1, &error.to_string()),
    };
    match command(store).await {
        Ok(()) => ExitCode::SUCCESS,
        // A refusal: the request itself is wrong.
        Err(error @ (AdminError::Invalid(_) | AdminError::NotFound(_) | AdminError::Conflict(_))) => {
            fail(2, &error.to_string())
        }
        Err(error) => fail(1, &error.to_string()),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

/// The current time for admin commands.
fn now() -> i64 {
    oauth2u_core::Clock::now(&oauth2u_core::SystemClock)
}

/// Reads a secret from standard input: its first line, without the line ending.
fn read_stdin_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|error| format!("cannot read standard input: {error}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
