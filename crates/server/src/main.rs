//! The `oauth2u` binary.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    oauth2u::cli::run().await
}
