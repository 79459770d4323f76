//! The storage contract, split by concern. Every method is atomic: transactions stay
//! inside the backend, and conditional updates decide races (STYLE.md #6).

use async_trait::async_trait;

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::model::{
    AuthorizationCode, Client, Consent, DeviceAuthorization, Issuance, LogoutDelivery, PushedRequest,
    Session, TokenRecord, User,
};
use crate::secret::SecretHash;
use crate::signing_key::SigningKeyRecord;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now; the request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row with this key already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// Anything else.
    #[error("database error: {0}")]
    Other(String),
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => {
                tracing::error!(%cause, "database unavailable");
                OAuthError::temporarily_unavailable("the server cannot reach its database; retry later")
            }
            other => OAuthError::server_error(other),
        }
    }
}

/// The outcome of exchanging an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// The code was unused: it is now consumed and the issuance stored.
    Fresh,
    /// The code had been used already; nothing was stored.
    Replayed {
        /// The grant whose tokens must be revoked (RFC 6749 §4.1.2).
        grant_id: String,
    },
    /// No such code.
    Unknown,
}

/// The outcome of rotating a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The old token is now rotated and the new tokens stored.
    Rotated,
    /// The token was not live any more (another request rotated it first); nothing was stored.
    Stale,
}

/// Clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// The client with this id.
    async fn client(&self, id: &str) -> Result<Option<Client>, StoreError>;
    /// Every client, by id.
    async fn clients(&self) -> Result<Vec<Client>, StoreError>;
    /// At most `limit` clients by id, those after `after` (the last id of the page before).
    async fn clients_page(&self, after: Option<&str>, limit: i64) -> Result<Vec<Client>, StoreError>;
    /// Registers a client; `Conflict` if the id is taken by a client or a user's subject.
    async fn insert_client(&self, client: &Client) -> Result<(), StoreError>;
    /// Replaces a client's registration; false if there is none.
    async fn update_client(&self, client: &Client) -> Result<bool, StoreError>;
    /// Removes a client and revokes all its tokens; false if there is none.
    async fn remove_client(&self, id: &str, now: UnixTime) -> Result<bool, StoreError>;
    /// Whether any client registered this browser origin.
    async fn origin_allowed(&self, origin: &str) -> Result<bool, StoreError>;
    /// Stores an initial access token for registration (RFC 7591 §3), by hash.
    async fn insert_registration_token(
        &self,
        hash: &SecretHash,
        expires_at: Option<UnixTime>,
        uses: Option<i64>,
        now: UnixTime,
    ) -> Result<(), StoreError>;
    /// Uses up one use of a live initial access token: one conditional write, so that of
    /// concurrent registrations no more succeed than it has uses. False if it is unknown,
    /// expired or used up.
    async fn use_registration_token(&self, hash: &SecretHash, now: UnixTime) -> Result<bool, StoreError>;
    /// Records that a token was issued to a client that registered itself, unless that was
    /// recorded within the last day (so that it costs a write a day, not one per token).
    async fn record_client_use(&self, id: &str, now: UnixTime) -> Result<(), StoreError>;
    /// Removes, with their tokens, the clients that registered themselves and have been
    /// issued no token since `unused_since` (nor registered since); how many.
    async fn remove_unused_dynamic_clients(
        &self,
        unused_since: UnixTime,
        now: UnixTime,
    ) -> Result<u64, StoreError>;
}

