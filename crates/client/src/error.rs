//! What can go wrong talking to an authorization server: the network, the server's OAuth
//! error answer (RFC 6749 §5.2), or an answer that is not what the RFC says it must be.

use oauth2::{ErrorResponse, RequestTokenError};

/// A client failure.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached, or the connection failed.
    #[error("network: {0}")]
    Network(String),
    /// The server refused with an OAuth error (RFC 6749 §5.2, §4.1.2.1; RFC 8628 §3.5).
    #[error("{}", display_oauth(error, description.as_deref()))]
    OAuth { error: String, description: Option<String> },
    /// The server answered, but not as the RFC says it must (HTML instead of JSON, a
    /// document for another issuer, a missing field), or a callback was refused.
    #[error("{0}")]
    Protocol(String),
    /// The issuer or an endpoint is not a usable URL, or a needed endpoint is unknown.
    #[error("invalid URL: {0}")]
    Url(String),
    /// Local trouble: the token cache, the config file, the loopback listener.
    #[error("{0}")]
    Local(String),
}

fn display_oauth(error: &str, description: Option<&str>) -> String {
    match description {
        Some(description) => format!("{error} — {description}"),
        None => error.to_owned(),
    }
}

impl ClientError {
    /// An OAuth error answer with this code.
    pub fn is_oauth(&self, code: &str) -> bool {
        matches!(self, Self::OAuth { error, .. } if error == code)
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(error: reqwest::Error) -> Self {
        // reqwest's own message hides the cause ("error sending request"); keep the chain.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        Self::Network(message)
    }
}

impl<T: ErrorResponse + serde::Serialize> From<RequestTokenError<oauth2::HttpClientError<reqwest::Error>, T>>
    for ClientError
{
    fn from(error: RequestTokenError<oauth2::HttpClientError<reqwest::Error>, T>) -> Self {
        match error {
            RequestTokenError::ServerResponse(response) => oauth_error(&response),
            RequestTokenError::Request(oauth2::HttpClientError::Reqwest(error)) => (*error).into(),
            RequestTokenError::Request(other) => Self::Network(other.to_string()),
            RequestTokenError::Parse(error, body) => Self::Protocol(format!(
                "the server's answer is not the JSON the RFC requires ({error}): {}",
                excerpt(&body)
            )),
            RequestTokenError::Other(message) => Self::Protocol(message),
        }
    }
}

/// The same, for requests sent by [`crate::Client`]'s own sender (which adds DPoP proofs).
impl<T: ErrorResponse + serde::Serialize> From<RequestTokenError<ClientError, T>> for ClientError {
    fn from(error: RequestTokenError<ClientError, T>) -> Self {
        match error {
            RequestTokenError::ServerResponse(response) => oauth_error(&response),
            RequestTokenError::Request(error) => error,
            RequestTokenError::Parse(error, body) => Self::Protocol(format!(
                "the server's answer is not the JSON the RFC requires ({error}): {}",
                excerpt(&body)
            )),
            RequestTokenError::Other(message) => Self::Protocol(message),
        }
    }
}

/// The `error` and `error_description` of any of the oauth2 crate's error responses.
fn oauth_error(response: &impl serde::Serialize) -> ClientError {
    let value = serde_json::to_value(response).unwrap_or_default();
    let text = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    ClientError::OAuth {
        error: text("error").unwrap_or_else(|| "unknown".into()),
        description: text("error_description"),
    }
}

/// The start of a body, for messages: enough to recognise an HTML page.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text.trim().lines().next().unwrap_or_default();
    line.chars().take(80).collect()
}
