//! `oauth2u users …`

use std::sync::Arc;

use clap::{Args, Subcommand};
use oauth2u_core::Store;
use oauth2u_core::admin::{self, AdminError, AfterPasswordChange};
use serde_json::{Map, Value};

use super::{now, read_stdin_line};

#[derive(Debug, Subcommand)]
pub(super) enum UsersCommand {
    /// Add a user; the password is read from standard input.
    Add {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        claims: ClaimOptions,
    },
    /// Change a user's profile claims; claims not named stay as they are.
    Update {
        username: String,
        #[command(flatten)]
        claims: ClaimOptions,
    },
    /// List the users, by username.
    List {
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Show a user and their profile claims.
    Show {
        username: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
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

/// Profile claims (OpenID Connect Core §5.1), released by scope at the userinfo endpoint.
#[derive(Debug, Args)]
pub(super) struct ClaimOptions {
    /// A claim, NAME=VALUE (repeatable). VALUE is JSON when it reads as JSON (true, 42,
    /// {"country":"NL"}), else text; NAME=null removes the claim.
    #[arg(long = "claim", value_name = "NAME=VALUE", value_parser = parse_claim)]
    claims: Vec<(String, Value)>,
    /// `name`: the full name.
    #[arg(long)]
    name: Option<String>,
    /// `given_name`.
    #[arg(long)]
    given_name: Option<String>,
    /// `family_name`.
    #[arg(long)]
    family_name: Option<String>,
    /// `email`.
    #[arg(long)]
    email: Option<String>,
    /// `email_verified` (true when given alone).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    email_verified: Option<bool>,
    /// `phone_number`, best in E.164 form (+1 555 0100).
    #[arg(long)]
    phone: Option<String>,
    /// `locale`, a BCP 47 tag such as en-GB.
    #[arg(long)]
    locale: Option<String>,
}

impl ClaimOptions {
    fn into_changes(self) -> Map<String, Value> {
        let mut changes: Map<String, Value> = self.claims.into_iter().collect();
        let shortcuts = [
            ("name", self.name.map(Value::from)),
            ("given_name", self.given_name.map(Value::from)),
            ("family_name", self.family_name.map(Value::from)),
            ("email", self.email.map(Value::from)),
            ("email_verified", self.email_verified.map(Value::from)),
            ("phone_number", self.phone.map(Value::from)),
            ("locale", self.locale.map(Value::from)),
        ];
        for (name, value) in shortcuts {
            if let Some(value) = value {
                changes.insert(name.to_owned(), value);
            }
        }
        changes
    }
}

fn parse_claim(text: &str) -> Result<(String, Value), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
    Ok((name.trim().to_owned(), value))
}

/// How many users `users list` reads at a time.
const PAGE: i64 = 500;

pub(super) async fn run(store: Arc<dyn Store>, command: UsersCommand) -> Result<(), AdminError> {
    let store = store.as_ref();
    match command {
        UsersCommand::Add { username, password_stdin, claims } => {
            let password = password(password_stdin)?;
            let user = admin::add_user(store, &username, &password, now()).await?;
            let changes = claims.into_changes();
            if !changes.is_empty() {
                admin::update_user_claims(store, &username, changes).await?;
            }
            println!("added user {} (sub {})", user.username, user.subject);
        }
        UsersCommand::Update { username, claims } => {
            let user = admin::update_user_claims(store, &username, claims.into_changes()).await?;
            println!("updated {}: {}", user.username, Value::Object(user.claims));
        }
        UsersCommand::List { json } => {
            // In pages, so that a large user base is never read at once.
            let mut after: Option<String> = None;
            loop {
                let page = admin::list_users(store, after.as_deref(), PAGE).await?;
                for user in &page {
                    match json {
                        true => println!("{}", admin::describe_user(user)),
                        false => println!(
                            "{}\t{}\t{}",
                            user.username,
                            user.subject,
                            if user.disabled { "disabled" } else { "enabled" }
                        ),
                    }
                }
                match page.last() {
                    Some(last) if page.len() as i64 == PAGE => after = Some(last.username.clone()),
                    _ => break,
                }
            }
        }
        UsersCommand::Show { username, json } => {
            let user = admin::find_user(store, &username).await?;
            let description = admin::describe_user(&user);
            if json {
                println!("{description}");
            } else {
                println!("{:<16}{}", "username", user.username);
                println!("{:<16}{}", "sub", user.subject);
                println!("{:<16}{}", "disabled", user.disabled);
                println!("{:<16}{}", "created_at", user.created_at);
                for (name, value) in &user.claims {
                    let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                    println!("{name:<15} {shown}");
                }
            }
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
