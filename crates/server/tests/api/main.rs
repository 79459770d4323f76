//! oauth2u's HTTP-level tests: one binary, a fresh server on 127.0.0.1:0 per test, on
//! SQLite; `api_postgres` compiles the same files again to run them on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod database;
pub mod helpers;

mod authorization_code;
mod authorize;
mod backchannel_logout;
mod browser;
mod claims_hook;
mod claims_parameter;
mod cleanup;
mod cli;
pub mod client_commands;
mod client_credentials;
mod client_login;
pub mod client_metadata_document;
mod concurrency;
pub mod device;
mod disk_full;
mod durability;
mod faults;
mod group_writes;
mod guard;
mod id_token;
pub mod implicit;
mod introspection;
mod jwt;
mod login;
pub mod logout;
mod logs;
mod mcp_end_to_end;
mod metadata;
mod metrics;
mod oauth2_crate;
mod openid;
mod openid_session;
mod openidconnect_crate;
mod pairwise;
mod password;
mod plugins;
mod protected_resource;
mod refresh_token;
mod registration;
mod resources;
mod response_mode;
mod revocation;
mod scale_out;
mod server;
mod store_contract;
mod throttle;
mod tls;
mod token_endpoint;
pub mod userinfo;
