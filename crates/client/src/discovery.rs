//! Authorization server metadata (RFC 8414). The document is looked for where §3.1 puts it —
//! `/.well-known/oauth-authorization-server` inserted between the host and the issuer's
//! path — then where OpenID Connect Discovery puts it, appended to the issuer. A document
//! whose `issuer` is not the one asked for is refused (§3.3): it could send tokens elsewhere.

use serde::Deserialize;
use url::Url;

use crate::ClientError;

/// The parts of the metadata the client uses (§2); the rest is kept in `other`.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    /// OpenID Connect Core §5.3.
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: the server sends `iss` with authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Where the metadata of `issuer` may be, in the order to try: RFC 8414 §3.1, then
/// OpenID Connect Discovery 1.0 §4.
pub fn metadata_urls(issuer: &str) -> Result<Vec<Url>, ClientError> {
    let parsed = Url::parse(issuer).map_err(|error| ClientError::Url(format!("{issuer}: {error}")))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(ClientError::Url(format!("{issuer}: an issuer has no query or fragment (RFC 8414 §2)")));
    }
    let path = parsed.path().trim_end_matches('/');
    let with = |well_known: String| {
        let mut url = parsed.clone();
        url.set_path(&well_known);
        url
    };
    Ok(vec![
        with(format!("/.well-known/oauth-authorization-server{path}")),
        with(format!("{path}/.well-known/openid-configuration")),
    ])
}

/// Fetches and checks the metadata of `issuer`.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Metadata, ClientError> {
    let mut tried = Vec::new();
    for url in metadata_urls(issuer)? {
        let response = http.get(url.clone()).header("accept", "application/json").send().await?;
        if !response.status().is_success() {
            tried.push(format!("{url}: {}", response.status()));
            continue;
        }
        let body = response.bytes().await?;
        let metadata: Metadata = serde_json::from_slice(&body).map_err(|error| {
            ClientError::Protocol(format!("{url} did not answer with a metadata document (JSON): {error}"))
        })?;
        // §3.3: identical to the issuer used to build the URL, or the document is refused.
        if metadata.issuer != issuer {
            return Err(ClientError::Protocol(format!(
                "{url} is the metadata of issuer {}, not of {issuer}; refused (RFC 8414 §3.3)",
                metadata.issuer
            )));
        }
        return Ok(metadata);
    }
    Err(ClientError::Protocol(format!("no metadata for {issuer}: {}", tried.join("; "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(issuer: &str) -> Vec<String> {
        metadata_urls(issuer).unwrap().into_iter().map(String::from).collect()
    }

    #[test]
    fn the_well_known_path_goes_between_host_and_issuer_path() {
        assert_eq!(
            urls("https://example.com/issuer1"),
            [
                "https://example.com/.well-known/oauth-authorization-server/issuer1",
                "https://example.com/issuer1/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            urls("https://example.com"),
            [
                "https://example.com/.well-known/oauth-authorization-server",
                "https://example.com/.well-known/openid-configuration"
            ]
        );
    }

    #[test]
    fn an_issuer_with_a_query_is_refused() {
        assert!(metadata_urls("https://example.com/?tenant=1").is_err());
        assert!(metadata_urls("not a url").is_err());
    }
}
