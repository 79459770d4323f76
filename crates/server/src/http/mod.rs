//! What clients call: one thin file per endpoint. Handlers turn a request into typed
//! input, call one protocol function, and turn its result into a JSON response (RFC 6749
//! §5.1–§5.2); no protocol logic here. What people see is in `ui/`.

pub(crate) mod cors;
pub(crate) mod device_authorization;
pub(crate) mod dpop;
pub(crate) mod health;
pub(crate) mod introspect;
pub(crate) mod jwks;
pub(crate) mod metadata;
pub(crate) mod metrics;
pub(crate) mod par;
pub(crate) mod register;
pub(crate) mod revoke;
pub(crate) mod token;
pub(crate) mod userinfo;
