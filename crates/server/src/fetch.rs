//! Fetching what clients point the server to, without letting them point it at what it can
//! reach and they cannot (server-side request forgery, RFC 9700 §4.16 in spirit; OpenID
//! Connect Registration §5 and the client ID metadata document draft ask for these rules):
//!
//! - https only; plain http only to loopback, and loopback only where the configuration
//!   allows it (tests and development), which the server warns about at start;
//! - the address connected to is a public one: never loopback, private, link-local, shared,
//!   documentation, benchmarking, multicast or any other special-use range of RFC 6890
//!   (IPv4-mapped and NAT64 addresses are judged by the IPv4 address inside) — checked on
//!   the resolved address, not the name, so DNS cannot smuggle one in;
//! - no redirects, no proxy from the environment, a short timeout, only a 200, and at most
//!   [`MAX_BODY`] bytes read;
//! - a document is reused within its `Cache-Control: max-age` (at most a day), and errors
//!   or invalid documents never.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oauth2u_core::async_trait;
use oauth2u_core::fetch::{FetchError, Fetched, Fetcher};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

/// The largest document read (the client ID metadata document draft's 5 KB).
pub(crate) const MAX_BODY: usize = 5 * 1024;
/// How long one fetch may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a document is reused.
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Past this many entries the cache starts over.
const MAX_ENTRIES: usize = 1_000;

/// The server's [`Fetcher`].
pub(crate) struct SafeFetcher {
    http: reqwest::Client,
    allow_loopback: bool,
    cache: Mutex<HashMap<String, (Instant, serde_json::Value)>>,
}

impl SafeFetcher {
    /// A fetcher; `allow_loopback` admits loopback addresses (and plain http to them).
    pub(crate) fn new(allow_loopback: bool) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .dns_resolver(Arc::new(PublicOnly { allow_loopback }))
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(Self { http, allow_loopback, cache: Mutex::default() })
    }

    fn cached(&self, url: &Url) -> Option<serde_json::Value> {
        let cache = self.cache.lock().ok()?;
        let (until, body) = cache.get(url.as_str())?;
        (Instant::now() < *until).then(|| body.clone())
    }

    fn remember(&self, url: &Url, body: &serde_json::Value, max_age: Duration) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
            cache.insert(url.to_string(), (Instant::now() + max_age, body.clone()));
        }
    }

    /// Whether `url` may be asked for at all, before any connection.
    fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        let refused = |why: &str| Err(FetchError::Refused(format!("{url}: {why}")));
        if url.username() != "" || url.password().is_some() {
            return refused("a URL with credentials is not fetched");
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(address)) => Some(IpAddr::V4(address)),
            Some(url::Host::Ipv6(address)) => Some(IpAddr::V6(address)),
            Some(url::Host::Domain(_)) => None,
            None => return refused("no host"),
        };
        // reqwest asks the resolver only for names: an address in the URL is judged here.
        if let Some(address) = literal
            && !allowed(address, self.allow_loopback)
        {
            return refused("not a public address");
        }
        let loopback =
            literal.is_some_and(|address| address.is_loopback()) || url.host_str() == Some("localhost");
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.allow_loopback && loopback => Ok(()),
            _ => refused("only https is fetched"),
        }
    }
}

#[async_trait]
impl Fetcher for SafeFetcher {
    async fn get_json(&self, url: &Url) -> Result<Fetched, FetchError> {
        self.check_url(url)?;
        if let Some(body) = self.cached(url) {
            return Ok(Fetched { body, max_age: None });
        }
        self.get_fresh_json(url).await
    }

    async fn get_fresh_json(&self, url: &Url) -> Result<Fetched, FetchError> {
        self.check_url(url)?;
        let failed = |why: String| FetchError::Failed(format!("{url}: {why}"));
        let mut response =
            self.http.get(url.clone()).header("accept", "application/json").send().await.map_err(
                |error| {
                    // The resolver's refusal arrives wrapped in the connection error.
                    if format!("{error:?}").contains(NOT_PUBLIC) {
                        FetchError::Refused(format!("{url}: not a public address"))
                    } else {
                        failed(format!("could not be fetched ({error})"))
                    }
                },
            )?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(failed(format!(
                "answered {} (only a 200 counts, and no redirect is followed)",
                response.status()
            )));
        }
        let max_age = max_age(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|error| failed(format!("could not be read ({error})")))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(failed(format!("is larger than {MAX_BODY} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        let body: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| failed("is not a JSON document".into()))?;
        if let Some(max_age) = max_age {
            self.remember(url, &body, max_age);
        }
        Ok(Fetched { body, max_age })
    }
}

/// `Cache-Control: max-age`, capped; none with `no-store` or `no-cache`, or without one.
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    let directives: Vec<&str> = value.split(',').map(str::trim).collect();
    if directives.iter().any(|directive| {
        directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache")
    }) {
        return None;
    }
    let seconds = directives.iter().find_map(|directive| {
        let (name, value) = directive.split_once('=')?;
        name.trim().eq_ignore_ascii_case("max-age").then(|| value.trim().parse::<u64>().ok()).flatten()
    })?;
    (seconds > 0).then(|| Duration::from_secs(seconds).min(MAX_AGE))
}

/// The resolver's refusal, recognised in the connection error.
const NOT_PUBLIC: &str = "resolves to no public address";

/// Resolves names, keeping only the addresses that may be connected to.
struct PublicOnly {
    allow_loopback: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                resolved.into_iter().filter(|address| allowed(address.ip(), allow_loopback)).collect();
            if public.is_empty() {
                return Err(format!("{host} {NOT_PUBLIC}").into());
            }
            let addresses: Addrs = Box::new(public.into_iter());
            Ok(addresses)
        })
    }
}

