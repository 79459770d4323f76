//! The records the protocol works with: clients, users, codes and tokens.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::claims_request::ClaimsRequest;
use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::pkce::CodeChallenge;
use crate::redirect_uri::RedirectUri;
use crate::scope::ScopeSet;
use crate::secret::SecretHash;
use crate::signing_key::SigningAlgorithm;

/// The grant types a client can be registered for (RFC 7591 §2 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantType {
    /// RFC 6749 §4.1.
    AuthorizationCode,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.3 (legacy; RFC 9700 §2.4 says MUST NOT be used).
    Password,
    /// RFC 6749 §4.2 (legacy; RFC 9700 §2.1.2 says SHOULD NOT be used).
    Implicit,
    /// RFC 8628: the device authorization grant.
    DeviceCode,
}

impl GrantType {
    /// Every grant type, in the order they are listed.
    pub const ALL: [GrantType; 6] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::Password,
        Self::Implicit,
        Self::DeviceCode,
    ];

    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::Implicit => "implicit",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// From the registered name (`device_code` is accepted as a short form).
    pub fn parse(name: &str) -> Option<Self> {
        if name == "device_code" {
            return Some(Self::DeviceCode);
        }
        Self::ALL.into_iter().find(|grant| grant.as_str() == name)
    }

    /// Whether only a confidential client may use it (RFC 6749 §4.4: client credentials;
    /// §4.3 and RFC 9700 §2.4: the password grant exposes credentials to the client).
    pub fn needs_confidential_client(self) -> bool {
        matches!(self, Self::ClientCredentials | Self::Password)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The form of access tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    /// 256 random bits, looked up by hash: revocable at once, checked by introspection.
    #[default]
    Opaque,
    /// A signed JWT (RFC 9068) that resource servers verify against the JWKS.
    Jwt,
}

impl TokenFormat {
    /// The name in settings and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opaque => "opaque",
            Self::Jwt => "jwt",
        }
    }

    /// From its name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Opaque, Self::Jwt].into_iter().find(|format| format.as_str() == name)
    }
}

/// Which `sub` a client is shown (OpenID Connect Core §8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SubjectType {
    /// §8: the same `sub` for every client.
    #[default]
    Public,
    /// §8.1: a `sub` of the client's sector alone, unlinkable to the user's `sub` elsewhere.
    Pairwise {
        /// The sector identifier: the redirect URIs' host, or one the operator named.
        sector: String,
    },
}

impl SubjectType {
    /// The registered name (Registration §2 `subject_type`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise { .. } => "pairwise",
        }
    }
}

/// Back-Channel Logout §2.2: where a client is told that a session it signed into ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackchannelLogout {
    /// `backchannel_logout_uri`.
    pub uri: String,
    /// `backchannel_logout_session_required`: the Logout Token must carry `sid`.
    pub session_required: bool,
}

/// A registered client (RFC 6749 §2).
#[derive(Debug, Clone)]
pub struct Client {
    /// `client_id`.
    pub id: String,
    /// A name shown to people.
    pub name: String,
    /// A public client has no secret (RFC 6749 §2.1) and must use PKCE.
    pub public: bool,
    /// The hash of the current client secret (confidential clients).
    pub secret_hash: Option<SecretHash>,
    /// The previous secret, valid until the given time after a rotation with overlap.
    pub previous_secret: Option<(SecretHash, UnixTime)>,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<RedirectUri>,
    /// Grant types the client may use.
    pub grant_types: Vec<GrantType>,
    /// Scopes the client may ask for.
    pub scopes: ScopeSet,
    /// Scopes granted when a request names none; `None` means all of `scopes`.
    pub default_scopes: Option<ScopeSet>,
    /// Browser origins allowed to call the token endpoint (CORS).
    pub allowed_origins: Vec<String>,
    /// For a resource server (an API): the URI it is known by, a valid `resource` value
    /// and the audience whose tokens it may introspect.
    pub resource_server: Option<String>,
    /// The resources (RFC 8707) this client may ask tokens for.
    pub resources: Vec<String>,
    /// The audience of its JWT access tokens when a request names no resource.
    pub default_resource: Option<String>,
    /// Overrides the server's access token format.
    pub access_token_format: Option<TokenFormat>,
    /// Overrides the server's access token lifetime.
    pub access_token_lifetime: Option<Duration>,
    /// Overrides the server's refresh token lifetime.
    pub refresh_token_lifetime: Option<Duration>,
    /// The algorithm of its ID tokens (Registration §2 `id_token_signed_response_alg`);
    /// `None` means RS256, the default that section gives.
    pub id_token_alg: Option<SigningAlgorithm>,
    /// The `sub` its ID tokens, userinfo, introspection and JWT access tokens show.
    pub subject_type: SubjectType,
    /// Where RP-Initiated Logout may send the browser afterwards (exact match, §3).
    pub post_logout_redirect_uris: Vec<String>,
    /// Where Logout Tokens go, if the client wants them.
    pub backchannel_logout: Option<BackchannelLogout>,
    /// For a client that registered itself (RFC 7591): how it manages its registration.
    pub registration: Option<DynamicRegistration>,
    /// For a client whose `client_id` is the URL of its metadata document: the SHA-256
    /// (hex) of the document it was read from. Its name is self-asserted, unverified.
    pub metadata_document: Option<String>,
    /// Its public keys: a confidential client with keys authenticates with `private_key_jwt`
    /// (RFC 7523 §2.2) and signs its request objects (RFC 9101) with them.
    pub keys: Option<ClientKeys>,
    /// RFC 9449 §5.2 `dpop_bound_access_tokens`: every token request must carry a DPoP proof.
    pub dpop_bound_access_tokens: bool,
    /// RFC 9126 §6 `require_pushed_authorization_requests`.
    pub require_pushed_authorization_requests: bool,
    /// When the client was registered.
    pub created_at: UnixTime,
}

