//! OpenID Connect RP-Initiated Logout 1.0: `/logout` as the `end_session_endpoint` — its
//! parameters, the confirmation the user gives, the exact-match redirect back with
//! `state`, and what ending the session revokes (Back-Channel Logout §2.7).

use std::time::Duration;

use oauth2u::core::admin::ClientSpec;
use serde_json::Value;

use super::authorize::assert_redirected_error;
use super::id_token::exchange;
use super::openid::{app, openid_request, sign_in_for_code};
use crate::helpers::*;

pub(crate) const BYE: &str = "https://client.example/bye";

/// A relying party with a registered post-logout URI, for `scopes`.
pub(crate) async fn logging_out_client(app: &TestApp, scopes: &str) -> TestClient {
    app.register(ClientSpec {
        name: Some("Photo App".into()),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        scopes: Some(scopes.into()),
        post_logout_redirect_uris: Some(vec![BYE.into(), "https://client.example/bye?lang=en".into()]),
        ..ClientSpec::default()
    })
    .await
}

/// Signs in through the pages (consent remembered); the browser and the token response.
async fn signed_in<'a>(app: &'a TestApp, client: &TestClient) -> (Browser<'a>, Value) {
    let mut browser = Browser::new(app);
    let code = sign_in_for_code(&mut browser, client, &[], true).await;
    let tokens = exchange(app, client, &code).await;
    (browser, tokens)
}

/// Signs in again in a new browser, the consent already remembered.
async fn signed_in_again<'a>(app: &'a TestApp, client: &TestClient) -> (Browser<'a>, Value) {
    let mut browser = Browser::new(app);
    let login = browser.get(&openid_request(client, &[])).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    let back = browser.get(after_login.headers()["location"].to_str().unwrap()).await;
    let tokens = exchange(app, client, &redirect_params(&back)["code"]).await;
    (browser, tokens)
}

fn logout_url(params: &[(&str, &str)]) -> String {
    format!("/logout?{}", url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish())
}

/// Confirms the logout page's form as the user would, sending what it carries.
async fn confirm(browser: &mut Browser<'_>, page: &str) -> reqwest::Response {
    let mut form = vec![("csrf_token", hidden(page, "csrf_token"))];
    for field in ["client_id", "post_logout_redirect_uri", "state"] {
        if page.contains(&format!("name=\"{field}\"")) {
            form.push((field, hidden(page, field)));
        }
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(name, value)| (*name, value.as_str())).collect();
    browser.post("/logout", &form).await
}

/// Whether the browser's session still signs it in (prompt=none answers with a code).
async fn still_signed_in(browser: &mut Browser<'_>, client: &TestClient) -> bool {
    let silent = browser.get(&openid_request(client, &[("prompt", "none")])).await;
    redirect_params(&silent).contains_key("code")
}

async fn signed_out_page(response: reqwest::Response) {
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("You are signed out."));
}

#[tokio::test]
async fn a_confirmed_logout_ends_the_session_and_returns_to_the_registered_uri_with_state() {
    let app = app().await;
    let client = logging_out_client(&app, "openid read").await;
    let (mut browser, tokens) = signed_in(&app, &client).await;
    assert!(still_signed_in(&mut browser, &client).await);

    let hint = tokens["id_token"].as_str().unwrap();
    let page = browser
        .get(&logout_url(&[("id_token_hint", hint), ("post_logout_redirect_uri", BYE), ("state", "st 1")]))
        .await;
    assert_eq!(page.status(), 200, "the user confirms first");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let page = page.text().await.unwrap();
    assert!(page.contains("Photo App") && page.contains("Sign out"), "{page}");
    assert!(still_signed_in(&mut browser, &client).await, "nothing happens before the confirmation");

    let done = confirm(&mut browser, &page).await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "https://client.example/bye?state=st+1");
    let cleared = done.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(!still_signed_in(&mut browser, &client).await, "the session is over");
}

#[tokio::test]
async fn a_logout_without_confirmation_changes_nothing() {
    let app = app().await;
    let client = logging_out_client(&app, "openid read").await;
    let (mut browser, _) = signed_in(&app, &client).await;
    let page = browser.get(&logout_url(&[("client_id", &client.id)])).await.text().await.unwrap();
    let forged = browser.post("/logout", &[("csrf_token", "forged"), ("client_id", &client.id)]).await;
    assert_eq!(forged.status(), 400, "a form from elsewhere is refused");
    assert!(still_signed_in(&mut browser, &client).await);
    assert!(page.contains("csrf_token"));
}

#[tokio::test]
async fn an_unregistered_or_unmatchable_post_logout_uri_gets_the_signed_out_page_never_a_redirect() {
    let app = app().await;
    let client = logging_out_client(&app, "openid read").await;
    let (mut browser, tokens) = signed_in(&app, &client).await;
    let hint = tokens["id_token"].as_str().unwrap();
    for uri in ["https://evil.example/", "https://client.example/bye/", "https://client.example/bye?lang=fr"]
    {
        let page =
            browser.get(&logout_url(&[("id_token_hint", hint), ("post_logout_redirect_uri", uri)])).await;
        let page = page.text().await.unwrap();
        assert!(!page.contains("name=\"post_logout_redirect_uri\""), "{uri} is not carried on");
    }
    // A URI with nothing to match it against (no client named): no redirect either.
    let page = browser.get(&logout_url(&[("post_logout_redirect_uri", BYE)])).await.text().await.unwrap();
    assert!(!page.contains("name=\"post_logout_redirect_uri\""));

    // A tampered confirmation form is checked again.
    let csrf = hidden(&page, "csrf_token");
    let tampered = browser
        .post(
            "/logout",
            &[
                ("csrf_token", &csrf),
                ("client_id", &client.id),
                ("post_logout_redirect_uri", "https://evil.example/"),
            ],
        )
        .await;
    signed_out_page(tampered).await;
    assert!(!still_signed_in(&mut browser, &client).await);
}

