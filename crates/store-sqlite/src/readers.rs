//! Reads run on the thread of the request that asks, on a connection of their own: a point
//! read from pages already in memory takes microseconds, far less than handing it to
//! another thread and waiting to be woken. WAL lets them read while the writer writes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};

use oauth2u_core::store::{Connections, StoreError};
use rusqlite::Connection;

use crate::connection;

/// Idle connections kept for the next read; more are opened while more read at once.
const KEEP_IDLE: usize = 16;

#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    open: AtomicU32,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, idle: Mutex::new(Vec::new()), open: AtomicU32::new(0) }
    }

    /// Runs `read` on an idle connection, or on a new one if none is idle.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = connection::open(&self.path)?;
                self.open.fetch_add(1, Ordering::Relaxed);
                conn
            }
        };
        let outcome = read(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < KEEP_IDLE {
            idle.push(conn);
        } else {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        outcome
    }

    /// The readers' connections, and the writer's.
    pub(crate) fn connections(&self) -> Connections {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).len();
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        Connections { open: self.open.load(Ordering::Relaxed) + 1, idle, max: KEEP_IDLE as u32 + 1 }
    }
}
