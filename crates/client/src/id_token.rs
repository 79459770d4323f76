//! OpenID Connect Core §3.1.3.7 — ID Token Validation, as a relying party does it before it
//! trusts anything the token says: the signature against the issuer's JWKS, `iss`, `aud`
//! and `azp`, `exp` and `iat` (with a small leeway), `nonce`, and `at_hash` when present.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

use crate::ClientError;
use crate::tokens::unix_now;

/// Seconds of clock difference tolerated between the server and this machine.
pub const LEEWAY: u64 = 60;

/// What the ID token must match.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The issuer the client talks to (`iss`, §3.1.3.7 step 2).
    pub issuer: &'a str,
    /// This client (`aud`, `azp`: steps 3–5).
    pub client_id: &'a str,
    /// The `nonce` sent in the request (step 11).
    pub nonce: Option<&'a str>,
    /// The access token issued with it, for `at_hash` (§3.1.3.8).
    pub access_token: Option<&'a str>,
}

/// The signing algorithms accepted: asymmetric only, so a client secret never verifies,
/// and `none` never does (step 6–8).
const ACCEPTED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

fn refused(why: impl std::fmt::Display) -> ClientError {
    ClientError::Protocol(format!("the ID token is refused: {why} (OpenID Connect Core §3.1.3.7)"))
}

/// Verifies `id_token` against the issuer's keys at `jwks_uri`; its claims, once verified.
pub async fn verify(
    http: &reqwest::Client,
    jwks_uri: &str,
    id_token: &str,
    expected: &Expected<'_>,
) -> Result<Map<String, Value>, ClientError> {
    // Refused before any key is fetched when it cannot be ours.
    accepted_header(id_token)?;
    let response = http.get(jwks_uri).header("accept", "application/json").send().await?;
    if !response.status().is_success() {
        return Err(ClientError::Protocol(format!("{jwks_uri} answered {}", response.status())));
    }
    let keys: JwkSet = response
        .json()
        .await
        .map_err(|error| ClientError::Protocol(format!("{jwks_uri} is not a JWK set: {error}")))?;
    verify_with_keys(&keys, id_token, expected, unix_now())
}

/// The checks of [`verify`], with the keys in hand, at `now`.
pub fn verify_with_keys(
    keys: &JwkSet,
    id_token: &str,
    expected: &Expected<'_>,
    now: u64,
) -> Result<Map<String, Value>, ClientError> {
    oauth2u_jose::install();
    let header = accepted_header(id_token)?;
    let key = match &header.kid {
        Some(kid) => keys.find(kid),
        // Without a kid, the issuer's one key (RFC 7517 §4.5 makes kid optional).
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| refused("no key of the issuer's JWKS signed it"))?;
    let decoding = DecodingKey::from_jwk(key).map_err(|error| refused(format!("unusable key: {error}")))?;
    // Step 6: the signature; steps 2 and 3: iss and aud. Step 9, exp, is checked below
    // against `now`.
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.validate_exp = false;
    validation.required_spec_claims = HashSet::from(["iss", "sub", "aud", "exp", "iat"].map(str::to_owned));
    let claims =
        jsonwebtoken::decode::<Map<String, Value>>(id_token, &decoding, &validation).map_err(refused)?.claims;
    // Steps 4 and 5: with other audiences, azp must be this client; when present, always.
    let audiences = match &claims["aud"] {
        Value::Array(values) => values.len(),
        _ => 1,
    };
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != expected.client_id => {
            return Err(refused(format!("azp is {azp}, not this client")));
        }
        None if audiences > 1 => return Err(refused("several audiences and no azp")),
        _ => {}
    }
    let expires_at = claims["exp"].as_u64().ok_or_else(|| refused("exp is not a number"))?;
    if expires_at + LEEWAY <= now {
        return Err(refused("it has expired"));
    }
    // Step 10: iat is not in the future.
    let issued_at = claims["iat"].as_u64().ok_or_else(|| refused("iat is not a number"))?;
    if issued_at > now + LEEWAY {
        return Err(refused("it is issued in the future"));
    }
    // Step 11: the nonce sent, exactly.
    if let Some(nonce) = expected.nonce
        && claims.get("nonce").and_then(Value::as_str) != Some(nonce)
    {
        return Err(refused("its nonce is not the one this login sent"));
    }
    // §3.1.3.8: at_hash, when present, binds the access token to it.
    if let (Some(at_hash), Some(access_token)) = (claims.get("at_hash"), expected.access_token)
        && at_hash.as_str() != Some(&left_half_hash(header.alg, access_token))
    {
        return Err(refused("at_hash does not match the access token"));
    }
    Ok(claims)
}

