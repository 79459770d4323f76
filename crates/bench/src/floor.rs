//! The floor under a JWT issuance: what one ES256 signature costs by itself, with the
//! library the server signs with (ring), on one core of this machine, in this process.
//! The report sets it beside what a JWT token request costs the server more than an
//! opaque one.

use std::time::{Duration, Instant};

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

/// Microseconds per ES256 signature of a JWT-sized message, over about `budget`.
pub(crate) fn es256_signature_us(budget: Duration) -> Result<f64, String> {
    let random = SystemRandom::new();
    let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &random)
        .map_err(|_| "cannot make a P-256 key".to_owned())?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, document.as_ref(), &random)
        .map_err(|_| "cannot open the P-256 key".to_owned())?;
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