/// Where a client's public keys are (RFC 7591 §2 `jwks` and `jwks_uri`).
#[derive(Debug, Clone, PartialEq)]
pub enum ClientKeys {
    /// A JWK Set given at registration.
    Jwks(Value),
    /// The URL of its JWK Set, fetched and cached.
    JwksUri(String),
}

/// What a client that registered itself keeps (RFC 7591, RFC 7592).
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicRegistration {
    /// The hash of its registration access token (RFC 7592 §1.3).
    pub token_hash: SecretHash,
    /// The metadata it registered, defaults applied, as the RFC 7592 reads answer it.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// When a token was last issued to it, to the day; `None` before the first.
    pub last_used_at: Option<UnixTime>,
}

impl Client {
    /// A confidential-or-public client with one redirect URI and scopes `read write`
    /// (`openid` too), for unit tests.
    #[cfg(test)]
    pub(crate) fn example(public: bool, redirect_uri: &str) -> Self {
        Self {
            id: "app".into(),
            name: "App".into(),
            public,
            secret_hash: None,
            previous_secret: None,
            redirect_uris: vec![RedirectUri::parse(redirect_uri).unwrap_or_else(|_| unreachable!())],
            grant_types: vec![GrantType::AuthorizationCode],
            scopes: ScopeSet::parse("openid read write").unwrap_or_default(),
            default_scopes: None,
            allowed_origins: Vec::new(),
            resource_server: None,
            resources: Vec::new(),
            default_resource: None,
            access_token_format: None,
            access_token_lifetime: None,
            refresh_token_lifetime: None,
            id_token_alg: None,
            subject_type: SubjectType::Public,
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout: None,
            registration: None,
            metadata_document: None,
            keys: None,
            dpop_bound_access_tokens: false,
            require_pushed_authorization_requests: false,
            created_at: 0,
        }
    }

    /// Whether it authenticates with `private_key_jwt` (RFC 7523 §2.2): a confidential client
    /// with keys and no secret.
    pub fn authenticates_with_keys(&self) -> bool {
        !self.public && self.secret_hash.is_none() && self.keys.is_some()
    }

    /// Whether the client is registered for the grant type.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The scope granted when a request names none.
    pub fn default_scope(&self) -> &ScopeSet {
        self.default_scopes.as_ref().unwrap_or(&self.scopes)
    }

    /// §3.3: the requested scope, which must be within what the client may ask for;
    /// an omitted scope means the client's default scope.
    pub fn requested_scope(&self, scope: Option<&str>) -> Result<ScopeSet, OAuthError> {
        let Some(scope) = scope else {
            return Ok(self.default_scope().clone());
        };
        let scope = ScopeSet::parse(scope)?;
        if !scope.is_subset(&self.scopes) {
            return Err(OAuthError::invalid_scope(
                "the requested scope exceeds what this client may ask for",
            ));
        }
        Ok(scope)
    }

    /// Whether a remembered consent may stand in for asking. Not for a public client whose
    /// redirect URIs any app on the device could claim (loopback, private-use schemes):
    /// its identity cannot be assured (RFC 8252 §8.6, RFC 6749 §10.2).
    pub fn may_skip_consent(&self) -> bool {
        !self.public || self.redirect_uris.iter().all(|uri| uri.is_claimed_https())
    }

    /// What a remembered consent is kept under: the client id, and for a client read from a
    /// metadata document that document's hash too, so that a changed document is asked
    /// about again (the client ID metadata document draft's consent rule).
    pub fn consent_key(&self) -> String {
        match &self.metadata_document {
            Some(hash) => format!("{}#{hash}", self.id),
            None => self.id.clone(),
        }
    }
}

