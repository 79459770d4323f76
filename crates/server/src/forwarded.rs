//! Behind a reverse proxy: the peer of the connection is the proxy, and the client's
//! address and scheme arrive in headers — `Forwarded` (RFC 7239) or the common
//! `X-Forwarded-For` / `X-Forwarded-Proto`. Anyone can send those headers, so they are
//! believed only from the addresses in `trusted_proxies`, and only the one the operator
//! names (`forwarded_header`): a proxy that sets one passes the other through as the client
//! wrote it, so reading both would let the client choose its own address.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::config::ForwardedHeader;

/// The client as far as the trusted proxies say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The client's address (the peer's, when nothing trusted says otherwise).
    pub address: IpAddr,
    /// Whether the client spoke https to the first proxy (or to us).
    pub https: bool,
}

/// The proxies whose headers are believed, and which header they set.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    pub(crate) fn new(networks: Vec<IpNet>, header: ForwardedHeader) -> Self {
        Self { networks, header }
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.networks.iter().any(|network| network.contains(&address))
    }

    /// The origin of a request that arrived from `peer` over `tls` or not.
    pub(crate) fn origin(&self, peer: SocketAddr, tls: bool, headers: &HeaderMap) -> Origin {
        let direct = Origin { address: peer.ip(), https: tls };
        if !self.trusts(peer.ip()) {
            return direct;
        }
        let (chain, protos) = match self.header {
            ForwardedHeader::XForwardedFor => (x_forwarded_for(headers), x_forwarded_proto(headers)),
            ForwardedHeader::Forwarded => forwarded(headers),
        };
        // Walk from the nearest hop back: the rightmost address that is not one of our
        // proxies is the client; what lies beyond it, the client itself may have written.
        let address = chain
            .iter()
            .rev()
            .copied()
            .find(|address| !self.trusts(*address))
            .or_else(|| chain.first().copied())
            .unwrap_or(direct.address);
        let https = protos.last().map_or(tls, |proto| proto.eq_ignore_ascii_case("https"));
        Origin { address, https }
    }
}

/// Every value of a header, split at commas, trimmed.
fn values<'h>(headers: &'h HeaderMap, name: &str) -> impl Iterator<Item = &'h str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
}

fn x_forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    values(headers, "x-forwarded-for").filter_map(parse_address).collect()
}

fn x_forwarded_proto(headers: &HeaderMap) -> Vec<String> {
    values(headers, "x-forwarded-proto").map(str::to_owned).collect()
}

/// RFC 7239 §4: `Forwarded: for=192.0.2.60;proto=https, for="[2001:db8::1]:443"`.
/// Unparseable `for` values (`unknown`, obfuscated identifiers) are skipped.
fn forwarded(headers: &HeaderMap) -> (Vec<IpAddr>, Vec<String>) {
    let (mut chain, mut protos) = (Vec::new(), Vec::new());
    for element in values(headers, "forwarded") {
        for pair in element.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else { continue };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "for" => chain.extend(parse_address(value)),
                "proto" => protos.push(value.to_owned()),
                _ => {}
            }
        }
    }
    (chain, protos)
}

/// `192.0.2.60`, `192.0.2.60:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_address(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|address| address.ip()))
        .or_else(|| text.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies() -> TrustedProxies {
        let networks = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        TrustedProxies::new(networks, ForwardedHeader::XForwardedFor)
    }

    fn rfc_7239_proxies() -> TrustedProxies {
        TrustedProxies { header: ForwardedHeader::Forwarded, ..proxies() }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    const PROXY: &str = "10.0.0.2:5555";
    const STRANGER: &str = "203.0.113.9:5555";

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.1"), ("x-forwarded-proto", "https")]);
        let origin = proxies().origin(STRANGER.parse().unwrap(), false, &spoofed);
        assert_eq!(origin, Origin { address: "203.0.113.9".parse().unwrap(), https: false });
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        // The client wrote 1.1.1.1 itself; 198.51.100.1 is whom our proxies saw.
        let sent = headers(&[
            ("x-forwarded-for", "1.1.1.1, 198.51.100.1, 10.0.0.7"),
            ("x-forwarded-proto", "https"),
        ]);
        let origin = proxies().origin(PROXY.parse().unwrap(), false, &sent);
        assert_eq!(origin, Origin { address: "198.51.100.1".parse().unwrap(), https: true });
    }

    #[test]
    fn forwarded_is_read_per_rfc_7239_where_named_and_x_forwarded_for_is_then_ignored() {
        let sent = headers(&[
            ("forwarded", "for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.9"),
            ("x-forwarded-for", "192.0.2.1"),
        ]);
        let origin = rfc_7239_proxies().origin(PROXY.parse().unwrap(), false, &sent);
        assert_eq!(origin, Origin { address: "2001:db8::7".parse().unwrap(), https: true });
    }

    #[test]
    fn a_client_sent_forwarded_is_ignored_where_the_proxy_sets_x_forwarded_for() {
        let sent = headers(&[("forwarded", "for=1.2.3.4;proto=https"), ("x-forwarded-for", "192.0.2.1")]);
        let origin = proxies().origin(PROXY.parse().unwrap(), false, &sent);
        assert_eq!(origin, Origin { address: "192.0.2.1".parse().unwrap(), https: false });
    }

    #[test]
    fn garbage_leaves_the_peer() {
        let sent = headers(&[("x-forwarded-for", "not an address, also-not")]);
        let origin = proxies().origin(PROXY.parse().unwrap(), true, &sent);
        assert_eq!(origin, Origin { address: "10.0.0.2".parse().unwrap(), https: true });
    }
}
