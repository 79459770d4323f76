//! Client ID Metadata Documents (`draft-ietf-oauth-client-id-metadata-document`, as the MCP
//! authorization specification uses it): a `client_id` that is an https URL with a path is
//! the address of the client's metadata, which the server fetches instead of looking the
//! client up. Switched on by `[registration] client_id_metadata_documents`.
//!
//! - The URL has no userinfo, no `.` or `..` segment and no fragment, and it is compared as
//!   a plain string: one that a URL parser would rewrite is not a client id.
//! - The document is fetched under the SSRF rules of the server's fetcher (no redirect, a
//!   200 only, 5 KB, public addresses), reused within its `Cache-Control`, and never when it
//!   was an error.
//! - Its `client_id` must be the URL; it must not carry a secret or name a shared-secret
//!   method. It is a public client, or one that authenticates with `private_key_jwt` and the
//!   keys the document gives (`jwks` or `jwks_uri`), held to the rules of dynamic
//!   registration (`[registration]` scopes, grants, resources).
//! - Its name is self-asserted: the consent page shows the host and says the name is
//!   unverified, and a remembered consent does not outlive a change of the document.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::admin;
use crate::model::Client;
use crate::provider::Provider;
use crate::registration;

/// The URL of a metadata document, if `client_id` is one: http(s), a host, a path other than
/// `/`, no userinfo, query, fragment or dot segment, and unchanged by parsing. (Whether plain
/// http may be fetched, on loopback in tests, is the fetcher's to say.)
pub fn document_url(client_id: &str) -> Option<Url> {
    if !client_id.starts_with("https://") && !client_id.starts_with("http://") {
        return None;
    }
    let url = Url::parse(client_id).ok()?;
    let plain = url.as_str() == client_id;
    let has_path = url.path() != "/" && !url.path().is_empty();
    let dot_segment = client_id.split(['/', '?']).skip(3).any(|segment| segment == "." || segment == "..");
    let well_formed = plain
        && has_path
        && !dot_segment
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
        && url.query().is_none();
    well_formed.then_some(url)
}

impl Provider {
    /// The client that the metadata document at `url` describes; `None` (logged) when it
    /// cannot be had or breaks a rule, which every endpoint answers as an unknown client.
    pub(crate) async fn document_client(&self, url: &Url) -> Option<Client> {
        match self.read_document(url).await {
            Ok(client) => Some(client),
            Err(why) => {
                tracing::info!(client_id = %url, %why, "client metadata document refused");
                None
            }
        }
    }

    async fn read_document(&self, url: &Url) -> Result<Client, String> {
        let fetcher = self.fetcher.as_ref().ok_or("this server fetches no documents")?;
        let fetched = fetcher.get_json(url).await.map_err(|error| error.to_string())?;
        let Value::Object(document) = &fetched.body else {
            return Err("the document is not a JSON object".into());
        };
        check_document(document, url)?;
        let members: Map<String, Value> = document
            .iter()
            .filter(|(name, _)| registration::SUPPORTED.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let registered =
            registration::read(&members, &self.config.registration).map_err(|error| error.to_string())?;
        if registered.sector_uri.is_some() {
            return Err("sector_identifier_uri is not taken from a metadata document".into());
        }
        let hash = hex(&Sha256::digest(fetched.body.to_string().as_bytes()));
        admin::unstored_client(url.as_str(), registered.spec, hash, self.now())
            .map_err(|error| error.to_string())
    }
}

/// The draft's rules on the document itself.
fn check_document(document: &Map<String, Value>, url: &Url) -> Result<(), String> {
    if document.get("client_id").and_then(Value::as_str) != Some(url.as_str()) {
        return Err("the document's client_id is not its own URL".into());
    }
    if document.contains_key("client_secret") || document.contains_key("client_secret_expires_at") {
        return Err("a metadata document must not carry a client secret".into());
    }
    match document.get("token_endpoint_auth_method").and_then(Value::as_str) {
        // `private_key_jwt` needs `jwks` or `jwks_uri`, which `registration::read` checks.
        None | Some("none" | "private_key_jwt") => Ok(()),
        Some(method) => Err(format!("{method} needs a shared secret, which a metadata document cannot have")),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_https_url_with_a_path_is_a_metadata_document() {
        for good in ["https://app.example/client.json", "https://app.example/a/b", "http://127.0.0.1:8080/c"]
        {
            assert!(document_url(good).is_some(), "{good}");
        }
        for bad in [
            "app",
            "https://app.example",
            "https://app.example/",
            "https://user@app.example/c",
            "https://app.example/c#f",
            "https://app.example/c?q=1",
            "https://app.example/a/../c",
            "https://app.example/./c",
            "https://APP.example/c", // the parser lower-cases the host: not plain
            "https://app.example:443/c",
            "ftp://app.example/c",
        ] {
            assert!(document_url(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_document_names_itself_and_holds_no_secret() {
        let url = Url::parse("https://app.example/c").unwrap();
        let check = |value: Value| check_document(value.as_object().unwrap(), &url);
        assert!(check(serde_json::json!({ "client_id": "https://app.example/c" })).is_ok());
        assert!(check(serde_json::json!({ "client_id": "https://other.example/c" })).is_err());
        assert!(
            check(serde_json::json!({ "client_id": "https://app.example/c", "client_secret": "s" })).is_err()
        );
        let basic = serde_json::json!({ "client_id": "https://app.example/c", "token_endpoint_auth_method": "client_secret_basic" });
        assert!(check(basic).is_err());
        let jwt = serde_json::json!({ "client_id": "https://app.example/c", "token_endpoint_auth_method": "private_key_jwt" });
        assert!(check(jwt).is_ok(), "its keys are checked with the rest of its metadata");
    }
}
