//! OpenID Connect Core §5.5 — the `claims` request parameter: individual claims asked for
//! in the ID token and from the UserInfo endpoint, each plain (`null`) or with `essential`,
//! `value` or `values` (§5.5.1).
//!
//! What is decided here:
//! - the parameter must be a JSON object, and its `userinfo` and `id_token` members objects
//!   of claim requests; anything else is `invalid_request`. Other members are ignored;
//! - a claim the server does not know is dropped (§5.5: "ignored"), so that only what can
//!   be released is stored with the grant;
//! - `value` and `values` ask, they do not filter: the user's actual claim is released
//!   (§5.5.1 "Requests that the Claim be returned with a particular value"). Only `sub`
//!   is held to its value, by the authorization endpoint (§3.1.2.2, §5.5.1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::OAuthError;

/// The longest `claims` parameter accepted; a real request is a few hundred bytes.
pub const MAX_CLAIMS_LENGTH: usize = 8192;

/// The claims asked for, by where they are to be released.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    /// Claims to return from the UserInfo endpoint.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub userinfo: BTreeMap<String, ClaimRequest>,
    /// Claims to return in the ID token.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub id_token: BTreeMap<String, ClaimRequest>,
}

/// §5.5.1: how one claim is asked for. `null` in the request is the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    /// Whether the client needs it; a missing essential claim is still no error.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub essential: bool,
    /// The value asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Values asked for, in order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Value>,
}

/// Where a claim is being released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsDestination {
    /// The ID token.
    IdToken,
    /// The UserInfo response.
    Userinfo,
}

impl ClaimsRequest {
    /// Parses the parameter's JSON.
    pub fn parse(text: &str) -> Result<Self, OAuthError> {
        let invalid = |why: &str| OAuthError::invalid_request(format!("claims: {why}"));
        if text.len() > MAX_CLAIMS_LENGTH {
            return Err(invalid(&format!("longer than {MAX_CLAIMS_LENGTH} bytes")));
        }
        let Ok(Value::Object(members)) = serde_json::from_str::<Value>(text) else {
            return Err(invalid("not a JSON object"));
        };
        let mut request = Self::default();
        for (member, target) in [("userinfo", &mut request.userinfo), ("id_token", &mut request.id_token)] {
            let Some(claims) = members.get(member) else { continue };
            let Value::Object(claims) = claims else {
                return Err(invalid(&format!("`{member}` is not an object")));
            };
            for (name, asked) in claims {
                let asked = match asked {
                    Value::Null => ClaimRequest::default(),
                    Value::Object(_) => serde_json::from_value(asked.clone())
                        .map_err(|_| invalid(&format!("`{name}` is not a claim request")))?,
                    _ => return Err(invalid(&format!("`{name}` must be null or an object"))),
                };
                target.insert(name.clone(), asked);
            }
        }
        for asked in request.userinfo.get("sub").into_iter().chain(request.id_token.get("sub")) {
            if asked.value.as_ref().is_some_and(|value| !value.is_string()) {
                return Err(invalid("a `sub` value must be a string"));
            }
        }
        Ok(request)
    }

    /// Drops the claims the server does not know (§5.5: they are ignored).
    pub fn retain_known(&mut self, known: &[&str]) {
        self.userinfo.retain(|name, _| known.contains(&name.as_str()));
        self.id_token.retain(|name, _| known.contains(&name.as_str()));
    }

    /// The claims asked for at `destination`.
    pub fn at(&self, destination: ClaimsDestination) -> &BTreeMap<String, ClaimRequest> {
        match destination {
            ClaimsDestination::IdToken => &self.id_token,
            ClaimsDestination::Userinfo => &self.userinfo,
        }
    }

    /// The `sub` asked for with a value, in either place (§5.5.1); `Err` when the two differ.
    pub fn subject(&self) -> Result<Option<&str>, OAuthError> {
        fn value(claims: &BTreeMap<String, ClaimRequest>) -> Option<&str> {
            claims.get("sub").and_then(|asked| asked.value.as_ref()).and_then(Value::as_str)
        }
        match (value(&self.id_token), value(&self.userinfo)) {
            (Some(one), Some(other)) if one != other => {
                Err(OAuthError::invalid_request("claims: the two `sub` values name different users"))
            }
            (one, other) => Ok(one.or(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_members_and_each_form_of_claim_request() {
        let request = ClaimsRequest::parse(
            r#"{"userinfo": {"email": {"essential": true}, "name": null},
                "id_token": {"sub": {"value": "248289761001"}, "locale": {"values": ["en", "fr"]}},
                "other": 5}"#,
        )
        .unwrap();
        assert!(request.userinfo["email"].essential);
        assert_eq!(request.userinfo["name"], ClaimRequest::default());
        assert_eq!(request.subject(), Ok(Some("248289761001")));
        assert_eq!(request.id_token["locale"].values.len(), 2);
    }

    #[test]
    fn malformed_requests_are_refused() {
        for bad in [
            "",
            "[]",
            "not json",
            r#"{"userinfo": []}"#,
            r#"{"id_token": {"email": true}}"#,
            r#"{"id_token": {"email": {"essential": "yes"}}}"#,
            r#"{"id_token": {"sub": {"value": 7}}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
        let long = format!(r#"{{"userinfo": {{"{}": null}}}}"#, "x".repeat(MAX_CLAIMS_LENGTH));
        assert!(ClaimsRequest::parse(&long).is_err());
        let two = ClaimsRequest::parse(
            r#"{"id_token": {"sub": {"value": "a"}}, "userinfo": {"sub": {"value": "b"}}}"#,
        );
        assert!(two.unwrap().subject().is_err());
    }

    #[test]
    fn unknown_claims_are_dropped() {
        let mut request =
            ClaimsRequest::parse(r#"{"userinfo": {"email": null, "shoe_size": null}}"#).unwrap();
        request.retain_known(&["sub", "email"]);
        assert_eq!(request.userinfo.keys().collect::<Vec<_>>(), ["email"]);
    }
}
