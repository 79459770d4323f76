//! Verifying JWS signatures at the speed of the primitive. jsonwebtoken checks signatures
//! through a process-wide `CryptoProvider`; its RustCrypto one spends most of an ES256 check
//! in P-256 arithmetic without precomputed tables. [`install`] puts ring's verification in
//! its place (ring is already in the tree through rustls): the same algorithms, the same key
//! formats, and every key-family check kept, so that a key is never used with an algorithm
//! of another family (no `HS256` keyed by a public key).
//!
//! Signing with an `EncodingKey` and the JWK helpers stay RustCrypto's: nothing here signs on
//! a hot path (the server signs with its own ring keys, opened once).
//!
//! [`dpop`] checks and makes RFC 9449 proofs, for the server, the guard and the client.

use std::sync::LazyLock;

pub mod dpop;

use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier, rust_crypto};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::signature::{self, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};
use ring::hmac;
use ring::signature::{self as ring_signature, RsaParameters, UnparsedPublicKey, VerificationAlgorithm};

/// RustCrypto's provider with ring's verification.
static RING: LazyLock<CryptoProvider> = LazyLock::new(|| CryptoProvider {
    verifier_factory: ring_verifier,
    ..rust_crypto::DEFAULT_PROVIDER.clone()
});

/// Makes ring's verification jsonwebtoken's for this process, unless another provider was
/// installed or used first. Call it before the first verification (a server's, guard's or
/// client's constructor does); later calls cost one atomic load. True if ring's is in use.
pub fn install() -> bool {
    match RING.install_default() {
        Ok(()) => true,
        Err(installed) => std::ptr::eq(installed, &*RING),
    }
}

