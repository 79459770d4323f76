//! RFC 6749 §4.4: the client credentials grant.

use std::time::Duration;

use oauth2u::core::Clock;
use oauth2u::core::admin::{self, ClientSpec};
use oauth2u::core::model::GrantType;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_client_gets_a_token_for_itself_and_never_a_refresh_token() {
    let app = TestApp::spawn().await;
    let client = app
        .register(ClientSpec {
            name: Some("svc".into()),
            grant_types: Some(vec![GrantType::ClientCredentials, GrantType::RefreshToken]),
            scopes: Some("read write".into()),
            default_scopes: Some("read".into()),
            ..ClientSpec::default()
        })
        .await;
    let body: Value = app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    assert_eq!(body["scope"], "read", "the default scope");
    assert!(body.get("refresh_token").is_none(), "§4.4.3");
    let record = app.record(body["access_token"].as_str().unwrap()).await;
    assert_eq!(record.subject, None);

    let body: Value = app
        .token(&client, &[("grant_type", "client_credentials"), ("scope", "write")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["scope"], "write");
}

#[tokio::test]
async fn a_scope_beyond_the_registration_is_invalid_scope() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let response = app.token(&client, &[("grant_type", "client_credentials"), ("scope", "read admin")]).await;
    assert_error(response, 400, "invalid_scope").await;
}

#[tokio::test]
async fn a_rotated_secret_keeps_working_for_the_overlap_only() {
    let app = TestApp::spawn().await;
    let old = app.service_client().await;
    let rotated =
        admin::rotate_client_secret(app.store.as_ref(), &old.id, Duration::from_secs(3600), app.clock.now())
            .await
            .unwrap();
    let new = TestClient { id: old.id.clone(), secret: rotated.secret.map(|s| s.expose().to_owned()) };
    let form = [("grant_type", "client_credentials")];
    assert_eq!(app.token(&old, &form).await.status(), 200);
    assert_eq!(app.token(&new, &form).await.status(), 200);
    app.clock.advance(Duration::from_secs(3601));
    assert_error(app.token(&old, &form).await, 401, "invalid_client").await;
    assert_eq!(app.token(&new, &form).await.status(), 200);
}

#[tokio::test]
async fn removing_a_client_revokes_its_tokens() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let body: Value = app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    admin::remove_client(app.store.as_ref(), &client.id, app.clock.now()).await.unwrap();
    assert!(!app.is_active(token).await);
    assert_error(app.token(&client, &[("grant_type", "client_credentials")]).await, 401, "invalid_client")
        .await;
}

#[tokio::test]
async fn a_cached_client_record_is_at_most_a_second_old() {
    let app = TestApp::spawn_with(|settings| settings.client_cache_ttl = Duration::from_secs(1)).await;
    let old = app.service_client().await;
    let form = [("grant_type", "client_credentials")];
    assert_eq!(app.token(&old, &form).await.status(), 200, "now cached");
    let rotated = admin::rotate_client_secret(app.store.as_ref(), &old.id, Duration::ZERO, app.clock.now())
        .await
        .unwrap();
    let new = TestClient { id: old.id.clone(), secret: rotated.secret.map(|s| s.expose().to_owned()) };
    assert_eq!(app.token(&old, &form).await.status(), 200, "within the second, the cached record answers");
    app.clock.advance(Duration::from_secs(1));
    assert_error(app.token(&old, &form).await, 401, "invalid_client").await;
    assert_eq!(app.token(&new, &form).await.status(), 200);
}
