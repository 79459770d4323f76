//! OpenID Connect Core §2 — the ID Token, as the token endpoint issues it (§3.1.3.3) for a
//! code, and again on refresh (§12.2).
//!
//! Its claims, each decided here:
//! - `iss`, `sub`, `aud` (the client alone), `exp`, `iat`: §2, REQUIRED;
//! - `auth_time`: always. §2 makes it REQUIRED only with `max_age` or
//!   `require_auth_time`; always sending it is simpler for relying parties and costs nothing;
//! - `nonce`: exactly as sent, in the ID token of the code only (§12.2: not on refresh);
//! - `at_hash`: always, since every ID token here goes out with an access token (§3.1.3.6);
//! - `amr`: how the user signed in, when known (`["pwd"]` after the login form);
//! - `sid`: the session, whenever one signed the user in (Back-Channel Logout §2.1);
//! - the user's attributes that the `claims` parameter asks for in the ID token (§5.5);
//! - `azp`: not sent. §2 needs it only when `aud` has other values than the client, and
//!   `aud` here never does.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Header;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};

use crate::claims_request::{ClaimsDestination, ClaimsRequest};
use crate::clock::seconds;
use crate::error::OAuthError;
use crate::hooks::ClaimsContext;
use crate::model::{Authentication, Client};
use crate::provider::Provider;
use crate::scope::ScopeSet;
use crate::signing_key::SigningAlgorithm;

use super::claims::requested_claims;
use super::discovery::ID_TOKEN_ALGORITHMS;

/// Registration §2: `id_token_signed_response_alg` "The default, if omitted, is RS256".
pub const DEFAULT_ID_TOKEN_ALGORITHM: SigningAlgorithm = SigningAlgorithm::RS256;

/// What one ID token says.
pub(crate) struct IdToken<'a> {
    /// The client it is for (`aud`).
    pub client: &'a Client,
    /// The user (`sub`).
    pub subject: &'a str,
    /// The sign-in it reports (`auth_time`, `amr`).
    pub authentication: &'a Authentication,
    /// The request's `nonce`; none on refresh.
    pub nonce: Option<&'a str>,
    /// The grant's `claims` request (§5.5), whose `id_token` member this token answers.
    pub claims: Option<&'a ClaimsRequest>,
    /// The access token issued with it, for `at_hash`.
    pub access_token: &'a str,
    /// The grant's scope, which the claims hook is told.
    pub scope: &'a ScopeSet,
}

impl Provider {
    /// Signs an ID token with the key of the client's algorithm.
    pub(crate) async fn sign_id_token(&self, token: &IdToken<'_>) -> Result<String, OAuthError> {
        let keys = self
            .keys
            .as_ref()
            .ok_or_else(|| OAuthError::server_error("ID tokens need a master key; none is configured"))?;
        let now = self.now();
        let algorithm = token.client.id_token_alg.unwrap_or(DEFAULT_ID_TOKEN_ALGORITHM);
        let key = keys.signing_key_for(self.store.as_ref(), now, algorithm).await?;
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.config.issuer));
        claims.insert("sub".into(), json!(self.subject_for(token.client, token.subject).await?));
        claims.insert("aud".into(), json!(token.client.id));
        claims.insert("exp".into(), json!(now + seconds(self.config.lifetimes.id_token)));
        claims.insert("iat".into(), json!(now));
        claims.insert("auth_time".into(), json!(token.authentication.time));
        if let Some(nonce) = token.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        claims.insert("at_hash".into(), json!(at_hash(algorithm, token.access_token)));
        if !token.authentication.methods.is_empty() {
            claims.insert("amr".into(), json!(token.authentication.methods));
        }
        // Back-Channel Logout §2.1: the session, which a Logout Token names again.
        if let Some(sid) = &token.authentication.session_id {
            claims.insert("sid".into(), json!(sid));
        }
        // §5.5: the attributes asked for in the ID token by name.
        if let Some(request) = token.claims.filter(|request| !request.id_token.is_empty())
            && let Some(user) = self.store.user_by_subject(token.subject).await?
        {
            claims.extend(requested_claims(&user, Some(request), ClaimsDestination::IdToken));
        }
        // §5.4: the scope's claims come from userinfo, since an access token is issued;
        // a claims hook may still add its own.
        let context = ClaimsContext {
            client_id: &token.client.id,
            subject: token.subject,
            scope: token.scope,
            for_id_token: true,
        };
        self.add_hook_claims(&context, &mut claims).await;
        let mut header = Header::new(key.algorithm.jwt());
        header.typ = Some("JWT".into());
        header.kid = Some(key.kid.clone());
        key.sign(&header, &Value::Object(claims))
    }
}

impl Provider {
    /// Makes sure every algorithm Discovery offers for ID tokens has its key, before the
    /// JWKS is served: a relying party that reads the JWKS once, at discovery, must find
    /// the key its first ID token names. The keys are made once, on the first JWKS request
    /// (an RSA key takes a while, so not at start-up); after that this reads the cached
    /// key list only.
    pub async fn prepare_id_token_keys(&self) -> Result<(), OAuthError> {
        let Some(keys) = &self.keys else {
            return Ok(());
        };
        for algorithm in ID_TOKEN_ALGORITHMS {
            keys.signing_key_for(self.store.as_ref(), self.now(), algorithm).await?;
        }
        Ok(())
    }
}

/// §3.1.3.6: the left half of the hash of the access token's ASCII, base64url. The hash
/// is the one of the JWS algorithm: SHA-256 for RS256 and ES256, SHA-512 for Ed25519.
pub fn at_hash(algorithm: SigningAlgorithm, access_token: &str) -> String {
    let digest = match algorithm {
        SigningAlgorithm::ES256 | SigningAlgorithm::RS256 => Sha256::digest(access_token).to_vec(),
        SigningAlgorithm::EdDSA => Sha512::digest(access_token).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_algorithms_hash() {
        // The example of OpenID Connect Core's examples (Appendix A.3, RS256).
        assert_eq!(
            at_hash(SigningAlgorithm::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(at_hash(SigningAlgorithm::EdDSA, "token").len(), 43, "32 of SHA-512's 64 bytes");
    }
}
