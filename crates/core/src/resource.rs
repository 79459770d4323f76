//! RFC 8707 — Resource Indicators: which APIs (audiences) a token is for.

use url::Url;

use crate::error::OAuthError;
use crate::model::Client;
use crate::params::Params;

/// The `resource` parameters of a request, each checked against what the client may ask
/// for. §2: "an absolute URI … MUST NOT include a fragment component"; anything else, or
/// a resource the client is not registered for, is `invalid_target`.
pub fn requested_resources(client: &Client, params: &Params) -> Result<Vec<String>, OAuthError> {
    let mut resources = Vec::new();
    for value in params.all("resource") {
        check_uri(value)?;
        if !client.resources.iter().any(|allowed| allowed == value) {
            return Err(OAuthError::invalid_target(format!(
                "this client may not ask for the resource {value}"
            )));
        }
        if !resources.iter().any(|seen| seen == value) {
            resources.push(value.to_owned());
        }
    }
    Ok(resources)
}

/// §2.2: at the token endpoint, the resources must stay within what the grant covers;
/// none named means all of them.
pub fn narrowed_resources(params: &Params, granted: &[String]) -> Result<Vec<String>, OAuthError> {
    let mut resources = Vec::new();
    for value in params.all("resource") {
        check_uri(value)?;
        if !granted.iter().any(|allowed| allowed == value) {
            return Err(OAuthError::invalid_target(format!("the resource {value} was not authorized")));
        }
        if !resources.iter().any(|seen| seen == value) {
            resources.push(value.to_owned());
        }
    }
    Ok(if resources.is_empty() { granted.to_vec() } else { resources })
}

/// An absolute URI without a fragment, as a resource must be.
pub fn check_uri(value: &str) -> Result<(), OAuthError> {
    match Url::parse(value) {
        Ok(url) if url.fragment().is_none() && !value.contains('#') => Ok(()),
        _ => Err(OAuthError::invalid_target(format!(
            "resource {value} must be an absolute URI without a fragment"
        ))),
    }
}
