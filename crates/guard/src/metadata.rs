//! RFC 9728, OAuth 2.0 Protected Resource Metadata: the document that tells a client which
//! authorization server issues tokens for this API, and the `resource_metadata` parameter of
//! the `WWW-Authenticate` challenge (§5.1) that points to it. The document answers any
//! origin: it holds nothing secret and no cookie is involved.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use url::Url;

use crate::error::Challenges;
use crate::{Guard, GuardError};

/// The well-known URI suffix of §3.
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// Where the metadata of `resource` lives (§3.1): the well-known suffix inserted between the
/// host and the path, after any terminating slash of the path is removed. `None` for what is
/// not a resource identifier (§2: an https or http URL without a fragment).
pub(crate) fn metadata_url(resource: &str) -> Option<Url> {
    let parsed = Url::parse(resource).ok()?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.fragment().is_some() || !parsed.has_host() {
        return None;
    }
    let mut url = parsed.clone();
    url.set_path(&format!("{WELL_KNOWN}{}", parsed.path().trim_end_matches('/')));
    Some(url)
}

impl Guard {
    /// The URL of this API's metadata document (RFC 9728 §3.1), as the challenges name it;
    /// `None` when the audience is not an http(s) URL (an URN has no well-known location).
    pub fn metadata_url(&self) -> Option<String> {
        self.inner.metadata_url.as_ref().map(Url::to_string)
    }

    /// The metadata document (RFC 9728 §2).
    pub fn metadata(&self) -> Value {
        let mut scopes = self.inner.scopes_supported.clone().unwrap_or_else(|| {
            self.inner
                .required_scopes
                .lock()
                .map(|scopes| scopes.iter().cloned().collect())
                .unwrap_or_default()
        });
        scopes.sort();
        scopes.dedup();
        let mut methods = vec!["header"];
        if self.inner.form_body {
            methods.push("body");
        }
        let mut document = json!({
            // §3.3: identical to the identifier the URL was built from.
            "resource": self.inner.audience,
            "authorization_servers": [self.inner.issuer],
            "bearer_methods_supported": methods,
        });
        if !scopes.is_empty() {
            document["scopes_supported"] = json!(scopes);
        }
        if let Some(name) = &self.inner.resource_name {
            document["resource_name"] = json!(name);
        }
        // RFC 9728 §2 (from RFC 9449 §5.1): DPoP-bound tokens are always accepted.
        document["dpop_signing_alg_values_supported"] = json!(oauth2u_jose::dpop::algorithm_names());
        document["dpop_bound_access_tokens_required"] = json!(self.inner.dpop.required);
        document
    }

    /// A router that serves the metadata document at its well-known path (none when there
    /// is no [`Guard::metadata_url`]). Merge it into the API's router outside the layers of
    /// [`Guard::require`]: the document is public.
    pub fn metadata_router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let Some(url) = &self.inner.metadata_url else {
            return Router::new();
        };
        let guard = self.clone();
        Router::new().route(
            url.path(),
            get(move || {
                let guard = guard.clone();
                async move { guard.metadata_response() }
            }),
        )
    }

    fn metadata_response(&self) -> Response {
        let mut response = self.metadata().to_string().into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
        response
    }

    /// The answer to a request that was not admitted, naming the metadata (§5.1), with the
    /// challenges of the schemes this API takes (RFC 9449 §7.1); `dpop_scheme` when the
    /// request used DPoP.
    pub(crate) fn refuse(&self, error: GuardError, dpop_scheme: bool) -> Response {
        let with = Challenges { bearer: !self.inner.dpop.required, dpop: true, dpop_scheme };
        let metadata = self.inner.metadata_url.as_ref().map(Url::as_str);
        let mut response = error.into_challenges(&self.inner.realm, metadata, &with);
        // §9: a current nonce on every refusal, so that the client's retry can carry it.
        if let Some(nonce) = self.dpop_nonce()
            && !response.headers().contains_key("dpop-nonce")
            && let Ok(value) = HeaderValue::from_str(&nonce)
        {
            response.headers_mut().insert("dpop-nonce", value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_suffix_goes_between_the_host_and_the_path() {
        let url = |resource: &str| metadata_url(resource).map(|url| url.to_string());
        assert_eq!(
            url("https://photos.example/api").as_deref(),
            Some("https://photos.example/.well-known/oauth-protected-resource/api")
        );
        assert_eq!(
            url("https://photos.example/api/").as_deref(),
            Some("https://photos.example/.well-known/oauth-protected-resource/api")
        );
        assert_eq!(
            url("https://photos.example").as_deref(),
            Some("https://photos.example/.well-known/oauth-protected-resource")
        );
        assert_eq!(
            url("http://127.0.0.1:3000/v1/mcp").as_deref(),
            Some("http://127.0.0.1:3000/.well-known/oauth-protected-resource/v1/mcp")
        );
        assert_eq!(url("https://photos.example/api#top"), None);
        assert_eq!(url("urn:example:api"), None);
        assert_eq!(url("not a url"), None);
    }
}
