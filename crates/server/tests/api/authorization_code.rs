//! RFC 6749 §4.1.3–§4.1.4 and RFC 7636: exchanging an authorization code.

use std::time::Duration;

use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::GrantType;
use serde_json::Value;

use crate::helpers::*;

fn exchange<'a>(code: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("grant_type", "authorization_code"), ("code", code), ("code_verifier", verifier)]
}

#[tokio::test]
async fn a_code_with_pkce_yields_bearer_and_refresh_tokens() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let body = app.tokens(&client).await;
    assert!(body["access_token"].as_str().unwrap().starts_with("o2u_at_"));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("o2u_rt_"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "read write");
    let record = app.record(body["access_token"].as_str().unwrap()).await;
    assert_eq!(record.subject.as_deref(), Some(app.subject.as_str()));
    assert_eq!(record.client_id, client.id);
}

#[tokio::test]
async fn code_reuse_revokes_issued_tokens() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let code = app.code(&client).await;
    let first: Value = app.token(&client, &exchange(&code, VERIFIER)).await.json().await.unwrap();
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert!(app.is_active(access).await && app.is_active(refresh).await);

    assert_error(app.token(&client, &exchange(&code, VERIFIER)).await, 400, "invalid_grant").await;
    assert!(!app.is_active(access).await, "access token revoked");
    assert!(!app.is_active(refresh).await, "refresh token revoked");
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_a_refusal_consumes_nothing() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let other = app.confidential_client().await;
    let code = app.code(&client).await;
    assert_error(app.token(&other, &exchange(&code, VERIFIER)).await, 400, "invalid_grant").await;
    assert_eq!(app.token(&client, &exchange(&code, VERIFIER)).await.status(), 200);
}

#[tokio::test]
async fn redirect_uri_is_required_exactly_when_it_was_sent_and_must_be_identical() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let pkce =
        [("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("redirect_uri", REDIRECT_URI)];
    let code = app.code_with(&client, &pkce).await;
    let mut form = exchange(&code, VERIFIER);
    assert_error(app.token(&client, &form).await, 400, "invalid_grant").await;
    form.push(("redirect_uri", "https://client.example/cb/"));
    assert_error(app.token(&client, &form).await, 400, "invalid_grant").await;
    form.pop();
    form.push(("redirect_uri", REDIRECT_URI));
    assert_eq!(app.token(&client, &form).await.status(), 200);

    // Not sent to /authorize: sending one now does not match.
    let code = app.code(&client).await;
    let mut form = exchange(&code, VERIFIER);
    form.push(("redirect_uri", REDIRECT_URI));
    assert_error(app.token(&client, &form).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_expires_after_sixty_seconds() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let code = app.code(&client).await;
    app.clock.advance(Duration::from_secs(61));
    assert_error(app.token(&client, &exchange(&code, VERIFIER)).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_wrong_or_missing_code_verifier_is_invalid_grant_and_consumes_nothing() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let code = app.code(&client).await;
    let wrong = "x".repeat(43);
    assert_error(app.token(&client, &exchange(&code, &wrong)).await, 400, "invalid_grant").await;
    let missing = [("grant_type", "authorization_code"), ("code", code.as_str())];
    assert_error(app.token(&client, &missing).await, 400, "invalid_grant").await;
    assert_eq!(app.token(&client, &exchange(&code, VERIFIER)).await.status(), 200);
}

#[tokio::test]
async fn pkce_plain_is_refused_by_default_and_a_missing_method_means_plain() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    // RFC 7636 §4.3: without a method the challenge is plain; RFC 9700 §2.1.1: plain is off.
    for extra in [
        vec![("code_challenge", VERIFIER)],
        vec![("code_challenge", VERIFIER), ("code_challenge_method", "plain")],
    ] {
        let mut params = vec![("response_type", "code"), ("client_id", client.id.as_str()), ("state", "s1")];
        params.extend(extra);
        super::authorize::assert_redirected_error(app.get_authorize(&params).await, "invalid_request").await;
    }
}

#[tokio::test]
async fn pkce_plain_is_accepted_where_configured() {
    let app = TestApp::spawn_with(|settings| settings.pkce_plain_allowed = true).await;
    let client = app.confidential_client().await;
    // §4.3: without a method, the challenge is plain: the verifier itself.
    let code = app.code_with(&client, &[("code_challenge", VERIFIER)]).await;
    assert_error(app.token(&client, &exchange(&code, CHALLENGE)).await, 400, "invalid_grant").await;
    assert_eq!(app.token(&client, &exchange(&code, VERIFIER)).await.status(), 200);
}

#[tokio::test]
async fn a_code_verifier_for_a_code_issued_without_pkce_is_a_downgrade() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let code = app.code_with(&client, &[]).await;
    assert_error(app.token(&client, &exchange(&code, VERIFIER)).await, 400, "invalid_grant").await;
    let without = [("grant_type", "authorization_code"), ("code", code.as_str())];
    assert_eq!(app.token(&client, &without).await.status(), 200);
}

#[tokio::test]
async fn an_unknown_code_is_invalid_grant() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    assert_error(app.token(&client, &exchange("o2u_ac_unknown", VERIFIER)).await, 400, "invalid_grant").await;
    let missing = [("grant_type", "authorization_code")];
    assert_error(app.token(&client, &missing).await, 400, "invalid_request").await;
}

#[tokio::test]
async fn public_clients_exchange_codes_with_client_id_only() {
    let app = TestApp::spawn().await;
    let client = app.public_client().await;
    let body = app.tokens(&client).await;
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn lifetimes_are_configurable_server_wide_and_per_client() {
    let app =
        TestApp::spawn_with(|settings| settings.lifetimes.access_token = Duration::from_secs(600)).await;
    let client = app.confidential_client().await;
    assert_eq!(app.tokens(&client).await["expires_in"], 600);

    let short = app
        .register(ClientSpec {
            name: Some("short".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            access_token_lifetime: Some(Duration::from_secs(300)),
            ..ClientSpec::default()
        })
        .await;
    let body = app.tokens(&short).await;
    assert_eq!(body["expires_in"], 300);
    let record = app.record(body["access_token"].as_str().unwrap()).await;
    assert_eq!(record.expires_at - record.issued_at, 300);
}

#[tokio::test]
async fn a_client_without_the_refresh_grant_gets_no_refresh_token() {
    let app = TestApp::spawn().await;
    let client = app
        .register(ClientSpec {
            name: Some("no refresh".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            grant_types: Some(vec![GrantType::AuthorizationCode]),
            ..ClientSpec::default()
        })
        .await;
    assert!(app.tokens(&client).await.get("refresh_token").is_none());
}
