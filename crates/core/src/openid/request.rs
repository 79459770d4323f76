//! OpenID Connect Core §3.1.2.1 — the Authentication Request: the parameters it adds to
//! RFC 6749 §4.1.1, and the rules they come with. Without `openid` in the scope none of
//! this applies and the request is plain OAuth 2.0.

use crate::error::OAuthError;
use crate::params::Params;

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
        Ok(Self {
            nonce: nonce.map(str::to_owned),
            prompt: Prompt::parse(params.get("prompt")?)?,
            login_hint: params.get("login_hint")?.map(str::to_owned),
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

/// The request's query for the login form to return to: `prompt=login` is answered by
/// that sign-in, so `login` is taken out of `prompt` (and an empty `prompt` dropped), and
/// the request coming back does not ask for a sign-in again.
pub fn answered_by_sign_in(params: &Params) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params.iter() {
        if name != "prompt" {
            query.append_pair(name, value);
            continue;
        }
        let rest: Vec<&str> =
            value.split(' ').filter(|value| !value.is_empty() && *value != "login").collect();
        if !rest.is_empty() {
            query.append_pair(name, &rest.join(" "));
        }
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
        assert_eq!(answered_by_sign_in(&params), "scope=openid&prompt=consent&state=s1");
        let params = Params::parse(b"prompt=login&nonce=a%20b");
        assert_eq!(answered_by_sign_in(&params), "nonce=a+b");
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