#[tokio::test]
async fn every_combination_of_client_id_and_id_token_hint_is_checked() {
    let app = app().await;
    let client = logging_out_client(&app, "openid read").await;
    let other = logging_out_client(&app, "openid read").await;
    let (mut browser, tokens) = signed_in(&app, &client).await;
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    let back = |params: &[(&str, &str)]| {
        let mut all = params.to_vec();
        all.extend([("post_logout_redirect_uri", BYE), ("state", "s")]);
        logout_url(&all)
    };
    let carries_the_uri = |page: &str| unescape(page).contains(&format!("value=\"{BYE}\""));

    // Either one names the client; both must agree.
    for params in [
        vec![("client_id", client.id.as_str())],
        vec![("id_token_hint", hint.as_str())],
        vec![("id_token_hint", hint.as_str()), ("client_id", client.id.as_str())],
        vec![("client_id", client.id.as_str()), ("logout_hint", USERNAME), ("ui_locales", "fr-CA en")],
    ] {
        let page = browser.get(&back(&params)).await;
        assert_eq!(page.status(), 200, "{params:?}");
        assert!(carries_the_uri(&page.text().await.unwrap()), "{params:?}");
    }
    let mismatch = browser.get(&back(&[("id_token_hint", &hint), ("client_id", &other.id)])).await;
    assert_eq!(mismatch.status(), 400, "client_id must be the hint's audience");
    let unknown = browser.get(&back(&[("client_id", "nobody")])).await;
    assert_eq!(unknown.status(), 400);
    let mut forged = hint.clone();
    forged.push('x');
    assert_eq!(browser.get(&back(&[("id_token_hint", &forged)])).await.status(), 400, "not our signature");
    assert_eq!(browser.get(&back(&[("id_token_hint", "not.a.jwt")])).await.status(), 400);
    let repeated = browser.get(&format!("/logout?client_id={0}&client_id={0}", client.id)).await;
    assert_eq!(repeated.status(), 400);

    // §2: the OP MUST support POST too.
    let posted =
        browser.post("/logout", &[("client_id", &client.id), ("post_logout_redirect_uri", BYE)]).await;
    assert_eq!(posted.status(), 200);
    assert!(carries_the_uri(&posted.text().await.unwrap()));

    // An expired hint still names the client and the user (§2 SHOULD accept it).
    app.clock.advance(Duration::from_secs(2 * 3600));
    let (mut later, _) = signed_in_again(&app, &client).await;
    let page = later.get(&back(&[("id_token_hint", &hint)])).await;
    assert_eq!(page.status(), 200);
    let done = confirm(&mut later, &page.text().await.unwrap()).await;
    assert_eq!(done.headers()["location"], "https://client.example/bye?state=s");
}

#[tokio::test]
async fn without_a_session_the_browser_goes_straight_back() {
    let app = app().await;
    let client = logging_out_client(&app, "openid read").await;
    let mut browser = Browser::new(&app);
    let back = browser
        .get(&logout_url(&[("client_id", &client.id), ("post_logout_redirect_uri", BYE), ("state", "x")]))
        .await;
    assert_eq!(back.status(), 302);
    assert_eq!(back.headers()["location"], "https://client.example/bye?state=x");
    let nowhere = browser.get(&logout_url(&[("client_id", &client.id)])).await;
    signed_out_page(nowhere).await;
}

#[tokio::test]
async fn logging_out_revokes_the_sessions_tokens_but_not_offline_access_ones() {
    let app = app().await;
    let client = logging_out_client(&app, "openid read offline_access").await;
    let (mut browser, session_tokens) = signed_in(&app, &client).await;
    // A second grant in the same session, with offline_access (always asked for, Core §11).
    let consent = browser.get(&openid_request(&client, &[("scope", "openid offline_access")])).await;
    let consent = consent.text().await.unwrap();
    assert!(consent.contains("offline_access"), "{consent}");
    let back = browser.consent(&consent, "allow", false).await;
    let offline_tokens = exchange(&app, &client, &redirect_params(&back)["code"]).await;
    // And a sign-in elsewhere, in another browser: another session.
    let (_elsewhere, other_tokens) = signed_in_again(&app, &client).await;

    let page = browser.get(&logout_url(&[("client_id", &client.id)])).await.text().await.unwrap();
    signed_out_page(confirm(&mut browser, &page).await).await;

    let refresh = |tokens: &Value| tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = |token: String| {
        let app = &app;
        let client = &client;
        async move { app.token(client, &[("grant_type", "refresh_token"), ("refresh_token", &token)]).await }
    };
    assert_error(refreshed(refresh(&session_tokens)).await, 400, "invalid_grant").await;
    assert!(!app.is_active(session_tokens["access_token"].as_str().unwrap()).await);
    assert_eq!(
        refreshed(refresh(&offline_tokens)).await.status(),
        200,
        "offline_access outlives the session"
    );
    assert_eq!(refreshed(refresh(&other_tokens)).await.status(), 200, "another session is not this one");
}

#[tokio::test]
async fn prompt_none_after_logout_is_login_required() {
    let app = app().await;
    let client = logging_out_client(&app, "openid read").await;
    let (mut browser, _) = signed_in(&app, &client).await;
    let page = browser.get(&logout_url(&[("client_id", &client.id)])).await.text().await.unwrap();
    confirm(&mut browser, &page).await;
    let silent = browser.get(&openid_request(&client, &[("prompt", "none")])).await;
    assert_redirected_error(silent, "login_required").await;
}
