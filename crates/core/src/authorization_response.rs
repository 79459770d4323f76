//! Where an authorization response goes back to the client: in the redirect URI's query
//! (RFC 6749 §4.1.2) or fragment (§4.2.2), or posted by the browser as a form (OAuth 2.0
//! Form Post Response Mode). Which one the request picks is `response_mode` (OAuth 2.0
//! Multiple Response Type Encoding Practices §2.1).

use url::Url;

use crate::error::OAuthError;

/// How the response parameters are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// In the query of the redirect URI: the code flow's default.
    Query,
    /// In the fragment: the implicit flow's default, and the only mode other than
    /// `form_post` for a response that carries a token.
    Fragment,
    /// In an HTML form the browser posts to the redirect URI (Form Post §2).
    FormPost,
}

impl ResponseMode {
    /// Every mode, as `response_modes_supported` lists them.
    pub const ALL: [ResponseMode; 3] = [Self::Query, Self::Fragment, Self::FormPost];

    /// Its `response_mode` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Fragment => "fragment",
            Self::FormPost => "form_post",
        }
    }

    /// The mode `name` asks for. An unknown one is `invalid_request`, and so is `query` for
    /// a token response: tokens never go in a query, which servers and proxies log
    /// (Multiple Response Types §2.1, RFC 9700 §4.3.2).
    pub fn requested(name: &str, carries_token: bool) -> Result<Self, OAuthError> {
        let mode = Self::ALL
            .into_iter()
            .find(|mode| mode.as_str() == name)
            .ok_or_else(|| OAuthError::invalid_request(format!("unsupported response_mode `{name}`")))?;
        if mode == Self::Query && carries_token {
            return Err(OAuthError::invalid_request(
                "a response with a token cannot use response_mode=query",
            ));
        }
        Ok(mode)
    }
}

/// An authorization response (or error response), ready for the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationResponse {
    /// Send the browser to this URL.
    Redirect(String),
    /// Have the browser post `fields` to `action` (the redirect URI).
    FormPost {
        /// The redirect URI, unchanged.
        action: String,
        /// The response parameters.
        fields: Vec<(String, String)>,
    },
}

impl AuthorizationResponse {
    /// The response that sends `fields` to `redirect_uri` in `mode`, keeping any query the
    /// URI already has (§3.1.2).
    pub fn new(redirect_uri: &str, mode: ResponseMode, fields: Vec<(&str, String)>) -> Self {
        let Ok(mut url) = Url::parse(redirect_uri) else {
            // Unreachable: registered URIs are absolute, and matching ones parse too.
            return Self::Redirect(redirect_uri.to_owned());
        };
        match mode {
            ResponseMode::Query => {
                url.query_pairs_mut().extend_pairs(fields);
            }
            ResponseMode::Fragment => {
                let encoded =
                    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
                url.set_fragment(Some(&encoded));
            }
            ResponseMode::FormPost => {
                let fields = fields.into_iter().map(|(name, value)| (name.to_owned(), value)).collect();
                return Self::FormPost { action: redirect_uri.to_owned(), fields };
            }
        }
        Self::Redirect(url.into())
    }

    /// The URL of a redirect; `None` for a form post.
    pub fn location(&self) -> Option<&str> {
        match self {
            Self::Redirect(location) => Some(location),
            Self::FormPost { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_goes_in_a_query_and_unknown_modes_are_refused() {
        assert_eq!(ResponseMode::requested("form_post", true).unwrap(), ResponseMode::FormPost);
        assert_eq!(ResponseMode::requested("fragment", false).unwrap(), ResponseMode::Fragment);
        assert!(ResponseMode::requested("query", true).is_err());
        assert!(ResponseMode::requested("web_message", false).is_err());
    }

    #[test]
    fn a_form_post_keeps_the_redirect_uri_and_its_fields_as_they_are() {
        let response = AuthorizationResponse::new(
            "https://rp.example/cb?tenant=1",
            ResponseMode::FormPost,
            vec![("code", "a&b".into())],
        );
        assert_eq!(
            response,
            AuthorizationResponse::FormPost {
                action: "https://rp.example/cb?tenant=1".into(),
                fields: vec![("code".into(), "a&b".into())],
            }
        );
        let query = AuthorizationResponse::new(
            "https://rp.example/cb?tenant=1",
            ResponseMode::Query,
            vec![("code", "a&b".into())],
        );
        assert_eq!(query.location(), Some("https://rp.example/cb?tenant=1&code=a%26b"));
    }
}
