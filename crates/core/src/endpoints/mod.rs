//! Endpoint logic other than the token endpoint's grants (which live in [`crate::grants`]).

pub mod authorize;
pub mod introspect;
pub mod revoke;
