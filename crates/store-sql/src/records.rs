//! Stored rows to records: the decoding that every SQL store shares. A store implements
//! [`Columns`] for its driver's row type; the schema's column names live here, once, with
//! the few statements that read the same on every engine — in the store layer, so that the
//! protocol crate knows no schema (DESIGN.md: no SQL and no table names in core).

use std::time::Duration;

use oauth2u_core::clock::UnixTime;
use oauth2u_core::config::TokenFormat;
use oauth2u_core::model::{
    AuthorizationCode, BackchannelLogout, Client, ClientKeys, Consent, DeviceAuthorization, DeviceStatus,
    DynamicRegistration, GrantType, LogoutDelivery, PushedRequest, Session, SubjectType, TokenKind,
    TokenRecord, User,
};
use oauth2u_core::pkce::{CodeChallenge, PkceMethod};
use oauth2u_core::redirect_uri::RedirectUri;
use oauth2u_core::scope::ScopeSet;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::signing_key::{SigningAlgorithm, SigningKeyRecord};
use oauth2u_core::store::StoreError;

type Result<T> = std::result::Result<T, StoreError>;

/// Typed access to one row's columns, which each engine implements for its row type; `None` for SQL NULL.
pub trait Columns {
    /// An integer column.
    fn int(&self, column: &str) -> Result<Option<i64>>;
    /// A boolean column.
    fn flag(&self, column: &str) -> Result<bool>;
    /// A text column.
    fn text(&self, column: &str) -> Result<Option<String>>;
    /// A binary column.
    fn blob(&self, column: &str) -> Result<Option<Vec<u8>>>;
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("corrupt row: {what}"))
}

/// A column's value that may not be NULL.
pub fn required<T>(value: Option<T>, column: &str) -> Result<T> {
    value.ok_or_else(|| corrupt(&format!("{column} is NULL")))
}

fn int(row: &impl Columns, column: &str) -> Result<i64> {
    required(row.int(column)?, column)
}

fn text(row: &impl Columns, column: &str) -> Result<String> {
    required(row.text(column)?, column)
}

/// A space-delimited scope column.
pub fn scope_from(text: &str) -> Result<ScopeSet> {
    if text.is_empty() { Ok(ScopeSet::empty()) } else { ScopeSet::parse(text).map_err(|_| corrupt("scope")) }
}

fn scope(row: &impl Columns, column: &str) -> Result<ScopeSet> {
    scope_from(&text(row, column)?)
}

fn hash(row: &impl Columns, column: &str) -> Result<Option<SecretHash>> {
    row.blob(column)?.map(|bytes| SecretHash::from_bytes(&bytes).ok_or_else(|| corrupt(column))).transpose()
}

fn json_list(row: &impl Columns, column: &str) -> Result<Vec<String>> {
    serde_json::from_str(&text(row, column)?).map_err(|_| corrupt(column))
}

/// A list stored as a JSON array of strings.
pub fn to_json_list<T: AsRef<str>>(items: &[T]) -> String {
    serde_json::Value::from(items.iter().map(|item| item.as_ref()).collect::<Vec<_>>()).to_string()
}

/// A nullable column holding a JSON document of type `T`.
fn json<T: serde::de::DeserializeOwned>(row: &impl Columns, column: &str) -> Result<Option<T>> {
    row.text(column)?.map(|text| serde_json::from_str(&text).map_err(|_| corrupt(column))).transpose()
}

/// A value stored as a JSON document (the inverse of what the rows here decode).
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn lifetime(row: &impl Columns, column: &str) -> Result<Option<Duration>> {
    Ok(row.int(column)?.map(|secs| Duration::from_secs(secs.max(0) as u64)))
}