/// Users (resource owners).
#[async_trait]
pub trait UserStore: Send + Sync {
    /// The user with this username.
    async fn user(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// The user with this subject identifier.
    async fn user_by_subject(&self, subject: &str) -> Result<Option<User>, StoreError>;
    /// At most `limit` users by username, those after `after` (a cursor: the last username
    /// of the page before), so that a list of any length is read in bounded pages.
    async fn users(&self, after: Option<&str>, limit: i64) -> Result<Vec<User>, StoreError>;
    /// Adds a user; `Conflict` if the username is taken or the subject is a client's id.
    async fn insert_user(&self, user: &User) -> Result<(), StoreError>;
    /// Sets a user's password hash; false if there is no such user.
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StoreError>;
    /// Replaces a user's profile claims; false if there is no such user.
    async fn set_claims(
        &self,
        username: &str,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<bool, StoreError>;
    /// Disables a user and revokes their tokens (as [`UserStore::sign_out_everywhere`]), and
    /// forgets their consents; false if there is no such user.
    async fn disable_user(&self, username: &str, now: UnixTime) -> Result<bool, StoreError>;
    /// Removes a user and revokes their tokens; false if there is no such user.
    async fn remove_user(&self, username: &str, now: UnixTime) -> Result<bool, StoreError>;
    /// Enables a disabled user again; false if there is no such user.
    async fn enable_user(&self, username: &str) -> Result<bool, StoreError>;
    /// Revokes every token of the user, drops their pending codes, denies their approved
    /// devices and ends their sessions (consents stay); false if there is no such user.
    async fn sign_out_everywhere(&self, username: &str, now: UnixTime) -> Result<bool, StoreError>;
}

/// Authorization codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores a new code.
    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError>;
    /// The code with this hash, used or not.
    async fn code(&self, hash: &SecretHash) -> Result<Option<AuthorizationCode>, StoreError>;
    /// Consumes the code and stores the issuance in one transaction. Never returns
    /// `Fresh` twice for one code, however many requests race.
    async fn redeem_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Redemption, StoreError>;
}

/// Access and refresh tokens.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores the tokens of one response.
    async fn insert_tokens(&self, issuance: &Issuance) -> Result<(), StoreError>;
    /// The token with this hash, live or not.
    async fn token(&self, hash: &SecretHash) -> Result<Option<TokenRecord>, StoreError>;
    /// Marks a live, unrotated refresh token as rotated (pointing to the new refresh
    /// token) and stores the issuance, in one transaction.
    async fn rotate_refresh_token(
        &self,
        old: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Rotation, StoreError>;
    /// The grace-period retry: revokes `successor` (the token issued for `old`, and the
    /// access token issued with it) if it is still unrotated, records the retry on `old`,
    /// and stores the issuance, in one transaction. `Stale` if any of that no longer holds.
    async fn retry_rotation(
        &self,
        old: &SecretHash,
        successor: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Rotation, StoreError>;
    /// Revokes one token.
    async fn revoke_token(&self, hash: &SecretHash, now: UnixTime) -> Result<(), StoreError>;
    /// Revokes every token of a grant (family); returns how many were not revoked yet
    /// (a rotated refresh token among them: it is marked too).
    async fn revoke_grant(&self, grant_id: &str, now: UnixTime) -> Result<u64, StoreError>;
    /// Revokes every token of a client; returns how many.
    async fn revoke_client_tokens(&self, client_id: &str, now: UnixTime) -> Result<u64, StoreError>;
    /// Revokes every token issued for a user (by subject); returns how many.
    async fn revoke_subject_tokens(&self, subject: &str, now: UnixTime) -> Result<u64, StoreError>;
}

/// Browser sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The session with this hash, expired or not.
    async fn session(&self, hash: &SecretHash) -> Result<Option<Session>, StoreError>;
    /// Records activity, for the idle timeout.
    async fn touch_session(&self, hash: &SecretHash, now: UnixTime) -> Result<(), StoreError>;
    /// Ends a session.
    async fn delete_session(&self, hash: &SecretHash) -> Result<(), StoreError>;
    /// Records that the session `sid` signed the user into `client_id` (kept once).
    async fn record_session_client(
        &self,
        sid: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<(), StoreError>;
    /// The clients the session `sid` signed the user into, by id.
    async fn session_clients(&self, sid: &str) -> Result<Vec<String>, StoreError>;
    /// Logs the session `sid` out, in one transaction: every cookie of it goes, the tokens
    /// of its grants without `offline_access` are revoked (Back-Channel Logout §2.7), and
    /// a Logout Token is queued for each client it signed into that registered a
    /// back-channel logout URI. Returns how many were queued.
    async fn log_out_session(&self, sid: &str, now: UnixTime) -> Result<u64, StoreError>;
    /// The live sessions of a user (by subject), newest first.
    async fn user_sessions(&self, subject: &str, now: UnixTime) -> Result<Vec<Session>, StoreError>;
}

/// Logout Tokens waiting to be delivered: an outbox, so that a delivery survives a restart
/// and happens on one instance only.
#[async_trait]
pub trait LogoutStore: Send + Sync {
    /// Claims at most `limit` deliveries due at `now` for `holder` until `until`: no other
    /// holder gets them before then, however many instances ask at once.
    async fn claim_logout_deliveries(
        &self,
        holder: &str,
        now: UnixTime,
        until: UnixTime,
        limit: i64,
    ) -> Result<Vec<LogoutDelivery>, StoreError>;
    /// A delivery is done, or given up: it goes.
    async fn finish_logout_delivery(&self, id: i64) -> Result<(), StoreError>;
    /// An attempt failed: released, with `attempts` made, and due again at `due_at`.
    async fn retry_logout_delivery(&self, id: i64, attempts: i64, due_at: UnixTime)
    -> Result<(), StoreError>;
}

/// Remembered consent.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// The user's remembered consent for a client.
    async fn consent(&self, subject: &str, client_id: &str) -> Result<Option<Consent>, StoreError>;
    /// Remembers (or replaces) a consent.
    async fn remember_consent(&self, consent: &Consent) -> Result<(), StoreError>;
    /// Every consent the user gave, by client.
    async fn consents(&self, subject: &str) -> Result<Vec<Consent>, StoreError>;
    /// Forgets a consent and revokes the client's tokens for the user; false if there was none.
    async fn revoke_consent(&self, subject: &str, client_id: &str, now: UnixTime)
    -> Result<bool, StoreError>;
}

/// Counting attempts (passwords, device user codes), so that guessing is slowed down.
#[async_trait]
pub trait LoginThrottleStore: Send + Sync {
    /// Reserves one attempt under `key` with one conditional write, before anything is
    /// checked: of many concurrent attempts, no more pass than the policy allows.
    async fn reserve_attempt(
        &self,
        key: &str,
        now: UnixTime,
        limits: &AttemptLimits,
    ) -> Result<Attempt, StoreError>;
    /// Gives back an attempt that turned out right (a correct code from a shared address).
    async fn refund_attempt(
        &self,
        key: &str,
        now: UnixTime,
        limits: &AttemptLimits,
    ) -> Result<(), StoreError>;
    /// Forgets the attempts of a key (a username, after a successful sign-in).
    async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError>;
}

/// How many attempts one key gets, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Attempts that pass at once.
    pub free: i64,
    /// A key with no attempt for this long starts again (the window slides).
    pub window: i64,
    /// After the free attempts each waits twice as long as the one before, up to this.
    pub max_delay: i64,
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Reserved: check it now.
    Allowed,
    /// Not now: the next attempt may begin in this many seconds.
    Refused {
        /// Seconds to wait.
        retry_after: i64,
    },
}

