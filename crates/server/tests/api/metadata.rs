//! RFC 8414: authorization server metadata, generated from what is switched on.

use serde_json::{Value, json};

use crate::helpers::*;

async fn openid_configuration(app: &TestApp) -> Value {
    let response = app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

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
    // OpenID Connect Discovery §3: openid is always supported.
    assert_eq!(document["scopes_supported"], json!(["openid", "read", "write"]));
    assert_eq!(document["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        document["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"])
    );
    assert_eq!(document["pushed_authorization_request_endpoint"], "http://127.0.0.1/par");
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

/// OpenID Connect Discovery 1.0 §4: the suffix is appended to the issuer; the document
/// is the RFC 8414 one, member for member.
#[tokio::test]
async fn the_openid_configuration_is_the_same_document_with_every_required_member() {
    let app = TestApp::spawn().await;
    let document = openid_configuration(&app).await;
    assert_eq!(document, metadata(&app).await, "one source, never disagreeing");
    // §3: REQUIRED members.
    for member in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
        "id_token_signing_alg_values_supported",
    ] {
        assert!(document.get(member).is_some(), "{member} is REQUIRED: {document}");
    }
    assert_eq!(document["userinfo_endpoint"], "http://127.0.0.1/userinfo");
    assert!(document["scopes_supported"].as_array().unwrap().contains(&json!("openid")));
    assert_eq!(document["subject_types_supported"], json!(["public", "pairwise"]));
    let algorithms = document["id_token_signing_alg_values_supported"].as_array().unwrap();
    assert!(algorithms.contains(&json!("RS256")), "§3: RS256 MUST be included");
    let claims = document["claims_supported"].as_array().unwrap();
    for claim in ["sub", "email", "name", "auth_time"] {
        assert!(claims.contains(&json!(claim)), "{claim}");
    }
    assert_eq!(document["claims_parameter_supported"], true);
    // RP-Initiated Logout §2.1 and Back-Channel Logout §2.1.
    assert_eq!(document["end_session_endpoint"], "http://127.0.0.1/logout");
    assert_eq!(document["backchannel_logout_supported"], true);
    assert_eq!(document["backchannel_logout_session_supported"], true);
    // Signed request objects (RFC 9101); a request_uri only as a pushed request's URN, so
    // stated, not left out: request_uri_parameter_supported defaults to true.
    assert_eq!(document["request_parameter_supported"], true);
    assert_eq!(document["request_uri_parameter_supported"], false);
    let response_types = document["response_types_supported"].as_array().unwrap();
    assert!(!response_types.iter().any(|value| value.as_str().unwrap().contains("id_token")), "no hybrid");
}

#[tokio::test]
async fn an_issuer_with_a_path_has_its_openid_configuration_appended_to_it() {
    let app =
        TestApp::spawn_with(|settings| settings.issuer = Some("https://auth.example/tenant1".into())).await;
    let response = app.http.get(app.url("/tenant1/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(response.status(), 200, "Discovery §4: appended");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["issuer"], "https://auth.example/tenant1");
    assert_eq!(document["userinfo_endpoint"], "https://auth.example/tenant1/userinfo");
    // RFC 8414's insertion does not apply to this document.
    let inserted = app.http.get(app.url("/.well-known/openid-configuration/tenant1")).send().await.unwrap();
    assert_eq!(inserted.status(), 404);
}

/// The discovery document is public, and a browser-based client may have no registered
/// origin yet (it registers after reading it): any origin may fetch it, without credentials.
#[tokio::test]
async fn the_openid_configuration_answers_any_origin() {
    let app = TestApp::spawn().await;
    for origin in ["https://spa.example", "https://not-registered.example"] {
        let response = app
            .http
            .get(app.url("/.well-known/openid-configuration"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["access-control-allow-origin"], "*", "{origin}");
        assert!(response.headers().get("access-control-allow-credentials").is_none());
    }
}

/// Discovery §3's ID token algorithms each have a published key from the first JWKS on,
/// so a relying party that reads the JWKS once finds the key of its first ID token.
#[tokio::test]
async fn the_jwks_has_a_key_for_every_id_token_algorithm_offered() {
    let app = TestApp::spawn().await;
    let document = openid_configuration(&app).await;
    assert_eq!(document["response_modes_supported"], json!(["query", "fragment", "form_post"]));
    let jwks: Value = app.http.get(app.url("/jwks.json")).send().await.unwrap().json().await.unwrap();
    let published: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|key| key["alg"].as_str().unwrap()).collect();
    for algorithm in document["id_token_signing_alg_values_supported"].as_array().unwrap() {
        assert!(published.contains(&algorithm.as_str().unwrap()), "{algorithm} in {published:?}");
    }
}
