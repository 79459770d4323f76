//! OpenID Connect Core §3.1.2.1 and §11: when a session may answer an OpenID request —
//! `max_age`, `id_token_hint`, `prompt=select_account` — and `offline_access`.

use std::time::Duration;

use oauth2u::core::Clock;
use oauth2u::core::admin::{self, ClientSpec};

use super::authorize::assert_redirected_error;
use super::id_token::exchange;
use super::openid::{app, openid_request, sign_in_for_code};
use crate::helpers::*;

async fn relying_party(app: &TestApp) -> TestClient {
    super::openid::relying_party_for(app, "openid read offline_access").await
}

/// A browser signed in as alice with the consent remembered, and alice's first ID token.
async fn signed_in<'a>(app: &'a TestApp, client: &TestClient) -> (Browser<'a>, String) {
    let mut browser = Browser::new(app);
    let code = sign_in_for_code(&mut browser, client, &[], true).await;
    let body = exchange(app, client, &code).await;
    (browser, body["id_token"].as_str().unwrap().to_owned())
}

fn is_login_page(page: &str) -> bool {
    page.contains("name=\"password\"")
}

#[tokio::test]
async fn max_age_asks_for_a_new_sign_in_once_the_last_one_is_older() {
    let app = app().await;
    let client = relying_party(&app).await;
    let (mut browser, _) = signed_in(&app, &client).await;
    app.clock.advance(Duration::from_secs(100));

    let recent = browser.get(&openid_request(&client, &[("max_age", "300")])).await;
    assert!(redirect_params(&recent).contains_key("code"), "signed in 100 s ago: within 300");

    let none = browser.get(&openid_request(&client, &[("max_age", "60"), ("prompt", "none")])).await;
    assert_redirected_error(none, "login_required").await;

    let page = browser.get(&openid_request(&client, &[("max_age", "60")])).await.text().await.unwrap();
    assert!(is_login_page(&page), "100 s is older than max_age=60");
    let after_login = browser.login(&page, USERNAME, PASSWORD).await;
    let back = browser.get(after_login.headers()["location"].to_str().unwrap()).await;
    let code = redirect_params(&back)["code"].clone();
    let claims = jwt_payload(exchange(&app, &client, &code).await["id_token"].as_str().unwrap());
    assert_eq!(claims["auth_time"].as_i64(), Some(app.clock.now()), "the new sign-in");
}

#[tokio::test]
async fn max_age_zero_signs_in_again_like_prompt_login_and_a_bad_one_is_refused() {
    let app = app().await;
    let client = relying_party(&app).await;
    let (mut browser, _) = signed_in(&app, &client).await;
    let page = browser.get(&openid_request(&client, &[("max_age", "0")])).await.text().await.unwrap();
    assert!(is_login_page(&page));
    // Signing in answers max_age=0, even a second later: the form does not ask again.
    let after_login = browser.login(&page, USERNAME, PASSWORD).await;
    app.clock.advance(Duration::from_secs(1));
    let back = browser.get(after_login.headers()["location"].to_str().unwrap()).await;
    assert!(redirect_params(&back).contains_key("code"));

    for bad in ["-1", "1h", "0.5"] {
        let response = browser.get(&openid_request(&client, &[("max_age", bad)])).await;
        assert_redirected_error(response, "invalid_request").await;
    }
}

#[tokio::test]
async fn an_id_token_hint_of_ours_is_accepted_even_expired() {
    let app = TestApp::spawn_with(|settings| {
        settings.auto_approve = None;
        settings.lifetimes.id_token = Duration::from_secs(60);
    })
    .await;
    let client = relying_party(&app).await;
    let (mut browser, id_token) = signed_in(&app, &client).await;
    let hinted =
        browser.get(&openid_request(&client, &[("id_token_hint", &id_token), ("prompt", "none")])).await;
    assert!(redirect_params(&hinted).contains_key("code"), "the session's own user");

    app.clock.advance(Duration::from_secs(120));
    let expired =
        browser.get(&openid_request(&client, &[("id_token_hint", &id_token), ("prompt", "none")])).await;
    assert!(redirect_params(&expired).contains_key("code"), "§3.1.2.1: an expired hint still names the user");
}

#[tokio::test]
async fn an_id_token_hint_that_is_not_our_id_token_is_invalid_request() {
    let app = app().await;
    let client = relying_party(&app).await;
    let (mut browser, id_token) = signed_in(&app, &client).await;
    let mut tampered = id_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (header, _) = id_token.rsplit_once('.').unwrap();
    let unsigned = format!("{header}.");
    for hint in [tampered.as_str(), unsigned.as_str(), "not.a.jwt", "garbage"] {
        let response = browser.get(&openid_request(&client, &[("id_token_hint", hint)])).await;
        assert_redirected_error(response, "invalid_request").await;
    }
}

