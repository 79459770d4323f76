//! The floor under a JWT issuance: what one ES256 signature costs by itself, with the
//! library the server signs with (ring), on one core of this machine, in this process.
//! The report sets it beside what a JWT token request costs the server more than an
//! opaque one. And what one ES256 check costs through jsonwebtoken, with the ring provider
//! that the server, the guard and the client install (`oauth2u_jose`) and with
//! jsonwebtoken's own RustCrypto one.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::rust_crypto;
use jsonwebtoken::{Algorithm, DecodingKey};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

/// A new P-256 key pair, opened as the server opens its keys.
fn p256_key(random: &SystemRandom) -> Result<EcdsaKeyPair, String> {
    let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, random)
        .map_err(|_| "cannot make a P-256 key".to_owned())?;
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, document.as_ref(), random)
        .map_err(|_| "cannot open the P-256 key".to_owned())
}

/// Microseconds per ES256 signature of a JWT-sized message, over about `budget`.
pub(crate) fn es256_signature_us(budget: Duration) -> Result<f64, String> {
    let random = SystemRandom::new();
    let key = p256_key(&random)?;
    // A header and claims of the size an access token has.
    let message = [b'e'; 320];
    let start = Instant::now();
    let mut signatures = 0u32;
    while start.elapsed() < budget {
        for _ in 0..100 {
            key.sign(&random, &message).map_err(|_| "signing failed".to_owned())?;
        }
        signatures += 100;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(signatures))
}

/// Microseconds per ES256 check of a JWT-sized message through jsonwebtoken: with ring's
/// verification (installed), and with RustCrypto's, each over about `budget`.
pub(crate) fn es256_verification_us(budget: Duration) -> Result<(f64, f64), String> {
    let random = SystemRandom::new();
    let key = p256_key(&random)?;
    let message = [b'e'; 320];
    let signature = key.sign(&random, &message).map_err(|_| "signing failed".to_owned())?;
    let encoded = URL_SAFE_NO_PAD.encode(signature.as_ref());
    // The uncompressed point, as a JWK's x and y make it.
    let public = DecodingKey::from_ec_der(key.public_key().as_ref());

    if !oauth2u_jose::install() {
        return Err("another jsonwebtoken provider was installed first".into());
    }
    let ring = per_call_us(budget, || {
        jsonwebtoken::crypto::verify(&encoded, &message, &public, Algorithm::ES256)
            .ok()
            .filter(|valid| *valid)
            .map(|_| ())
    })?;
    let raw = signature.as_ref().to_vec();
    let rust_crypto = per_call_us(budget, || {
        let verifier = (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(&Algorithm::ES256, &public).ok()?;
        verifier.verify(&message, &raw).ok()
    })?;
    Ok((ring, rust_crypto))
}

/// Microseconds per call of `check`, which must succeed, over about `budget`.
fn per_call_us(budget: Duration, mut check: impl FnMut() -> Option<()>) -> Result<f64, String> {
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < budget {
        for _ in 0..20 {
            check().ok_or("a valid signature did not verify")?;
        }
        calls += 20;
    }
    Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(calls))
}
