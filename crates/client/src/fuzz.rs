//! Fuzz target for what the client parses from outside: the authorization response that
//! arrives at the loopback callback (RFC 6749 §4.1.2, RFC 9207 §2.4).

use crate::login::{Expected, check_callback};

/// A callback query: a code comes out only when `state` and `iss` are the expected ones
/// and no parameter repeats.
pub fn callback(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else { return };
    for sends_iss in [true, false] {
        let expected = Expected { state: "s1".into(), issuer: "https://auth.example".into(), sends_iss };
        if let Ok(code) = check_callback(query, &expected) {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect();
            let value = |name: &str| {
                pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect::<Vec<_>>()
            };
            assert_eq!(value("state"), ["s1"]);
            assert_eq!(value("code"), [code.as_str()]);
            assert!(value("error").is_empty());
            let iss = value("iss");
            assert!(iss == ["https://auth.example"] || (!sends_iss && iss.is_empty()), "{iss:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn callbacks_never_panic_and_never_pass_a_forged_one(data in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            "((code|state|iss|error|x)=(s1|https%3A%2F%2Fauth\\.example|[a-z0-9%]{0,10})&){0,6}".prop_map(String::into_bytes),
        ]) {
            super::callback(&data);
        }
    }

    #[test]
    fn the_seed_corpus_passes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/callback");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            super::callback(&std::fs::read(entry.unwrap().path()).unwrap());
            seen += 1;
        }
        assert!(seen > 0);
    }
}
