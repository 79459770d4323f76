//! OpenID Connect Core §5.3: the UserInfo endpoint, its claims by scope (§5.4), and its
//! RFC 6750 refusals.

use std::time::Duration;

use oauth2u::core::Clock;
use oauth2u::core::admin::{self, ClientSpec};
use serde_json::{Value, json};

use super::openid::{app, sign_in_for_code};
use crate::helpers::*;

async fn profile_client(app: &TestApp) -> TestClient {
    app.register(ClientSpec {
        name: Some("profile reader".into()),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        scopes: Some("openid profile email read".into()),
        allowed_origins: Some(vec!["https://app.example".into()]),
        ..ClientSpec::default()
    })
    .await
}

/// Alice's profile, and an access token for `scope` obtained through the login form.
async fn access_token(app: &TestApp, client: &TestClient, scope: &str) -> String {
    let changes = json!({
        "name": "Alice Liddell", "email": "alice@example.com", "email_verified": true,
        "phone_number": "+44 20 7946 0000", "employee_id": "E-7"
    });
    admin::update_user_claims(app.store.as_ref(), USERNAME, changes.as_object().unwrap().clone())
        .await
        .unwrap();
    let mut browser = Browser::new(app);
    let code = sign_in_for_code(&mut browser, client, &[("scope", scope)], false).await;
    let body = super::id_token::exchange(app, client, &code).await;
    body["access_token"].as_str().expect("an access token").to_owned()
}

async fn userinfo_get(app: &TestApp, token: &str) -> reqwest::Response {
    app.http.get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap()
}

/// What userinfo answers `token`, which it must accept.
pub(crate) async fn userinfo_claims(app: &TestApp, token: &str) -> Value {
    let response = userinfo_get(app, token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn userinfo_answers_the_sub_and_exactly_the_claims_the_scope_releases() {
    let app = app().await;
    let client = profile_client(&app).await;
    let token = access_token(&app, &client, "openid email").await;
    let response = userinfo_get(&app, &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let claims: Value = response.json().await.unwrap();
    assert_eq!(claims, json!({"sub": app.subject, "email": "alice@example.com", "email_verified": true}));

    // RFC 6750 §2.2: in the form body of a POST, the same answer.
    let posted = app.http.post(app.url("/userinfo")).form(&[("access_token", &token)]).send().await.unwrap();
    assert_eq!(posted.status(), 200);
    assert_eq!(posted.json::<Value>().await.unwrap(), claims);
    // And in the header of a POST.
    let posted = app.http.post(app.url("/userinfo")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(posted.json::<Value>().await.unwrap(), claims);

    let token = access_token(&app, &client, "openid profile").await;
    let claims: Value = userinfo_get(&app, &token).await.json().await.unwrap();
    assert_eq!(claims["name"], "Alice Liddell");
    assert_eq!(claims["preferred_username"], USERNAME);
    assert!(claims.get("email").is_none() && claims.get("phone_number").is_none(), "{claims}");
    assert!(claims.get("employee_id").is_none(), "no scope releases it: {claims}");
}

#[tokio::test]
async fn without_credentials_userinfo_is_401_with_a_bare_bearer_challenge() {
    let app = app().await;
    let get = app.http.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(get.status(), 401);
    assert_eq!(challenge(&get), "Bearer", "RFC 6750 §3.1: no error code without credentials");
    let post = app.http.post(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(post.status(), 401);
    assert_eq!(challenge(&post), "Bearer");
    let basic = app.http.get(app.url("/userinfo")).basic_auth("client", Some("secret")).send().await.unwrap();
    assert_eq!(basic.status(), 401, "another scheme is no bearer credential");
    assert_eq!(challenge(&basic), "Bearer");
}

#[tokio::test]
async fn an_unknown_expired_or_revoked_token_is_401_invalid_token() {
    let app = app().await;
    let client = profile_client(&app).await;
    let unknown = userinfo_get(&app, "not-a-token").await;
    assert_eq!(unknown.status(), 401);
    assert!(challenge(&unknown).starts_with("Bearer error=\"invalid_token\""), "{}", challenge(&unknown));

    let revoked = access_token(&app, &client, "openid").await;
    let revoke = [("token", revoked.as_str())];
    assert_eq!(
        app.http
            .post(app.url("/revoke"))
            .basic_auth(&client.id, client.secret.as_ref())
            .form(&revoke)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response = userinfo_get(&app, &revoked).await;
    assert_eq!(response.status(), 401);
    assert!(challenge(&response).contains("invalid_token"));

    let expiring = access_token(&app, &client, "openid").await;
    assert_eq!(userinfo_get(&app, &expiring).await.status(), 200);
    app.clock.advance(Duration::from_secs(3601));
    let response = userinfo_get(&app, &expiring).await;
    assert_eq!(response.status(), 401);
    assert!(challenge(&response).contains("invalid_token"));
}

#[tokio::test]
async fn a_refresh_token_is_no_access_token_at_userinfo() {
    let app = app().await;
    let client = profile_client(&app).await;
    let mut browser = Browser::new(&app);
    let code = sign_in_for_code(&mut browser, &client, &[("scope", "openid")], false).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    let body: Value = app.token(&client, &form).await.json().await.unwrap();
    let response = userinfo_get(&app, body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), 401);
    assert!(challenge(&response).contains("invalid_token"));
}

#[tokio::test]
async fn a_token_without_openid_is_403_insufficient_scope() {
    let app = app().await;
    let client = profile_client(&app).await;
    let token = access_token(&app, &client, "read").await;
    let response = userinfo_get(&app, &token).await;
    assert_eq!(response.status(), 403);
    let value = challenge(&response);
    assert!(
        value.starts_with("Bearer error=\"insufficient_scope\"") && value.contains("scope=\"openid\""),
        "{value}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn a_token_sent_two_ways_at_once_is_invalid_request() {
    let app = app().await;
    let client = profile_client(&app).await;
    let token = access_token(&app, &client, "openid").await;
    let response = app
        .http
        .post(app.url("/userinfo"))
        .bearer_auth(&token)
        .form(&[("access_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "RFC 6750 §2: one method only");
    assert!(challenge(&response).contains("invalid_request"));
}

#[tokio::test]
async fn a_disabled_users_token_gets_nothing_from_userinfo() {
    let app = app().await;
    let client = profile_client(&app).await;
    let token = access_token(&app, &client, "openid profile").await;
    admin::disable_user(app.store.as_ref(), USERNAME, app.clock.now()).await.unwrap();
    assert_eq!(userinfo_get(&app, &token).await.status(), 401);
}

#[tokio::test]
async fn userinfo_has_cors_for_registered_origins_and_exposes_the_challenge() {
    let app = app().await;
    let client = profile_client(&app).await;
    let token = access_token(&app, &client, "openid").await;
    let response = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(&token)
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example");
    let refused =
        app.http.get(app.url("/userinfo")).header("origin", "https://app.example").send().await.unwrap();
    let exposed = refused.headers()["access-control-expose-headers"].to_str().unwrap().to_lowercase();
    assert!(exposed.contains("www-authenticate"), "{exposed}");
    let foreign =
        app.http.get(app.url("/userinfo")).header("origin", "https://evil.example").send().await.unwrap();
    assert!(foreign.headers().get("access-control-allow-origin").is_none());
}
