//! RFC 8414 — authorization server metadata, generated from what is switched on and from
//! the paths the server mounts, so the document cannot claim a feature that is off or an
//! endpoint that is elsewhere. The OpenID Provider configuration is built beside it.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::authorization_response::ResponseMode;
use crate::config::{ProtocolConfig, RegistrationMode};
use crate::error::OAuthError;
use crate::model::GrantType;
use crate::provider::Provider;

pub use crate::config::EndpointPaths;

/// The client authentication methods of the token, PAR and revocation endpoints.
/// `client_secret_jwt` is not among them: secrets are stored hashed (`client_auth`).
const CLIENT_AUTH: [&str; 4] = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];

impl Provider {
    /// The RFC 8414 §2 document: what [`metadata_document`] says of this server, with
    /// `scopes_supported` gathered from the registered clients.
    pub async fn metadata(&self) -> Result<Value, OAuthError> {
        let clients = self.store.clients().await?;
        let scopes: BTreeSet<&str> = clients.iter().flat_map(|client| client.scopes.iter()).collect();
        Ok(metadata_document(&self.config, self.keys.is_some(), &self.config.paths, &scopes))
    }
}

/// RFC 8414 §2 for a server with these settings and endpoints; `signs` when it has signing
/// keys (then it publishes a JWKS).
pub fn metadata_document(
    config: &ProtocolConfig,
    signs: bool,
    paths: &EndpointPaths,
    scopes: &BTreeSet<&str>,
) -> Value {
    let issuer = config.issuer.trim_end_matches('/');
    let url = |path: &str| json!(format!("{issuer}{path}"));
    let grants: Vec<&str> = GrantType::ALL
        .into_iter()
        .filter(|grant| config.grants.enabled(*grant))
        .map(GrantType::as_str)
        .collect();
    let mut document = Map::new();
    document.insert("issuer".into(), json!(config.issuer));
    document.insert("token_endpoint".into(), url(paths.token));
    document.insert("revocation_endpoint".into(), url(paths.revocation));
    document.insert("introspection_endpoint".into(), url(paths.introspection));
    document.insert("grant_types_supported".into(), json!(grants));
    // RFC 7523 §2.2 assertions, RFC 9101 request objects and RFC 9449 proofs: signed with
    // an asymmetric algorithm, never `none` or a MAC.
    let asymmetric = oauth2u_jose::dpop::algorithm_names();
    for endpoint in ["token_endpoint", "revocation_endpoint", "introspection_endpoint"] {
        // Introspection is for confidential clients and resource servers only (RFC 7662 §2.1).
        let methods: Vec<&str> = match endpoint {
            "introspection_endpoint" => CLIENT_AUTH.into_iter().filter(|method| *method != "none").collect(),
            _ => CLIENT_AUTH.to_vec(),
        };
        document.insert(format!("{endpoint}_auth_methods_supported"), json!(methods));
        document.insert(format!("{endpoint}_auth_signing_alg_values_supported"), json!(asymmetric));
    }
    // RFC 9126 §5.
    document.insert("pushed_authorization_request_endpoint".into(), url(paths.pushed_authorization_request));
    document.insert("require_pushed_authorization_requests".into(), json!(config.par.required));
    // RFC 9449 §5.1.
    document.insert("dpop_signing_alg_values_supported".into(), json!(asymmetric));
    // RFC 9101 §10.5: signed request objects; a `request_uri` only as a pushed request's
    // URN (Discovery §3: the default of request_uri_parameter_supported is true, so it is said).
    document.insert("request_parameter_supported".into(), json!(true));
    document.insert("request_uri_parameter_supported".into(), json!(false));
    document.insert("request_object_signing_alg_values_supported".into(), json!(asymmetric));
    // OpenID Connect (Discovery §3) needs the code flow and signing keys for ID tokens.
    let openid = signs && config.grants.authorization_code;
    let mut scopes = scopes.clone();
    if openid {
        // Discovery §3: "The server MUST support the openid scope value."
        scopes.insert("openid");
    }
    document.insert("scopes_supported".into(), json!(scopes));
    // RFC 9207: every authorization response carries iss.
    document.insert("authorization_response_iss_parameter_supported".into(), json!(true));
    if config.grants.device_code {
        document.insert("device_authorization_endpoint".into(), url(paths.device_authorization));
    }
    if signs {
        document.insert("jwks_uri".into(), url(paths.jwks));
    }
    // RFC 8414 §2 (from RFC 7591): only when registration is switched on.
    if config.registration.mode != RegistrationMode::Off {
        document.insert("registration_endpoint".into(), url(paths.registration));
    }
    if config.registration.client_id_metadata_documents {
        document.insert("client_id_metadata_document_supported".into(), json!(true));
    }
    let mut response_types = Vec::new();
    let mut response_modes = Vec::new();
    if config.grants.authorization_code {
        response_types.push("code");
        response_modes.push(ResponseMode::Query.as_str());
    }
    if config.grants.implicit {
        response_types.push("token");
    }
    // Multiple Response Types §2.1 and Form Post §2: either response type may ask for these.
    response_modes.extend([ResponseMode::Fragment.as_str(), ResponseMode::FormPost.as_str()]);
    // Without a grant that uses it, there is no authorization endpoint to advertise.
    if !response_types.is_empty() {
        let mut pkce = vec!["S256"];
        if config.pkce_plain_allowed {
            pkce.push("plain");
        }
        document.insert("authorization_endpoint".into(), url(paths.authorization));
        document.insert("response_types_supported".into(), json!(response_types));
        document.insert("response_modes_supported".into(), json!(response_modes));
        document.insert("code_challenge_methods_supported".into(), json!(pkce));
    }
    if openid {
        crate::openid::discovery::add_provider_members(
            &mut document,
            url(paths.userinfo),
            url(paths.end_session),
        );
    }
    Value::Object(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATHS: EndpointPaths = EndpointPaths {
        authorization: "/a",
        token: "/t",
        revocation: "/r",
        introspection: "/i",
        device_authorization: "/d",
        jwks: "/k",
        userinfo: "/u",
        end_session: "/l",
        registration: "/reg",
        pushed_authorization_request: "/p",
    };

    fn document(config: &ProtocolConfig, signs: bool) -> Value {
        metadata_document(config, signs, &PATHS, &BTreeSet::from(["read", "write"]))
    }

    #[test]
    fn the_document_names_each_endpoint_at_its_mounted_path_under_the_issuer() {
        let config = ProtocolConfig::new("https://id.example/");
        let document = document(&config, true);
        assert_eq!(document["issuer"], "https://id.example/");
        for (field, url) in [
            ("authorization_endpoint", "https://id.example/a"),
            ("token_endpoint", "https://id.example/t"),
            ("revocation_endpoint", "https://id.example/r"),
            ("introspection_endpoint", "https://id.example/i"),
            ("device_authorization_endpoint", "https://id.example/d"),
            ("jwks_uri", "https://id.example/k"),
        ] {
            assert_eq!(document[field], url, "{field}");
        }
        assert_eq!(document["scopes_supported"], json!(["openid", "read", "write"]));
        assert_eq!(document["response_types_supported"], json!(["code"]));
        assert_eq!(document["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(
            document["grant_types_supported"],
            json!([
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code"
            ])
        );
    }

    #[test]
    fn a_switched_off_feature_is_not_advertised() {
        let mut config = ProtocolConfig::new("https://id.example");
        config.grants.device_code = false;
        config.grants.authorization_code = false;
        let document = document(&config, false);
        for field in [
            "device_authorization_endpoint",
            "jwks_uri",
            "authorization_endpoint",
            "response_types_supported",
        ] {
            assert!(document.get(field).is_none(), "{field}: {document}");
        }
        let grants = document["grant_types_supported"].as_array().unwrap();
        assert!(
            !grants.contains(&json!("authorization_code"))
                && !grants.contains(&json!("urn:ietf:params:oauth:grant-type:device_code"))
        );
    }

    #[test]
    fn legacy_modes_are_advertised_only_when_configured() {
        let mut config = ProtocolConfig::new("https://id.example");
        config.grants.implicit = true;
        config.pkce_plain_allowed = true;
        let document = document(&config, true);
        assert_eq!(document["response_types_supported"], json!(["code", "token"]));
        assert_eq!(document["response_modes_supported"], json!(["query", "fragment", "form_post"]));
        assert_eq!(document["code_challenge_methods_supported"], json!(["S256", "plain"]));
    }
}