/// A `clients` row.
pub fn client(row: &impl Columns) -> Result<Client> {
    let previous = hash(row, "previous_secret_hash")?;
    let previous_until: Option<UnixTime> = row.int("previous_secret_expires_at")?;
    Ok(Client {
        id: text(row, "id")?,
        name: text(row, "name")?,
        public: row.flag("public")?,
        secret_hash: hash(row, "secret_hash")?,
        previous_secret: previous.zip(previous_until),
        redirect_uris: json_list(row, "redirect_uris")?
            .iter()
            .map(|uri| RedirectUri::parse(uri).map_err(|_| corrupt("redirect_uris")))
            .collect::<Result<_>>()?,
        grant_types: json_list(row, "grant_types")?
            .iter()
            .map(|name| GrantType::parse(name).ok_or_else(|| corrupt("grant_types")))
            .collect::<Result<_>>()?,
        scopes: scope(row, "scopes")?,
        default_scopes: row.text("default_scopes")?.map(|text| scope_from(&text)).transpose()?,
        allowed_origins: json_list(row, "allowed_origins")?,
        resource_server: row.text("resource_server")?,
        resources: json_list(row, "resources")?,
        default_resource: row.text("default_resource")?,
        access_token_format: row
            .text("access_token_format")?
            .map(|name| TokenFormat::parse(&name).ok_or_else(|| corrupt("access_token_format")))
            .transpose()?,
        access_token_lifetime: lifetime(row, "access_token_lifetime")?,
        refresh_token_lifetime: lifetime(row, "refresh_token_lifetime")?,
        id_token_alg: row
            .text("id_token_alg")?
            .map(|name| SigningAlgorithm::parse(&name).ok_or_else(|| corrupt("id_token_alg")))
            .transpose()?,
        subject_type: match (row.text("subject_type")?.as_deref(), row.text("sector_identifier")?) {
            (None | Some("public"), _) => SubjectType::Public,
            (Some("pairwise"), Some(sector)) => SubjectType::Pairwise { sector },
            _ => return Err(corrupt("subject_type")),
        },
        post_logout_redirect_uris: match row.text("post_logout_redirect_uris")? {
            Some(_) => json_list(row, "post_logout_redirect_uris")?,
            None => Vec::new(),
        },
        backchannel_logout: row.text("backchannel_logout_uri")?.map(|uri| BackchannelLogout {
            uri,
            session_required: row.flag("backchannel_logout_session_required").unwrap_or(false),
        }),
        registration: match hash(row, "registration_token_hash")? {
            Some(token_hash) => Some(DynamicRegistration {
                token_hash,
                metadata: json(row, "registration_metadata")?.unwrap_or_default(),
                last_used_at: row.int("last_used_at")?,
            }),
            None => None,
        },
        metadata_document: None,
        keys: match (json(row, "jwks")?, row.text("jwks_uri")?) {
            (Some(jwks), _) => Some(ClientKeys::Jwks(jwks)),
            (None, Some(uri)) => Some(ClientKeys::JwksUri(uri)),
            (None, None) => None,
        },
        dpop_bound_access_tokens: row.flag("dpop_bound_access_tokens")?,
        require_pushed_authorization_requests: row.flag("require_pushed_authorization_requests")?,
        created_at: int(row, "created_at")?,
    })
}

/// A `users` row.
pub fn user(row: &impl Columns) -> Result<User> {
    Ok(User {
        subject: text(row, "subject")?,
        username: text(row, "username")?,
        password_hash: text(row, "password_hash")?,
        disabled: row.flag("disabled")?,
        claims: json(row, "claims")?.unwrap_or_default(),
        created_at: int(row, "created_at")?,
    })
}

