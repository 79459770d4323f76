//! OpenID Connect Core §3.1.2.1 — the Authentication Request: the parameters it adds to
//! RFC 6749 §4.1.1, and the rules they come with. Without `openid` in the scope none of
//! this applies and the request is plain OAuth 2.0.

use crate::claims_request::ClaimsRequest;
use crate::error::OAuthError;
use crate::params::Params;
use crate::scope::ScopeSet;

/// The longest `nonce` accepted. §3.1.2.1 sets no limit; the value is stored with the
/// code and echoed in the ID token, so an unbounded one is refused.
pub const MAX_NONCE_LENGTH: usize = 512;

/// Whether a raw `scope` value asks for OpenID Connect (§3.1.2.1: "MUST contain the
/// `openid` scope value").
pub fn is_openid_scope(scope: Option<&str>) -> bool {
    scope.is_some_and(|scope| scope.split(' ').any(|value| value == "openid"))
}

/// `prompt` (§3.1.2.1): which pages the server must, or must not, show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// `none`: show no page; answer with an error when one would be needed.
    pub none: bool,
    /// `login`: ask the user to sign in again, even with a session.
    pub login: bool,
    /// `consent`: ask for consent again, even when it is remembered.
    pub consent: bool,
    /// `select_account`: let the user choose which account to continue with.
    pub select_account: bool,
}

impl Prompt {
    /// Parses the space-delimited values. "If this parameter contains `none` with any
    /// other value, an error is returned"; values this server does not know are ignored.
    pub fn parse(value: Option<&str>) -> Result<Self, OAuthError> {
        let mut prompt = Self::default();
        let mut others = false;
        for value in value.unwrap_or_default().split(' ').filter(|value| !value.is_empty()) {
            match value {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => prompt.select_account = true,
                _ => {}
            }
            others |= value != "none";
        }
        if prompt.none && others {
            return Err(OAuthError::invalid_request("prompt=none cannot be combined with other values"));
        }
        Ok(prompt)
    }
}

/// What an OpenID request adds to the OAuth 2.0 authorization request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenIdRequest {
    /// `nonce`, exactly as sent.
    pub nonce: Option<String>,
    /// `prompt`.
    pub prompt: Prompt,
    /// `login_hint`: the username to fill in on the login page.
    pub login_hint: Option<String>,
    /// `max_age`: the longest time, in seconds, since the user last signed in.
    pub max_age: Option<i64>,
    /// `id_token_hint`, as sent; its subject is [`OpenIdRequest::expected_subject`].
    pub id_token_hint: Option<String>,
    /// `claims` (§5.5), once the provider has dropped what it cannot release.
    pub claims: Option<ClaimsRequest>,
    /// The scope values whose claims `claims` asks for one by one: the user consents to
    /// them as to the scope.
    pub claims_scope: ScopeSet,
    /// The `sub` the client expects, as the client knows it (its pairwise `sub`, for a
    /// pairwise client): from a valid `id_token_hint`, or a `sub` claim asked for with a
    /// value (§3.1.2.2, §5.5.1). Only that user may answer the request.
    pub expected_subject: Option<String>,
}

impl OpenIdRequest {
    /// The OpenID parameters of a request whose scope contains `openid`.
    pub fn from_params(params: &Params) -> Result<Self, OAuthError> {
        let nonce = params.get("nonce")?;
        if nonce.is_some_and(|nonce| nonce.len() > MAX_NONCE_LENGTH) {
            return Err(OAuthError::invalid_request(format!(
                "nonce is longer than {MAX_NONCE_LENGTH} characters"
            )));
        }
        // §3.1.2.1: max_age is a number of seconds; anything else is refused, not ignored.
        let max_age = match params.get("max_age")? {
            None => None,
            Some(text) => Some(
                text.parse::<u32>()
                    .map_err(|_| OAuthError::invalid_request("max_age must be a whole number of seconds"))?
                    .into(),
            ),
        };
        Ok(Self {
            nonce: nonce.map(str::to_owned),
            prompt: Prompt::parse(params.get("prompt")?)?,
            login_hint: params.get("login_hint")?.map(str::to_owned),
            max_age,
            id_token_hint: params.get("id_token_hint")?.map(str::to_owned),
            claims: params.get("claims")?.map(ClaimsRequest::parse).transpose()?,
            claims_scope: ScopeSet::empty(),
            expected_subject: None,
        })
    }
}

