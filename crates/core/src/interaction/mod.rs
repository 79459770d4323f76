//! What the sign-in pages ask of the protocol: browser sessions and their lifetimes,
//! signing in under the throttle, the device user code's throttle, and when remembered
//! consent may stand in for asking. The server's `ui/` renders; the decisions are here.

mod consent;
mod session;
mod sign_in;

pub use consent::{consent_covers, consent_to_remember};
pub use sign_in::UserCodeLookup;
