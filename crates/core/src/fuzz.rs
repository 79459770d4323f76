//! Fuzz targets for the parsers that take outside input. Each takes arbitrary bytes, must
//! never panic, and checks what its parser promises. The same functions run as `proptest`
//! properties inside `cargo test` (below; `PROPTEST_CASES` sets how many) and as
//! libFuzzer targets under `fuzz/` with a nightly toolchain (FUZZING.md).

use crate::claims_request::ClaimsRequest;
use crate::params::Params;
use crate::pkce::CodeChallenge;
use crate::redirect_uri::RedirectUri;
use crate::scope::ScopeSet;

/// Form bodies and query strings: the limit holds, repetition is found, and what parses
/// survives a round trip through [`Params::to_query`].
pub fn params(data: &[u8]) {
    let Ok(params) = Params::parse_limited(data, crate::params::DEFAULT_MAX_PARAMETERS) else {
        return;
    };
    let pairs: Vec<(String, String)> = params.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
    assert!(pairs.len() <= crate::params::DEFAULT_MAX_PARAMETERS);
    assert!(pairs.iter().all(|(_, value)| !value.is_empty()), "empty values count as absent");
    let repeated = params.reject_repeated().is_err();
    let mut names: Vec<&str> =
        pairs.iter().map(|(n, _)| n.as_str()).filter(|n| !crate::params::REPEATABLE.contains(n)).collect();
    let distinct = {
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        before == names.len()
    };
    assert_eq!(repeated, !distinct);
    for (name, _) in &pairs {
        let _ = params.get(name);
    }
    let again = Params::parse(params.to_query().as_bytes());
    let again: Vec<(String, String)> = again.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
    assert_eq!(again, pairs);
}

/// `Authorization: Basic` headers: whatever is accepted names a non-empty client.
pub fn basic_header(data: &[u8]) {
    let Ok(header) = std::str::from_utf8(data) else { return };
    if let Ok((client_id, _)) = crate::client_auth::parse_basic(header) {
        assert!(!client_id.is_empty());
    }
}

/// Redirect URIs, at registration and at matching: an accepted URI has no fragment, and
/// it always matches itself.
pub fn redirect_uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (registered, requested) = text.split_once('\n').unwrap_or((text, text));
    if let Ok(uri) = RedirectUri::parse(registered) {
        assert!(!uri.as_str().contains('#'));
        assert!(uri.matches(uri.as_str()), "a registered URI matches itself: {registered}");
        let _ = uri.matches(requested);
        let _ = (uri.host(), uri.is_claimed_https());
    }
}

/// Scopes: what parses prints back to the same set, and is a subset of itself.
pub fn scope(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(set) = ScopeSet::parse(text) {
        let printed = set.to_string();
        let again = ScopeSet::parse(&printed).unwrap_or_else(|_| panic!("{printed:?} reparses"));
        assert_eq!(again, set);
        assert!(set.is_subset(&set));
    }
}

/// PKCE: challenges and verifiers; an S256 challenge made from a verifier verifies it.
pub fn pkce(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (challenge, verifier) = text.split_once('\n').unwrap_or((text, text));
    for method in [None, Some("S256"), Some("plain"), Some(verifier)] {
        if let Ok(parsed) = CodeChallenge::parse(challenge, method, true) {
            let _ = parsed.verify(&crate::pkce::CodeVerifier::new(verifier));
        }
    }
    if let Ok(plain) = CodeChallenge::parse(verifier, Some("plain"), true) {
        assert!(
            plain.verify(&crate::pkce::CodeVerifier::new(verifier)),
            "a plain challenge verifies its own verifier"
        );
    }
}

/// The `claims` parameter (OpenID Connect Core §5.5): what is accepted is within the
/// length limit, survives the JSON round trip it takes to the database, and names at most
/// one `sub`; dropping unknown claims keeps only known ones.
pub fn claims_request(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut request) = ClaimsRequest::parse(text) else { return };
    assert!(text.len() <= crate::claims_request::MAX_CLAIMS_LENGTH);
    let stored = serde_json::to_string(&request).unwrap_or_else(|error| panic!("{error}"));
    let again: ClaimsRequest =
        serde_json::from_str(&stored).unwrap_or_else(|error| panic!("{stored}: {error}"));
    assert_eq!(again, request, "{stored}");
    let _ = request.subject();
    request.retain_known(&["sub", "email"]);
    let names = request.userinfo.keys().chain(request.id_token.keys());
    assert!(names.into_iter().all(|name| name == "sub" || name == "email"));
}

/// Runs every file of the seed corpus `fuzz/corpus/NAME` through `target` (for the crates'
/// property tests: a corpus entry is replayed on stable too).
pub fn corpus(name: &str, target: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(name);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let mut seen = 0;
    for entry in entries.flatten() {
        let input = std::fs::read(entry.path()).unwrap_or_else(|error| panic!("{error}"));
        target(&input);
        seen += 1;
    }
    assert!(seen > 0, "the corpus of {name} is empty");
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::corpus;

    /// Bytes, and text shaped like the input (so that most cases get past the first check).
    fn input(shape: &'static str) -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            proptest::string::string_regex(shape).unwrap().prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #[test]
        fn params_never_panic(data in input("([a-z_%0-9A-F+]{0,8}(=[a-zA-Z%0-9+ ]{0,12})?&){0,40}")) {
            super::params(&data);
        }

        #[test]
        fn basic_headers_never_panic(data in input("(Basic|basic|Bearer)? ?[A-Za-z0-9+/=:%]{0,80}")) {
            super::basic_header(&data);
        }

        #[test]
        fn redirect_uris_never_panic(data in input("(https?|com\\.app|javascript):(//)?[a-z0-9.:\\[\\]@%/?#&=]{0,60}(\n[a-z0-9.:/?#]{0,40})?")) {
            super::redirect_uri(&data);
        }

        #[test]
        fn scopes_never_panic(data in input("[ -~]{0,60}")) {
            super::scope(&data);
        }

        #[test]
        fn claims_requests_never_panic(data in input(r#"\{("(userinfo|id_token)": ?\{("[a-z_]{1,8}": ?(null|\{"(essential|value|values)": ?(true|"[a-z]{0,4}"|\[\]|7)\}),? ?){0,4}\},? ?){0,2}\}"#)) {
            super::claims_request(&data);
        }

        #[test]
        fn pkce_values_never_panic(data in input("[A-Za-z0-9._~-]{30,130}(\n[A-Za-z0-9._~-]{30,130})?")) {
            super::pkce(&data);
        }
    }

    #[test]
    fn the_seed_corpora_pass() {
        corpus("params", super::params);
        corpus("basic_header", super::basic_header);
        corpus("redirect_uri", super::redirect_uri);
        corpus("scope", super::scope);
        corpus("pkce", super::pkce);
        corpus("claims_request", super::claims_request);
    }
}
