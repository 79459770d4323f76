//! A token response (RFC 6749 §5.1) as the client keeps it: every field the server sent,
//! and when it was received, so that expiry is known later (the token cache).

use std::time::{SystemTime, UNIX_EPOCH};

use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, RefreshToken, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The server's fields beyond the standard ones (`id_token`, `issued_token_type`, …), kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExtraFields(pub Map<String, Value>);

impl oauth2::ExtraTokenFields for ExtraFields {}
impl oauth2::ExtraDeviceAuthorizationFields for ExtraFields {}

/// A token response for the oauth2 crate that keeps the JSON exactly as the server sent
/// it (the crate's own would lower-case `token_type`), checking the fields §5.1 requires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub(crate) struct TokenAnswer {
    fields: Map<String, Value>,
    access_token: AccessToken,
    token_type: BasicTokenType,
    refresh_token: Option<RefreshToken>,
    scopes: Option<Vec<Scope>>,
}

impl TryFrom<Map<String, Value>> for TokenAnswer {
    type Error = String;

    fn try_from(fields: Map<String, Value>) -> Result<Self, String> {
        let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
        let access_token = text("access_token").ok_or("no access_token (RFC 6749 §5.1)")?;
        let token_type = text("token_type").ok_or("no token_type (RFC 6749 §5.1)")?;
        // §7.1: the type is case-insensitive.
        let token_type = match token_type.to_ascii_lowercase().as_str() {
            "bearer" => BasicTokenType::Bearer,
            "mac" => BasicTokenType::Mac,
            _ => BasicTokenType::Extension(token_type),
        };
        if fields.get("expires_in").is_some_and(|value| !value.is_u64()) {
            return Err("expires_in is not a number of seconds (RFC 6749 §5.1)".into());
        }
        Ok(Self {
            access_token: AccessToken::new(access_token),
            token_type,
            refresh_token: text("refresh_token").map(RefreshToken::new),
            scopes: text("scope")
                .map(|scope| scope.split_whitespace().map(|s| Scope::new(s.to_owned())).collect()),
            fields,
        })
    }
}

impl From<TokenAnswer> for Map<String, Value> {
    fn from(answer: TokenAnswer) -> Self {
        answer.fields
    }
}

impl oauth2::TokenResponse for TokenAnswer {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<std::time::Duration> {
        self.fields.get("expires_in").and_then(Value::as_u64).map(std::time::Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

/// A successful token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tokens {
    /// The response exactly as the server sent it (RFC 6749 §5.1).
    pub response: Map<String, Value>,
    /// Seconds since the Unix epoch when it arrived.
    pub received_at: u64,
    /// The claims of its ID token, once verified (OpenID Connect Core §3.1.3.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_claims: Option<Map<String, Value>>,
}

impl Tokens {
    pub(crate) fn from_answer(answer: TokenAnswer) -> Self {
        Self { response: answer.fields, received_at: unix_now(), id_token_claims: None }
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.response.get(name).and_then(Value::as_str)
    }

    pub fn access_token(&self) -> &str {
        self.text("access_token").unwrap_or_default()
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.text("refresh_token")
    }

    /// The ID token as sent (OpenID Connect); see [`Tokens::id_token_claims`] for what it says.
    pub fn id_token(&self) -> Option<&str> {
        self.text("id_token")
    }

    /// When the access token expires, if the server said (`expires_in`).
    pub fn expires_at(&self) -> Option<u64> {
        let expires_in = self.response.get("expires_in").and_then(Value::as_u64)?;
        Some(self.received_at.saturating_add(expires_in))
    }

    /// Usable for at least `margin` more seconds; a token without a known lifetime is not.
    pub fn fresh_for(&self, margin: u64) -> bool {
        self.expires_at().is_some_and(|expires_at| unix_now().saturating_add(margin) < expires_at)
    }

    /// RFC 6749 §6: a refresh response may leave out the refresh token, meaning "keep the
    /// old one".
    pub(crate) fn keeping_refresh_token_of(mut self, previous: &str) -> Self {
        if self.refresh_token().is_none() {
            self.response.insert("refresh_token".into(), Value::String(previous.to_owned()));
        }
        self
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(response: Value, received_at: u64) -> Tokens {
        Tokens { response: response.as_object().unwrap().clone(), received_at, id_token_claims: None }
    }

    #[test]
    fn freshness_follows_expires_in_and_needs_it() {
        let now = unix_now();
        assert!(tokens(serde_json::json!({"access_token": "a", "expires_in": 3600}), now).fresh_for(60));
        assert!(!tokens(serde_json::json!({"access_token": "a", "expires_in": 30}), now).fresh_for(60));
        assert!(
            !tokens(serde_json::json!({"access_token": "a", "expires_in": 3600}), now - 3590).fresh_for(60)
        );
        assert!(!tokens(serde_json::json!({"access_token": "a"}), now).fresh_for(0));
    }

    #[test]
    fn a_refresh_response_without_refresh_token_keeps_the_old_one() {
        let kept = tokens(serde_json::json!({"access_token": "a"}), 0).keeping_refresh_token_of("r1");
        assert_eq!(kept.refresh_token(), Some("r1"));
        let rotated = tokens(serde_json::json!({"access_token": "a", "refresh_token": "r2"}), 0)
            .keeping_refresh_token_of("r1");
        assert_eq!(rotated.refresh_token(), Some("r2"));
    }
}
