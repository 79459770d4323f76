//! `GET /.well-known/oauth-authorization-server`: RFC 8414, generated from what is
//! switched on, with the same path constants the router mounts, so the document cannot
//! claim a feature that is off or an endpoint that is elsewhere.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::model::GrantType;
use serde_json::{Value, json};

use super::AppState;
use super::error::JsonError;
use super::paths;

pub(crate) async fn get_metadata(State(state): State<AppState>) -> Response {
    let clients = match state.provider.store().clients().await {
        Ok(clients) => clients,
        Err(error) => return JsonError(error.into()).into_response(),
    };
    let scopes: BTreeSet<&str> = clients.iter().flat_map(|client| client.scopes.iter()).collect();
    let headers = [(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"))];
    (headers, Json(document(&state, scopes.into_iter().collect()))).into_response()
}

fn document(state: &AppState, scopes: Vec<&str>) -> Value {
    let config = state.provider.config();
    let issuer = config.issuer.trim_end_matches('/');
    let url = |path: &str| format!("{issuer}{path}");
    let grants: Vec<&str> = GrantType::ALL
        .into_iter()
        .filter(|grant| config.grants.enabled(*grant))
        .map(GrantType::as_str)
        .collect();
    let mut response_types = Vec::new();
    let mut response_modes = Vec::new();
    if config.grants.authorization_code {
        response_types.push("code");
        response_modes.push("query");
    }
    if config.grants.implicit {
        response_types.push("token");
        response_modes.push("fragment");
    }
    let mut pkce = vec!["S256"];
    if config.pkce_plain_allowed {
        pkce.push("plain");
    }
    let client_auth = ["client_secret_basic", "client_secret_post", "none"];
    let mut document = json!({
        "issuer": config.issuer,
        "token_endpoint": url(paths::TOKEN),
        "revocation_endpoint": url(paths::REVOKE),
        "introspection_endpoint": url(paths::INTROSPECT),
        "grant_types_supported": grants,
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
        // RFC 9207: every authorization response carries iss.
        "authorization_response_iss_parameter_supported": true,
    });
    if config.grants.device_code
        && let Some(object) = document.as_object_mut()
    {
        object.insert("device_authorization_endpoint".into(), json!(url(paths::DEVICE_AUTHORIZATION)));
    }
    if state.provider.keys().is_some()
        && let Some(object) = document.as_object_mut()
    {
        object.insert("jwks_uri".into(), json!(url(paths::JWKS)));
    }
    if !response_types.is_empty()
        && let Some(object) = document.as_object_mut()
    {
        object.insert("authorization_endpoint".into(), json!(url(paths::AUTHORIZE)));
        object.insert("response_types_supported".into(), json!(response_types));
        object.insert("response_modes_supported".into(), json!(response_modes));
        object.insert("code_challenge_methods_supported".into(), json!(pkce));
    }
    document
}
