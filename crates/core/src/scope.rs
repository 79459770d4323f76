//! RFC 6749 §3.3 — access token scope: a set of space-delimited, case-sensitive tokens.

use std::collections::BTreeSet;
use std::fmt;

use crate::error::OAuthError;

/// A set of scope tokens, kept sorted so that equal sets print alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// Parses `scope = scope-token *( SP scope-token )`,
    /// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`; a malformed scope is `invalid_scope`.
    pub fn parse(text: &str) -> Result<Self, OAuthError> {
        let mut set = BTreeSet::new();
        for token in text.split(' ') {
            if token.is_empty() || !token.bytes().all(is_scope_char) {
                return Err(OAuthError::invalid_scope("malformed scope"));
            }
            set.insert(token.to_owned());
        }
        Ok(Self(set))
    }

    /// The empty set.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Whether there are no scope tokens.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every token of `self` is also in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Whether the set holds this token.
    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    /// The set without `token`.
    pub fn without(mut self, token: &str) -> Self {
        self.0.remove(token);
        self
    }

    /// Every token of either set.
    pub fn union(&self, other: &ScopeSet) -> Self {
        Self(self.0.union(&other.0).cloned().collect())
    }

    /// The tokens, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

fn is_scope_char(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for token in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sorted() {
        assert_eq!(ScopeSet::parse("write read").unwrap().to_string(), "read write");
    }

    #[test]
    fn rejects_characters_outside_the_grammar() {
        for bad in ["a  b", " a", "a\"b", "a\\b", "caf\u{e9}"] {
            assert!(ScopeSet::parse(bad).is_err(), "{bad:?}");
        }
    }
}
