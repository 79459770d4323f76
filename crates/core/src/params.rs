//! RFC 6749 §3.1 and §3.2 — request parameters.
//!
//! "Parameters sent without a value MUST be treated as if they were omitted from the
//! request" and "Request and response parameters MUST NOT be included more than once."
//! Parameters are kept as ordered pairs so that a repetition is seen, never silently merged.

use std::collections::HashSet;

use crate::error::OAuthError;

/// Parameters an RFC allows to repeat (RFC 8707 §2: `resource`).
pub const REPEATABLE: &[&str] = &["resource"];

/// The most parameters one request may carry unless configured otherwise
/// (`limits.max_parameters`): far above any real request, far below a hostile body.
pub const DEFAULT_MAX_PARAMETERS: usize = 100;

/// The parameters of one request, from a query string or an urlencoded body.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes; empty values count as absent.
    /// Input the server itself produced; outside input goes through [`Params::parse_limited`].
    pub fn parse(input: &[u8]) -> Self {
        let pairs = url::form_urlencoded::parse(input)
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Self { pairs }
    }

    /// Parameters from name–value pairs; empty values count as absent.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self { pairs: pairs.into_iter().filter(|(_, value)| !value.is_empty()).collect() }
    }

    /// Like [`Params::parse`], but more than `max` parameters (empty ones included) is
    /// `invalid_request`, found before anything is decoded: refusing stays cheap.
    pub fn parse_limited(input: &[u8], max: usize) -> Result<Self, OAuthError> {
        let count = input.split(|byte| *byte == b'&').filter(|pair| !pair.is_empty()).count();
        if count > max {
            return Err(OAuthError::invalid_request(format!("more than {max} parameters")));
        }
        Ok(Self::parse(input))
    }

    /// The single value of `name`; a repeated parameter is `invalid_request`.
    pub fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(repeated(name));
        }
        Ok(first)
    }

    /// Like [`Params::get`], but a missing parameter is `invalid_request`.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)?.ok_or_else(|| OAuthError::invalid_request(format!("missing parameter `{name}`")))
    }

    /// Every value of a parameter that may repeat.
    pub fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.pairs.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the parameter is present (with a non-empty value).
    pub fn contains(&self, name: &str) -> bool {
        self.all(name).next().is_some()
    }

    /// Every parameter, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The parameters as an urlencoded query string, in their original order.
    pub fn to_query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.pairs).finish()
    }

    /// RFC 6749 §3.1: rejects the first parameter that is repeated, except [`REPEATABLE`]
    /// ones. Linear in the number of parameters: one pass with a set of the names seen.
    pub fn reject_repeated(&self) -> Result<(), OAuthError> {
        let mut seen = HashSet::with_capacity(self.pairs.len());
        for (name, _) in &self.pairs {
            if !REPEATABLE.contains(&name.as_str()) && !seen.insert(name.as_str()) {
                return Err(repeated(name));
            }
        }
        Ok(())
    }
}

fn repeated(name: &str) -> OAuthError {
    OAuthError::invalid_request(format!("parameter `{name}` is repeated"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_absent() {
        let params = Params::parse(b"scope=&state=xyz");
        assert_eq!(params.get("scope"), Ok(None));
        assert_eq!(params.get("state"), Ok(Some("xyz")));
    }

    #[test]
    fn a_repeated_parameter_is_invalid_request() {
        let params = Params::parse(b"code=a&code=b");
        assert_eq!(params.get("code").unwrap_err().description, "parameter `code` is repeated");
        assert!(params.reject_repeated().is_err());
    }

    #[test]
    fn more_parameters_than_the_limit_are_refused_before_decoding() {
        assert!(Params::parse_limited(b"a=1&b=2&c=3", 3).is_ok());
        let error = Params::parse_limited(b"a=1&b=2&c=3&d=", 3).unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::InvalidRequest);
        assert_eq!(error.description, "more than 3 parameters");
        // Empty segments (`&&`) are not parameters.
        assert!(Params::parse_limited(b"a=1&&&b=2", 2).is_ok());
    }

    #[test]
    fn the_first_repetition_is_named_with_many_distinct_names() {
        let body: String = (0..5000).map(|i| format!("p{i}=x&")).collect::<String>() + "p17=y";
        assert_eq!(
            Params::parse(body.as_bytes()).reject_repeated().unwrap_err().description,
            "parameter `p17` is repeated"
        );
    }

    #[test]
    fn resource_may_repeat() {
        let params = Params::parse(b"resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb");
        assert!(params.reject_repeated().is_ok());
        assert_eq!(params.all("resource").collect::<Vec<_>>(), ["https://a", "https://b"]);
    }
}
