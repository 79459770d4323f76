//! Client-side JOSE made outside oauth2u: client assertions (RFC 7523) and request objects
//! (RFC 9101) signed by jwt-simple, and DPoP proofs (RFC 9449) signed by RustCrypto's P-256
//! with the compact JWS framing written out here — a proof carries its key as a JSON object
//! in its header, which jwt-simple cannot write. Times come from the server's manual clock.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use p256::ecdsa::signature::Signer;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// An ES256 key of a client.
pub struct PeerKey {
    pair: ES256KeyPair,
    kid: String,
}

impl PeerKey {
    pub fn generate(kid: &str) -> Self {
        Self { pair: ES256KeyPair::generate().with_key_id(kid), kid: kid.to_owned() }
    }

    /// The public key as a JWK (RFC 7518 §6.2.1).
    pub fn public_jwk(&self) -> Value {
        let point = self.pair.public_key().public_key().to_bytes_uncompressed();
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        })
    }

    /// A JWK Set with this key, named by its `kid`.
    pub fn jwks(&self) -> Value {
        let mut jwk = self.public_jwk();
        jwk["kid"] = self.kid.clone().into();
        jwk["use"] = "sig".into();
        jwk["alg"] = "ES256".into();
        json!({ "keys": [jwk] })
    }

    /// RFC 7638 §3.2: the SHA-256 thumbprint, the required members in lexicographic order.
    pub fn thumbprint(&self) -> String {
        let jwk = self.public_jwk();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk["x"].as_str().unwrap(),
            jwk["y"].as_str().unwrap()
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A JWT with these claims (and `kid` in its header), signed by jwt-simple.
    pub fn sign(&self, claims: Value) -> String {
        let mut claims: JWTClaims<Value> = JWTClaims {
            issued_at: None,
            expires_at: None,
            invalid_before: None,
            issuer: None,
            subject: None,
            audiences: None,
            jwt_id: None,
            nonce: None,
            custom: claims,
        };
        // Registered claims go through jwt-simple's own fields, the rest as they are.
        let custom = claims.custom.as_object_mut().unwrap();
        if let Some(iat) = custom.remove("iat").and_then(|value| value.as_u64()) {
            claims.issued_at = Some(Duration::from_secs(iat));
        }
        if let Some(exp) = custom.remove("exp").and_then(|value| value.as_u64()) {
            claims.expires_at = Some(Duration::from_secs(exp));
        }
        if let Some(nbf) = custom.remove("nbf").and_then(|value| value.as_u64()) {
            claims.invalid_before = Some(Duration::from_secs(nbf));
        }
        self.pair.sign(claims).unwrap()
    }

    /// A `private_key_jwt` assertion of `client_id` for `aud`, valid for a minute from `now`.
    pub fn assertion(&self, client_id: &str, aud: &str, now: i64) -> String {
        self.sign(json!({
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "jti": random_id(),
            "iat": now,
            "exp": now + 60,
        }))
    }

    /// A DPoP proof for `method` at `url`, with `ath` for `access_token` and `nonce`.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        now: i64,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> String {
        let mut claims = json!({ "jti": random_id(), "htm": method, "htu": url, "iat": now });
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes())).into();
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        self.proof_with(json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.public_jwk() }), &claims)
    }

    /// A proof with exactly this header and these claims, signed with this key.
    pub fn proof_with(&self, header: Value, claims: &Value) -> String {
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let key = p256::ecdsa::SigningKey::from_slice(&self.pair.to_bytes()).unwrap();
        let signature: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// A fresh `jti`: distinct within the test run (unique, not secret).
pub fn random_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("jti-{}-{nanos}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}
