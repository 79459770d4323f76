//! `oauth2u registration …`: the initial access tokens that `[registration] mode = "token"`
//! asks a registering client for (RFC 7591 §3).

use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use oauth2u_core::Store;
use oauth2u_core::admin::{self, AdminError};

use super::now;

#[derive(Debug, Subcommand)]
pub(super) enum RegistrationCommand {
    /// Initial access tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
}

#[derive(Debug, Subcommand)]
pub(super) enum TokensCommand {
    /// Make a new initial access token and print it (it is stored as a hash: shown once).
    Add {
        /// How long it is valid, e.g. 1h or 7d (default: until used up).
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        expires: Option<Duration>,
        /// How many registrations it allows (default: any number).
        #[arg(long, value_name = "N")]
        max_uses: Option<u32>,
    },
}

pub(super) async fn run(store: Arc<dyn Store>, command: RegistrationCommand) -> Result<(), AdminError> {
    match command {
        RegistrationCommand::Tokens(TokensCommand::Add { expires, max_uses }) => {
            let token = admin::add_registration_token(store.as_ref(), expires, max_uses, now()).await?;
            println!("{}", token.expose());
        }
    }
    Ok(())
}