/// How one algorithm's signatures are checked.
enum Check {
    Hmac(hmac::Algorithm),
    Rsa(&'static RsaParameters),
    Other(&'static dyn VerificationAlgorithm),
}

/// How `algorithm`'s signatures are checked; `None` for one this crate does not know (the
/// enum is non-exhaustive): refused, never checked some other way.
fn check_for(algorithm: Algorithm) -> Option<Check> {
    Some(match algorithm {
        Algorithm::HS256 => Check::Hmac(hmac::HMAC_SHA256),
        Algorithm::HS384 => Check::Hmac(hmac::HMAC_SHA384),
        Algorithm::HS512 => Check::Hmac(hmac::HMAC_SHA512),
        Algorithm::RS256 => Check::Rsa(&ring_signature::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Check::Rsa(&ring_signature::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Check::Rsa(&ring_signature::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Check::Rsa(&ring_signature::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Check::Rsa(&ring_signature::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Check::Rsa(&ring_signature::RSA_PSS_2048_8192_SHA512),
        // RFC 7518 §3.4: the fixed-width R || S signature.
        Algorithm::ES256 => Check::Other(&ring_signature::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => Check::Other(&ring_signature::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => Check::Other(&ring_signature::ED25519),
        _ => return None,
    })
}

/// One key, checked with one algorithm.
struct RingVerifier {
    algorithm: Algorithm,
    check: Check,
    key: DecodingKey,
}

fn ring_verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    if key.family() != algorithm.family() {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    let check = check_for(*algorithm).ok_or(ErrorKind::InvalidAlgorithm)?;
    Ok(Box::new(RingVerifier { algorithm: *algorithm, check, key: key.clone() }))
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let refused = |_| signature::Error::new();
        match (&self.check, self.key.kind()) {
            // Constant-time comparison of the tag.
            (Check::Hmac(algorithm), DecodingKeyKind::SecretOrDer(secret)) => {
                hmac::verify(&hmac::Key::new(*algorithm, secret), message, signature).map_err(refused)
            }
            (Check::Rsa(parameters), DecodingKeyKind::RsaModulusExponent { n, e }) => {
                ring_signature::RsaPublicKeyComponents { n, e }
                    .verify(parameters, message, signature)
                    .map_err(refused)
            }
            // A PKCS#1 `RSAPublicKey`, as `DecodingKey::from_rsa_der` takes it.
            (Check::Rsa(parameters), DecodingKeyKind::SecretOrDer(der)) => {
                UnparsedPublicKey::new(*parameters, der).verify(message, signature).map_err(refused)
            }
            // An uncompressed EC point, or the 32 bytes of an Ed25519 key.
            (Check::Other(algorithm), DecodingKeyKind::SecretOrDer(public)) => {
                UnparsedPublicKey::new(*algorithm, public).verify(message, signature).map_err(refused)
            }
            _ => Err(signature::Error::new()),
        }
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, Validation};
    use serde_json::{Value, json};

    /// A key pair of each family: how to sign, how to verify.
    fn pairs() -> Vec<(Algorithm, EncodingKey, Vec<DecodingKey>)> {
        // Before any signing here: the first use of jsonwebtoken settles the provider.
        install();
        use ed25519_dalek::pkcs8::EncodePrivateKey as _;
        use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
        use rsa::traits::PublicKeyParts;
        let mut rng = rand_core::OsRng;

        let ec = p256::ecdsa::SigningKey::random(&mut rng);
        let ec_private = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&ec).unwrap();
        let ec_public = ec.verifying_key().to_encoded_point(false).as_bytes().to_vec();

        let ed = ed25519_dalek::SigningKey::generate(&mut rng);
        let ed_private = ed.to_pkcs8_der().unwrap();

        let rsa = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let rsa_private = rsa.to_pkcs1_der().unwrap();
        let rsa_public = rsa.to_public_key();
        let rsa_public_der = rsa_public.to_pkcs1_der().unwrap();
        let rsa_decoding = || {
            vec![
                DecodingKey::from_rsa_raw_components(
                    &rsa_public.n().to_bytes_be(),
                    &rsa_public.e().to_bytes_be(),
                ),
                DecodingKey::from_rsa_der(rsa_public_der.as_bytes()),
            ]
        };
        vec![
            (
                Algorithm::HS256,
                EncodingKey::from_secret(b"a shared secret"),
                vec![DecodingKey::from_secret(b"a shared secret")],
            ),
            (
                Algorithm::ES256,
                EncodingKey::from_ec_der(ec_private.as_bytes()),
                vec![DecodingKey::from_ec_der(&ec_public)],
            ),
            (
                Algorithm::EdDSA,
                EncodingKey::from_ed_der(ed_private.as_bytes()),
                vec![DecodingKey::from_ed_der(ed.verifying_key().as_bytes())],
            ),
            (Algorithm::RS256, EncodingKey::from_rsa_der(rsa_private.as_bytes()), rsa_decoding()),
            (Algorithm::PS256, EncodingKey::from_rsa_der(rsa_private.as_bytes()), rsa_decoding()),
        ]
    }

    fn split(jwt: &str) -> (&str, Vec<u8>) {
        use base64::Engine as _;
        let (message, signature) = jwt.rsplit_once('.').unwrap();
        (message, base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).unwrap())
    }

    #[test]
    fn ring_verifies_what_each_algorithm_signs_and_nothing_altered() {
        for (algorithm, signing, verifying) in pairs() {
            let jwt =
                jsonwebtoken::encode(&Header::new(algorithm), &json!({ "sub": "alice" }), &signing).unwrap();
            let (message, signature) = split(&jwt);
            for key in &verifying {
                let verifier = ring_verifier(&algorithm, key).unwrap();
                assert!(verifier.verify(message.as_bytes(), &signature).is_ok(), "{algorithm:?}");
                let altered = message.replacen('.', ".e", 1);
                assert!(verifier.verify(altered.as_bytes(), &signature).is_err(), "{algorithm:?}");
                let mut flipped = signature.clone();
                flipped[7] ^= 1;
                assert!(verifier.verify(message.as_bytes(), &flipped).is_err(), "{algorithm:?}");
            }
        }
    }

    #[test]
    fn a_key_is_never_used_with_an_algorithm_of_another_family() {
        let pairs = pairs();
        for (algorithm, _, _) in &pairs {
            for (other, _, keys) in &pairs {
                if algorithm.family() != other.family() {
                    assert!(
                        ring_verifier(algorithm, &keys[0]).is_err(),
                        "{algorithm:?} with a {other:?} key"
                    );
                }
            }
        }
    }

    #[test]
    fn once_installed_jsonwebtoken_decodes_through_ring() {
        assert!(install(), "nothing else installed a provider in this process");
        assert!(install(), "installing twice is harmless");
        for (algorithm, signing, verifying) in pairs() {
            let jwt =
                jsonwebtoken::encode(&Header::new(algorithm), &json!({ "sub": "alice" }), &signing).unwrap();
            let mut validation = Validation::new(algorithm);
            validation.required_spec_claims.clear();
            validation.validate_exp = false;
            let decoded = jsonwebtoken::decode::<Value>(&jwt, &verifying[0], &validation).unwrap();
            assert_eq!(decoded.claims["sub"], "alice");
            // Other claims under this token's signature: well-formed, and not signed.
            let other = jsonwebtoken::encode(&Header::new(algorithm), &json!({ "sub": "mallory" }), &signing)
                .unwrap();
            let forged = format!("{}.{}", split(&other).0, jwt.rsplit_once('.').unwrap().1);
            let refused = jsonwebtoken::decode::<Value>(&forged, &verifying[0], &validation).unwrap_err();
            assert_eq!(refused.kind(), &ErrorKind::InvalidSignature, "{algorithm:?}");
        }
    }
}
