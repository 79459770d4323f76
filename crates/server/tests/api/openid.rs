//! OpenID Connect Core §3.1.2: what an OpenID authentication request adds to the OAuth 2.0
//! authorization request — `redirect_uri` required, request objects refused, `nonce`
//! bounded, and `prompt` (`none` shows no page; `consent` asks again).

use oauth2u::core::admin::ClientSpec;

use super::authorize::assert_redirected_error;
use crate::helpers::*;

pub(crate) async fn app() -> TestApp {
    TestApp::spawn_with(|settings| settings.auto_approve = None).await
}

/// A confidential client that may ask for `openid`, with one registered redirect URI.
pub(crate) async fn relying_party(app: &TestApp) -> TestClient {
    relying_party_for(app, "openid read").await
}

/// The same client, allowed to ask for `scopes`.
pub(crate) async fn relying_party_for(app: &TestApp, scopes: &str) -> TestClient {
    app.register(ClientSpec {
        name: Some("relying party".into()),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        scopes: Some(scopes.into()),
        ..ClientSpec::default()
    })
    .await
}

/// `/authorize?…` for an OpenID code request with PKCE and `state=s1`, plus `extra`
/// (which replaces a parameter of the same name).
pub(crate) fn openid_request(client: &TestClient, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid read"),
        ("state", "s1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        match params.iter_mut().find(|(existing, _)| existing == name) {
            Some(param) => param.1 = value,
            None => params.push((name, value)),
        }
    }
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    format!("/authorize?{query}")
}

/// Signs in and allows an OpenID request, remembering the consent when asked to.
async fn sign_in(browser: &mut Browser<'_>, client: &TestClient, remember: bool) {
    sign_in_for_code(browser, client, &[], remember).await;
}

/// Signs in and allows an OpenID request with `extra` parameters; the code it returns.
pub(crate) async fn sign_in_for_code(
    browser: &mut Browser<'_>,
    client: &TestClient,
    extra: &[(&str, &str)],
    remember: bool,
) -> String {
    let login = browser.get(&openid_request(client, extra)).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    assert_eq!(after_login.status(), 303);
    let location = after_login.headers()["location"].to_str().unwrap().to_owned();
    let consent = browser.get(&location).await.text().await.unwrap();
    let back = browser.consent(&consent, "allow", remember).await;
    let code = redirect_params(&back).get("code").cloned();
    code.expect("signed in and allowed")
}

#[tokio::test]
async fn an_openid_request_must_name_its_redirect_uri_even_with_one_registered() {
    let app = app().await;
    let client = relying_party(&app).await;
    let params = [
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("scope", "openid"),
        ("state", "s1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    // Core §3.1.2.1: REQUIRED; RFC 6749 §4.1.2.1: an unestablished redirect URI is a page.
    let refused = app.get_authorize(&params).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.headers().get("location").is_none(), "never redirected");
    assert!(refused.text().await.unwrap().contains("redirect_uri"));

    // Without `openid`, RFC 6749 §3.1.2.3 still lets a single registered URI be omitted.
    let mut plain = params;
    plain[2] = ("scope", "read");
    assert_eq!(app.get_authorize(&plain).await.status(), 200, "the login page");
}

#[tokio::test]
async fn an_unverifiable_request_object_and_a_remote_request_uri_are_refused_with_their_own_error_codes() {
    let app = app().await;
    let client = relying_party(&app).await;
    // RFC 9101 §6.3: to the registered redirect URI the request names.
    let response = app.http.get(app.url(&openid_request(&client, &[("request", "eyJ.x.y")]))).send().await;
    assert_redirected_error(response.unwrap(), "invalid_request_object").await;
    // Only pushed requests' URNs are accepted; nothing is fetched, and the redirect URI is
    // in the request that was not fetched: the error page.
    let response = app
        .http
        .get(app.url(&openid_request(&client, &[("request_uri", "https://rp.example/r.jwt")])))
        .send()
        .await;
    let response = response.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("request_uri_not_supported"));
}

#[tokio::test]
async fn a_nonce_longer_than_the_limit_is_invalid_request() {
    let app = app().await;
    let client = relying_party(&app).await;
    let longest = "n".repeat(512);
    let fine = app.http.get(app.url(&openid_request(&client, &[("nonce", &longest)]))).send().await.unwrap();
    assert_eq!(fine.status(), 200, "512 characters: the login page");
    let too_long = format!("{longest}n");
    let response =
        app.http.get(app.url(&openid_request(&client, &[("nonce", &too_long)]))).send().await.unwrap();
    assert_redirected_error(response, "invalid_request").await;
}

