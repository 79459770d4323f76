//! Fuzz targets for what the server itself parses: forwarding headers, and the values the
//! Rhai host exchanges with scripts. See `oauth2u_core::fuzz` for the protocol's parsers.

use std::net::SocketAddr;

use axum::http::{HeaderMap, HeaderValue};
use oauth2u_core::Params;

use crate::config::ForwardedHeader;
use crate::forwarded::TrustedProxies;

/// `Forwarded` and `X-Forwarded-For` (one line each): from an untrusted peer nothing is
/// believed; from a trusted one, the address is the peer's or one the header names.
pub fn forwarded(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (forwarded, x_forwarded_for) = text.split_once('\n').unwrap_or((text, ""));
    let mut headers = HeaderMap::new();
    for (name, value) in
        [("forwarded", forwarded), ("x-forwarded-for", x_forwarded_for), ("x-forwarded-proto", "https")]
    {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.append(name, value);
        }
    }
    let networks: Vec<ipnet::IpNet> =
        ["10.0.0.0/8", "::1/128"].iter().filter_map(|net| net.parse().ok()).collect();
    let stranger: SocketAddr = ([203, 0, 113, 9], 5555).into();
    let proxy: SocketAddr = ([10, 0, 0, 2], 5555).into();
    for header in [ForwardedHeader::XForwardedFor, ForwardedHeader::Forwarded] {
        let proxies = TrustedProxies::new(networks.clone(), header);
        let direct = proxies.origin(stranger, false, &headers);
        assert_eq!(direct.address, stranger.ip(), "an untrusted peer's headers are ignored");
        assert!(!direct.https);
        let through = proxies.origin(proxy, false, &headers);
        let named = match header {
            ForwardedHeader::XForwardedFor => x_forwarded_for,
            ForwardedHeader::Forwarded => forwarded,
        };
        if named.trim().is_empty() {
            assert_eq!(through.address, proxy.ip(), "no header: the peer");
        }
    }
}

/// The values the Rhai host receives: request parameters turned into script values (and
/// back to JSON), and what a script returns as a decision (NUL-separated keys and values).
pub fn script_values(data: &[u8]) {
    let params = Params::parse(data);
    let map = crate::scripts::plugins::params_map(&params, &[]);
    let _ = rhai::serde::from_dynamic::<serde_json::Value>(&rhai::Dynamic::from(map));
    let mut decision = rhai::Map::new();
    let mut fields = data.split(|byte| *byte == 0);
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let value = String::from_utf8_lossy(value).into_owned();
        let value = match value.parse::<i64>() {
            Ok(number) => rhai::Dynamic::from(number),
            Err(_) => rhai::Dynamic::from(value),
        };
        decision.insert(name.into(), value);
    }
    crate::scripts::plugins::check_decision(rhai::Dynamic::from(decision));
}

#[cfg(test)]
mod properties {
    use oauth2u_core::fuzz::corpus;
    use proptest::prelude::*;

    fn input(shape: &'static str) -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            proptest::string::string_regex(shape).unwrap().prop_map(String::into_bytes),
        ]
    }

    proptest! {
        #[test]
        fn forwarding_headers_never_fool_the_origin(data in input("((for|proto|by)=\"?[0-9a-f.:\\[\\]_]{0,20}\"?[;, ]{0,2}){0,6}\n([0-9a-f.:\\[\\] ]{0,16},?){0,5}")) {
            super::forwarded(&data);
        }

        #[test]
        fn script_values_never_panic(data in input("((decision|subject|status|html|error|description|[a-z]{1,6})\u{0}(grant|render|error|[a-z_]{0,16}|-?[0-9]{1,6})\u{0}){0,6}")) {
            super::script_values(&data);
        }
    }

    #[test]
    fn the_seed_corpora_pass() {
        corpus("forwarded", super::forwarded);
        corpus("script_values", super::script_values);
    }
}
