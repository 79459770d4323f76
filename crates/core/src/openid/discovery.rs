//! OpenID Connect Discovery 1.0 §3 — the members an OpenID Provider's configuration adds
//! to the RFC 8414 document. Both documents are the same document, built once in
//! [`crate::endpoints::metadata`], so they never disagree.

use serde_json::{Map, Value, json};

use super::claims::supported_claims;
use crate::signing_key::SigningAlgorithm;

/// The algorithms ID tokens may be signed with (Registration §2 `id_token_signed_response_alg`).
pub const ID_TOKEN_ALGORITHMS: [SigningAlgorithm; 3] =
    [SigningAlgorithm::RS256, SigningAlgorithm::ES256, SigningAlgorithm::EdDSA];

/// Adds §3's members for a provider whose userinfo endpoint is at `userinfo_endpoint`,
/// and what the logout specifications add, its `end_session_endpoint` among them.
pub fn add_provider_members(
    document: &mut Map<String, Value>,
    userinfo_endpoint: Value,
    end_session_endpoint: Value,
) {
    document.insert("userinfo_endpoint".into(), userinfo_endpoint);
    // RP-Initiated Logout §2.1; Back-Channel Logout §2.1: Logout Tokens carry `sid`, and
    // so do ID tokens.
    document.insert("end_session_endpoint".into(), end_session_endpoint);
    document.insert("backchannel_logout_supported".into(), json!(true));
    document.insert("backchannel_logout_session_supported".into(), json!(true));
    // §3: REQUIRED. Core §8: public by default, pairwise per client.
    document.insert("subject_types_supported".into(), json!(["public", "pairwise"]));
    // §3: REQUIRED, and RS256 "MUST be included".
    let algorithms: Vec<&str> = ID_TOKEN_ALGORITHMS.iter().map(|algorithm| algorithm.as_str()).collect();
    document.insert("id_token_signing_alg_values_supported".into(), json!(algorithms));
    document.insert("claims_supported".into(), json!(supported_claims()));
    document.insert("claim_types_supported".into(), json!(["normal"]));
    document.insert("claims_parameter_supported".into(), json!(true));
}
