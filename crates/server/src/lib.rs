//! oauth2u: an OAuth 2.0 authorization server in one binary, and the library to embed it.
//!
//! ```no_run
//! # async fn run() -> Result<(), oauth2u::Error> {
//! oauth2u::Server::builder().port(8080).database("sqlite://oauth2u.db").build()?.start().await
//! # }
//! ```
//!
//! The protocol lives in [`oauth2u_core`]; this crate is the HTTP glue, the settings,
//! and the command line.

mod admin_api;
mod backchannel;
mod cleanup;
pub mod cli;
pub mod config;
pub mod database;
mod fetch;
mod form;
mod forwarded;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
mod http;
pub mod logging;
mod master_key;
mod metrics;
mod paths;
mod respond;
mod routes;
mod scripts;
mod server;
mod state;
mod templates;
mod tls;
mod ui;

pub use config::Settings;
pub use oauth2u_core as core;
pub use server::{BoundServer, Error, Server, ServerBuilder};