/// A resource owner who can sign in.
#[derive(Debug, Clone)]
pub struct User {
    /// The stable, opaque subject identifier (`sub`); never equal to a `client_id`.
    pub subject: String,
    /// The name the user signs in with.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// A disabled user cannot sign in and holds no live tokens.
    pub disabled: bool,
    /// Profile attributes (OpenID Connect Core §5.1 names: `name`, `email`, …), released
    /// by scope at the userinfo endpoint.
    pub claims: Map<String, Value>,
    /// When the user was added.
    pub created_at: UnixTime,
}

/// An authorization code as stored (RFC 6749 §4.1.2).
#[derive(Debug, Clone)]
pub struct AuthorizationCode {
    /// The code's hash.
    pub hash: SecretHash,
    /// The grant (token family) every token issued from this code belongs to.
    pub grant_id: String,
    /// The client the code was issued to.
    pub client_id: String,
    /// The resource owner.
    pub subject: String,
    /// The `redirect_uri` sent to the authorization endpoint, if one was sent (§4.1.3).
    pub redirect_uri: Option<String>,
    /// The granted scope.
    pub scope: ScopeSet,
    /// The PKCE challenge, if one was sent.
    pub challenge: Option<CodeChallenge>,
    /// The resources (RFC 8707) authorized.
    pub resources: Vec<String>,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// When it was exchanged; a code is single-use.
    pub consumed_at: Option<UnixTime>,
    /// For an OpenID request: what its ID token will say.
    pub openid: Option<OpenIdGrant>,
    /// RFC 9449 §10: the thumbprint of the DPoP key the code is bound to; the token
    /// request must prove possession of that key.
    pub dpop_jkt: Option<String>,
}

/// How and when the user signed in, as OpenID Connect Core §2 reports it in `auth_time`
/// and `amr`. A session holds it; a code and a refresh token carry it to ID tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    /// When the user signed in (`auth_time`).
    pub time: UnixTime,
    /// How (`amr`, RFC 8176 names): `["pwd"]` after the login form; none when a plugin or
    /// the development switch approved without it.
    pub methods: Vec<String>,
    /// The session's stable id (`sid`), when a session signed the user in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl Authentication {
    /// A sign-in this server did not see (a plugin or the development switch approved):
    /// reported as happening `now`, by no named method.
    pub fn unseen(now: UnixTime) -> Self {
        Self { time: now, methods: Vec::new(), session_id: None }
    }
}

/// What an OpenID request's code carries to the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIdGrant {
    /// `nonce`, exactly as sent (Core §3.1.2.1); echoed in the first ID token only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The sign-in the ID token reports.
    pub authentication: Authentication,
    /// The `claims` request parameter (Core §5.5), for the ID token and userinfo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<ClaimsRequest>,
}

/// Access or refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

impl TokenKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// A stored token.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// The token's hash.
    pub hash: SecretHash,
    /// Access or refresh.
    pub kind: TokenKind,
    /// The grant (family) it descends from.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The resource owner; `None` for client credentials.
    pub subject: Option<String>,
    /// The scope.
    pub scope: ScopeSet,
    /// The audience: the resources it is for (RFC 8707).
    pub audience: Vec<String>,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// Refresh tokens: when the whole family expires, however often it is rotated.
    pub grant_expires_at: Option<UnixTime>,
    /// When it was revoked.
    pub revoked_at: Option<UnixTime>,
    /// Refresh tokens: when it was exchanged for a new one.
    pub rotated_at: Option<UnixTime>,
    /// Refresh tokens: the hash of the refresh token issued in its place.
    pub successor: Option<SecretHash>,
    /// Refresh tokens: whether the retry allowed in the grace period was used.
    pub grace_used: bool,
    /// JWT access tokens: the `jti`.
    pub jti: Option<String>,
    /// JWT access tokens: the key that signed it.
    pub kid: Option<String>,
    /// Refresh tokens of an OpenID grant: the sign-in its new ID tokens report (Core §12.2).
    pub authentication: Option<Authentication>,
    /// An OpenID grant's `claims` request (Core §5.5): what userinfo and refreshed ID
    /// tokens release beyond the scope.
    pub claims: Option<ClaimsRequest>,
    /// RFC 9449 §6: the thumbprint of the DPoP key it is bound to; `None` for a bearer token.
    pub jkt: Option<String>,
}

impl TokenRecord {
    /// Whether it can still be used at `now`: not revoked, not rotated, not expired.
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.revoked_at.is_none()
            && self.rotated_at.is_none()
            && self.expires_at > now
            && self.grant_expires_at.is_none_or(|end| end > now)
    }
}

