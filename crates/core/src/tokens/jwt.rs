//! RFC 9068 — JWT Profile for OAuth 2.0 Access Tokens.

use jsonwebtoken::Header;
use serde_json::{Map, Value, json};

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::secret::random_string;

use super::issue::Mint;

/// A signed access token and what is stored beside its hash.
pub(crate) struct SignedAccessToken {
    pub jwt: String,
    pub jti: String,
    pub kid: String,
}

impl Provider {
    /// Signs an access token for `mint`, issued at `now`, expiring at `expires_at`.
    pub(crate) async fn sign_access_token(
        &self,
        mint: &Mint<'_>,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<SignedAccessToken, OAuthError> {
        let keys = self.keys.as_ref().ok_or_else(|| {
            OAuthError::server_error("JWT access tokens need a master key; none is configured")
        })?;
        let key = keys.signing_key(self.store.as_ref(), now).await?;
        let jti = random_string(16)?;
        // §2.2: claims. §3: aud is the resource asked for, else a default; the issuer last.
        let audience: Vec<String> = match mint.audience.as_slice() {
            [] => vec![
                mint.client
                    .default_resource
                    .clone()
                    .or_else(|| self.config.default_resource.clone())
                    .unwrap_or_else(|| self.config.issuer.clone()),
            ],
            resources => resources.to_vec(),
        };
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.config.issuer));
        // §2.2: for a client acting on its own behalf, sub is the client; a pairwise
        // client's tokens name the user as that client knows them (OpenID Connect Core §8).
        let sub = match mint.subject {
            Some(subject) => self.subject_for(mint.client, subject).await?,
            None => mint.client.id.clone(),
        };
        claims.insert("sub".into(), json!(sub));
        claims.insert("aud".into(), if audience.len() == 1 { json!(audience[0]) } else { json!(audience) });
        claims.insert("exp".into(), json!(expires_at));
        claims.insert("iat".into(), json!(now));
        claims.insert("jti".into(), json!(jti));
        claims.insert("client_id".into(), json!(mint.client.id));
        if !mint.scope.is_empty() {
            claims.insert("scope".into(), json!(mint.scope.to_string()));
        }
        // RFC 9449 §6.1: a bound token names its key's thumbprint.
        if let Some(jkt) = &mint.jkt {
            claims.insert("cnf".into(), json!({ "jkt": jkt }));
        }
        // §2.1: typ "at+jwt", so an ID token or other JWT cannot pass for an access token.
        let mut header = Header::new(key.algorithm.jwt());
        header.typ = Some("at+jwt".into());
        header.kid = Some(key.kid.clone());
        let jwt = key.sign(&header, &Value::Object(claims))?;
        Ok(SignedAccessToken { jwt, jti, kid: key.kid })
    }
}