#[tokio::test]
async fn prompt_none_with_another_value_is_invalid_request() {
    let app = app().await;
    let client = relying_party(&app).await;
    for prompt in ["none login", "consent none", "none select_account"] {
        let response =
            app.http.get(app.url(&openid_request(&client, &[("prompt", prompt)]))).send().await.unwrap();
        assert_redirected_error(response, "invalid_request").await;
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required_and_shows_no_page() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    let response = browser.get(&openid_request(&client, &[("prompt", "none")])).await;
    assert_redirected_error(response, "login_required").await;
}

#[tokio::test]
async fn prompt_none_before_consent_is_consent_required_and_after_it_a_code() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &client, false).await;
    let response = browser.get(&openid_request(&client, &[("prompt", "none")])).await;
    assert_redirected_error(response, "consent_required").await;

    sign_in(&mut browser, &client, true).await;
    let response = browser.get(&openid_request(&client, &[("prompt", "none")])).await;
    assert_eq!(response.status(), 302);
    let params = redirect_params(&response);
    assert!(params.contains_key("code"), "signed in and consented: no page, a code");
    assert_eq!(params["state"], "s1");
}

#[tokio::test]
async fn prompt_consent_asks_again_although_consent_is_remembered() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &client, true).await;
    let remembered = browser.get(&openid_request(&client, &[])).await;
    assert_eq!(remembered.status(), 302, "remembered: straight back");

    let asked = browser.get(&openid_request(&client, &[("prompt", "consent")])).await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("name=\"decision\""), "the consent page");
}

#[tokio::test]
async fn prompt_means_nothing_without_openid() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("scope", "read"),
            ("state", "s1"),
            ("prompt", "none"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let response = browser.get(&format!("/authorize?{query}")).await;
    assert_eq!(response.status(), 200, "plain OAuth 2.0: the login page, prompt is not ours to read");
}

#[tokio::test]
async fn prompt_none_is_interaction_required_where_a_plugin_would_show_a_page() {
    let (app, _plugins) = TestApp::spawn_with_plugin(
        "ask.rhai",
        r#"fn authorization_GET(request) { return render("<p>one question</p>"); }"#,
    )
    .await;
    let client = relying_party(&app).await;
    let page = app.http.get(app.url(&openid_request(&client, &[]))).send().await.unwrap();
    assert_eq!(page.status(), 200, "without prompt=none, the plugin's page");
    let response =
        app.http.get(app.url(&openid_request(&client, &[("prompt", "none")]))).send().await.unwrap();
    assert_redirected_error(response, "interaction_required").await;
}

#[tokio::test]
async fn implicit_and_hybrid_id_token_response_types_are_unsupported() {
    let app = app().await;
    let client = relying_party(&app).await;
    for response_type in ["id_token", "id_token token", "code id_token", "code token", "code id_token token"]
    {
        let params = [
            ("response_type", response_type),
            ("client_id", client.id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("state", "s1"),
            ("nonce", "n-0S6_WzA2Mj"),
        ];
        let response = app.get_authorize(&params).await;
        // Core §3.2.2.5 / §3.3.2.6: these answer in the fragment, as RFC 6749 §4.2.2.1 does.
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.contains('#') && !location.contains('?'), "{response_type}: {location}");
        assert_redirected_error(response, "unsupported_response_type").await;
    }
}

#[tokio::test]
async fn login_hint_fills_in_the_username_escaped() {
    let app = app().await;
    let client = relying_party(&app).await;
    let page =
        app.http.get(app.url(&openid_request(&client, &[("login_hint", "alice")]))).send().await.unwrap();
    assert_eq!(hidden_value(&page.text().await.unwrap(), "username"), "alice");

    let hostile = "\"><script>alert(1)</script>";
    let page =
        app.http.get(app.url(&openid_request(&client, &[("login_hint", hostile)]))).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(!page.contains("<script>"), "escaped");
    assert_eq!(hidden_value(&page, "username"), hostile);
}

/// The `value` of the input named `name`, unescaped.
fn hidden_value(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" autocomplete=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no input {name} in {page}")) + marker.len();
    unescape(&page[start..start + page[start..].find('"').unwrap()])
}

#[tokio::test]
async fn prompt_login_signs_in_again_despite_a_session_and_only_once() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    sign_in(&mut browser, &client, true).await;
    assert_eq!(browser.get(&openid_request(&client, &[])).await.status(), 302, "the session is live");

    let login = browser.get(&openid_request(&client, &[("prompt", "login")])).await;
    assert_eq!(login.status(), 200);
    let login = login.text().await.unwrap();
    assert!(login.contains("name=\"password\""), "the login page, although signed in");
    let signed_in = browser.login(&login, USERNAME, PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    let back = browser.get(signed_in.headers()["location"].to_str().unwrap()).await;
    assert_eq!(back.status(), 302, "signed in again: not asked a second time");
    assert!(redirect_params(&back).contains_key("code"));

    // The other values stay: `login consent` signs in, then asks for consent.
    let login = browser.get(&openid_request(&client, &[("prompt", "login consent")])).await;
    let signed_in = browser.login(&login.text().await.unwrap(), USERNAME, PASSWORD).await;
    let consent = browser.get(signed_in.headers()["location"].to_str().unwrap()).await;
    assert_eq!(consent.status(), 200);
    assert!(consent.text().await.unwrap().contains("name=\"decision\""), "the consent page");
}
