//! RFC 7591 §2: the client metadata a registration sends, read into the same `ClientSpec`
//! that `oauth2u clients add` builds, so that a client that registers itself is held to
//! every rule an administrator's client is. Members we do not support are left out, never
//! stored or echoed (§3.2.1); a member we support with a wrong type, or a value we do not
//! allow, is `invalid_client_metadata`, and a bad redirect URI `invalid_redirect_uri`
//! (§3.2.2).

use serde_json::{Map, Value};
use url::Url;

use crate::admin::ClientSpec;
use crate::client_keys::check_jwks;
use crate::config::Registration;
use crate::error::OAuthError;
use crate::model::{ClientKeys, GrantType};
use crate::redirect_uri::RedirectUri;
use crate::scope::ScopeSet;
use crate::signing_key::SigningAlgorithm;

/// The members of §2 (and OpenID Connect Registration §2) that we take.
pub const SUPPORTED: &[&str] = &[
    "redirect_uris",
    "token_endpoint_auth_method",
    "grant_types",
    "response_types",
    "client_name",
    "scope",
    "jwks",
    "jwks_uri",
    "post_logout_redirect_uris",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "id_token_signed_response_alg",
    "subject_type",
    "sector_identifier_uri",
    "dpop_bound_access_tokens",
    "require_pushed_authorization_requests",
];

