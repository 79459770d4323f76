//! RFC 9449 DPoP proofs: checked here for the authorization server and the guard (§4.3),
//! made here for the client (§4.2). What must be remembered across requests — that a `jti`
//! was seen (§11.1), which nonces are current (§8, §9) — is the caller's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Map, Value, json};

/// §4.2: the `typ` of every proof.
pub const PROOF_TYPE: &str = "dpop+jwt";

/// The algorithms proofs may use, by name: asymmetric only (§4.3 check 5 forbids `none`
/// and MACs), as published in `dpop_signing_alg_values_supported`.
pub const ALGORITHMS: &[(&str, Algorithm)] = &[
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
    ("PS256", Algorithm::PS256),
    ("PS384", Algorithm::PS384),
    ("PS512", Algorithm::PS512),
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
];

/// The names of [`ALGORITHMS`], for metadata and challenges.
pub fn algorithm_names() -> Vec<&'static str> {
    ALGORITHMS.iter().map(|(name, _)| *name).collect()
}

/// The asymmetric algorithm of a name in [`ALGORITHMS`].
pub fn asymmetric_algorithm(name: &str) -> Option<Algorithm> {
    ALGORITHMS.iter().find(|(known, _)| *known == name).map(|(_, alg)| *alg)
}

/// The longest proof looked at; a larger header is refused unread.
pub const MAX_PROOF_BYTES: usize = 8 * 1024;

/// Members of a JWK that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What the request a proof comes with must match.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URL as the server knows itself (`htu`); query and fragment are ignored.
    pub url: &'a str,
    /// At a resource server: the access token, whose hash `ath` must be (§4.3 check 11).
    pub access_token: Option<&'a str>,
    /// Now, in seconds since the epoch.
    pub now: i64,
    /// How old `iat` may be, in seconds.
    pub max_age: i64,
    /// How far in the future `iat` may be (clock skew), in seconds.
    pub leeway: i64,
}

/// A proof that passed every stateless check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The RFC 7638 SHA-256 thumbprint of its key: what tokens are bound to (§6.1 `jkt`).
    pub jkt: String,
    /// Its `jti`, to be seen once.
    pub jti: String,
    /// Its `iat`.
    pub iat: i64,
    /// Its `nonce`, if it carries one; the caller knows which are current.
    pub nonce: Option<String>,
}

/// Why a proof was refused; the text is safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProofError(pub &'static str);

/// §4.3: checks a proof against the request it came with.
pub fn verify(proof: &str, expected: &Expected<'_>) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError("the DPoP proof is too large"));
    }
    // Checks 2–7 read the header as JSON: jsonwebtoken's typed header drops unknown members,
    // and a private key's `d` must be seen to be refused.
    let header = header_object(proof)?;
    if header.get("typ").and_then(Value::as_str) != Some(PROOF_TYPE) {
        return Err(ProofError("the DPoP proof's typ must be dpop+jwt"));
    }
    let alg = header.get("alg").and_then(Value::as_str).ok_or(ProofError("the DPoP proof has no alg"))?;
    let alg = asymmetric_algorithm(alg).ok_or(ProofError("the DPoP proof's alg is not supported"))?;
    let jwk_value =
        header.get("jwk").filter(|jwk| jwk.is_object()).ok_or(ProofError("the DPoP proof has no jwk"))?;
    if PRIVATE_MEMBERS.iter().any(|member| jwk_value.get(member).is_some()) {
        return Err(ProofError("the DPoP proof's jwk must be a public key"));
    }
    let jwk: Jwk = serde_json::from_value(jwk_value.clone())
        .map_err(|_| ProofError("the DPoP proof's jwk is malformed"))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| ProofError("the DPoP proof's jwk is malformed"))?;
    let claims = signed_claims(proof, &key, alg)?;
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|jti| !jti.is_empty() && jti.len() <= 256)
        .ok_or(ProofError("the DPoP proof needs a jti"))?;
    if claims.get("htm").and_then(Value::as_str) != Some(expected.method) {
        return Err(ProofError("the DPoP proof's htm does not match the request"));
    }
    let htu = claims.get("htu").and_then(Value::as_str).ok_or(ProofError("the DPoP proof needs htu"))?;
    if !same_target(htu, expected.url) {
        return Err(ProofError("the DPoP proof's htu does not match the request"));
    }
    let iat = claims.get("iat").and_then(Value::as_i64).ok_or(ProofError("the DPoP proof needs iat"))?;
    if iat < expected.now - expected.max_age || iat > expected.now + expected.leeway {
        return Err(ProofError("the DPoP proof's iat is not recent"));
    }
    if let Some(token) = expected.access_token {
        let ath = claims.get("ath").and_then(Value::as_str).ok_or(ProofError("the DPoP proof needs ath"))?;
        if ath != access_token_hash(token) {
            return Err(ProofError("the DPoP proof's ath does not match the access token"));
        }
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(Value::String(nonce)) => Some(nonce.clone()),
        Some(_) => return Err(ProofError("the DPoP proof's nonce must be a string")),
    };
    let jkt = thumbprint(&jwk).ok_or(ProofError("the DPoP proof's jwk has no thumbprint"))?;
    Ok(Proof { jkt, jti: jti.to_owned(), iat, nonce })
}

