//! OpenID Connect Back-Channel Logout 1.0 §2.4 — the Logout Token: a JWT that tells a
//! client a session it signed into has ended. Signed like the client's ID tokens (same key
//! set, same algorithm), and typed `logout+jwt` (§2.4: RECOMMENDED) so that it can never
//! pass for an ID token, and it carries no `nonce` (§2.4: PROHIBITED).

use jsonwebtoken::Header;
use serde_json::{Map, Value, json};

use crate::error::OAuthError;
use crate::model::{Client, LogoutDelivery};
use crate::provider::Provider;
use crate::secret::random_string;

use super::id_token::DEFAULT_ID_TOKEN_ALGORITHM;

/// §2.4: the member of `events` that makes a JWT a Logout Token.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long a Logout Token is valid: §2.4 asks for a short `exp`, and the client checks
/// it on arrival, which is at once.
const LOGOUT_TOKEN_LIFETIME: i64 = 120;

impl Provider {
    /// §2.4: the Logout Token telling `client` of `delivery`. It names the user by the
    /// `sub` this client knows (pairwise where it has one) and the session by `sid`, both
    /// whenever known (§2.4: at least one; `sid` when the client requires it).
    pub async fn logout_token(
        &self,
        client: &Client,
        delivery: &LogoutDelivery,
    ) -> Result<String, OAuthError> {
        let keys = self
            .keys
            .as_ref()
            .ok_or_else(|| OAuthError::server_error("Logout Tokens need a master key; none is configured"))?;
        let now = self.now();
        let algorithm = client.id_token_alg.unwrap_or(DEFAULT_ID_TOKEN_ALGORITHM);
        let key = keys.signing_key_for(self.store.as_ref(), now, algorithm).await?;
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.config.issuer));
        claims.insert("aud".into(), json!(client.id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + LOGOUT_TOKEN_LIFETIME));
        claims.insert("jti".into(), json!(random_string(16)?));
        claims.insert("sub".into(), json!(self.subject_for(client, &delivery.subject).await?));
        if let Some(sid) = &delivery.sid {
            claims.insert("sid".into(), json!(sid));
        }
        claims.insert("events".into(), json!({ BACKCHANNEL_LOGOUT_EVENT: {} }));
        let mut header = Header::new(key.algorithm.jwt());
        header.typ = Some("logout+jwt".into());
        header.kid = Some(key.kid.clone());
        key.sign(&header, &Value::Object(claims))
    }
}