/// An `authorization_codes` row.
pub fn code(row: &impl Columns) -> Result<AuthorizationCode> {
    let challenge = match (row.text("code_challenge")?, row.text("code_challenge_method")?) {
        (Some(value), Some(method)) => Some(CodeChallenge {
            value,
            method: PkceMethod::parse(&method).ok_or_else(|| corrupt("code_challenge_method"))?,
        }),
        _ => None,
    };
    Ok(AuthorizationCode {
        hash: required(hash(row, "hash")?, "hash")?,
        grant_id: text(row, "grant_id")?,
        client_id: text(row, "client_id")?,
        subject: text(row, "subject")?,
        redirect_uri: row.text("redirect_uri")?,
        scope: scope(row, "scope")?,
        challenge,
        resources: json_list(row, "resources")?,
        issued_at: int(row, "issued_at")?,
        expires_at: int(row, "expires_at")?,
        consumed_at: row.int("consumed_at")?,
        openid: json(row, "openid")?,
        dpop_jkt: row.text("dpop_jkt")?,
    })
}

/// A `tokens` row.
pub fn token(row: &impl Columns) -> Result<TokenRecord> {
    let kind = match text(row, "kind")?.as_str() {
        "access" => TokenKind::Access,
        "refresh" => TokenKind::Refresh,
        _ => return Err(corrupt("kind")),
    };
    Ok(TokenRecord {
        hash: required(hash(row, "hash")?, "hash")?,
        kind,
        grant_id: text(row, "grant_id")?,
        client_id: text(row, "client_id")?,
        subject: row.text("subject")?,
        scope: scope(row, "scope")?,
        audience: json_list(row, "audience")?,
        issued_at: int(row, "issued_at")?,
        expires_at: int(row, "expires_at")?,
        grant_expires_at: row.int("grant_expires_at")?,
        revoked_at: row.int("revoked_at")?,
        rotated_at: row.int("rotated_at")?,
        successor: hash(row, "successor")?,
        grace_used: row.flag("grace_used")?,
        jti: row.text("jti")?,
        kid: row.text("kid")?,
        authentication: json(row, "authentication")?,
        claims: json(row, "claims")?,
        jkt: row.text("jkt")?,
    })
}

/// A `pushed_requests` row.
pub fn pushed_request(row: &impl Columns) -> Result<PushedRequest> {
    Ok(PushedRequest {
        hash: required(hash(row, "hash")?, "hash")?,
        client_id: text(row, "client_id")?,
        parameters: text(row, "parameters")?,
        dpop_jkt: row.text("dpop_jkt")?,
        created_at: int(row, "created_at")?,
        expires_at: int(row, "expires_at")?,
    })
}

/// A `sessions` row.
pub fn session(row: &impl Columns) -> Result<Session> {
    let hash = required(hash(row, "hash")?, "hash")?;
    let created_at = int(row, "created_at")?;
    Ok(Session {
        // Sessions from before schema 9 have no sid, auth_time or amr: they began at the
        // login form, so they were signed in when they were made, with a password.
        sid: row.text("sid")?.unwrap_or_else(|| hash.hex_prefix()),
        auth_time: row.int("auth_time")?.unwrap_or(created_at),
        amr: json(row, "amr")?.unwrap_or_else(|| vec!["pwd".to_owned()]),
        hash,
        subject: row.text("subject")?,
        created_at,
        last_seen_at: int(row, "last_seen_at")?,
        expires_at: int(row, "expires_at")?,
    })
}

/// A `consents` row.
pub fn consent(row: &impl Columns) -> Result<Consent> {
    Ok(Consent {
        subject: text(row, "subject")?,
        client_id: text(row, "client_id")?,
        scope: scope(row, "scope")?,
        granted_at: int(row, "granted_at")?,
    })
}

/// A `signing_keys` row; the private key stays sealed.
pub fn signing_key(row: &impl Columns) -> Result<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        kid: text(row, "kid")?,
        algorithm: SigningAlgorithm::parse(&text(row, "alg")?).ok_or_else(|| corrupt("alg"))?,
        sealed_private_key: required(row.blob("private_key")?, "private_key")?,
        public_jwk: serde_json::from_str(&text(row, "public_jwk")?).map_err(|_| corrupt("public_jwk"))?,
        created_at: int(row, "created_at")?,
        activates_at: int(row, "activates_at")?,
        publish_until: row.int("publish_until")?,
        revoked_at: row.int("revoked_at")?,
    })
}

