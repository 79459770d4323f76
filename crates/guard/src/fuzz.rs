//! Fuzz targets for what the guard parses from outside: the `Authorization: Bearer`
//! header, and JWS / JWT access tokens (header, signature, claims). The signature check
//! runs against a fixed public key, so no forged input can verify.

use axum::http::{HeaderMap, HeaderValue, header};
use jsonwebtoken::DecodingKey;

use crate::layer::header_token;
use crate::token::{access_token_header, verify_claims};

/// RFC 7515 Appendix A.3's P-256 public key: nobody fuzzing has its private half.
const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

/// A line of bytes as the `Authorization` header, then its token as a JWT.
pub fn jwt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {text}")) {
        headers.insert(header::AUTHORIZATION, value);
        if let Ok(Some(token)) = header_token(&headers) {
            assert!(!token.is_empty() && !token.contains(' '));
        }
    }
    let Ok((alg, _kid)) = access_token_header(text) else { return };
    let Ok(key) = DecodingKey::from_ec_components(X, Y) else { return };
    let verified =
        verify_claims(text, alg, &key, "ES256", "https://issuer.example", "https://api.example", 0);
    assert!(verified.is_err(), "nothing but a token signed with the private key verifies");
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bearer_headers_and_jwts_never_panic(data in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            proptest::string::string_regex("eyJ[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,40}").unwrap().prop_map(String::into_bytes),
            "[a-zA-Z0-9+/=._~ -]{0,80}".prop_map(String::into_bytes),
        ]) {
            super::jwt(&data);
        }
    }

    #[test]
    fn the_seed_corpus_passes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/jwt");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            super::jwt(&std::fs::read(entry.unwrap().path()).unwrap());
            seen += 1;
        }
        assert!(seen > 0);
    }
}