#[tokio::test]
async fn a_hint_for_another_user_than_the_sessions_needs_that_users_sign_in() {
    let app = app().await;
    let client = relying_party(&app).await;
    admin::add_user(app.store.as_ref(), "bob", "bob's long password", app.clock.now()).await.unwrap();
    // Bob's ID token, from his own browser.
    let mut bobs = Browser::new(&app);
    let login = bobs.get(&openid_request(&client, &[])).await.text().await.unwrap();
    let after_login = bobs.login(&login, "bob", "bob's long password").await;
    let consent = bobs.get(after_login.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    let code = redirect_params(&bobs.consent(&consent, "allow", false).await)["code"].clone();
    let bobs_token = exchange(&app, &client, &code).await["id_token"].as_str().unwrap().to_owned();

    // Alice's browser, with Bob's hint.
    let (mut alices, _) = signed_in(&app, &client).await;
    let none =
        alices.get(&openid_request(&client, &[("id_token_hint", &bobs_token), ("prompt", "none")])).await;
    assert_redirected_error(none, "login_required").await;
    let page =
        alices.get(&openid_request(&client, &[("id_token_hint", &bobs_token)])).await.text().await.unwrap();
    assert!(is_login_page(&page));
    assert!(page.contains("value=\"bob\""), "the hinted user's name is filled in");
}

#[tokio::test]
async fn a_jwt_access_token_is_no_id_token_hint() {
    let app = app().await;
    let client = app
        .register(ClientSpec {
            name: Some("jwt rp".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            scopes: Some("openid read".into()),
            access_token_format: Some(oauth2u::core::config::TokenFormat::Jwt),
            ..ClientSpec::default()
        })
        .await;
    let mut browser = Browser::new(&app);
    let code = sign_in_for_code(&mut browser, &client, &[], true).await;
    let access_token = exchange(&app, &client, &code).await["access_token"].as_str().unwrap().to_owned();
    let response = browser.get(&openid_request(&client, &[("id_token_hint", &access_token)])).await;
    assert_redirected_error(response, "invalid_request").await;
}

#[tokio::test]
async fn select_account_shows_who_is_signed_in_with_a_way_to_switch() {
    let app = app().await;
    let client = relying_party(&app).await;
    let (mut browser, _) = signed_in(&app, &client).await;
    let page = browser.get(&openid_request(&client, &[("prompt", "select_account")])).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("alice") && !is_login_page(&page), "{page}");
    let link = |label: &str| {
        let end = page.find(label).unwrap();
        let start = page[..end].rfind("href=\"").unwrap() + "href=\"".len();
        unescape(&page[start..start + page[start..].find('"').unwrap()])
    };
    let go_on = browser.get(&link("Continue as")).await;
    assert!(redirect_params(&go_on).contains_key("code"), "continuing as alice");
    let switch = browser.get(&link("Use another account")).await.text().await.unwrap();
    assert!(is_login_page(&switch), "switching signs in again");
}

#[tokio::test]
async fn offline_access_is_never_covered_by_remembered_consent() {
    let app = app().await;
    let client = relying_party(&app).await;
    let (mut browser, _) = signed_in(&app, &client).await;
    let scope = [("scope", "openid read offline_access")];
    let page = browser.get(&openid_request(&client, &scope)).await.text().await.unwrap();
    assert!(page.contains("name=\"decision\""), "the consent page, despite remembered consent");
    let none = browser.get(&openid_request(&client, &[scope[0], ("prompt", "none")])).await;
    assert_redirected_error(none, "consent_required").await;
}

#[tokio::test]
async fn refresh_tokens_for_openid_requests_can_be_made_to_need_offline_access() {
    let app = TestApp::spawn_with(|settings| settings.oidc.refresh_requires_offline_access = true).await;
    let client = relying_party(&app).await;
    let body = exchange(&app, &client, &app_code(&app, &client, "openid read").await).await;
    assert!(body.get("refresh_token").is_none(), "no offline_access, no refresh token: {body}");
    let body = exchange(&app, &client, &app_code(&app, &client, "openid offline_access").await).await;
    assert!(body["refresh_token"].is_string(), "{body}");
    assert!(body["scope"].as_str().unwrap().contains("offline_access"));
    // Plain OAuth 2.0 requests are not OpenID requests: unchanged.
    let body = exchange(&app, &client, &app_code(&app, &client, "read").await).await;
    assert!(body["refresh_token"].is_string(), "{body}");
}

/// A code for `scope`, approved by the development switch (alice).
async fn app_code(app: &TestApp, client: &TestClient, scope: &str) -> String {
    let response = app.http.get(app.url(&openid_request(client, &[("scope", scope)]))).send().await.unwrap();
    redirect_params(&response)["code"].clone()
}

#[tokio::test]
async fn without_a_code_offline_access_is_ignored() {
    let app = TestApp::spawn_with(|settings| settings.grants.implicit = true).await;
    let client = super::implicit::implicit_client_for(&app, "openid offline_access").await;
    let params = [
        ("response_type", "token"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid offline_access"),
        ("state", "s1"),
    ];
    let response = app.get_authorize(&params).await;
    let fragment = redirect_params(&response);
    assert_eq!(fragment["scope"], "openid", "§11: offline_access MUST be ignored: {fragment:?}");
    let stored = app.record(&fragment["access_token"]).await;
    assert!(!stored.scope.contains("offline_access"));
}
