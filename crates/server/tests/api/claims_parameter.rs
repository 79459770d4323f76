//! OpenID Connect Core §5.5: the `claims` request parameter — single claims asked for in
//! the ID token or from userinfo, unknown ones ignored, and `sub` with a value answered
//! only for that user (§5.5.1).

use oauth2u::core::admin::{self, ClientSpec};
use serde_json::{Value, json};

use super::authorize::assert_redirected_error;
use super::id_token::{exchange, verify_id_token};
use super::openid::{app, openid_request, sign_in_for_code};
use crate::helpers::*;

/// A client that may ask for `scopes`; Alice has a profile.
async fn client_for(app: &TestApp, scopes: &str) -> TestClient {
    let profile = json!({
        "name": "Alice Liddell", "email": "alice@example.com", "email_verified": true,
        "phone_number": "+44 20 7946 0000", "locale": "en-GB"
    });
    admin::update_user_claims(app.store.as_ref(), USERNAME, profile.as_object().unwrap().clone())
        .await
        .unwrap();
    app.register(ClientSpec {
        name: Some("claims reader".into()),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        scopes: Some(scopes.into()),
        ..ClientSpec::default()
    })
    .await
}

/// Signs in with `claims` (scope `openid` alone); the verified ID token and userinfo.
async fn signed_in_with(app: &TestApp, client: &TestClient, claims: &Value) -> (Value, Value) {
    let mut browser = Browser::new(app);
    let claims = claims.to_string();
    let code =
        sign_in_for_code(&mut browser, client, &[("scope", "openid"), ("claims", &claims)], false).await;
    let body = exchange(app, client, &code).await;
    let id_token = verify_id_token(app, client, body["id_token"].as_str().unwrap()).await;
    let userinfo = super::userinfo::userinfo_claims(app, body["access_token"].as_str().unwrap()).await;
    (serde_json::to_value(id_token.custom).unwrap(), userinfo)
}

#[tokio::test]
async fn single_claims_are_released_where_they_are_asked_for_and_nowhere_else() {
    let app = app().await;
    let client = client_for(&app, "openid profile email phone").await;
    let claims = json!({
        "id_token": {"email": {"essential": true}, "email_verified": null},
        "userinfo": {"name": null, "locale": {"values": ["fr", "en-GB"]}, "shoe_size": {"essential": true}},
        "unknown_member": {"name": null}
    });
    let (id_token, userinfo) = signed_in_with(&app, &client, &claims).await;

    assert_eq!(id_token["email"], "alice@example.com");
    assert_eq!(id_token["email_verified"], true);
    assert!(id_token.get("name").is_none(), "asked for at userinfo only: {id_token}");
    assert_eq!(userinfo, json!({"sub": app.subject, "name": "Alice Liddell", "locale": "en-GB"}));
}

#[tokio::test]
async fn the_consent_page_names_the_scopes_of_the_claims_asked_for() {
    let app = app().await;
    let client = client_for(&app, "openid profile email phone").await;
    let claims = json!({"userinfo": {"email": null}}).to_string();
    let mut browser = Browser::new(&app);
    let login = browser.get(&openid_request(&client, &[("scope", "openid"), ("claims", &claims)])).await;
    let after_login = browser.login(&login.text().await.unwrap(), USERNAME, PASSWORD).await;
    let consent =
        browser.get(after_login.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    assert!(consent.contains("<code>email</code>"), "the user is asked about email: {consent}");
    assert!(!consent.contains("<code>phone</code>"));
}

#[tokio::test]
async fn a_claim_the_client_may_not_ask_for_or_the_server_does_not_know_is_ignored() {
    let app = app().await;
    let client = client_for(&app, "openid profile").await;
    let claims = json!({"id_token": {"email": {"essential": true}, "favourite_colour": null, "name": null}});
    let (id_token, userinfo) = signed_in_with(&app, &client, &claims).await;
    assert!(id_token.get("email").is_none(), "email is outside the client's scopes: {id_token}");
    assert!(id_token.get("favourite_colour").is_none());
    assert_eq!(id_token["name"], "Alice Liddell");
    assert_eq!(userinfo, json!({"sub": app.subject}), "scope openid alone releases nothing at userinfo");
}

#[tokio::test]
async fn a_sub_asked_for_with_a_value_is_answered_only_for_that_user() {
    let app = app().await;
    let client = client_for(&app, "openid read").await;
    let mut browser = Browser::new(&app);
    sign_in_for_code(&mut browser, &client, &[], true).await;

    let asking_for = |sub: &str| json!({"id_token": {"sub": {"value": sub}}}).to_string();
    let alice = asking_for(&app.subject);
    let silent = browser.get(&openid_request(&client, &[("prompt", "none"), ("claims", &alice)])).await;
    assert!(
        redirect_params(&silent).contains_key("code"),
        "Alice is signed in: {:?}",
        redirect_params(&silent)
    );

    let someone_else = asking_for("not-alice");
    let silent =
        browser.get(&openid_request(&client, &[("prompt", "none"), ("claims", &someone_else)])).await;
    assert_redirected_error(silent, "login_required").await;
    // Without prompt=none the user is asked to sign in as that user.
    let page = browser.get(&openid_request(&client, &[("claims", &someone_else)])).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"password\""), "the login page");
    // Also asked at userinfo, the same rule holds.
    let at_userinfo = json!({"userinfo": {"sub": {"value": "not-alice"}}}).to_string();
    let silent = browser.get(&openid_request(&client, &[("prompt", "none"), ("claims", &at_userinfo)])).await;
    assert_redirected_error(silent, "login_required").await;
}

#[tokio::test]
async fn a_malformed_claims_parameter_is_invalid_request() {
    let app = app().await;
    let client = client_for(&app, "openid read").await;
    let mut browser = Browser::new(&app);
    sign_in_for_code(&mut browser, &client, &[], true).await;
    for bad in ["not json", "[1]", r#"{"userinfo": "all"}"#, r#"{"id_token": {"sub": {"value": 7}}}"#] {
        let response = browser.get(&openid_request(&client, &[("claims", bad)])).await;
        assert_redirected_error(response, "invalid_request").await;
    }
}
