//! The built-in login and consent pages: sessions, CSRF, consent memory, throttling, logout.

use std::time::Duration;

use oauth2u::core::admin::{self, ClientSpec};
use oauth2u::core::model::GrantType;

use crate::helpers::*;

async fn app() -> TestApp {
    TestApp::spawn_with(|settings| settings.auto_approve = None).await
}

fn assert_page_headers(response: &reqwest::Response) {
    let headers = response.headers();
    assert_eq!(headers["x-frame-options"], "DENY");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src") && !csp.contains("unsafe-inline"), "no script may run: {csp}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn login_then_consent_yields_a_code_that_exchanges_for_tokens() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);

    let login = browser.authorize(&client).await;
    assert_eq!(login.status(), 200);
    assert_page_headers(&login);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let login = login.text().await.unwrap();
    assert!(
        login.contains("name=\"username\"")
            && login.contains("name=\"password\"")
            && login.contains("web app")
    );

    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    assert_eq!(after_login.status(), 303);
    let location = after_login.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/authorize?"), "{location}");

    let consent = browser.get(&location).await;
    assert_page_headers(&consent);
    let consent = consent.text().await.unwrap();
    assert!(consent.contains("web app") && consent.contains("client.example") && consent.contains("read"));
    assert!(
        consent.contains("name=\"decision\" value=\"allow\"")
            && consent.contains("name=\"decision\" value=\"deny\"")
    );

    let back = browser.consent(&consent, "allow", false).await;
    assert_eq!(back.status(), 303);
    let params = redirect_params(&back);
    assert_eq!(params["state"], "s1");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("code_verifier", VERIFIER),
    ];
    let tokens = app.token(&client, &form).await;
    assert_eq!(tokens.status(), 200);
}

#[tokio::test]
async fn deny_sends_access_denied_to_the_client() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let consent = browser.consent_page(&client).await;
    let back = browser.consent(&consent, "deny", false).await;
    assert_eq!(back.status(), 303);
    let params = redirect_params(&back);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "s1");
}

#[tokio::test]
async fn remembered_consent_skips_the_consent_page() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let consent = browser.consent_page(&client).await;
    assert!(consent.contains("name=\"remember\""));
    assert_eq!(browser.consent(&consent, "allow", true).await.status(), 303);

    let again = browser.authorize(&client).await;
    assert_eq!(again.status(), 302, "no page: straight back to the client");
    assert!(redirect_params(&again).contains_key("code"));

    // Revoking the consent revokes the client's tokens for the user, and asks again.
    let code = redirect_params(&again)["code"].clone();
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let tokens: serde_json::Value = app.token(&client, &form).await.json().await.unwrap();
    admin::revoke_user_consent(app.store.as_ref(), USERNAME, &client.id, 0).await.unwrap();
    assert!(!app.is_active(tokens["access_token"].as_str().unwrap()).await);
    assert_eq!(browser.authorize(&client).await.status(), 200, "the consent page again");
}

#[tokio::test]
async fn consent_is_never_remembered_for_a_loopback_public_client() {
    let app = app().await;
    let client = app.public_client().await;
    let mut browser = Browser::new(&app);
    let consent = browser.consent_page(&client).await;
    assert!(!consent.contains("name=\"remember\""), "no offer to remember");
    assert_eq!(browser.consent(&consent, "allow", true).await.status(), 303);
    assert_eq!(browser.authorize(&client).await.status(), 200, "asked every time");
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let login = browser.authorize(&client).await.text().await.unwrap();
    let request = hidden(&login, "request");

    let missing = browser
        .post("/login", &[("request", &request), ("username", USERNAME), ("password", PASSWORD)])
        .await;
    assert_eq!(missing.status(), 400);
    assert_page_headers(&missing);

    // A token from another session (the attacker's own) does not fit this one.
    let mut attacker = Browser::new(&app);
    let attackers_page = attacker.authorize(&client).await.text().await.unwrap();
    let foreign = hidden(&attackers_page, "csrf_token");
    let form = [
        ("csrf_token", foreign.as_str()),
        ("request", &request),
        ("username", USERNAME),
        ("password", PASSWORD),
    ];
    assert_eq!(browser.post("/login", &form).await.status(), 400);

    // No session at all.
    let mut stranger = Browser::new(&app);
    let form = [("csrf_token", hidden(&login, "csrf_token")), ("request", request.clone())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(stranger.post("/consent", &form).await.status(), 400);
}

#[tokio::test]
async fn a_consent_form_can_be_submitted_once() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let consent = browser.consent_page(&client).await;
    assert_eq!(browser.consent(&consent, "allow", false).await.status(), 303);
    let replay = browser.consent(&consent, "allow", false).await;
    assert_eq!(replay.status(), 400);
    assert!(replay.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn reflected_input_is_escaped() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let state = "\"><script>alert(1)</script>";
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("response_type", "code"), ("client_id", client.id.as_str()), ("state", state)])
        .finish();
    let page = browser.get(&format!("/authorize?{query}")).await.text().await.unwrap();
    assert!(!page.contains("<script>"), "{page}");
    assert!(hidden(&page, "request").contains("script"), "the state is in the form, escaped");
}