/// The client authentication methods a registration may name (§2). `client_secret_jwt`
/// needs the secret in the clear, and we keep only its hash.
pub const AUTH_METHODS: &[&str] = &["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];

/// The request's members that we support; the rest dropped. Not a JSON object:
/// `invalid_client_metadata`.
pub fn supported_members(body: &[u8]) -> Result<Map<String, Value>, OAuthError> {
    let Ok(Value::Object(members)) = serde_json::from_slice::<Value>(body) else {
        return Err(OAuthError::invalid_client_metadata("the body must be a JSON object (RFC 7591 §3.1)"));
    };
    Ok(members.into_iter().filter(|(name, _)| SUPPORTED.contains(&name.as_str())).collect())
}

/// What a registration comes to: the client to store, and its metadata as registered
/// (defaults applied), which every answer about it shows.
#[derive(Debug)]
pub struct Registered {
    /// The client, as `clients add` would make it.
    pub spec: ClientSpec,
    /// The metadata, defaults applied.
    pub metadata: Map<String, Value>,
    /// The `sector_identifier_uri`, still to be fetched and checked.
    pub sector_uri: Option<Url>,
}

/// Reads `metadata` under `policy`.
pub fn read(metadata: &Map<String, Value>, policy: &Registration) -> Result<Registered, OAuthError> {
    let invalid = |why: String| OAuthError::invalid_client_metadata(why);
    let method = string(metadata, "token_endpoint_auth_method")?.unwrap_or("client_secret_basic");
    if !AUTH_METHODS.contains(&method) {
        return Err(invalid(format!(
            "token_endpoint_auth_method {method} is not supported; use one of {}",
            AUTH_METHODS.join(", ")
        )));
    }
    let public = method == "none";

    // §2: grant_types defaults to authorization_code, response_types to code; §2.1: the two
    // must agree.
    let grant_names = strings(metadata, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    let mut grants = Vec::new();
    for name in &grant_names {
        let grant =
            GrantType::parse(name).ok_or_else(|| invalid(format!("grant type {name} is not supported")))?;
        if !policy.grant_types.iter().any(|allowed| allowed == name) {
            return Err(invalid(format!("this server does not let registered clients use the {name} grant")));
        }
        grants.push(grant);
    }
    let response_types = strings(metadata, "response_types")?.unwrap_or_else(|| {
        if grants.contains(&GrantType::AuthorizationCode) { vec!["code".into()] } else { Vec::new() }
    });
    for response_type in &response_types {
        let needs = match response_type.as_str() {
            "code" => GrantType::AuthorizationCode,
            "token" => GrantType::Implicit,
            other => return Err(invalid(format!("response type {other} is not supported"))),
        };
        if !grants.contains(&needs) {
            return Err(invalid(format!(
                "response type {response_type} needs the {needs} grant (RFC 7591 §2.1)"
            )));
        }
    }
    if grants.contains(&GrantType::AuthorizationCode) && !response_types.iter().any(|kind| kind == "code") {
        return Err(invalid(
            "the authorization_code grant needs the code response type (RFC 7591 §2.1)".into(),
        ));
    }

    let redirect_uris = strings(metadata, "redirect_uris")?.unwrap_or_default();
    for uri in &redirect_uris {
        RedirectUri::parse(uri)
            .map_err(|error| OAuthError::invalid_redirect_uri(format!("{uri}: {error}")))?;
    }
    let post_logout = strings(metadata, "post_logout_redirect_uris")?;
    for uri in post_logout.iter().flatten() {
        RedirectUri::parse(uri)
            .map_err(|error| OAuthError::invalid_redirect_uri(format!("{uri}: {error}")))?;
    }

    let allowed = ScopeSet::parse(&policy.scopes).unwrap_or_default();
    let scope = match string(metadata, "scope")? {
        Some(text) => {
            let asked = ScopeSet::parse(text).map_err(|_| invalid(format!("malformed scope `{text}`")))?;
            if !asked.is_subset(&allowed) {
                return Err(invalid(format!("registered clients may ask only for the scopes {allowed}")));
            }
            asked
        }
        None => allowed,
    };

    // §2: jwks and jwks_uri "MUST NOT both be present".
    let jwks = metadata.get("jwks");
    let jwks_uri = string(metadata, "jwks_uri")?;
    if jwks.is_some() && jwks_uri.is_some() {
        return Err(invalid("jwks and jwks_uri must not both be present (RFC 7591 §2)".into()));
    }
    if let Some(jwks) = jwks {
        check_jwks(jwks).map_err(|why| invalid(format!("{why} (RFC 7517 §5)")))?;
    }
    if let Some(uri) = jwks_uri {
        Url::parse(uri)
            .ok()
            .filter(crate::client_keys::is_key_set_url)
            .ok_or_else(|| invalid(format!("jwks_uri {uri} must be an https URL")))?;
    }
    let keys = match (jwks, jwks_uri) {
        (Some(jwks), _) => Some(ClientKeys::Jwks(jwks.clone())),
        (None, Some(uri)) => Some(ClientKeys::JwksUri(uri.to_owned())),
        (None, None) => None,
    };
    // RFC 7523 §2.2: the keys are how the client authenticates.
    let private_key_jwt = method == "private_key_jwt";
    if private_key_jwt && keys.is_none() {
        return Err(invalid("private_key_jwt needs jwks or jwks_uri".into()));
    }
    let flag = |name: &str| match metadata.get(name) {
        None => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(invalid(format!("{name} must be a boolean"))),
    };
    // RFC 9449 §5.2 and RFC 9126 §6.
    let dpop_bound = flag("dpop_bound_access_tokens")?;
    let require_par = flag("require_pushed_authorization_requests")?;

    let backchannel = string(metadata, "backchannel_logout_uri")?;
    let session_required = match metadata.get("backchannel_logout_session_required") {
        None => None,
        Some(Value::Bool(flag)) => Some(*flag),
        Some(_) => return Err(invalid("backchannel_logout_session_required must be a boolean".into())),
    };
    let alg = match string(metadata, "id_token_signed_response_alg")? {
        None => None,
        Some(name) => Some(
            SigningAlgorithm::parse(name)
                .ok_or_else(|| invalid(format!("id_token_signed_response_alg {name} is not supported")))?,
        ),
    };
    let pairwise = match string(metadata, "subject_type")? {
        None | Some("public") => false,
        Some("pairwise") => true,
        Some(other) => return Err(invalid(format!("subject_type {other} is not supported"))),
    };
    // OpenID Connect Registration §5: an https URL whose host is the pairwise sector; that
    // it lists every redirect URI is checked by fetching it (`Provider::register`).
    // Whether it may be fetched (https, a public address) is the fetcher's to say.
    let sector_uri = match string(metadata, "sector_identifier_uri")? {
        None => None,
        Some(uri) => Some(
            Url::parse(uri)
                .ok()
                .filter(|url| matches!(url.scheme(), "https" | "http") && url.fragment().is_none())
                .ok_or_else(|| invalid(format!("sector_identifier_uri {uri} must be an https URL")))?,
        ),
    };
    let name = string(metadata, "client_name")?.map(str::trim).filter(|name| !name.is_empty());

    let spec = ClientSpec {
        // Shown as the client's name; the host of its redirect URI says more than nothing.
        name: Some(name.map_or_else(|| unnamed(&redirect_uris), str::to_owned)),
        redirect_uris: Some(redirect_uris.clone()),
        public: Some(public),
        grant_types: Some(grants.clone()),
        scopes: Some(scope.to_string()),
        resources: Some(policy.resources.clone()),
        id_token_alg: alg,
        pairwise: Some(pairwise),
        sector_identifier: sector_uri.as_ref().and_then(|uri| uri.host_str().map(str::to_owned)),
        post_logout_redirect_uris: post_logout.clone(),
        backchannel_logout_uri: backchannel.map(str::to_owned),
        backchannel_logout_session_required: session_required,
        private_key_jwt: Some(private_key_jwt),
        keys,
        dpop_bound_access_tokens: Some(dpop_bound),
        require_pushed_authorization_requests: Some(require_par),
        ..ClientSpec::default()
    };

    let mut registered = Map::new();
    registered.insert("client_name".into(), spec.name.clone().into());
    registered.insert("redirect_uris".into(), redirect_uris.into());
    registered.insert("token_endpoint_auth_method".into(), method.into());
    registered
        .insert("grant_types".into(), grants.iter().map(|grant| grant.as_str()).collect::<Vec<_>>().into());
    registered.insert("response_types".into(), response_types.into());
    registered.insert("scope".into(), scope.to_string().into());
    for name in ["jwks", "jwks_uri", "backchannel_logout_uri", "backchannel_logout_session_required"] {
        if let Some(value) = metadata.get(name) {
            registered.insert(name.into(), value.clone());
        }
    }
    if let Some(uris) = post_logout {
        registered.insert("post_logout_redirect_uris".into(), uris.into());
    }
    if let Some(alg) = alg {
        registered.insert("id_token_signed_response_alg".into(), alg.as_str().into());
    }
    registered.insert("subject_type".into(), if pairwise { "pairwise" } else { "public" }.into());
    registered.insert("dpop_bound_access_tokens".into(), dpop_bound.into());
    registered.insert("require_pushed_authorization_requests".into(), require_par.into());
    if let Some(uri) = &sector_uri {
        registered.insert("sector_identifier_uri".into(), uri.as_str().into());
    }
    Ok(Registered { spec, metadata: registered, sector_uri })
}

/// A name for a client that gave none: the host its redirects go to.
fn unnamed(redirect_uris: &[String]) -> String {
    redirect_uris
        .first()
        .and_then(|uri| Url::parse(uri).ok())
        .and_then(|uri| uri.host_str().map(str::to_owned))
        .unwrap_or_else(|| "unnamed client".into())
}

/// A string member, if present.
fn string<'a>(metadata: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, OAuthError> {
    match metadata.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(OAuthError::invalid_client_metadata(format!("{name} must be a string"))),
    }
}

