//! Rows to records and back.

use std::time::Duration;

use oauth2u_core::config::TokenFormat;
use oauth2u_core::model::{
    AuthorizationCode, Client, Consent, GrantType, Session, TokenKind, TokenRecord, User,
};
use oauth2u_core::pkce::{CodeChallenge, PkceMethod};
use oauth2u_core::redirect_uri::RedirectUri;
use oauth2u_core::scope::ScopeSet;
use oauth2u_core::secret::SecretHash;
use oauth2u_core::store::StoreError;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

type Result<T> = std::result::Result<T, StoreError>;

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("corrupt row: {what}"))
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    column: &str,
) -> Result<T> {
    row.try_get(column).map_err(crate::map_error)
}

pub(crate) fn scope_from(text: &str) -> Result<ScopeSet> {
    if text.is_empty() { Ok(ScopeSet::empty()) } else { ScopeSet::parse(text).map_err(|_| corrupt("scope")) }
}

fn hash_from(bytes: Option<Vec<u8>>) -> Result<Option<SecretHash>> {
    bytes.map(|bytes| SecretHash::from_bytes(&bytes).ok_or_else(|| corrupt("hash"))).transpose()
}

fn json_list(row: &SqliteRow, column: &str) -> Result<Vec<String>> {
    serde_json::from_str(&get::<String>(row, column)?).map_err(|_| corrupt(column))
}

pub(crate) fn to_json_list<T: AsRef<str>>(items: &[T]) -> String {
    serde_json::Value::from(items.iter().map(|item| item.as_ref()).collect::<Vec<_>>()).to_string()
}

fn lifetime(row: &SqliteRow, column: &str) -> Result<Option<Duration>> {
    Ok(get::<Option<i64>>(row, column)?.map(|secs| Duration::from_secs(secs.max(0) as u64)))
}

pub(crate) fn client(row: &SqliteRow) -> Result<Client> {
    let previous = hash_from(get(row, "previous_secret_hash")?)?;
    let previous_until: Option<i64> = get(row, "previous_secret_expires_at")?;
    Ok(Client {
        id: get(row, "id")?,
        name: get(row, "name")?,
        public: get(row, "public")?,
        secret_hash: hash_from(get(row, "secret_hash")?)?,
        previous_secret: previous.zip(previous_until),
        redirect_uris: json_list(row, "redirect_uris")?
            .iter()
            .map(|uri| RedirectUri::parse(uri).map_err(|_| corrupt("redirect_uris")))
            .collect::<Result<_>>()?,
        grant_types: json_list(row, "grant_types")?
            .iter()
            .map(|name| GrantType::parse(name).ok_or_else(|| corrupt("grant_types")))
            .collect::<Result<_>>()?,
        scopes: scope_from(&get::<String>(row, "scopes")?)?,
        default_scopes: get::<Option<String>>(row, "default_scopes")?
            .map(|text| scope_from(&text))
            .transpose()?,
        allowed_origins: json_list(row, "allowed_origins")?,
        resource_server: get(row, "resource_server")?,
        resources: json_list(row, "resources")?,
        default_resource: get(row, "default_resource")?,
        access_token_format: get::<Option<String>>(row, "access_token_format")?
            .map(|name| TokenFormat::parse(&name).ok_or_else(|| corrupt("access_token_format")))
            .transpose()?,
        access_token_lifetime: lifetime(row, "access_token_lifetime")?,
        refresh_token_lifetime: lifetime(row, "refresh_token_lifetime")?,
        created_at: get(row, "created_at")?,
    })
}

pub(crate) fn user(row: &SqliteRow) -> Result<User> {
    Ok(User {
        subject: get(row, "subject")?,
        username: get(row, "username")?,
        password_hash: get(row, "password_hash")?,
        disabled: get(row, "disabled")?,
        created_at: get(row, "created_at")?,
    })
}

pub(crate) fn code(row: &SqliteRow) -> Result<AuthorizationCode> {
    let challenge = match (
        get::<Option<String>>(row, "code_challenge")?,
        get::<Option<String>>(row, "code_challenge_method")?,
    ) {
        (Some(value), Some(method)) => Some(CodeChallenge {
            value,
            method: PkceMethod::parse(&method).ok_or_else(|| corrupt("code_challenge_method"))?,
        }),
        _ => None,
    };
    Ok(AuthorizationCode {
        hash: hash_from(get(row, "hash")?)?.ok_or_else(|| corrupt("hash"))?,
        grant_id: get(row, "grant_id")?,
        client_id: get(row, "client_id")?,
        subject: get(row, "subject")?,
        redirect_uri: get(row, "redirect_uri")?,
        scope: scope_from(&get::<String>(row, "scope")?)?,
        challenge,
        resources: json_list(row, "resources")?,
        issued_at: get(row, "issued_at")?,
        expires_at: get(row, "expires_at")?,
        consumed_at: get(row, "consumed_at")?,
    })
}

pub(crate) fn token(row: &SqliteRow) -> Result<TokenRecord> {
    let kind = match get::<String>(row, "kind")?.as_str() {
        "access" => TokenKind::Access,
        "refresh" => TokenKind::Refresh,
        _ => return Err(corrupt("kind")),
    };
    Ok(TokenRecord {
        hash: hash_from(get(row, "hash")?)?.ok_or_else(|| corrupt("hash"))?,
        kind,
        grant_id: get(row, "grant_id")?,
        client_id: get(row, "client_id")?,
        subject: get(row, "subject")?,
        scope: scope_from(&get::<String>(row, "scope")?)?,
        audience: json_list(row, "audience")?,
        issued_at: get(row, "issued_at")?,
        expires_at: get(row, "expires_at")?,
        grant_expires_at: get(row, "grant_expires_at")?,
        revoked_at: get(row, "revoked_at")?,
        rotated_at: get(row, "rotated_at")?,
        successor: hash_from(get(row, "successor")?)?,
        grace_used: get(row, "grace_used")?,
        jti: get(row, "jti")?,
        kid: get(row, "kid")?,
    })
}

pub(crate) fn session(row: &SqliteRow) -> Result<Session> {
    Ok(Session {
        hash: hash_from(get(row, "hash")?)?.ok_or_else(|| corrupt("hash"))?,
        subject: get(row, "subject")?,
        created_at: get(row, "created_at")?,
        last_seen_at: get(row, "last_seen_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

pub(crate) fn consent(row: &SqliteRow) -> Result<Consent> {
    Ok(Consent {
        subject: get(row, "subject")?,
        client_id: get(row, "client_id")?,
        scope: scope_from(&get::<String>(row, "scope")?)?,
        granted_at: get(row, "granted_at")?,
    })
}
