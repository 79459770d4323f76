//! `oauth2u users …`

use std::sync::Arc;

use clap::Subcommand;
use oauth2u_core::Store;
use oauth2u_core::admin::{self, AdminError, AfterPasswordChange};

use super::{now, read_stdin_line};

#[derive(Debug, Subcommand)]
pub(super) enum UsersCommand {
    /// Add a user; the password is read from standard input.
    Add {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password from standard input; ends their sessions and revokes their tokens.
    Passwd {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Keep the user's sessions, tokens and pending codes.
        #[arg(long)]
        keep_tokens: bool,
    },
    /// Disable a user and revoke their tokens.
    Disable { username: String },
    /// Enable a disabled user again (revoked tokens stay revoked).
    Enable { username: String },
    /// Remove a user and revoke their tokens.
    Remove { username: String },
    /// List the clients a user has given remembered consent to.
    Consents { username: String },
    /// Forget a user's consent for a client, and revoke that client's tokens for the user.
    RevokeConsent { username: String, client_id: String },
}

pub(super) async fn run(store: Arc<dyn Store>, command: UsersCommand) -> Result<(), AdminError> {
    let store = store.as_ref();
    match command {
        UsersCommand::Add { username, password_stdin } => {
            let password = password(password_stdin)?;
            let user = admin::add_user(store, &username, &password, now()).await?;
            println!("added user {} (sub {})", user.username, user.subject);
        }
        UsersCommand::Passwd { username, password_stdin, keep_tokens } => {
            let password = password(password_stdin)?;
            let after = if keep_tokens {
                AfterPasswordChange::KeepTokens
            } else {
                AfterPasswordChange::SignOutEverywhere
            };
            admin::set_user_password(store, &username, &password, after, now()).await?;
            match after {
                AfterPasswordChange::SignOutEverywhere => {
                    println!(
                        "password of {username} changed; their sessions ended and their tokens were revoked"
                    )
                }
                AfterPasswordChange::KeepTokens => println!(
                    "password of {username} changed; kept: their sessions, their tokens and any pending codes"
                ),
            }
        }
        UsersCommand::Disable { username } => {
            admin::disable_user(store, &username, now()).await?;
            println!("disabled {username} and revoked their tokens");
        }
        UsersCommand::Enable { username } => {
            admin::enable_user(store, &username).await?;
            println!("enabled {username}; tokens revoked while disabled stay revoked");
        }
        UsersCommand::Remove { username } => {
            admin::remove_user(store, &username, now()).await?;
            println!("removed {username} and revoked their tokens");
        }
        UsersCommand::Consents { username } => {
            let consents = admin::user_consents(store, &username).await?;
            if consents.is_empty() {
                println!("{username} has no remembered consents");
            }
            for consent in consents {
                println!("{}\t{}", consent.client_id, consent.scope);
            }
        }
        UsersCommand::RevokeConsent { username, client_id } => {
            admin::revoke_user_consent(store, &username, &client_id, now()).await?;
            println!("forgot {username}'s consent for {client_id} and revoked its tokens for them");
        }
    }
    Ok(())
}

fn password(from_stdin: bool) -> Result<String, AdminError> {
    if !from_stdin {
        return Err(AdminError::Invalid(
            "give the password on standard input with --password-stdin (it never belongs on a command line)"
                .into(),
        ));
    }
    read_stdin_line().map_err(AdminError::Invalid)
}
