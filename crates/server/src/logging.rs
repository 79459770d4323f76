//! Logging with `tracing`: text or JSON lines, level from `RUST_LOG`, written to standard
//! error by a thread of its own (`tracing-appender`'s non-blocking writer), so that a
//! request never waits for a write. When its queue ([`QUEUED_LINES`]) is full, lines are
//! dropped rather than slowing requests: this log is diagnostic, and nothing that must be
//! kept goes only here.
//!
//! Nothing secret reaches a log: request spans record the method and the path only
//! (never the query, headers or body), and protocol code never logs a token or code.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Lines waiting for the writer thread at most. The queue's slots are allocated up front:
/// the crate's default of 128 000 costs some 4 MB of resident memory, idle.
const QUEUED_LINES: usize = 8_192;

/// Bytes of lines the writer thread gathers into one write to standard error at most.
const WRITE_BUFFER: usize = 64 * 1024;

/// Installs the global subscriber. `default` is the filter when `RUST_LOG` is unset.
/// Calling it again (as tests do) keeps the first one. Keep the guard while the program
/// runs: dropping it writes out what is still queued.
pub fn init(format: LogFormat, default: &str) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(QUEUED_LINES)
        // Lines that arrive together leave in one write; the thread flushes whenever its
        // queue runs empty, so no line waits for the next.
        .finish(std::io::BufWriter::with_capacity(WRITE_BUFFER, std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.ok().map(|()| guard)
}
