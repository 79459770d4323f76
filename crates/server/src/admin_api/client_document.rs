//! A client as the admin API takes it: the members `GET /admin/clients/{id}` shows (the
//! names of RFC 7591 §2 where there is one), read into the `ClientSpec` that `clients add`
//! builds, so that a client made here is held to every rule of the command line's.

use std::time::Duration;

use oauth2u_core::admin::ClientSpec;
use oauth2u_core::config::TokenFormat;
use oauth2u_core::keys::SigningAlgorithm;
use oauth2u_core::model::{ClientKeys, GrantType};
use serde::Deserialize;
use serde_json::Value;

use super::problem::Problem;

/// `POST /admin/clients`, and the members a `PATCH` may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClientDocument {
    client_id: Option<String>,
    name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    /// `client_secret_basic` (the default), `client_secret_post`, `private_key_jwt` or `none`.
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    scopes: Option<String>,
    default_scopes: Option<String>,
    allowed_origins: Option<Vec<String>>,
    resource_server: Option<String>,
    resources: Option<Vec<String>>,
    default_resource: Option<String>,
    access_token_format: Option<String>,
    /// Seconds.
    access_token_lifetime: Option<u64>,
    /// Seconds.
    refresh_token_lifetime: Option<u64>,
    id_token_alg: Option<String>,
    subject_type: Option<String>,
    sector_identifier: Option<String>,
    post_logout_redirect_uris: Option<Vec<String>>,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: Option<bool>,
    jwks: Option<Value>,
    jwks_uri: Option<String>,
    dpop_bound_access_tokens: Option<bool>,
    require_pushed_authorization_requests: Option<bool>,
}

impl ClientDocument {
    /// The spec; `client_id` only where the caller may choose it (creation).
    pub(super) fn into_spec(self, may_name: bool) -> Result<ClientSpec, Problem> {
        if self.client_id.is_some() && !may_name {
            return Err(Problem::bad_request("client_id cannot change"));
        }
        let method = self.token_endpoint_auth_method.as_deref();
        let public = match method {
            None => None,
            Some("none") => Some(true),
            Some("client_secret_basic" | "client_secret_post" | "private_key_jwt") => Some(false),
            Some(other) => {
                return Err(Problem::bad_request(format!(
                    "token_endpoint_auth_method {other} is not offered"
                )));
            }
        };
        let grant_types = self
            .grant_types
            .map(|names| {
                names
                    .iter()
                    .map(|name| {
                        GrantType::parse(name)
                            .ok_or_else(|| Problem::bad_request(format!("unknown grant type {name}")))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let access_token_format = self
            .access_token_format
            .map(|name| {
                TokenFormat::parse(&name)
                    .ok_or_else(|| Problem::bad_request(format!("unknown access_token_format {name}")))
            })
            .transpose()?;
        let id_token_alg = self
            .id_token_alg
            .map(|name| {
                SigningAlgorithm::parse(&name)
                    .ok_or_else(|| Problem::bad_request(format!("unknown id_token_alg {name}")))
            })
            .transpose()?;
        let pairwise = match self.subject_type.as_deref() {
            None => None,
            Some("public") => Some(false),
            Some("pairwise") => Some(true),
            Some(other) => return Err(Problem::bad_request(format!("unknown subject_type {other}"))),
        };
        let keys = match (self.jwks, self.jwks_uri) {
            (Some(_), Some(_)) => return Err(Problem::bad_request("jwks and jwks_uri cannot both be given")),
            (Some(jwks), None) => Some(ClientKeys::Jwks(jwks)),
            (None, Some(uri)) => Some(ClientKeys::JwksUri(uri)),
            (None, None) => None,
        };
        Ok(ClientSpec {
            id: self.client_id,
            name: self.name,
            redirect_uris: self.redirect_uris,
            public,
            grant_types,
            scopes: self.scopes,
            default_scopes: self.default_scopes,
            allowed_origins: self.allowed_origins,
            resource_server: self.resource_server,
            resources: self.resources,
            default_resource: self.default_resource,
            access_token_format,
            access_token_lifetime: self.access_token_lifetime.map(Duration::from_secs),
            refresh_token_lifetime: self.refresh_token_lifetime.map(Duration::from_secs),
            id_token_alg,
            pairwise,
            sector_identifier: self.sector_identifier,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            backchannel_logout_uri: self.backchannel_logout_uri,
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            private_key_jwt: method.map(|method| method == "private_key_jwt"),
            keys,
            dpop_bound_access_tokens: self.dpop_bound_access_tokens,
            require_pushed_authorization_requests: self.require_pushed_authorization_requests,
        })
    }
}

/// RFC 7396 for a client: a member set to `null` can be removed only where the client can do
/// without it (the lists); the members present are set.
pub(super) fn merge_patch(patch: Value) -> Result<ClientDocument, Problem> {
    let Value::Object(mut members) = patch else {
        return Err(Problem::bad_request("a merge patch is a JSON object"));
    };
    for (name, value) in members.iter_mut() {
        if value.is_null() {
            const LISTS: &[&str] =
                &["redirect_uris", "allowed_origins", "resources", "post_logout_redirect_uris"];
            if !LISTS.contains(&name.as_str()) {
                return Err(Problem::bad_request(format!("{name} cannot be removed; give it a value")));
            }
            *value = Value::Array(Vec::new());
        }
    }
    serde_json::from_value(Value::Object(members)).map_err(|error| Problem::bad_request(error.to_string()))
}
