//! What can go wrong talking to an authorization server: the network, or the server's
//! answer (an OAuth error, or something that is not what the RFC says it must be).

/// A client failure.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached, or the connection failed.
    #[error("network: {0}")]
    Network(String),
    /// The server answered, but not as the RFC says it must (HTML instead of JSON, a
    /// document for another issuer, a missing field).
    #[error("{0}")]
    Protocol(String),
    /// The issuer or an endpoint is not a usable URL.
    #[error("invalid URL: {0}")]
    Url(String),
}

impl From<reqwest::Error> for ClientError {
    fn from(error: reqwest::Error) -> Self {
        Self::Network(error.to_string())
    }
}