/// Signing keys for JWT access tokens.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every key, revoked or not, oldest first.
    async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError>;
    /// The key with this id.
    async fn signing_key(&self, kid: &str) -> Result<Option<SigningKeyRecord>, StoreError>;
    /// Stores a new key; `Conflict` if the kid exists.
    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<(), StoreError>;
    /// Sets `publish_until` on every unrevoked key of the successor's algorithm, other than
    /// the successor, that has none yet.
    async fn retire_signing_keys(
        &self,
        successor: &SigningKeyRecord,
        publish_until: UnixTime,
    ) -> Result<(), StoreError>;
    /// Revokes a key at once; false if there is no such key.
    async fn revoke_signing_key(&self, kid: &str, now: UnixTime) -> Result<bool, StoreError>;
    /// The server secret `name`, sealed under the master key.
    async fn server_secret(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores a sealed server secret unless one by that name exists (the first one stays).
    async fn insert_server_secret(&self, name: &str, sealed: &[u8], now: UnixTime) -> Result<(), StoreError>;
}

/// Device authorizations (RFC 8628).
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new device authorization; `Conflict` if the user code is taken.
    async fn insert_device_authorization(&self, device: &DeviceAuthorization) -> Result<(), StoreError>;
    /// By device code hash.
    async fn device_authorization(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// By normalised user code.
    async fn device_authorization_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// Records a poll, and the interval from now on.
    async fn record_device_poll(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        interval: i64,
    ) -> Result<(), StoreError>;
    /// Records the user's decision while still pending and unexpired; false otherwise.
    async fn decide_device_authorization(
        &self,
        user_code: &str,
        approved_for: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError>;
    /// Consumes an approved authorization and stores the issuance, in one transaction.
    /// Never returns `Fresh` twice.
    async fn redeem_device_authorization(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        issuance: &Issuance,
    ) -> Result<Redemption, StoreError>;
}

/// What may be used once, across every instance on the database: the `jti` of client
/// assertions (RFC 7523 §3) and DPoP proofs (RFC 9449 §11.1), and pushed authorization
/// requests (RFC 9126 §4). Swept by [`MaintenanceStore::purge_expired`] once expired.
#[async_trait]
pub trait OneTimeStore: Send + Sync {
    /// Records `key` as seen until `expires_at`. False if it was seen before and that record
    /// has not expired at `now`: a replay.
    async fn use_once(
        &self,
        key: &SecretHash,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool, StoreError>;
    /// Stores a pushed authorization request.
    async fn insert_pushed_request(&self, request: &PushedRequest) -> Result<(), StoreError>;
    /// A pushed request that has not expired at `now` and has not been consumed.
    async fn pushed_request(
        &self,
        hash: &SecretHash,
        now: UnixTime,
    ) -> Result<Option<PushedRequest>, StoreError>;
    /// Consumes a pushed request; false if it was gone already (so it yields one code).
    async fn consume_pushed_request(&self, hash: &SecretHash) -> Result<bool, StoreError>;
}

/// The database as a whole.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Whether the database answers now (for `/health/ready`); an error says why not.
    async fn ready(&self) -> Result<(), StoreError>;

    /// The connection pool's state now, for metrics; `None` where there is no pool.
    fn connections(&self) -> Option<Connections> {
        None
    }
}

/// A connection pool's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    /// Open now, in use or idle.
    pub open: u32,
    /// Open and idle.
    pub idle: u32,
    /// The most it may open.
    pub max: u32,
}

