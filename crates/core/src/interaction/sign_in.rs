//! Signing in and typing a device's user code, both under the throttle (RFC 6749 §10.10,
//! RFC 8628 §5.1), and the user lookups the pages need.

use std::net::IpAddr;

use crate::error::OAuthError;
use crate::model::{DeviceAuthorization, User};
use crate::provider::Provider;
use crate::store::{Attempt, AttemptLimits};
use crate::throttle::{SignIn, device_key, limits};

/// What a typed user code turned out to be.
#[derive(Debug)]
pub enum UserCodeLookup {
    /// Pending: the person may go on.
    Live(Box<DeviceAuthorization>),
    /// Not looked up: too many wrong codes from this address; wait this many seconds.
    Throttled(i64),
    /// Unknown, expired or already decided.
    Dead,
}

impl Provider {
    /// Checks a password under the throttle (see [`crate::throttle::PasswordCheck::sign_in`]).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: Option<IpAddr>,
    ) -> Result<SignIn, OAuthError> {
        self.passwords.sign_in(username, password, address).await
    }

    /// RFC 8628 §5.1: looks a typed user code up only once the code throttle has let the
    /// attempt from `address` through, so that guessing among 20^8 codes is hopeless. A code
    /// that is live gives its attempt back: people behind one address are not slowed by
    /// each other's correct codes.
    pub async fn look_up_user_code(
        &self,
        typed: &str,
        address: Option<IpAddr>,
    ) -> Result<UserCodeLookup, OAuthError> {
        let key = device_key(address);
        let limits = self.user_code_limits();
        if let Attempt::Refused { retry_after } =
            self.store.reserve_attempt(&key, self.now(), &limits).await?
        {
            return Ok(UserCodeLookup::Throttled(retry_after));
        }
        match self.pending_device_authorization(typed).await? {
            Some(device) => {
                self.store.refund_attempt(&key, self.now(), &limits).await?;
                Ok(UserCodeLookup::Live(Box::new(device)))
            }
            None => Ok(UserCodeLookup::Dead),
        }
    }

    /// User codes are counted per address, with the address's limits.
    fn user_code_limits(&self) -> AttemptLimits {
        limits(&self.config.login_throttle, self.config.login_throttle.address_max_delay)
    }

    /// The local user with this subject, if any (a hook may grant subjects that are not).
    pub async fn user_by_subject(&self, subject: &str) -> Result<Option<User>, OAuthError> {
        Ok(self.store.user_by_subject(subject).await?)
    }

    /// The user `username` names, if it exists and is not disabled: whom the development
    /// switch `--auto-approve` approves for.
    pub async fn enabled_user(&self, username: &str) -> Result<Option<User>, OAuthError> {
        Ok(self.store.user(username).await?.filter(|user| !user.disabled))
    }
}
