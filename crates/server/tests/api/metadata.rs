//! RFC 8414: authorization server metadata, generated from what is switched on.

use serde_json::{Value, json};

use crate::helpers::*;

async fn metadata(app: &TestApp) -> Value {
    let response = app.http.get(app.url("/.well-known/oauth-authorization-server")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn metadata_lists_every_endpoint_and_what_is_supported() {
    let app = TestApp::spawn().await;
    app.confidential_client().await;
    let document = metadata(&app).await;
    assert_eq!(document["issuer"], "http://127.0.0.1");
    assert_eq!(document["authorization_endpoint"], "http://127.0.0.1/authorize");
    assert_eq!(document["token_endpoint"], "http://127.0.0.1/token");
    assert_eq!(document["revocation_endpoint"], "http://127.0.0.1/revoke");
    assert_eq!(document["introspection_endpoint"], "http://127.0.0.1/introspect");
    assert_eq!(document["device_authorization_endpoint"], "http://127.0.0.1/device_authorization");
    assert_eq!(
        document["grant_types_supported"],
        json!([
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    assert_eq!(document["response_types_supported"], json!(["code"]));
    // RFC 9700 §2.1.1: plain is off unless configured.
    assert_eq!(document["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(document["scopes_supported"], json!(["read", "write"]));
    assert_eq!(document["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        document["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
}

#[tokio::test]
async fn metadata_changes_when_a_grant_is_switched_off_or_on() {
    let app = TestApp::spawn_with(|settings| {
        settings.grants.client_credentials = false;
        settings.grants.device_code = false;
        settings.grants.implicit = true;
        settings.pkce_plain_allowed = true;
    })
    .await;
    let document = metadata(&app).await;
    assert_eq!(document["grant_types_supported"], json!(["authorization_code", "refresh_token", "implicit"]));
    assert_eq!(document["response_types_supported"], json!(["code", "token"]));
    assert_eq!(document["code_challenge_methods_supported"], json!(["S256", "plain"]));
    assert!(document.get("device_authorization_endpoint").is_none());

    let no_redirects = TestApp::spawn_with(|settings| settings.grants.authorization_code = false).await;
    let document = metadata(&no_redirects).await;
    assert!(document.get("authorization_endpoint").is_none(), "{document}");
}

#[tokio::test]
async fn an_issuer_with_a_path_has_its_metadata_under_that_path() {
    let app =
        TestApp::spawn_with(|settings| settings.issuer = Some("https://auth.example/tenant1".into())).await;
    let response =
        app.http.get(app.url("/.well-known/oauth-authorization-server/tenant1")).send().await.unwrap();
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["issuer"], "https://auth.example/tenant1");
    assert_eq!(document["token_endpoint"], "https://auth.example/tenant1/token");
}
