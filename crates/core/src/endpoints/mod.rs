//! Endpoint logic other than the token endpoint's grants (which live in [`crate::grants`]).

pub mod authorize;
pub mod device;
pub mod introspect;
pub mod metadata;
pub mod par;
pub mod register;
pub mod request_object;
pub mod request_source;
pub mod revoke;
