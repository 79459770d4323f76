//! Token formats: minting opaque and JWT (RFC 9068) access tokens and refresh tokens, and
//! the §5.1 response they go out in. The grants and the implicit response both stand on it.

mod issue;
mod jwt;
mod response;

pub(crate) use issue::{Mint, Minted, RefreshMint, new_grant_id};
pub use response::{PROTECTED_FIELDS, TokenResponse};
