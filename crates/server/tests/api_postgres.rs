//! The HTTP suite of `tests/api/`, compiled a second time to run every test on PostgreSQL
//! (see `api/database.rs`): skipped with one line when no PostgreSQL is reachable, unless
//! `CI=true`, which requires it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/main.rs"]
mod api;

use api::{database, helpers};

/// Only on PostgreSQL: a database that can go away.
#[path = "api/database_down.rs"]
mod database_down;
