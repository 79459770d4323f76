//! Where a server's endpoints are: from its metadata (RFC 8414), each one overridable for
//! servers that publish none. Endpoints must be https (RFC 6749 §3.1, §3.2; RFC 7009 §2),
//! except on loopback, where a developer's server runs.

use url::Url;

use crate::ClientError;
use crate::discovery::{Metadata, discover};

/// The endpoints of one authorization server. `None` means unknown.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    pub authorization: Option<Url>,
    pub token: Option<Url>,
    pub device_authorization: Option<Url>,
    pub revocation: Option<Url>,
    pub introspection: Option<Url>,
    pub userinfo: Option<Url>,
}

/// An endpoint a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Authorization,
    Token,
    DeviceAuthorization,
    Revocation,
    Introspection,
    Userinfo,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Self::Authorization => "authorization",
            Self::Token => "token",
            Self::DeviceAuthorization => "device authorization",
            Self::Revocation => "revocation",
            Self::Introspection => "introspection",
            Self::Userinfo => "userinfo",
        }
    }
}

impl Endpoints {
    pub fn get(&self, endpoint: Endpoint) -> Option<&Url> {
        match endpoint {
            Endpoint::Authorization => self.authorization.as_ref(),
            Endpoint::Token => self.token.as_ref(),
            Endpoint::DeviceAuthorization => self.device_authorization.as_ref(),
            Endpoint::Revocation => self.revocation.as_ref(),
            Endpoint::Introspection => self.introspection.as_ref(),
            Endpoint::Userinfo => self.userinfo.as_ref(),
        }
    }

    /// The endpoint, or an error that says how to give it.
    pub fn require(&self, endpoint: Endpoint) -> Result<&Url, ClientError> {
        self.get(endpoint).ok_or_else(|| {
            ClientError::Url(format!(
                "the server announces no {} endpoint; give it with a flag",
                endpoint.name()
            ))
        })
    }

    /// Fills what `self` leaves unknown from the metadata: overrides win.
    fn or_from(self, metadata: &Metadata) -> Result<Self, ClientError> {
        let parse = |value: &Option<String>| value.as_deref().map(parse_url).transpose();
        Ok(Self {
            authorization: self
                .authorization
                .map_or_else(|| parse(&metadata.authorization_endpoint), |u| Ok(Some(u)))?,
            token: self.token.map_or_else(|| parse(&metadata.token_endpoint), |u| Ok(Some(u)))?,
            device_authorization: self
                .device_authorization
                .map_or_else(|| parse(&metadata.device_authorization_endpoint), |u| Ok(Some(u)))?,
            revocation: self
                .revocation
                .map_or_else(|| parse(&metadata.revocation_endpoint), |u| Ok(Some(u)))?,
            introspection: self
                .introspection
                .map_or_else(|| parse(&metadata.introspection_endpoint), |u| Ok(Some(u)))?,
            userinfo: self.userinfo.map_or_else(|| parse(&metadata.userinfo_endpoint), |u| Ok(Some(u)))?,
        })
    }

    fn all(&self) -> impl Iterator<Item = (Endpoint, &Url)> {
        [
            Endpoint::Authorization,
            Endpoint::Token,
            Endpoint::DeviceAuthorization,
            Endpoint::Revocation,
            Endpoint::Introspection,
            Endpoint::Userinfo,
        ]
        .into_iter()
        .filter_map(|endpoint| self.get(endpoint).map(|url| (endpoint, url)))
    }
}

/// Parses an absolute URL.
pub fn parse_url(text: &str) -> Result<Url, ClientError> {
    Url::parse(text).map_err(|error| ClientError::Url(format!("{text}: {error}")))
}

/// One authorization server, as a client sees it.
#[derive(Debug, Clone)]
pub struct Provider {
    pub issuer: String,
    pub endpoints: Endpoints,
    /// RFC 9207 §3: the server sends `iss` in authorization responses, so one without it
    /// must be refused (§2.4).
    pub sends_iss: bool,
    /// The metadata document, when discovery ran.
    pub metadata: Option<Metadata>,
}

/// How to find a server: its issuer, endpoints given by hand, and whether plain http is
/// acceptable beyond loopback.
#[derive(Debug, Clone, Default)]
pub struct ProviderOptions {
    pub issuer: String,
    pub overrides: Endpoints,
    pub allow_insecure_http: bool,
}

impl Provider {
    /// Discovers the server unless every endpoint in `needed` is given by hand.
    pub async fn resolve(
        http: &reqwest::Client,
        options: ProviderOptions,
        needed: &[Endpoint],
    ) -> Result<Self, ClientError> {
        let ProviderOptions { issuer, overrides, allow_insecure_http } = options;
        let provider = if needed.iter().all(|endpoint| overrides.get(*endpoint).is_some()) {
            Self { issuer, endpoints: overrides, sends_iss: false, metadata: None }
        } else {
            let metadata = discover(http, &issuer).await?;
            Self {
                endpoints: overrides.or_from(&metadata)?,
                sends_iss: metadata.authorization_response_iss_parameter_supported,
                metadata: Some(metadata),
                issuer,
            }
        };
        if !allow_insecure_http {
            for (endpoint, url) in provider.endpoints.all() {
                check_https(endpoint, url)?;
            }
        }
        for endpoint in needed {
            provider.endpoints.require(*endpoint)?;
        }
        Ok(provider)
    }
}

/// RFC 6749 §3.1/§3.2 and RFC 7009 §2: TLS is required; loopback is a developer's machine.
fn check_https(endpoint: Endpoint, url: &Url) -> Result<(), ClientError> {
    check_https_url(&format!("{} endpoint", endpoint.name()), url)
}

/// That `url`, called `what` in the error, is https, or plain http on loopback only.
pub fn check_https_url(what: &str, url: &Url) -> Result<(), ClientError> {
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        return Ok(());
    }
    Err(ClientError::Url(format!(
        "the {what} {url} is not https (RFC 6749 §3.1); --allow-insecure-http accepts it"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        let check = |text: &str| check_https(Endpoint::Token, &parse_url(text).unwrap()).is_ok();
        assert!(check("https://as.example/token"));
        assert!(check("http://127.0.0.1:8000/token"));
        assert!(check("http://[::1]:8000/token"));
        assert!(check("http://localhost:8000/token"));
        assert!(!check("http://as.example/token"));
        assert!(!check("http://localhost.as.example/token"));
        assert!(!check("ftp://as.example/token"));
    }
}
