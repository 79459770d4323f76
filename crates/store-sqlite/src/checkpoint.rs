//! Copying the WAL back into the database file (a checkpoint) on a thread of its own. Left
//! to the writer, SQLite checkpoints inside a commit once the WAL passes 1,000 pages: that
//! batch's callers then wait for the copy and one more fsync. Here the writer only appends
//! and commits; this thread copies what every reader has moved past (`PASSIVE`: it never
//! waits for, nor blocks, the writer or a reader), and a page written many times between two
//! checkpoints is copied once.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use oauth2u_core::store::StoreError;

use crate::connection;

/// How often the WAL is copied back.
const INTERVAL: Duration = Duration::from_millis(250);

/// The WAL's size, in pages, past which the writer checkpoints itself after all: a
/// backstop should this thread fall behind.
pub(crate) const WRITER_BACKSTOP_PAGES: u32 = 16_000;

/// Stops the thread when dropped (with the store).
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = connection::open(path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("oauth2u-sqlite-checkpoint".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!(%error, "copying the WAL into the database file failed; trying again");
                    }
                }
            })
            .map_err(|error| StoreError::Other(format!("cannot start the checkpoint thread: {error}")))?;
        Ok(Self { _stop: stop })
    }
}
