//! RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14).

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

async fn refresh(app: &TestApp, client: &TestClient, token: &str, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    form.extend(scope.map(|scope| ("scope", scope)));
    app.token(client, &form).await
}

fn field(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_refresh_rotates_the_refresh_token() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let first = app.tokens(&client).await;
    let response = refresh(&app, &client, &field(&first, "refresh_token"), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert!(!app.is_active(&field(&first, "refresh_token")).await);
    assert!(app.is_active(&field(&second, "refresh_token")).await);
    assert!(app.is_active(&field(&second, "access_token")).await);
}

#[tokio::test]
async fn presenting_a_rotated_refresh_token_revokes_the_family() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let first = app.tokens(&client).await;
    let second: Value =
        refresh(&app, &client, &field(&first, "refresh_token"), None).await.json().await.unwrap();
    assert_error(refresh(&app, &client, &field(&first, "refresh_token"), None).await, 400, "invalid_grant")
        .await;
    for token in
        [field(&second, "refresh_token"), field(&second, "access_token"), field(&first, "access_token")]
    {
        assert!(!app.is_active(&token).await);
    }
    assert_error(refresh(&app, &client, &field(&second, "refresh_token"), None).await, 400, "invalid_grant")
        .await;
}

#[tokio::test]
async fn a_narrower_scope_applies_to_the_access_token_only() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let first = app.tokens(&client).await;
    let narrowed: Value =
        refresh(&app, &client, &field(&first, "refresh_token"), Some("read")).await.json().await.unwrap();
    assert_eq!(narrowed["scope"], "read");
    assert_eq!(app.record(&field(&narrowed, "refresh_token")).await.scope.to_string(), "read write");
    let again: Value =
        refresh(&app, &client, &field(&narrowed, "refresh_token"), None).await.json().await.unwrap();
    assert_eq!(again["scope"], "read write");
}

#[tokio::test]
async fn a_wider_scope_is_invalid_scope_and_rotates_nothing() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let code = app
        .code_with(
            &client,
            &[("scope", "read"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256")],
        )
        .await;
    let body: Value = app
        .token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("code_verifier", VERIFIER)])
        .await
        .json()
        .await
        .unwrap();
    let token = field(&body, "refresh_token");
    assert_error(refresh(&app, &client, &token, Some("read write")).await, 400, "invalid_scope").await;
    assert_eq!(refresh(&app, &client, &token, None).await.status(), 200);
}

#[tokio::test]
async fn a_refresh_token_is_bound_to_its_client() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let other = app.confidential_client().await;
    let token = field(&app.tokens(&client).await, "refresh_token");
    assert_error(refresh(&app, &other, &token, None).await, 400, "invalid_grant").await;
    assert_eq!(refresh(&app, &client, &token, None).await.status(), 200);
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let token = field(&app.tokens(&client).await, "refresh_token");
    app.clock.advance(Duration::from_secs(31 * 24 * 3600));
    assert_error(refresh(&app, &client, &token, None).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_family_cannot_slide_past_its_absolute_lifetime() {
    let app = TestApp::spawn_with(|settings| {
        settings.lifetimes.refresh_token = Duration::from_secs(3600);
        settings.lifetimes.refresh_family = Duration::from_secs(2 * 3600);
    })
    .await;
    let client = app.confidential_client().await;
    let mut token = field(&app.tokens(&client).await, "refresh_token");
    for _ in 0..2 {
        app.clock.advance(Duration::from_secs(50 * 60));
        let body: Value = refresh(&app, &client, &token, None).await.json().await.unwrap();
        token = field(&body, "refresh_token");
    }
    // 100 minutes in; the newest token would live to 160 minutes, but the family ends at 120.
    let record = app.record(&token).await;
    assert_eq!(record.expires_at, record.grant_expires_at.unwrap());
    app.clock.advance(Duration::from_secs(25 * 60));
    assert_error(refresh(&app, &client, &token, None).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn within_the_grace_period_one_retry_replaces_the_successor() {
    let app =
        TestApp::spawn_with(|settings| settings.lifetimes.refresh_grace_period = Duration::from_secs(30))
            .await;
    let client = app.confidential_client().await;
    let original = field(&app.tokens(&client).await, "refresh_token");
    let lost: Value = refresh(&app, &client, &original, None).await.json().await.unwrap();

    app.clock.advance(Duration::from_secs(10));
    let retried = refresh(&app, &client, &original, None).await;
    assert_eq!(retried.status(), 200);
    let retried: Value = retried.json().await.unwrap();
    assert!(!app.is_active(&field(&lost, "refresh_token")).await, "the lost successor is revoked");
    assert!(!app.is_active(&field(&lost, "access_token")).await);
    assert!(app.is_active(&field(&retried, "refresh_token")).await, "exactly one live branch");

    // A second retry is reuse: the family goes.
    assert_error(refresh(&app, &client, &original, None).await, 400, "invalid_grant").await;
    assert!(!app.is_active(&field(&retried, "refresh_token")).await);
}

#[tokio::test]
async fn after_the_grace_period_a_retry_is_reuse() {
    let app =
        TestApp::spawn_with(|settings| settings.lifetimes.refresh_grace_period = Duration::from_secs(30))
            .await;
    let client = app.confidential_client().await;
    let original = field(&app.tokens(&client).await, "refresh_token");
    let next: Value = refresh(&app, &client, &original, None).await.json().await.unwrap();
    app.clock.advance(Duration::from_secs(31));
    assert_error(refresh(&app, &client, &original, None).await, 400, "invalid_grant").await;
    assert!(!app.is_active(&field(&next, "refresh_token")).await);
}

#[tokio::test]
async fn codes_and_refresh_tokens_of_a_user_disabled_since_are_refused_at_redemption() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let code = app.code(&client).await;
    // Disabled behind the store's back (an older version, a hand edit): every grant checks.
    crate::database::execute(&app.database_url, "UPDATE users SET disabled = TRUE").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let refreshed = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_error(refreshed, 400, "invalid_grant").await;
    let exchange =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    assert_error(app.token(&client, &exchange).await, 400, "invalid_grant").await;
}
