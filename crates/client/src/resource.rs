//! RFC 9728, OAuth 2.0 Protected Resource Metadata, from the client's side: starting from an
//! API's URL, find the authorization server that issues its tokens. Either the API's
//! well-known document is read directly (§3), or the `resource_metadata` URL is taken from
//! the `WWW-Authenticate` challenge of a request without a token (§5). Either way the
//! document must name, as its `resource`, exactly the URL the client started from (§3.3):
//! otherwise an attacker's API could send the client's user to another server.

use serde::Deserialize;
use url::Url;

use crate::ClientError;

/// The parts of the metadata a client uses (§2); the rest is kept in `other`.
#[derive(Debug, Clone, Deserialize)]
pub struct ResourceMetadata {
    /// The resource identifier.
    pub resource: String,
    /// The issuers of the authorization servers that may issue tokens for it.
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    #[serde(default)]
    pub bearer_methods_supported: Vec<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl ResourceMetadata {
    /// The authorization server to use: the first one listed (§2 leaves the choice to the
    /// client; one is the usual case).
    pub fn authorization_server(&self) -> Result<&str, ClientError> {
        self.authorization_servers.first().map(String::as_str).ok_or_else(|| {
            ClientError::Protocol(format!("the metadata of {} names no authorization server", self.resource))
        })
    }
}

/// §3.1: the well-known suffix goes between the host and the path, after any terminating
/// slash of the path is removed; a query stays where it is.
pub fn metadata_url(resource: &str) -> Result<Url, ClientError> {
    let parsed = Url::parse(resource).map_err(|error| ClientError::Url(format!("{resource}: {error}")))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.fragment().is_some() {
        return Err(ClientError::Url(format!(
            "{resource}: a protected resource is an https URL without a fragment (RFC 9728 §1.2)"
        )));
    }
    let mut url = parsed.clone();
    url.set_path(&format!("/.well-known/oauth-protected-resource{}", parsed.path().trim_end_matches('/')));
    Ok(url)
}

/// Reads the metadata of `resource` at its well-known URL (§3).
pub async fn discover_resource(
    http: &reqwest::Client,
    resource: &str,
) -> Result<ResourceMetadata, ClientError> {
    fetch(http, &metadata_url(resource)?, resource).await
}

/// Calls `url` without a token and follows its challenge's `resource_metadata` (§5.1) to
/// the metadata, which must name `url` itself as the resource (§3.3).
pub async fn discover_from_challenge(
    http: &reqwest::Client,
    url: &str,
) -> Result<ResourceMetadata, ClientError> {
    let response = http.get(url).send().await?;
    let challenge = response
        .headers()
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(resource_metadata_parameter)
        .ok_or_else(|| {
            ClientError::Protocol(format!(
                "{url} answered {} with no resource_metadata in its challenge (RFC 9728 §5.1)",
                response.status()
            ))
        })?;
    let metadata_url = Url::parse(&challenge)
        .map_err(|error| ClientError::Protocol(format!("resource_metadata {challenge}: {error}")))?;
    fetch(http, &metadata_url, url).await
}

/// The `resource_metadata` parameter of a Bearer challenge, if it has one.
pub fn resource_metadata_parameter(challenge: &str) -> Option<String> {
    let (scheme, parameters) = challenge.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    auth_parameters(parameters)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("resource_metadata"))
        .map(|(_, value)| value)
}

/// RFC 9110 §11.2 auth-params: `name=token` or `name="quoted string"`, comma separated.
fn auth_parameters(mut text: &str) -> Vec<(String, String)> {
    let mut parameters = Vec::new();
    loop {
        text = text.trim_start_matches([' ', '\t', ',']);
        let Some((name, rest)) = text.split_once('=') else { return parameters };
        let rest = rest.trim_start();
        let (value, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let mut value = String::new();
                let mut characters = quoted.char_indices();
                let mut end = None;
                while let Some((index, character)) = characters.next() {
                    match character {
                        '\\' => value.extend(characters.next().map(|(_, escaped)| escaped)),
                        '"' => {
                            end = Some(index + 1);
                            break;
                        }
                        other => value.push(other),
                    }
                }
                let Some(end) = end else { return parameters };
                (value, &quoted[end..])
            }
            None => {
                let end = rest.find(',').unwrap_or(rest.len());
                (rest[..end].trim().to_owned(), &rest[end..])
            }
        };
        parameters.push((name.trim().to_owned(), value));
        text = after;
    }
}

async fn fetch(http: &reqwest::Client, url: &Url, resource: &str) -> Result<ResourceMetadata, ClientError> {
    let response = http.get(url.clone()).header("accept", "application/json").send().await?;
    if !response.status().is_success() {
        return Err(ClientError::Protocol(format!("{url} answered {}", response.status())));
    }
    let metadata: ResourceMetadata = serde_json::from_slice(&response.bytes().await?).map_err(|error| {
        ClientError::Protocol(format!("{url} did not answer with protected resource metadata: {error}"))
    })?;
    // §3.3: identical, or the document is not used.
    if metadata.resource != resource {
        return Err(ClientError::Protocol(format!(
            "{url} describes the resource {}, not {resource}; refused (RFC 9728 §3.3)",
            metadata.resource
        )));
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_suffix_goes_between_the_host_and_the_path() {
        let url = |resource: &str| metadata_url(resource).map(|url| url.to_string()).ok();
        assert_eq!(
            url("https://photos.example/api/").as_deref(),
            Some("https://photos.example/.well-known/oauth-protected-resource/api")
        );
        assert_eq!(
            url("https://photos.example").as_deref(),
            Some("https://photos.example/.well-known/oauth-protected-resource")
        );
        assert_eq!(
            url("https://r.example/api?v=2").as_deref(),
            Some("https://r.example/.well-known/oauth-protected-resource/api?v=2")
        );
        assert_eq!(url("https://photos.example/api#x"), None);
        assert_eq!(url("urn:example:api"), None);
    }

    #[test]
    fn the_metadata_url_is_read_from_a_bearer_challenge() {
        let found = |challenge: &str| resource_metadata_parameter(challenge);
        assert_eq!(
            found(r#"Bearer realm="api", resource_metadata="https://r.example/.well-known/oauth-protected-resource""#)
                .as_deref(),
            Some("https://r.example/.well-known/oauth-protected-resource")
        );
        assert_eq!(
            found(r#"Bearer error="invalid_token", error_description="a, b", resource_metadata=https://r.example/m"#)
                .as_deref(),
            Some("https://r.example/m")
        );
        assert_eq!(found(r#"Bearer realm="say \"resource_metadata=x\"""#), None);
        assert_eq!(found(r#"DPoP resource_metadata="https://r.example/m""#), None);
        assert_eq!(found("Bearer"), None);
        assert_eq!(found(r#"Bearer resource_metadata="unterminated"#), None);
    }
}
