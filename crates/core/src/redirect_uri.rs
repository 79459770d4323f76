//! Redirect URIs: registration rules (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.1) and
//! matching (RFC 9700 §4.1.3: exact string comparison; RFC 8252 §7.3: any port on loopback).

use std::fmt;

use url::{Host, Url};

/// A registered redirect URI: absolute, no fragment, and https, loopback http,
/// or a native app's private-use scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

/// Why a redirect URI cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    /// Not an absolute URI (RFC 6749 §3.1.2).
    #[error("redirect URI `{0}` is not an absolute URI")]
    NotAbsolute(String),
    /// RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
    #[error("redirect URI `{0}` has a fragment")]
    Fragment(String),
    /// RFC 9700 §2.1 / RFC 8252 §8.3: plain http only for loopback.
    #[error("redirect URI `{0}` must use https (http is allowed only for 127.0.0.1, [::1] and localhost)")]
    Insecure(String),
    /// RFC 8252 §7.1: a private-use scheme must be a reversed domain name, such as `com.example.app`.
    #[error(
        "redirect URI `{0}` has scheme that is neither https nor a private-use scheme like com.example.app"
    )]
    Scheme(String),
}

impl RedirectUri {
    /// Checks a URI for registration.
    pub fn parse(text: &str) -> Result<Self, RedirectUriError> {
        let url = Url::parse(text).map_err(|_| RedirectUriError::NotAbsolute(text.to_owned()))?;
        if url.fragment().is_some() || text.contains('#') {
            return Err(RedirectUriError::Fragment(text.to_owned()));
        }
        match url.scheme() {
            "https" if url.host().is_some() => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(RedirectUriError::Insecure(text.to_owned())),
            // RFC 8252 §7.1: "apps MUST use a URI scheme based on a domain name under their
            // control, expressed in reverse order" — this also keeps out javascript:, data:, file:.
            scheme if scheme.contains('.') => {}
            _ => return Err(RedirectUriError::Scheme(text.to_owned())),
        }
        Ok(Self(text.to_owned()))
    }

    /// Whether the URI is https on a real host, which only its owner can serve; loopback
    /// and private-use schemes can be claimed by any app on the device (RFC 8252 §8.6).
    pub fn is_claimed_https(&self) -> bool {
        Url::parse(&self.0).is_ok_and(|url| url.scheme() == "https" && !is_loopback(&url))
    }

    /// The host that responses go to, shown on the consent page.
    pub fn host(&self) -> String {
        Url::parse(&self.0)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| self.0.clone())
    }

    /// The URI as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a redirect URI sent in a request matches this registered one.
    ///
    /// Simple string comparison (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3), except that a
    /// loopback URI matches on any port (RFC 8252 §7.3), since native apps get an
    /// ephemeral port from the OS.
    pub fn matches(&self, requested: &str) -> bool {
        if self.0 == requested {
            return true;
        }
        let (Ok(mut registered), Ok(mut sent)) = (Url::parse(&self.0), Url::parse(requested)) else {
            return false;
        };
        // Only a requested URI that is already in normal form may differ by its port.
        if sent.as_str() != requested || registered.scheme() != "http" || !is_loopback(&registered) {
            return false;
        }
        if registered.set_port(None).is_err() || sent.set_port(None).is_err() {
            return false;
        }
        registered.as_str() == sent.as_str()
    }
}

/// Whether the URL's host is a loopback address (or `localhost`).
pub fn is_loopback_url(url: &Url) -> bool {
    is_loopback(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_accepts_https_loopback_and_private_use_schemes() {
        for ok in [
            "https://app.example.com/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn registration_refuses_what_cannot_be_safe() {
        for bad in [
            "/relative",
            "https://app.example.com/cb#frag",
            "http://app.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "myapp:/cb",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_is_exact_except_for_loopback_ports() {
        let https = RedirectUri::parse("https://app.example.com/cb").unwrap();
        assert!(https.matches("https://app.example.com/cb"));
        assert!(!https.matches("https://app.example.com/cb/"));
        assert!(!https.matches("https://app.example.com/cb?x=1"));
        assert!(!https.matches("https://APP.example.com/cb"));
        assert!(!https.matches("https://app.example.com:8443/cb"));

        let loopback = RedirectUri::parse("http://127.0.0.1/cb").unwrap();
        assert!(loopback.matches("http://127.0.0.1:51234/cb"));
        assert!(!loopback.matches("http://127.0.0.1:51234/other"));
        assert!(!loopback.matches("http://127.0.0.2:51234/cb"));
        assert!(!loopback.matches("http://127.0.0.1:51234/x/../cb"));
    }
}