#[tokio::test]
async fn wrong_credentials_show_one_message_and_disabled_users_cannot_sign_in() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let login = browser.authorize(&client).await.text().await.unwrap();
    let wrong_password = browser.login(&login, USERNAME, "not the password").await;
    assert_eq!(wrong_password.status(), 401);
    let wrong_password = wrong_password.text().await.unwrap();
    let unknown_user = browser.login(&login, "mallory", PASSWORD).await.text().await.unwrap();
    assert!(wrong_password.contains("Invalid username or password."));
    assert!(unknown_user.contains("Invalid username or password."));

    admin::disable_user(app.store.as_ref(), USERNAME, 0).await.unwrap();
    let disabled = browser.login(&login, USERNAME, PASSWORD).await;
    assert_eq!(disabled.status(), 401);
}

#[tokio::test]
async fn repeated_failures_for_one_username_are_slowed_down() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let login = browser.authorize(&client).await.text().await.unwrap();
    for _ in 0..5 {
        assert_eq!(browser.login(&login, USERNAME, "guess").await.status(), 401);
    }
    let slowed = browser.login(&login, USERNAME, PASSWORD).await;
    assert_eq!(slowed.status(), 429, "even the right password waits");
    assert!(slowed.text().await.unwrap().contains("Try again in"));
    app.clock.advance(Duration::from_secs(2));
    assert_eq!(browser.login(&login, USERNAME, PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_slowed_down() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let login = browser.authorize(&client).await.text().await.unwrap();
    for name in ["a", "b", "c", "d", "e"] {
        assert_eq!(browser.login(&login, name, "guess").await.status(), 401);
    }
    assert_eq!(browser.login(&login, "f", "guess").await.status(), 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_one_throttled() {
    let app = TestApp::spawn_with(|settings| {
        settings.auto_approve = None;
        settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let client = app.confidential_client().await;
    let mut attacker = Browser::new(&app);
    attacker.forwarded_for = Some("198.51.100.1".into());
    let login = attacker.authorize(&client).await.text().await.unwrap();
    for name in ["a", "b", "c", "d", "e"] {
        assert_eq!(attacker.login(&login, name, "guess").await.status(), 401);
    }
    assert_eq!(attacker.login(&login, "f", "guess").await.status(), 429);
    // Another client behind the same proxy is not slowed down by the attacker's failures.
    let mut neighbour = Browser::new(&app);
    neighbour.forwarded_for = Some("198.51.100.2".into());
    let login = neighbour.authorize(&client).await.text().await.unwrap();
    assert_eq!(neighbour.login(&login, USERNAME, PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = app().await; // trusts no proxy
    let client = app.confidential_client().await;
    let mut attacker = Browser::new(&app);
    let login = attacker.authorize(&client).await.text().await.unwrap();
    for (i, name) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        // A fresh spoofed address each time does not escape the throttle on the real one.
        attacker.forwarded_for = Some(format!("198.51.100.{i}"));
        assert_eq!(attacker.login(&login, name, "guess").await.status(), 401);
    }
    attacker.forwarded_for = Some("198.51.100.99".into());
    assert_eq!(attacker.login(&login, "f", "guess").await.status(), 429);
}

#[tokio::test]
async fn https_through_a_trusted_proxy_gets_hsts_and_plain_http_does_not() {
    let app =
        TestApp::spawn_with(|settings| settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()])
            .await;
    let via_https =
        app.http.get(app.url("/health/live")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert_eq!(via_https.headers()["strict-transport-security"], "max-age=31536000");
    let plain = app.http.get(app.url("/health/live")).send().await.unwrap();
    assert!(plain.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in_and_allow(&client).await.status(), 303);
    let confirm = browser.get("/logout").await;
    assert_page_headers(&confirm);
    let confirm = confirm.text().await.unwrap();
    // Without the page's CSRF token a POST is a logout request (RP-Initiated Logout §2),
    // which asks again; with a wrong one it is refused. Neither ends the session.
    let asked = browser.post("/logout", &[]).await.text().await.unwrap();
    assert!(asked.contains("name=\"csrf_token\""), "{asked}");
    assert_eq!(
        browser.post("/logout", &[("csrf_token", "forged")]).await.status(),
        400,
        "CSRF applies to logout too"
    );
    let done = browser.post("/logout", &[("csrf_token", &hidden(&confirm, "csrf_token"))]).await;
    assert_eq!(done.status(), 200);
    assert!(done.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let page = browser.authorize(&client).await.text().await.unwrap();
    assert!(page.contains("name=\"password\""), "signed out: the login page again");
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let login = browser.authorize(&client).await.text().await.unwrap();
    browser.login(&login, USERNAME, PASSWORD).await;
    assert!(
        browser.authorize(&client).await.text().await.unwrap().contains("decision"),
        "signed in: consent"
    );
    app.clock.advance(Duration::from_secs(61 * 60));
    assert!(browser.authorize(&client).await.text().await.unwrap().contains("name=\"password\""));
}

#[tokio::test]
async fn friendly_pages_for_unknown_paths_and_bad_requests() {
    let app = app().await;
    let missing = app.http.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_page_headers(&missing);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    let css = app.http.get(app.url("/assets/style.css")).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn templates_can_be_replaced_from_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("login.html"), "<h1>ACME sign-in for {{ client_name }}</h1>").unwrap();
    std::fs::write(dir.path().join("style.css"), "body { color: rebeccapurple }").unwrap();
    let templates = dir.path().to_owned();
    let app = TestApp::spawn_with(move |settings| {
        settings.auto_approve = None;
        settings.templates_dir = Some(templates);
    })
    .await;
    let client = app.confidential_client().await;
    let page = Browser::new(&app).authorize(&client).await.text().await.unwrap();
    assert_eq!(page, "<h1>ACME sign-in for web app</h1>");
    let css = app.http.get(app.url("/assets/style.css")).send().await.unwrap().text().await.unwrap();
    assert!(css.contains("rebeccapurple"));
}

#[tokio::test]
async fn the_code_flow_through_the_pages_with_the_oauth2_crate() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
        TokenUrl,
    };

    let app = app().await;
    let client = app
        .register(ClientSpec {
            name: Some("crate client".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            grant_types: Some(vec![GrantType::AuthorizationCode]),
            scopes: Some("read".into()),
            ..ClientSpec::default()
        })
        .await;
    let oauth = BasicClient::new(ClientId::new(client.id.clone()))
        .set_client_secret(ClientSecret::new(client.secret.clone().unwrap()))
        .set_auth_uri(AuthUrl::new(app.url("/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = oauth.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge).url();

    let mut browser = Browser::new(&app);
    let login = browser.get(url.as_str()).await.text().await.unwrap();
    let location =
        browser.login(&login, USERNAME, PASSWORD).await.headers()["location"].to_str().unwrap().to_owned();
    let consent = browser.get(&location).await.text().await.unwrap();
    let back = browser.consent(&consent, "allow", false).await;
    let params = redirect_params(&back);
    assert_eq!(&params["state"], csrf.secret());

    let http = oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = oauth
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert!(app.is_active(oauth2::TokenResponse::access_token(&token).secret()).await);
}

#[tokio::test]
async fn anonymous_visitors_write_no_session() {
    let app = app().await;
    let client = app.confidential_client().await;
    let sessions = || crate::database::count(&app.database_url, "SELECT COUNT(*) FROM sessions");
    for _ in 0..10 {
        let page = Browser::new(&app).authorize(&client).await;
        assert_eq!(page.status(), 200);
        assert!(page.headers().contains_key("set-cookie"), "the cookie anchors the form's CSRF token");
        assert_eq!(Browser::new(&app).get("/device").await.status(), 200);
    }
    assert_eq!(sessions().await, 0, "a flood of GETs writes nothing");
    // The anonymous cookie still carries the sign-in through, and only that writes a row.
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in_and_allow(&client).await.status(), 303);
    assert_eq!(sessions().await, 1);
}

#[tokio::test]
async fn a_repeated_field_in_a_page_form_is_a_400_page() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let login = browser.authorize(&client).await.text().await.unwrap();
    let csrf = hidden(&login, "csrf_token");
    let request = hidden(&login, "request");
    let form = [
        ("csrf_token", csrf.as_str()),
        ("request", request.as_str()),
        ("username", "mallory"),
        ("username", USERNAME),
        ("password", PASSWORD),
    ];
    let response = browser.post("/login", &form).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none(), "not signed in as either");
    assert!(response.text().await.unwrap().contains("repeated"));
    let entry = browser.get("/device").await.text().await.unwrap();
    let csrf = hidden(&entry, "csrf_token");
    let device = [("csrf_token", csrf.as_str()), ("user_code", "BBBB-BBBB"), ("user_code", "CCCC-CCCC")];
    assert_eq!(browser.post("/device", &device).await.status(), 400);
}

/// `[scopes."NAME"]`: the consent page says what a scope means, in the reader's language
/// where there is a translation, and keeps the raw scope beside it.
#[tokio::test]
async fn the_consent_page_describes_scopes_that_are_described() {
    let app = TestApp::spawn_with(|settings| {
        settings.auto_approve = None;
        let read = oauth2u::config::ScopeDescription {
            description: "Read your photos".into(),
            translations: [("fr".to_owned(), "Lire vos photos".to_owned())].into_iter().collect(),
        };
        settings.scopes.insert("read".into(), read);
    })
    .await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let login = browser.authorize(&client).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    let location = after_login.headers()["location"].to_str().unwrap().to_owned();
    let consent = browser.get(&location).await.text().await.unwrap();
    assert!(consent.contains("Read your photos"), "{consent}");
    assert!(consent.contains("<code>write</code>"), "an undescribed scope shows as it is");
    let cookie = browser.cookie.clone().unwrap();
    let french = app
        .http
        .get(app.url(&location))
        .header("cookie", format!("oauth2u_session={cookie}"))
        .header("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(french.contains("Lire vos photos"), "{french}");
}
