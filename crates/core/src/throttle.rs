//! Slowing down guessing: passwords per username and per address (RFC 6749 §10.10 asks
//! that guessing be made hard), device user codes per address (RFC 8628 §5.1).
//!
//! An attempt is reserved — one conditional write — before the password or code is
//! checked, so concurrent attempts cannot slip past the count: of forty at once, the free
//! five are checked and the rest refused. Counted in the database, so every instance sees
//! the same counts. The sign-in page, the password grant and the plugins'
//! `check_password` all go through [`PasswordCheck`].

use std::net::IpAddr;
use std::sync::Arc;

use crate::clock::{Clock, seconds};
use crate::config::LoginThrottle;
use crate::error::OAuthError;
use crate::model::User;
use crate::password::authenticate;
use crate::store::{Attempt, AttemptLimits, Store};

/// The longest username that can exist: longer ones are refused without a lookup.
const MAX_USERNAME: usize = 255;

/// What a password check found.
#[derive(Debug)]
pub enum SignIn {
    /// The password is right and the user enabled.
    User(User),
    /// Unknown user, wrong password or disabled user: one answer for all three.
    Invalid,
    /// Too many attempts; the next may begin in this many seconds.
    Throttled {
        /// Seconds to wait.
        retry_after: i64,
    },
}

/// Password checks under the throttle.
#[derive(Clone)]
pub struct PasswordCheck {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policy: LoginThrottle,
}

impl PasswordCheck {
    /// Checks against `store`'s users, counting attempts by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, policy: LoginThrottle) -> Self {
        Self { store, clock, policy }
    }

    /// Checks a password: the address's attempt, then the username's, are reserved first.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<SignIn, OAuthError> {
        let now = self.clock.now();
        let address_key = address.map(|address| format!("ip:{address}"));
        let by_address = limits(&self.policy, self.policy.address_max_delay);
        if let Some(key) = &address_key
            && let Attempt::Refused { retry_after } =
                self.store.reserve_attempt(key, now, &by_address).await?
        {
            return Ok(SignIn::Throttled { retry_after });
        }
        if username.len() > MAX_USERNAME {
            return Ok(SignIn::Invalid);
        }
        let user_key = format!("user:{username}");
        let by_username = limits(&self.policy, self.policy.username_max_delay);
        if let Attempt::Refused { retry_after } =
            self.store.reserve_attempt(&user_key, now, &by_username).await?
        {
            return Ok(SignIn::Throttled { retry_after });
        }
        let Some(user) = authenticate(self.store.as_ref(), username, password).await? else {
            return Ok(SignIn::Invalid);
        };
        // Right: the username starts afresh, and the address gets its attempt back.
        self.store.clear_login_failures(&user_key).await?;
        if let Some(key) = &address_key {
            self.store.refund_attempt(key, now, &by_address).await?;
        }
        Ok(SignIn::User(user))
    }
}

pub(crate) fn limits(policy: &LoginThrottle, max_delay: std::time::Duration) -> AttemptLimits {
    AttemptLimits {
        free: i64::from(policy.free_attempts.max(1)),
        window: seconds(policy.window),
        max_delay: seconds(max_delay).max(1),
    }
}

pub(crate) fn device_key(address: Option<IpAddr>) -> String {
    match address {
        Some(address) => format!("device:{address}"),
        None => "device:unknown".into(),
    }
}
