//! The store implementations whose SQL reads the same on SQLite and PostgreSQL, written
//! once. Not a crate: each store crate compiles this directory as its module `shared`,
//! against its own `crate::engine` (store type, row and query types, the few statements
//! spelled differently, and the writes each engine runs its own way), so the compiler
//! checks every file against both engines.

mod clients;
pub(crate) mod codes;
pub(crate) mod devices;
mod keys;
mod logouts;
pub(crate) mod records;
pub(crate) mod rows;
mod sessions;
mod users;