/// A `device_codes` row.
pub fn device_authorization(row: &impl Columns) -> Result<DeviceAuthorization> {
    Ok(DeviceAuthorization {
        hash: required(hash(row, "hash")?, "hash")?,
        user_code: text(row, "user_code")?,
        client_id: text(row, "client_id")?,
        scope: scope(row, "scope")?,
        resources: json_list(row, "resources")?,
        grant_id: text(row, "grant_id")?,
        issued_at: int(row, "issued_at")?,
        expires_at: int(row, "expires_at")?,
        interval: int(row, "interval")?,
        last_polled_at: row.int("last_polled_at")?,
        status: match text(row, "status")?.as_str() {
            "pending" => DeviceStatus::Pending,
            "approved" => DeviceStatus::Approved,
            "denied" => DeviceStatus::Denied,
            _ => return Err(corrupt("status")),
        },
        subject: row.text("subject")?,
        consumed_at: row.int("consumed_at")?,
    })
}

/// Queues a Logout Token (Back-Channel Logout §2.5) for every client that the signed-in
/// sessions whose `$sessions` column is `$1` signed into and that wants one; `$2` is now.
/// Run in the transaction that ends the sessions.
macro_rules! queue_logouts {
    ($sessions:literal) => {
        concat!(
            "INSERT INTO logout_deliveries (client_id, subject, sid, attempts, due_at, created_at)
            SELECT c.client_id, s.subject, s.sid, 0, $2, $2
            FROM (SELECT DISTINCT sid, subject FROM sessions WHERE ",
            $sessions,
            " = $1 AND subject IS NOT NULL) s
            JOIN session_clients c ON c.sid = s.sid
            JOIN clients k ON k.id = c.client_id AND k.backchannel_logout_uri IS NOT NULL"
        )
    };
}

/// Queues the Logout Tokens of the session `$1` at `$2`.
pub const QUEUE_SESSION_LOGOUTS: &str = queue_logouts!("sid");

/// Queues the Logout Tokens of every session of the user `$1` (a subject) at `$2`.
pub const QUEUE_USER_LOGOUTS: &str = queue_logouts!("subject");

/// Back-Channel Logout §2.7: revokes the tokens of the session `$1` at `$2`, except those
/// of grants whose refresh token carries `offline_access` (OpenID Connect Core §11): those
/// are meant to outlive the session.
pub const REVOKE_SESSION_TOKENS: &str = "UPDATE tokens SET revoked_at = $2
    WHERE sid = $1 AND revoked_at IS NULL AND grant_id NOT IN (
        SELECT o.grant_id FROM tokens o WHERE o.sid = $1 AND o.kind = 'refresh'
        AND (' ' || o.scope || ' ') LIKE '% offline_access %')";

/// Claims for holder `$1`, until `$3`, at most `$4` deliveries due at `$2`. The outer
/// condition is checked again on each row it updates, so that of two instances claiming
/// at once only one gets a row (PostgreSQL re-reads a row another transaction changed).
pub const CLAIM_LOGOUT_DELIVERIES: &str = "UPDATE logout_deliveries SET claimed_by = $1, claimed_until = $3
    WHERE id IN (SELECT id FROM logout_deliveries WHERE due_at <= $2
        AND (claimed_until IS NULL OR claimed_until <= $2) ORDER BY id LIMIT $4)
    AND (claimed_until IS NULL OR claimed_until <= $2)
    RETURNING id, client_id, subject, sid, attempts";

/// A `logout_deliveries` row.
pub fn logout_delivery(row: &impl Columns) -> Result<LogoutDelivery> {
    Ok(LogoutDelivery {
        id: int(row, "id")?,
        client_id: text(row, "client_id")?,
        subject: text(row, "subject")?,
        sid: row.text("sid")?,
        attempts: int(row, "attempts")?,
    })
}

/// Housekeeping deletes, `$1` = now, `$2` = batch size. A code, device code or token goes
/// only when no token of its grant is unexpired: the marker of a used code or a rotated
/// refresh token must outlive every token of its family, so that a late replay is still
/// recognised and still revokes the family.
pub const PURGE: &[&str] = &[
    "DELETE FROM tokens WHERE hash IN (SELECT t.hash FROM tokens t WHERE t.expires_at < $1
        AND NOT EXISTS (SELECT 1 FROM tokens f WHERE f.grant_id = t.grant_id AND f.expires_at >= $1) LIMIT $2)",
    "DELETE FROM authorization_codes WHERE hash IN (SELECT c.hash FROM authorization_codes c WHERE c.expires_at < $1
        AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = c.grant_id AND t.expires_at >= $1) LIMIT $2)",
    "DELETE FROM device_codes WHERE hash IN (SELECT d.hash FROM device_codes d WHERE d.expires_at < $1
        AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = d.grant_id AND t.expires_at >= $1) LIMIT $2)",
    "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions WHERE expires_at < $1 LIMIT $2)",
    // A session's clients go with its last cookie (not one recorded this second: its
    // session may be between two rotations).
    "DELETE FROM session_clients WHERE sid IN (SELECT c.sid FROM session_clients c WHERE c.signed_in_at < $1
        AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.sid = c.sid) LIMIT $2)",
    // Throttling looks back 15 minutes; a day-old record counts for nothing.
    "DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures WHERE last_at < $1 - 86400 LIMIT $2)",
    // A `jti` whose assertion or proof has expired can no longer be replayed.
    "DELETE FROM single_use WHERE key IN (SELECT key FROM single_use WHERE expires_at < $1 LIMIT $2)",
    "DELETE FROM pushed_requests WHERE hash IN (SELECT hash FROM pushed_requests WHERE expires_at < $1 LIMIT $2)",
];

