//! OpenID Connect Core §5.1 and §5.4 — a user's standard claims, and which scope values
//! release which of them. The claims live on the user (`users add --claim`); a claims hook
//! may add more. What no scope released is never sent.

use serde_json::{Map, Value};

use crate::claims_request::{ClaimsDestination, ClaimsRequest};
use crate::hooks::ClaimsContext;
use crate::model::{Client, User};
use crate::provider::Provider;
use crate::scope::ScopeSet;

/// §5.4: the claims each scope value asks for.
pub const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// The claims an ID token carries about the protocol itself (Core §2, Back-Channel Logout
/// `sid`, RFC 7800 `cnf`): no hook and no user attribute may set them.
pub const PROTOCOL_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "nonce",
    "at_hash",
    "c_hash",
    "auth_time",
    "acr",
    "amr",
    "azp",
    "sid",
    "cnf",
];

/// Every claim the server can release: `sub` and the claims of §5.4's scopes.
pub fn supported_claims() -> Vec<&'static str> {
    let mut claims = vec!["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "sid"];
    claims.extend(SCOPE_CLAIMS.iter().flat_map(|(_, claims)| claims.iter().copied()));
    claims
}

/// Whether `scope` releases `claim`.
pub fn released_by(scope: &ScopeSet, claim: &str) -> bool {
    SCOPE_CLAIMS.iter().any(|(value, claims)| scope.contains(value) && claims.contains(&claim))
}

/// The scope value that releases `claim` (§5.4), if any.
pub fn scope_of(claim: &str) -> Option<&'static str> {
    SCOPE_CLAIMS.iter().find(|(_, claims)| claims.contains(&claim)).map(|(value, _)| *value)
}

/// §5.5: keeps what `client` can be given of a `claims` request — claims the server knows,
/// and of the user's attributes only those whose scope value the client may ask for, so
/// that the parameter never reaches past the client's registration. Returns the scope
/// values of the attributes kept, which the user consents to like the scope.
pub fn restrict_claims_request(client: &Client, request: &mut ClaimsRequest) -> ScopeSet {
    request.retain_known(&supported_claims());
    let mut named = Vec::new();
    for claims in [&mut request.userinfo, &mut request.id_token] {
        claims.retain(|name, _| match scope_of(name) {
            Some(value) if client.scopes.contains(value) => {
                named.push(value);
                true
            }
            Some(_) => false,
            None => true, // `sub`, `auth_time`, …: about the sign-in, not the user
        });
    }
    named.sort_unstable();
    named.dedup();
    ScopeSet::parse(&named.join(" ")).unwrap_or_default()
}

/// One attribute of the user: `preferred_username` is the username unless the user has
/// one of their own.
fn claim_of(user: &User, name: &str) -> Option<Value> {
    match (user.claims.get(name), name) {
        (Some(value), _) => Some(value.clone()),
        (None, "preferred_username") => Some(Value::from(user.username.clone())),
        (None, _) => None,
    }
}

/// The user's claims that `scope` releases.
pub fn user_claims(user: &User, scope: &ScopeSet) -> Map<String, Value> {
    let names =
        SCOPE_CLAIMS.iter().filter(|(value, _)| scope.contains(value)).flat_map(|(_, claims)| claims.iter());
    names.filter_map(|name| Some(((*name).to_owned(), claim_of(user, name)?))).collect()
}

/// The user's attributes that a `claims` request asks for at `destination` (§5.5), already
/// restricted by [`restrict_claims_request`]. What the user does not have is left out,
/// essential or not (§5.5.1: no error).
pub fn requested_claims(
    user: &User,
    request: Option<&ClaimsRequest>,
    destination: ClaimsDestination,
) -> Map<String, Value> {
    let Some(request) = request else {
        return Map::new();
    };
    let names = request.at(destination).keys().filter(|name| scope_of(name).is_some());
    names.filter_map(|name| Some((name.clone(), claim_of(user, name)?))).collect()
}

impl Provider {
    /// Adds what the `claims` hooks return to `claims`. A hook answer that names a
    /// protocol claim is refused as a whole, as token-response hooks are.
    pub(crate) async fn add_hook_claims(&self, context: &ClaimsContext<'_>, claims: &mut Map<String, Value>) {
        let added = self.hooks.claims(context).await;
        if let Some(claim) = added.keys().find(|name| PROTOCOL_CLAIMS.contains(&name.as_str())) {
            tracing::warn!(%claim, "a claims hook tried to set a protocol claim; its claims are ignored");
            return;
        }
        claims.extend(added);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(claims: Value) -> User {
        User {
            subject: "s".into(),
            username: "alice".into(),
            password_hash: String::new(),
            disabled: false,
            claims: claims.as_object().cloned().unwrap_or_default(),
            created_at: 0,
        }
    }

    #[test]
    fn each_scope_releases_its_own_claims_only() {
        let alice = user(json!({
            "name": "Alice Liddell", "email": "alice@example.com", "email_verified": true,
            "phone_number": "+1 555 0100", "address": {"country": "UK"}, "employee_id": "7"
        }));
        let email = user_claims(&alice, &ScopeSet::parse("openid email").unwrap());
        assert_eq!(Value::Object(email), json!({"email": "alice@example.com", "email_verified": true}));
        let profile = user_claims(&alice, &ScopeSet::parse("openid profile").unwrap());
        assert_eq!(Value::Object(profile), json!({"name": "Alice Liddell", "preferred_username": "alice"}));
        let none = user_claims(&alice, &ScopeSet::parse("openid").unwrap());
        assert!(none.is_empty(), "openid alone releases no attribute: {none:?}");
        let all = user_claims(&alice, &ScopeSet::parse("openid profile email phone address").unwrap());
        assert!(all.get("employee_id").is_none(), "a claim no scope names is never released");
        assert_eq!(all["address"], json!({"country": "UK"}));
    }
}