/// RFC 7638: the base64url SHA-256 thumbprint of a public key.
pub fn thumbprint(jwk: &Jwk) -> Option<String> {
    jwk.thumbprint(ThumbprintHash::SHA256).ok()
}

/// §4.2 `ath`: the base64url SHA-256 of the access token's ASCII.
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()))
}

/// The protected header of a compact JWS, as JSON.
fn header_object(token: &str) -> Result<Map<String, Value>, ProofError> {
    let malformed = || ProofError("the DPoP proof is not a JWT");
    let (encoded, _) = token.split_once('.').ok_or_else(malformed)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| malformed())?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(header)) => Ok(header),
        _ => Err(malformed()),
    }
}

/// The claims of a JWS checked with `key` under `alg`; no registered claim is required.
fn signed_claims(token: &str, key: &DecodingKey, alg: Algorithm) -> Result<Map<String, Value>, ProofError> {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|_| ProofError("the DPoP proof's signature does not verify"))
}

/// §4.3 check 9: the same URI, query and fragment ignored, after RFC 3986 §6.2.2 and §6.2.3
/// normalisation (scheme and host case, default port, percent-encoding case).
fn same_target(htu: &str, url: &str) -> bool {
    let target = |text: &str| {
        let mut url = url::Url::parse(text).ok()?;
        url.set_query(None);
        url.set_fragment(None);
        Some(url)
    };
    matches!((target(htu), target(url)), (Some(a), Some(b)) if a == b)
}

/// A key a client makes proofs with: its signing key, and the public JWK proofs carry.
#[derive(Clone)]
pub struct ProofKey {
    alg: Algorithm,
    signing: EncodingKey,
    public: Value,
}

impl std::fmt::Debug for ProofKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofKey").field("alg", &self.alg).field("public", &self.public).finish()
    }
}

impl ProofKey {
    /// A key of algorithm `alg`: what signs, and the public JWK that proofs carry.
    pub fn new(alg: Algorithm, signing: EncodingKey, public: Value) -> Self {
        Self { alg, signing, public }
    }

    /// A new ES256 key from the OS's randomness, and its PKCS#8 form to keep it in.
    pub fn generate_es256() -> Result<(Self, Vec<u8>), ProofError> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| ProofError("no key could be made"))?;
        let der = pkcs8.as_ref().to_vec();
        Ok((Self::from_es256_pkcs8(&der)?, der))
    }

    /// The ES256 key kept in PKCS#8 DER form.
    pub fn from_es256_pkcs8(der: &[u8]) -> Result<Self, ProofError> {
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &ring::rand::SystemRandom::new())
                .map_err(|_| ProofError("not an ES256 key in PKCS#8 form"))?;
        // The public key is the uncompressed point: 0x04, x, y.
        let point = pair.public_key().as_ref();
        if point.len() != 65 {
            return Err(ProofError("not a P-256 public key"));
        }
        let public = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        Ok(Self::new(Algorithm::ES256, EncodingKey::from_ec_der(der), public))
    }

    /// The thumbprint of the key.
    pub fn jkt(&self) -> Option<String> {
        serde_json::from_value(self.public.clone()).ok().as_ref().and_then(thumbprint)
    }

    /// §4.2: a proof for `method` at `url`, with `ath` for an access token and the server's
    /// `nonce` if it asked for one.
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
        now: i64,
        jti: &str,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(self.alg);
        header.typ = Some(PROOF_TYPE.into());
        header.jwk = Some(serde_json::from_value(self.public.clone())?);
        let mut claims = json!({ "jti": jti, "htm": method, "htu": url, "iat": now });
        if let Some(token) = access_token {
            claims["ath"] = access_token_hash(token).into();
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        jsonwebtoken::encode(&header, &claims, &self.signing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_makes_proofs_that_verify_with_its_thumbprint() {
        let (key, der) = ProofKey::generate_es256().unwrap();
        let again = ProofKey::from_es256_pkcs8(&der).unwrap();
        assert_eq!(key.jkt(), again.jkt());
        let url = "https://as.example/token";
        let proof = again.proof("POST", url, None, Some("n1"), 1000, "j1").unwrap();
        let expected =
            Expected { method: "POST", url, access_token: None, now: 1000, max_age: 60, leeway: 5 };
        let checked = verify(&proof, &expected).unwrap();
        assert_eq!(Some(checked.jkt), key.jkt());
        assert_eq!((checked.jti.as_str(), checked.nonce.as_deref()), ("j1", Some("n1")));
        // Any other request, or time, is refused.
        let elsewhere = Expected { url: "https://as.example/par", ..expected.clone() };
        assert!(verify(&proof, &elsewhere).is_err());
        assert!(verify(&proof, &Expected { now: 2000, ..expected.clone() }).is_err());
        assert!(verify(&proof, &Expected { access_token: Some("t"), ..expected }).is_err());
    }

    #[test]
    fn targets_compare_without_query_and_after_normalisation() {
        assert!(same_target("https://AS.example:443/token?x=1#f", "https://as.example/token"));
        assert!(!same_target("https://as.example/token2", "https://as.example/token"));
        assert!(!same_target("http://as.example/token", "https://as.example/token"));
        assert!(!same_target("not a url", "https://as.example/token"));
    }

    #[test]
    fn the_access_token_hash_is_rfc_9449s_example() {
        // RFC 9449 §7.1: the token of Figure 13 and its `ath` in Figure 14.
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