/// Whether an address may be connected to: a public one, or loopback where allowed.
pub(crate) fn allowed(address: IpAddr, allow_loopback: bool) -> bool {
    if address.is_loopback() {
        return allow_loopback;
    }
    match address {
        IpAddr::V4(address) => public_v4(address),
        IpAddr::V6(address) => public_v6(address),
    }
}

/// RFC 6890 §2.2.2 and its successors: every IPv4 special-use block.
fn public_v4(address: Ipv4Addr) -> bool {
    let [a, b, c, _] = address.octets();
    let special = a == 0                                  // "this network", 0.0.0.0/8
        || a == 10                                        // private, RFC 1918
        || a == 127                                       // loopback
        || (a == 100 && (64..128).contains(&b))           // shared address space, RFC 6598
        || (a == 169 && b == 254)                         // link-local, RFC 3927
        || (a == 172 && (16..32).contains(&b))            // private
        || (a == 192 && b == 0 && c == 0)                 // IETF protocol assignments, RFC 6890
        || (a == 192 && b == 0 && c == 2)                 // documentation (TEST-NET-1)
        || (a == 192 && b == 88 && c == 99)               // 6to4 relay anycast, RFC 7526
        || (a == 192 && b == 168)                         // private
        || (a == 198 && (b == 18 || b == 19))             // benchmarking, RFC 2544
        || (a == 198 && b == 51 && c == 100)              // documentation (TEST-NET-2)
        || (a == 203 && b == 0 && c == 113)               // documentation (TEST-NET-3)
        || a >= 224; // multicast, reserved, broadcast
    !special
}

/// RFC 6890 §2.2.3 and its successors: every IPv6 special-use block; addresses that carry
/// an IPv4 address are judged by it.
fn public_v6(address: Ipv6Addr) -> bool {
    if let Some(v4) = address.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let segments = address.segments();
    // NAT64 (64:ff9b::/96, RFC 6052): the IPv4 address is in the last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., high, low] = segments;
        return public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    }
    let special = address.is_unspecified()
        || address.is_multicast()                         // ff00::/8
        || segments[0] & 0xfe00 == 0xfc00                 // unique local, fc00::/7
        || segments[0] & 0xffc0 == 0xfe80                 // link-local, fe80::/10
        || segments[0] & 0xffc0 == 0xfec0                 // site-local (deprecated), fec0::/10
        || (segments[0] == 0x2001 && segments[1] < 0x0200) // IETF protocol assignments, 2001::/23
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation, 2001:db8::/32
        || segments[0] == 0x2002                          // 6to4, 2002::/16
        || segments[..4] == [0x0100, 0, 0, 0]             // discard-only, 100::/64
        || (segments[..5] == [0, 0, 0, 0, 0] && segments[5] == 0); // IPv4-compatible, ::/96
    !special
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_connected_to() {
        let public = ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "2a00:1450:4001::200e"];
        for address in public {
            assert!(allowed(address.parse().unwrap(), false), "{address}");
        }
        let special = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:101::1",
            "2001::1",
            "::10.0.0.1",
        ];
        for address in special {
            assert!(!allowed(address.parse().unwrap(), false), "{address}");
        }
        assert!(allowed("127.0.0.1".parse().unwrap(), true), "loopback where allowed");
        assert!(!allowed("10.0.0.1".parse().unwrap(), true), "private stays refused");
    }

    #[test]
    fn urls_are_judged_before_any_connection() {
        let strict = SafeFetcher::new(false).unwrap();
        let loose = SafeFetcher::new(true).unwrap();
        let check = |fetcher: &SafeFetcher, url: &str| fetcher.check_url(&Url::parse(url).unwrap()).is_ok();
        assert!(check(&strict, "https://client.example/doc"));
        assert!(!check(&strict, "http://client.example/doc"), "https only");
        assert!(!check(&strict, "https://user:pw@client.example/doc"));
        assert!(!check(&strict, "https://127.0.0.1/doc"));
        assert!(!check(&strict, "https://[::ffff:169.254.169.254]/doc"));
        assert!(check(&loose, "http://127.0.0.1:8080/doc"), "loopback in tests, plain http too");
        assert!(!check(&loose, "http://client.example/doc"));
        assert!(!check(&loose, "https://192.168.0.1/doc"));
    }

    #[test]
    fn max_age_is_read_capped_and_refused_by_no_store() {
        let headers = |value: &str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(reqwest::header::CACHE_CONTROL, value.parse().unwrap());
            headers
        };
        assert_eq!(max_age(&headers("public, max-age=300")), Some(Duration::from_secs(300)));
        assert_eq!(max_age(&headers("max-age=999999")), Some(MAX_AGE));
        assert_eq!(max_age(&headers("max-age=300, no-store")), None);
        assert_eq!(max_age(&headers("no-cache")), None);
        assert_eq!(max_age(&headers("max-age=0")), None);
        assert_eq!(max_age(&reqwest::header::HeaderMap::new()), None);
    }
}
