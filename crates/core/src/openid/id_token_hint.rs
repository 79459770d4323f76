//! OpenID Connect Core §3.1.2.1 — `id_token_hint`: an ID token this server issued, naming
//! the user the client expects. It must carry our signature (a key we hold and have not
//! revoked) and our issuer; it may have expired, since the client sends back what it got.
//! RP-Initiated Logout §2 takes the same hint, and its audience and session too.

use std::collections::HashSet;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;

use crate::error::OAuthError;
use crate::provider::Provider;

/// The longest hint looked at: an ID token of ours is far smaller.
const MAX_HINT_LENGTH: usize = 8192;

/// What a valid hint says.
#[derive(Debug, Clone, Deserialize)]
pub struct IdTokenHint {
    /// The user, as the client it was issued to knows them.
    pub sub: String,
    /// The client(s) it was issued to.
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// The session that signed the user in, if it says.
    #[serde(default)]
    pub sid: Option<String>,
}

/// RFC 7519 §4.1.3: `aud` is one string or an array of them.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Audience {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Audience::deserialize(deserializer)? {
        Audience::One(one) => vec![one],
        Audience::Many(many) => many,
    })
}

impl Provider {
    /// The subject of a valid `id_token_hint`; anything else is `invalid_request`.
    pub async fn id_token_hint_subject(&self, hint: &str) -> Result<String, OAuthError> {
        Ok(self.id_token_hint(hint).await?.sub)
    }

    /// A valid `id_token_hint`'s claims; anything else is `invalid_request`.
    pub async fn id_token_hint(&self, hint: &str) -> Result<IdTokenHint, OAuthError> {
        let invalid = || OAuthError::invalid_request("id_token_hint is not an ID token this server issued");
        if hint.len() > MAX_HINT_LENGTH {
            return Err(invalid());
        }
        let header = jsonwebtoken::decode_header(hint).map_err(|_| invalid())?;
        // An access token of ours (RFC 9068 `at+jwt`) is signed alike, but is no ID token.
        if header.typ.as_deref().is_some_and(|typ| typ.eq_ignore_ascii_case("at+jwt")) {
            return Err(invalid());
        }
        let kid = header.kid.ok_or_else(invalid)?;
        // Any key of ours that is not revoked, retired ones included: the hint may be old.
        let key =
            self.store.signing_key(&kid).await?.filter(|key| key.revoked_at.is_none()).ok_or_else(invalid)?;
        if key.algorithm.jwt() != header.alg {
            return Err(invalid());
        }
        let jwk: Jwk = serde_json::from_value(key.public_jwk).map_err(|_| invalid())?;
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|_| invalid())?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.required_spec_claims =
            HashSet::from(["iss".to_owned(), "sub".to_owned(), "aud".to_owned()]);
        // §3.1.2.1: an expired hint still names the user. It was issued to some client of
        // ours; which one does not matter for naming the user.
        validation.validate_exp = false;
        validation.validate_aud = false;
        let claims =
            jsonwebtoken::decode::<IdTokenHint>(hint, &decoding, &validation).map_err(|_| invalid())?;
        Ok(claims.claims)
    }
}