/// Housekeeping, which one instance at a time does.
#[async_trait]
pub trait MaintenanceStore: Send + Sync {
    /// Takes the lease `name` for `holder` until `until`, if at `now` it is free, expired,
    /// or already `holder`'s (a renewal); says whether `holder` holds it now.
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: UnixTime,
        until: UnixTime,
    ) -> Result<bool, StoreError>;
    /// Gives up a lease `holder` holds.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;
    /// Deletes at most `batch` rows of each table that nothing needs any more at `now`:
    /// expired sessions and throttling records, and expired codes, device codes and tokens
    /// of grants none of whose tokens is still unexpired — a used code or a rotated refresh
    /// token stays while its family lives, so that a late replay is still recognised.
    /// Returns how many rows it deleted.
    async fn purge_expired(&self, now: UnixTime, batch: i64) -> Result<u64, StoreError>;
}

/// Everything the server stores.
pub trait Store:
    HealthStore
    + MaintenanceStore
    + ClientStore
    + UserStore
    + CodeStore
    + TokenStore
    + SessionStore
    + ConsentStore
    + LoginThrottleStore
    + KeyStore
    + DeviceStore
    + LogoutStore
    + OneTimeStore
{
}

impl<T> Store for T where
    T: HealthStore
        + MaintenanceStore
        + ClientStore
        + UserStore
        + CodeStore
        + TokenStore
        + SessionStore
        + ConsentStore
        + LoginThrottleStore
        + KeyStore
        + DeviceStore
        + LogoutStore
        + OneTimeStore
{
}
