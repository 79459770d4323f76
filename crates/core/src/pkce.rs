//! RFC 7636 — Proof Key for Code Exchange.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::OAuthError;

/// The code challenge method (RFC 7636 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkceMethod {
    /// `BASE64URL(SHA256(code_verifier))`.
    S256,
    /// The challenge is the verifier itself.
    Plain,
}

impl PkceMethod {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
            Self::Plain => "plain",
        }
    }

    /// From its name on the wire.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "S256" => Some(Self::S256),
            "plain" => Some(Self::Plain),
            _ => None,
        }
    }
}

/// A code challenge sent to the authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge {
    /// The challenge as sent.
    pub value: String,
    /// How the verifier is transformed into the challenge.
    pub method: PkceMethod,
}

impl CodeChallenge {
    /// RFC 7636 §4.3 and §4.4.1: validates `code_challenge` and `code_challenge_method`.
    pub fn parse(value: &str, method: Option<&str>, plain_allowed: bool) -> Result<Self, OAuthError> {
        // §4.3: "Defaults to "plain" if not present in the request."
        let method = match method {
            None => PkceMethod::Plain,
            Some(name) => PkceMethod::parse(name)
                .ok_or_else(|| OAuthError::invalid_request("code_challenge_method must be S256 or plain"))?,
        };
        if method == PkceMethod::Plain && !plain_allowed {
            // §4.4.1: a transformation the server does not support is invalid_request.
            return Err(OAuthError::invalid_request("code_challenge_method plain is not allowed; use S256"));
        }
        if !is_well_formed(value) {
            return Err(OAuthError::invalid_request(
                "code_challenge must be 43 to 128 unreserved characters",
            ));
        }
        Ok(Self { value: value.to_owned(), method })
    }

    /// RFC 7636 §4.6: whether the verifier matches, compared in constant time.
    pub fn verify(&self, verifier: &CodeVerifier<'_>) -> bool {
        let CodeVerifier(verifier) = *verifier;
        // §4.1: code_verifier = 43*128unreserved.
        if !is_well_formed(verifier) {
            return false;
        }
        let expected = match self.method {
            PkceMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            PkceMethod::Plain => verifier.to_owned(),
        };
        expected.as_bytes().ct_eq(self.value.as_bytes()).into()
    }
}

/// A `code_verifier` from a token request (RFC 7636 §4.5): the secret that proves the
/// code's requester. Neither `Clone` nor printable, so it is used once and never logged.
pub struct CodeVerifier<'a>(&'a str);

impl<'a> CodeVerifier<'a> {
    /// The verifier as sent; its form is checked when it is verified (§4.6).
    pub fn new(sent: &'a str) -> Self {
        Self(sent)
    }
}

impl std::fmt::Debug for CodeVerifier<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("CodeVerifier([redacted])")
    }
}

/// `43*128( ALPHA / DIGIT / "-" / "." / "_" / "~" )`.
fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn s256_matches_the_rfc_example() {
        let challenge = CodeChallenge::parse(CHALLENGE, Some("S256"), true).unwrap();
        assert!(challenge.verify(&CodeVerifier::new(VERIFIER)));
        assert!(!challenge.verify(&CodeVerifier::new(CHALLENGE)));
    }

    #[test]
    fn method_defaults_to_plain_and_plain_can_be_refused() {
        assert_eq!(CodeChallenge::parse(VERIFIER, None, true).unwrap().method, PkceMethod::Plain);
        assert!(CodeChallenge::parse(VERIFIER, None, false).is_err());
        assert!(CodeChallenge::parse(VERIFIER, Some("S512"), true).is_err());
        assert!(CodeChallenge::parse("short", Some("S256"), true).is_err());
    }
}
