//! RFC 6749 §4.3: the password grant, off unless switched on server-wide and per client.

use oauth2u::core::Clock;
use oauth2u::core::admin::{self, ClientSpec};
use oauth2u::core::model::GrantType;
use serde_json::Value;

use crate::helpers::*;

async fn password_client(app: &TestApp) -> TestClient {
    app.register(ClientSpec {
        name: Some("legacy".into()),
        grant_types: Some(vec![GrantType::Password, GrantType::RefreshToken]),
        scopes: Some("read".into()),
        ..ClientSpec::default()
    })
    .await
}

fn login(password: &str) -> Vec<(&str, &str)> {
    vec![("grant_type", "password"), ("username", USERNAME), ("password", password)]
}

#[tokio::test]
async fn the_password_grant_needs_the_server_switch() {
    let app = TestApp::spawn().await;
    let client = password_client(&app).await;
    assert_error(app.token(&client, &login(PASSWORD)).await, 400, "unsupported_grant_type").await;
}

#[tokio::test]
async fn the_password_grant_needs_the_client_registration() {
    let app = TestApp::spawn_with(|settings| settings.grants.password = true).await;
    let client = app.service_client().await;
    assert_error(app.token(&client, &login(PASSWORD)).await, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn valid_credentials_yield_tokens_for_the_user() {
    let app = TestApp::spawn_with(|settings| settings.grants.password = true).await;
    let client = password_client(&app).await;
    let body: Value = app.token(&client, &login(PASSWORD)).await.json().await.unwrap();
    let record = app.record(body["access_token"].as_str().unwrap()).await;
    assert_eq!(record.subject.as_deref(), Some(app.subject.as_str()));
    assert!(body["refresh_token"].is_string());
}

#[tokio::test]
async fn wrong_credentials_and_disabled_users_are_invalid_grant() {
    let app = TestApp::spawn_with(|settings| settings.grants.password = true).await;
    let client = password_client(&app).await;
    assert_error(app.token(&client, &login("wrong password")).await, 400, "invalid_grant").await;
    let unknown = [("grant_type", "password"), ("username", "nobody"), ("password", PASSWORD)];
    assert_error(app.token(&client, &unknown).await, 400, "invalid_grant").await;

    let body: Value = app.token(&client, &login(PASSWORD)).await.json().await.unwrap();
    admin::disable_user(app.store.as_ref(), USERNAME, app.clock.now()).await.unwrap();
    assert!(!app.is_active(body["access_token"].as_str().unwrap()).await, "disabling revokes");
    assert!(!app.is_active(body["refresh_token"].as_str().unwrap()).await);
    assert_error(app.token(&client, &login(PASSWORD)).await, 400, "invalid_grant").await;
}
