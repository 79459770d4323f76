//! RFC 6749 §2.2 — the client identifier, as this server issues and accepts them.

use std::fmt;

use crate::error::OAuthError;

/// A well-formed client identifier: 1 to 255 printable ASCII characters (§A.1 allows
/// `*VSCHAR`; we leave out the space), without a leading `-`, which would read as an option
/// on the command line, and without `:` — which HTTP Basic uses to separate it from the
/// secret (§2.3.1) — except in an `https://` or `http://` URL, the form of a client ID
/// metadata document's client id (whose client is public, and never sends Basic). Anything
/// else names no client and is refused before any lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// The longest identifier accepted.
    pub const MAX_LENGTH: usize = 255;

    /// Checks the form; the error says what is wrong, for the person who chose it.
    pub fn parse(text: &str) -> Result<Self, OAuthError> {
        let well_formed = !text.is_empty()
            && text.len() <= Self::MAX_LENGTH
            && !text.starts_with('-')
            && text.bytes().all(|b| b.is_ascii_graphic())
            && (!text.contains(':') || text.starts_with("https://") || text.starts_with("http://"));
        if !well_formed {
            return Err(OAuthError::invalid_request(
                "a client id is 1 to 255 printable ASCII characters, without ':' or a leading '-'",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl From<ClientId> for String {
    fn from(id: ClientId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::ClientId;

    #[test]
    fn only_printable_ascii_without_colon_or_leading_dash_is_a_client_id() {
        for good in ["app", "a-b_c.d~e", "x".repeat(255).as_str(), "Zz09!#$%&'()*+,/;<=>?@[]^`{|}"] {
            assert_eq!(ClientId::parse(good).map(|id| id.as_str().to_owned()).ok().as_deref(), Some(good));
        }
        assert!(ClientId::parse("https://app.example/client.json").is_ok(), "a metadata document's URL");
        for bad in ["", "a:b", "urn:x:y", "-app", "has space", "tab\t", "é", "x".repeat(256).as_str()] {
            assert!(ClientId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
