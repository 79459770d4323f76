//! Every database call with a deadline: a database that silently stops answering (a
//! partition, a stalled proxy) turns into `Unavailable` — 503 `temporarily_unavailable` —
//! within the deadline, not after the request timeout, and never holds a worker forever.
//!
//! A decorator over any [`Store`]: the server wraps both engines in it when it opens a
//! database URL, and a program that brings its own store can wrap that too. The trait methods are listed once more here; the compiler
//! checks the list against the traits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::UnixTime;
use crate::model::{
    AuthorizationCode, Client, Consent, DeviceAuthorization, Issuance, LogoutDelivery, PushedRequest,
    Session, TokenRecord, User,
};
use crate::secret::SecretHash;
use crate::signing_key::SigningKeyRecord;
use crate::store::{
    Attempt, AttemptLimits, ClientStore, CodeStore, Connections, ConsentStore, DeviceStore, HealthStore,
    KeyStore, LoginThrottleStore, LogoutStore, MaintenanceStore, OneTimeStore, Redemption, Rotation,
    SessionStore, Store, StoreError, TokenStore, UserStore,
};

/// A store whose every call ends by `deadline`.
pub struct DeadlineStore {
    inner: Arc<dyn Store>,
    deadline: Duration,
}

impl DeadlineStore {
    /// Wraps `inner`; a call that has not finished after `deadline` is `Unavailable`.
    pub fn new(inner: Arc<dyn Store>, deadline: Duration) -> Self {
        Self { inner, deadline }
    }

    async fn bound<T>(&self, call: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        match tokio::time::timeout(self.deadline, call).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable(format!(
                "the database did not answer within {:?}",
                self.deadline
            ))),
        }
    }
}

/// `impl $trait for DeadlineStore`, each method the inner store's under the deadline.
macro_rules! bounded {
    ($trait:ident { $( fn $name:ident(&self $(, $arg:ident: $ty:ty)* ) -> $ret:ty; )* }) => {
        #[async_trait]
        impl $trait for DeadlineStore {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$ret, StoreError> {
                    self.bound(self.inner.$name($($arg),*)).await
                }
            )*
        }
    };
}

bounded!(ClientStore {
    fn client(&self, id: &str) -> Option<Client>;
    fn clients(&self) -> Vec<Client>;
    fn clients_page(&self, after: Option<&str>, limit: i64) -> Vec<Client>;
    fn insert_client(&self, client: &Client) -> ();
    fn update_client(&self, client: &Client) -> bool;
    fn remove_client(&self, id: &str, now: UnixTime) -> bool;
    fn origin_allowed(&self, origin: &str) -> bool;
    fn insert_registration_token(&self, hash: &SecretHash, expires_at: Option<UnixTime>, uses: Option<i64>, now: UnixTime) -> ();
    fn use_registration_token(&self, hash: &SecretHash, now: UnixTime) -> bool;
    fn record_client_use(&self, id: &str, now: UnixTime) -> ();
    fn remove_unused_dynamic_clients(&self, unused_since: UnixTime, now: UnixTime) -> u64;
});

bounded!(UserStore {
    fn user(&self, username: &str) -> Option<User>;
    fn user_by_subject(&self, subject: &str) -> Option<User>;
    fn users(&self, after: Option<&str>, limit: i64) -> Vec<User>;
    fn insert_user(&self, user: &User) -> ();
    fn set_password(&self, username: &str, password_hash: &str) -> bool;
    fn set_claims(&self, username: &str, claims: &serde_json::Map<String, serde_json::Value>) -> bool;
    fn disable_user(&self, username: &str, now: UnixTime) -> bool;
    fn remove_user(&self, username: &str, now: UnixTime) -> bool;
    fn enable_user(&self, username: &str) -> bool;
    fn sign_out_everywhere(&self, username: &str, now: UnixTime) -> bool;
});

bounded!(CodeStore {
    fn insert_code(&self, code: &AuthorizationCode) -> ();
    fn code(&self, hash: &SecretHash) -> Option<AuthorizationCode>;
    fn redeem_code(&self, hash: &SecretHash, now: UnixTime, issuance: &Issuance) -> Redemption;
});

