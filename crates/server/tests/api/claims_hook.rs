//! The `claims` hook (OpenID Connect Core §5.3, §2): claims from elsewhere for the ID token
//! or userinfo, from a Rhai script or a Rust `Hooks`, never touching the protocol's claims.

use std::sync::Arc;

use oauth2u::core::hooks::ClaimsContext;
use serde_json::{Map, Value, json};

use super::id_token::exchange;
use super::openid::sign_in_for_code;
use crate::helpers::*;

async fn relying_party(app: &TestApp) -> TestClient {
    super::openid::relying_party_for(app, "openid profile read").await
}

/// The ID token's claims and the userinfo answer after a sign-in with `scope`.
async fn sign_in(app: &TestApp, scope: &str) -> (Value, Value) {
    let client = relying_party(app).await;
    let mut browser = Browser::new(app);
    let code = sign_in_for_code(&mut browser, &client, &[("scope", scope)], false).await;
    let body = exchange(app, &client, &code).await;
    let id_token = jwt_payload(body["id_token"].as_str().unwrap());
    let userinfo = super::userinfo::userinfo_claims(app, body["access_token"].as_str().unwrap()).await;
    (id_token, userinfo)
}

#[tokio::test]
async fn a_script_adds_claims_to_the_id_token_or_to_userinfo_as_it_is_told() {
    let (app, _dir) = TestApp::spawn_with_plugin(
        "claims.rhai",
        r#"fn claims(request) {
            if request.destination == "id_token" { #{ "groups": ["staff"], "client": request.client_id } }
            else { #{ "department": "Research", "scope_seen": request.scope } }
        }"#,
    )
    .await;
    let (id_token, userinfo) = sign_in(&app, "openid profile").await;
    assert_eq!(id_token["groups"], json!(["staff"]));
    assert!(id_token.get("department").is_none());
    assert_eq!(userinfo["department"], "Research");
    assert_eq!(userinfo["scope_seen"], "openid profile");
    assert!(userinfo.get("groups").is_none());
    assert_eq!(userinfo["sub"], app.subject.as_str());
}

#[tokio::test]
async fn a_hook_that_touches_a_protocol_claim_is_ignored_as_a_whole() {
    let (app, _dir) = TestApp::spawn_with_plugin(
        "claims.rhai",
        r#"fn claims(request) { #{ "sub": "someone-else", "nonce": "forged", "department": "Research" } }"#,
    )
    .await;
    let (id_token, userinfo) = sign_in(&app, "openid profile").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["sub"], app.subject.as_str(), "{claims}");
        assert!(claims.get("department").is_none(), "refused as a whole: {claims}");
    }
    assert!(id_token.get("nonce").is_none(), "none sent, none forged");
}

/// Library users implement the hook in Rust.
struct Directory;

#[oauth2u::core::async_trait]
impl oauth2u::core::Hooks for Directory {
    async fn claims(&self, context: &ClaimsContext<'_>) -> Map<String, Value> {
        let mut claims = Map::new();
        if !context.for_id_token {
            claims.insert("employee_id".into(), json!(format!("E-{}", context.subject.len())));
        }
        claims
    }
}

#[tokio::test]
async fn a_rust_hook_adds_claims_too_and_the_example_script_runs() {
    // The example alone (its neighbours take over the login page).
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plugins/directory_claims.rhai");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example, dir.path().join("directory_claims.rhai")).unwrap();
    let plugins = dir.path().to_owned();
    let app = TestApp::spawn_full(
        move |settings| {
            settings.auto_approve = None;
            settings.plugins_directories = vec![plugins];
        },
        |builder| builder.hooks(Arc::new(Directory)),
    )
    .await;
    let (id_token, userinfo) = sign_in(&app, "openid profile").await;
    assert_eq!(userinfo["employee_id"], format!("E-{}", app.subject.len()));
    assert_eq!(userinfo["department"], "Research", "examples/plugins/directory_claims.rhai");
    assert!(id_token.get("employee_id").is_none());
}