/// The JOSE header, if it names an accepted algorithm.
fn accepted_header(id_token: &str) -> Result<jsonwebtoken::Header, ClientError> {
    let header =
        jsonwebtoken::decode_header(id_token).map_err(|error| refused(format!("not a JWS: {error}")))?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(refused(format!("it is signed with {:?}, not an accepted algorithm", header.alg)));
    }
    Ok(header)
}

/// The left half of the algorithm's hash of `value`, base64url (§3.1.3.6).
fn left_half_hash(algorithm: Algorithm, value: &str) -> String {
    let digest = match algorithm {
        Algorithm::EdDSA => Sha512::digest(value).to_vec(),
        _ => Sha256::digest(value).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;

    /// A signer and the JWK set that verifies it.
    fn issuer_keys() -> (EncodingKey, JwkSet) {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let der = signing.to_pkcs8_der().unwrap();
        let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
        let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k1", "alg": "EdDSA"}]});
        (EncodingKey::from_ed_der(der.as_bytes()), serde_json::from_value(jwks).unwrap())
    }

    fn sign(key: &EncodingKey, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("k1".into());
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    fn good_claims() -> Value {
        json!({
            "iss": "https://as.example", "sub": "alice", "aud": "cli", "iat": NOW, "exp": NOW + 300,
            "nonce": "n1", "at_hash": left_half_hash(Algorithm::EdDSA, "the access token"),
        })
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://as.example",
            client_id: "cli",
            nonce: Some("n1"),
            access_token: Some("the access token"),
        }
    }

    #[test]
    fn a_good_id_token_verifies_and_each_broken_rule_is_refused() {
        let (key, keys) = issuer_keys();
        let claims = verify_with_keys(&keys, &sign(&key, &good_claims()), &expected(), NOW).unwrap();
        assert_eq!(claims["sub"], "alice");

        let changed = |field: &str, value: Value| {
            let mut claims = good_claims();
            claims[field] = value;
            sign(&key, &claims)
        };
        for (what, token) in [
            ("another issuer", changed("iss", json!("https://evil.example"))),
            ("another audience", changed("aud", json!("someone-else"))),
            ("expired", changed("exp", json!(NOW - 3600))),
            ("issued in the future", changed("iat", json!(NOW + 3600))),
            ("another nonce", changed("nonce", json!("n2"))),
            ("another access token", changed("at_hash", json!("AAAAAAAAAAAAAAAAAAAAAA"))),
            ("azp of another client", changed("azp", json!("someone-else"))),
            ("several audiences without azp", changed("aud", json!(["cli", "api"]))),
        ] {
            let error = verify_with_keys(&keys, &token, &expected(), NOW).err();
            assert!(error.is_some(), "{what} must be refused");
        }
        let mut no_nonce = good_claims();
        no_nonce.as_object_mut().unwrap().remove("nonce");
        assert!(verify_with_keys(&keys, &sign(&key, &no_nonce), &expected(), NOW).is_err(), "nonce missing");

        // Another key's signature, even with a kid the JWKS has.
        let (other, _) = {
            let signing = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
            (EncodingKey::from_ed_der(signing.to_pkcs8_der().unwrap().as_bytes()), ())
        };
        assert!(verify_with_keys(&keys, &sign(&other, &good_claims()), &expected(), NOW).is_err());
    }

    #[test]
    fn at_hash_of_the_core_example() {
        assert_eq!(
            left_half_hash(Algorithm::RS256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn an_unsigned_or_symmetric_token_is_refused_before_any_key_is_looked_at() {
        let keys = JwkSet { keys: Vec::new() };
        let expected =
            Expected { issuer: "https://as.example", client_id: "c", nonce: None, access_token: None };
        // {"alg":"none"} and {"alg":"HS256"}, with an empty payload.
        for header in ["eyJhbGciOiJub25lIn0", "eyJhbGciOiJIUzI1NiJ9"] {
            let token = format!("{header}.e30.");
            let error = verify_with_keys(&keys, &token, &expected, 0).unwrap_err().to_string();
            assert!(error.contains("refused"), "{error}");
        }
    }
}