bounded!(TokenStore {
    fn insert_tokens(&self, issuance: &Issuance) -> ();
    fn token(&self, hash: &SecretHash) -> Option<TokenRecord>;
    fn rotate_refresh_token(&self, old: &SecretHash, now: UnixTime, issuance: &Issuance) -> Rotation;
    fn retry_rotation(&self, old: &SecretHash, successor: &SecretHash, now: UnixTime, issuance: &Issuance) -> Rotation;
    fn revoke_token(&self, hash: &SecretHash, now: UnixTime) -> ();
    fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> u64;
    fn revoke_client_tokens(&self, client_id: &str, now: UnixTime) -> u64;
    fn revoke_subject_tokens(&self, subject: &str, now: UnixTime) -> u64;
});

bounded!(SessionStore {
    fn insert_session(&self, session: &Session) -> ();
    fn session(&self, hash: &SecretHash) -> Option<Session>;
    fn touch_session(&self, hash: &SecretHash, now: UnixTime) -> ();
    fn delete_session(&self, hash: &SecretHash) -> ();
    fn record_session_client(&self, sid: &str, client_id: &str, now: UnixTime) -> ();
    fn session_clients(&self, sid: &str) -> Vec<String>;
    fn log_out_session(&self, sid: &str, now: UnixTime) -> u64;
    fn user_sessions(&self, subject: &str, now: UnixTime) -> Vec<Session>;
});

bounded!(OneTimeStore {
    fn use_once(&self, key: &SecretHash, expires_at: UnixTime, now: UnixTime) -> bool;
    fn insert_pushed_request(&self, request: &PushedRequest) -> ();
    fn pushed_request(&self, hash: &SecretHash, now: UnixTime) -> Option<PushedRequest>;
    fn consume_pushed_request(&self, hash: &SecretHash) -> bool;
});

bounded!(LogoutStore {
    fn claim_logout_deliveries(&self, holder: &str, now: UnixTime, until: UnixTime, limit: i64) -> Vec<LogoutDelivery>;
    fn finish_logout_delivery(&self, id: i64) -> ();
    fn retry_logout_delivery(&self, id: i64, attempts: i64, due_at: UnixTime) -> ();
});

bounded!(ConsentStore {
    fn consent(&self, subject: &str, client_id: &str) -> Option<Consent>;
    fn remember_consent(&self, consent: &Consent) -> ();
    fn consents(&self, subject: &str) -> Vec<Consent>;
    fn revoke_consent(&self, subject: &str, client_id: &str, now: UnixTime) -> bool;
});

bounded!(LoginThrottleStore {
    fn reserve_attempt(&self, key: &str, now: UnixTime, limits: &AttemptLimits) -> Attempt;
    fn refund_attempt(&self, key: &str, now: UnixTime, limits: &AttemptLimits) -> ();
    fn clear_login_failures(&self, key: &str) -> ();
});

bounded!(KeyStore {
    fn signing_keys(&self) -> Vec<SigningKeyRecord>;
    fn signing_key(&self, kid: &str) -> Option<SigningKeyRecord>;
    fn insert_signing_key(&self, key: &SigningKeyRecord) -> ();
    fn retire_signing_keys(&self, successor: &SigningKeyRecord, publish_until: UnixTime) -> ();
    fn revoke_signing_key(&self, kid: &str, now: UnixTime) -> bool;
    fn server_secret(&self, name: &str) -> Option<Vec<u8>>;
    fn insert_server_secret(&self, name: &str, sealed: &[u8], now: UnixTime) -> ();
});

bounded!(DeviceStore {
    fn insert_device_authorization(&self, device: &DeviceAuthorization) -> ();
    fn device_authorization(&self, hash: &SecretHash) -> Option<DeviceAuthorization>;
    fn device_authorization_by_user_code(&self, user_code: &str) -> Option<DeviceAuthorization>;
    fn record_device_poll(&self, hash: &SecretHash, now: UnixTime, interval: i64) -> ();
    fn decide_device_authorization(&self, user_code: &str, approved_for: Option<&str>, now: UnixTime) -> bool;
    fn redeem_device_authorization(&self, hash: &SecretHash, now: UnixTime, issuance: &Issuance) -> Redemption;
});

bounded!(MaintenanceStore {
    fn take_lease(&self, name: &str, holder: &str, now: UnixTime, until: UnixTime) -> bool;
    fn release_lease(&self, name: &str, holder: &str) -> ();
    fn purge_expired(&self, now: UnixTime, batch: i64) -> u64;
});

#[async_trait]
impl HealthStore for DeadlineStore {
    async fn ready(&self) -> Result<(), StoreError> {
        self.bound(self.inner.ready()).await
    }

    fn connections(&self) -> Option<Connections> {
        self.inner.connections()
    }
}
