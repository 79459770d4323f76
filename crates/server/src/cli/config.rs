//! `oauth2u config check`: the settings as `serve` would read them — the file (with the line
//! of a wrong key), the environment and the flags — and what start-up would refuse in them,
//! checked without opening the database or listening.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub(super) enum ConfigCommand {
    /// Check the settings without starting: exit 0 and "ok", or 2 and what is wrong.
    Check,
}

pub(super) fn run(settings: &Settings, command: ConfigCommand) -> ExitCode {
    match command {
        ConfigCommand::Check => match check(settings) {
            Ok(()) => {
                println!("ok: the settings would start a server (issuer {})", settings.issuer());
                ExitCode::SUCCESS
            }
            Err(message) => super::fail(2, &message),
        },
    }
}

/// What `Server::bind` would refuse before it touches the database.
fn check(settings: &Settings) -> Result<(), String> {
    url::Url::parse(&settings.issuer()).map_err(|error| format!("issuer {}: {error}", settings.issuer()))?;
    match (&settings.tls_cert, &settings.tls_key) {
        (Some(cert), Some(key)) => drop(crate::tls::acceptor(cert, key)?),
        (None, None) => {}
        _ => return Err("tls_cert and tls_key go together".into()),
    }
    if settings.admin.address.is_some() {
        let token = std::env::var("OAUTH2U_ADMIN_TOKEN").ok();
        crate::admin_api::token_hash(settings.admin.token_sha256.as_deref(), token.as_deref())?;
    }
    crate::templates::Templates::load(settings.templates_dir.as_deref())?;
    for directory in settings.plugins_directories.iter().chain(&settings.handlers_directories) {
        if !directory.is_dir() {
            return Err(format!("{} is not a directory", directory.display()));
        }
    }
    Ok(())
}
