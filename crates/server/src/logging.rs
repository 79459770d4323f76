//! Logging with `tracing`: text or JSON lines, level from `RUST_LOG`.
//!
//! Nothing secret reaches a log: request spans record the method and the path only
//! (never the query, headers or body), and protocol code never logs a token or code.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. `default` is the filter when `RUST_LOG` is unset.
/// Calling it again (as tests do) keeps the first one.
pub fn init(format: LogFormat, default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