/// An array-of-strings member, if present.
fn strings(metadata: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, OAuthError> {
    let wrong = || OAuthError::invalid_client_metadata(format!("{name} must be an array of strings"));
    match metadata.get(name) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong))
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(wrong()),
    }
}

/// OpenID Connect Registration §5: the sector identifier's document, a JSON array of
/// redirect URIs, must list every one the client registers.
pub fn check_sector_document(document: &Value, redirect_uris: &[String]) -> Result<(), OAuthError> {
    let Some(listed) = document.as_array() else {
        return Err(OAuthError::invalid_client_metadata(
            "the sector_identifier_uri document must be a JSON array",
        ));
    };
    match redirect_uris.iter().find(|uri| !listed.iter().any(|item| item.as_str() == Some(uri.as_str()))) {
        Some(missing) => Err(OAuthError::invalid_client_metadata(format!(
            "the sector_identifier_uri document does not list the redirect URI {missing}"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_json(value: Value) -> Result<Registered, OAuthError> {
        let Value::Object(members) = value else { unreachable!() };
        read(&members, &Registration::default())
    }

    #[test]
    fn the_defaults_of_section_2_apply() {
        let registered = read_json(json!({ "redirect_uris": ["https://app.example/cb"] })).unwrap();
        assert_eq!(registered.metadata["grant_types"], json!(["authorization_code"]));
        assert_eq!(registered.metadata["response_types"], json!(["code"]));
        assert_eq!(registered.metadata["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(registered.metadata["client_name"], "app.example");
        assert_eq!(registered.spec.public, Some(false));
    }

    #[test]
    fn each_wrong_member_is_refused_with_the_code_of_section_3_2_2() {
        let code = |value: Value| read_json(value).unwrap_err().code.as_str();
        assert_eq!(code(json!({ "redirect_uris": ["https://app.example/cb#frag"] })), "invalid_redirect_uri");
        assert_eq!(code(json!({ "redirect_uris": "https://app.example/cb" })), "invalid_client_metadata");
        let cb = json!(["https://app.example/cb"]);
        assert_eq!(
            code(json!({ "redirect_uris": cb, "token_endpoint_auth_method": "client_secret_jwt" })),
            "invalid_client_metadata"
        );
        assert_eq!(
            code(json!({ "redirect_uris": cb, "grant_types": ["client_credentials"] })),
            "invalid_client_metadata"
        );
        assert_eq!(
            code(json!({ "redirect_uris": cb, "response_types": ["token"] })),
            "invalid_client_metadata"
        );
        assert_eq!(code(json!({ "redirect_uris": cb, "scope": "admin" })), "invalid_client_metadata");
        assert_eq!(
            code(
                json!({ "redirect_uris": cb, "jwks": { "keys": [] }, "jwks_uri": "https://app.example/jwks" })
            ),
            "invalid_client_metadata"
        );
        assert_eq!(code(json!({ "redirect_uris": cb, "subject_type": "secret" })), "invalid_client_metadata");
        assert_eq!(
            code(json!({ "redirect_uris": cb, "id_token_signed_response_alg": "none" })),
            "invalid_client_metadata"
        );
    }

    #[test]
    fn unsupported_members_are_dropped_before_anything_else() {
        let members = supported_members(
            br#"{"client_name":"A","logo_uri":"https://x/l.png","software_statement":"e.y.z"}"#,
        )
        .unwrap();
        assert_eq!(members.keys().collect::<Vec<_>>(), ["client_name"]);
        assert_eq!(supported_members(b"[1]").unwrap_err().code.as_str(), "invalid_client_metadata");
        assert_eq!(supported_members(b"not json").unwrap_err().code.as_str(), "invalid_client_metadata");
    }
}
