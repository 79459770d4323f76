//! `oauth2u keys …`: the keys that sign JWT access tokens.

use std::io::Read;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Subcommand;
use oauth2u_core::Store;
use oauth2u_core::admin::{self, AdminError};
use oauth2u_core::keys::{ExportedKey, SigningAlgorithm};
use serde_json::{Value, json};

use super::now;
use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub(super) enum KeysCommand {
    /// List the keys and their state.
    List,
    /// Introduce a new key: published now, signing once the JWKS cache time has passed.
    Rotate,
    /// Revoke a key at once: it leaves the JWKS and its tokens fail introspection.
    Revoke { kid: String },
    /// Print every key, private parts included, as JSON: a backup. Keep it like the master key.
    Export,
    /// Import keys from an export (a file, or - for standard input), sealed under this server's master key.
    Import { file: String },
}

pub(super) async fn run(
    store: Arc<dyn Store>,
    settings: &Settings,
    command: KeysCommand,
) -> Result<(), AdminError> {
    let master = crate::master_key::load(settings).map_err(AdminError::Invalid)?;
    let ring = settings.key_ring(master);
    let store = store.as_ref();
    let now = now();
    match command {
        KeysCommand::List => {
            for key in admin::list_keys(store).await? {
                let state = admin::key_state(&key, now);
                println!("{}\t{}\t{state}\tactivates {}", key.kid, key.algorithm.as_str(), key.activates_at);
            }
        }
        KeysCommand::Rotate => {
            for key in admin::rotate_keys(store, &ring, now).await? {
                println!(
                    "new {} key {} signs from {} (unix time); until then it is only published",
                    key.algorithm.as_str(),
                    key.kid,
                    key.activates_at
                );
            }
        }
        KeysCommand::Revoke { kid } => {
            admin::revoke_key(store, &kid, now).await?;
            println!("revoked key {kid}");
        }
        KeysCommand::Export => {
            let exported: Vec<Value> = ring.export(store).await?.iter().map(to_json).collect();
            println!("{}", Value::from(exported));
        }
        KeysCommand::Import { file } => {
            let mut text = String::new();
            let read = if file == "-" {
                std::io::stdin().read_to_string(&mut text).map(|_| ())
            } else {
                std::fs::read_to_string(&file).map(|content| text = content)
            };
            read.map_err(|error| AdminError::Invalid(format!("cannot read {file}: {error}")))?;
            let keys: Vec<Value> = serde_json::from_str(&text)
                .map_err(|error| AdminError::Invalid(format!("not an export: {error}")))?;
            for key in &keys {
                let key = from_json(key)
                    .ok_or_else(|| AdminError::Invalid("not an export: a key lacks a field".into()))?;
                ring.import(store, &key).await?;
                println!("imported key {}", key.kid);
            }
        }
    }
    Ok(())
}

fn to_json(key: &ExportedKey) -> Value {
    json!({
        "kid": key.kid,
        "alg": key.algorithm.as_str(),
        "private_key_der": STANDARD.encode(&key.private_der),
        "public_jwk": key.public_jwk,
        "created_at": key.created_at,
        "activates_at": key.activates_at,
        "publish_until": key.publish_until,
        "revoked_at": key.revoked_at,
    })
}

fn from_json(value: &Value) -> Option<ExportedKey> {
    Some(ExportedKey {
        kid: value["kid"].as_str()?.to_owned(),
        algorithm: SigningAlgorithm::parse(value["alg"].as_str()?)?,
        private_der: STANDARD.decode(value["private_key_der"].as_str()?).ok()?,
        public_jwk: value["public_jwk"].clone(),
        created_at: value["created_at"].as_i64()?,
        activates_at: value["activates_at"].as_i64()?,
        publish_until: value["publish_until"].as_i64(),
        revoked_at: value["revoked_at"].as_i64(),
    })
}