/// §3.1.2.6 and §6: request objects are not supported yet, and a request that carries one
/// is refused rather than served from its unsigned outer parameters.
pub fn refuse_request_objects(params: &Params) -> Result<(), OAuthError> {
    if params.get("request")?.is_some() {
        return Err(OAuthError::request_not_supported("request objects (`request`) are not supported"));
    }
    if params.get("request_uri")?.is_some() {
        return Err(OAuthError::request_uri_not_supported("`request_uri` is not supported"));
    }
    Ok(())
}

/// The request's query for the login (or account choice) page to return to. A sign-in
/// answers `prompt=login`, `prompt=select_account` and `max_age`, so they are taken out
/// (an emptied `prompt` is dropped), and the request coming back does not ask again: were
/// `max_age=0` kept, a sign-in one second old would already be too old.
pub fn answered_by_sign_in(params: &Params) -> String {
    with_prompt(params, None)
}

/// The request again, asking to sign in as someone else: `select_account` (or any
/// `login`) becomes `prompt=login`, whatever else `prompt` asked stays.
pub fn switching_account(params: &Params) -> String {
    with_prompt(params, Some("login"))
}

fn with_prompt(params: &Params, added: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut prompt: Vec<&str> = added.into_iter().collect();
    for (name, value) in params.iter() {
        match name {
            "max_age" => {}
            "prompt" => prompt.extend(
                value
                    .split(' ')
                    .filter(|value| !value.is_empty() && *value != "login" && *value != "select_account"),
            ),
            _ => {
                query.append_pair(name, value);
            }
        }
    }
    if !prompt.is_empty() {
        query.append_pair("prompt", &prompt.join(" "));
    }
    query.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_stands_alone_and_unknown_values_are_ignored() {
        assert_eq!(Prompt::parse(None), Ok(Prompt::default()));
        assert_eq!(Prompt::parse(Some("none")), Ok(Prompt { none: true, ..Prompt::default() }));
        let both = Prompt::parse(Some("login consent")).unwrap_or_default();
        assert!(both.login && both.consent && !both.none);
        assert_eq!(Prompt::parse(Some("frobnicate")), Ok(Prompt::default()));
        for combined in ["none login", "login none", "none consent", "none frobnicate"] {
            assert!(Prompt::parse(Some(combined)).is_err(), "{combined}");
        }
    }

    #[test]
    fn the_request_after_sign_in_keeps_every_parameter_but_prompt_login() {
        let params = Params::parse(b"scope=openid&prompt=login+consent&state=s1");
        assert_eq!(answered_by_sign_in(&params), "scope=openid&state=s1&prompt=consent");
        let params = Params::parse(b"prompt=login&nonce=a%20b");
        assert_eq!(answered_by_sign_in(&params), "nonce=a+b");
        let params = Params::parse(b"prompt=select_account&max_age=0&scope=openid");
        assert_eq!(answered_by_sign_in(&params), "scope=openid");
        let params = Params::parse(b"prompt=select_account+consent&scope=openid");
        assert_eq!(switching_account(&params), "scope=openid&prompt=login+consent");
    }

    #[test]
    fn max_age_is_a_whole_number_of_seconds() {
        let parsed = |query: &str| OpenIdRequest::from_params(&Params::parse(query.as_bytes()));
        assert_eq!(parsed("max_age=0").map(|request| request.max_age), Ok(Some(0)));
        assert_eq!(parsed("max_age=3600").map(|request| request.max_age), Ok(Some(3600)));
        for bad in ["max_age=-1", "max_age=1.5", "max_age=soon", "max_age=99999999999"] {
            assert!(parsed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn openid_is_one_of_the_scope_values_not_a_substring() {
        assert!(is_openid_scope(Some("openid")));
        assert!(is_openid_scope(Some("profile openid email")));
        assert!(!is_openid_scope(Some("openid_connect")));
        assert!(!is_openid_scope(Some("profile")));
        assert!(!is_openid_scope(None));
    }
}