/// Makes sure the lease row `$1` exists.
pub const LEASE_ROW: &str = "INSERT INTO oauth2u_leases (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";

/// Takes lease `$1` for holder `$2` until `$4` if at `$3` it is free, expired or already `$2`'s.
pub const TAKE_LEASE: &str = "UPDATE oauth2u_leases SET holder = $2, expires_at = $4 WHERE name = $1 AND (expires_at <= $3 OR holder = $2)";

/// Gives up lease `$1` if holder `$2` has it.
pub const RELEASE_LEASE: &str =
    "UPDATE oauth2u_leases SET holder = NULL, expires_at = 0 WHERE name = $1 AND holder = $2";

/// The newest migration applied, if the migrations table exists.
pub const NEWEST_MIGRATION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";

/// The oldest schema version a binary must know to use this database (see the migration
/// that made `oauth2u_schema`).
pub const COMPATIBLE_FROM: &str = "SELECT compatible_from FROM oauth2u_schema WHERE id = 1";

/// Whether a binary whose newest migration is `known` may use a database whose newest
/// applied migration is `applied` and which says it serves binaries from `compatible_from`
/// on. A newer schema is fine while its migrations were additive (rolling upgrades); a
/// newer schema that says nothing is refused.
pub fn check_schema(known: i64, applied: Option<i64>, compatible_from: Option<i64>) -> Result<()> {
    match applied {
        Some(applied) if applied > known && compatible_from.is_none_or(|from| from > known) => {
            Err(StoreError::Other(format!(
                "the database has schema version {applied}, newer than this oauth2u knows ({known}) and not compatible with it; upgrade oauth2u or use another database"
            )))
        }
        Some(applied) if applied > known => {
            tracing::warn!(
                applied,
                known,
                "the database schema is newer than this oauth2u, and compatible: an upgrade is rolling out"
            );
            Ok(())
        }
        _ => Ok(()),
    }
}