/// A token about to be stored.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Its hash.
    pub hash: SecretHash,
    /// Its scope.
    pub scope: ScopeSet,
    /// Its audience (for a refresh token: every resource the grant covers).
    pub audience: Vec<String>,
    /// When it expires.
    pub expires_at: UnixTime,
    /// JWT access tokens: the `jti` and the signing key's id.
    pub jwt: Option<(String, String)>,
    /// RFC 9449 §6: the thumbprint (RFC 7638) of the DPoP key the token is bound to.
    pub jkt: Option<String>,
}

/// What one token response issues: stored together, or not at all.
#[derive(Debug, Clone)]
pub struct Issuance {
    /// The grant (family).
    pub grant_id: String,
    /// The client.
    pub client_id: String,
    /// The resource owner, if any.
    pub subject: Option<String>,
    /// When it is issued.
    pub issued_at: UnixTime,
    /// The access token.
    pub access: NewToken,
    /// The refresh token, if one is issued, with the family's absolute end.
    pub refresh: Option<(NewToken, UnixTime)>,
    /// An OpenID grant's sign-in, kept on its refresh token for the ID tokens of refreshes;
    /// its session id is kept on every token, so that a logout finds them.
    pub authentication: Option<Authentication>,
    /// An OpenID grant's `claims` request, kept on every token.
    pub claims: Option<ClaimsRequest>,
}

/// A browser session at the authorization server (the cookie holds its secret).
#[derive(Debug, Clone)]
pub struct Session {
    /// The hash of the cookie value.
    pub hash: SecretHash,
    /// The signed-in user; `None` before sign-in (the session then only anchors CSRF tokens).
    pub subject: Option<String>,
    /// Its stable id (OpenID `sid`): the same across the cookie rotations of one sign-in.
    pub sid: String,
    /// When the user signed in (`auth_time`); a rotation keeps it.
    pub auth_time: UnixTime,
    /// How the user signed in (`amr`).
    pub amr: Vec<String>,
    /// When it began.
    pub created_at: UnixTime,
    /// When it was last used (for the idle timeout).
    pub last_seen_at: UnixTime,
    /// When it ends, however active.
    pub expires_at: UnixTime,
}

impl Session {
    /// The sign-in this session stands for, as ID tokens report it.
    pub fn authentication(&self) -> Authentication {
        Authentication { time: self.auth_time, methods: self.amr.clone(), session_id: Some(self.sid.clone()) }
    }
}

/// A user's remembered consent for a client.
#[derive(Debug, Clone)]
pub struct Consent {
    /// The user.
    pub subject: String,
    /// The client.
    pub client_id: String,
    /// What the user agreed to; a request within it needs no new consent.
    pub scope: ScopeSet,
    /// When.
    pub granted_at: UnixTime,
}

/// Where a device authorization stands (RFC 8628 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    /// The user has not decided yet.
    Pending,
    /// The user approved.
    Approved,
    /// The user denied.
    Denied,
}

/// A device authorization as stored (RFC 8628 §3.2).
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// The device code's hash.
    pub hash: SecretHash,
    /// The normalised user code (8 letters, no dash).
    pub user_code: String,
    /// The client (device).
    pub client_id: String,
    /// The scope asked for.
    pub scope: ScopeSet,
    /// The resources asked for.
    pub resources: Vec<String>,
    /// The grant its tokens will belong to.
    pub grant_id: String,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
    /// The minimum seconds between polls.
    pub interval: i64,
    /// The last poll.
    pub last_polled_at: Option<UnixTime>,
    /// The user's decision so far.
    pub status: DeviceStatus,
    /// Who approved.
    pub subject: Option<String>,
    /// When its tokens were issued; they are issued once.
    pub consumed_at: Option<UnixTime>,
}

/// A Logout Token waiting to be delivered (Back-Channel Logout §2.5): the session `sid` of
/// `subject`, which signed into `client_id`, has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutDelivery {
    /// The outbox row.
    pub id: i64,
    /// The client to tell.
    pub client_id: String,
    /// The user, as stored (the client may know them by a pairwise `sub`).
    pub subject: String,
    /// The session that ended.
    pub sid: Option<String>,
    /// Attempts made so far.
    pub attempts: i64,
}

/// A pushed authorization request (RFC 9126 §2): its parameters, kept under the hash of
/// its `request_uri` until the authorization it starts ends or it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct PushedRequest {
    /// The hash of the `request_uri`'s random part.
    pub hash: SecretHash,
    /// The client that pushed it; §4: no other may use it.
    pub client_id: String,
    /// The parameters, as a query string.
    pub parameters: String,
    /// RFC 9449 §10.1: the thumbprint of the DPoP key of the push, which binds the code.
    pub dpop_jkt: Option<String>,
    /// When it was pushed: a sign-in after it answers its `prompt=login` and `max_age`.
    pub created_at: UnixTime,
    /// When it expires (§2.2 `expires_in`).
    pub expires_at: UnixTime,
}
