//! The login throttle: attempts reserved before they are checked, a sliding window, a capped
//! wait per username, and one throttle for every place a password or device code is taken.

use std::time::Duration;

use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::GrantType;

use crate::helpers::*;

/// No auto-approve, and 127.0.0.1 trusted as a proxy so that each test picks the addresses.
async fn app() -> TestApp {
    TestApp::spawn_with(|settings| {
        settings.auto_approve = None;
        settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await
}

/// A login form for `client`, fetched through a fresh browser at `address`.
async fn login_form<'a>(app: &'a TestApp, client: &TestClient, address: &str) -> (Browser<'a>, String) {
    let mut browser = Browser::new(app);
    browser.forwarded_for = Some(address.into());
    let page = browser.authorize(client).await.text().await.unwrap();
    (browser, page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_concurrent_guesses_for_one_username_check_only_the_free_five() {
    let app = app().await;
    let client = app.confidential_client().await;
    let mut forms = Vec::new();
    for i in 0..40 {
        // Forty addresses: only the username's count can hold them back.
        forms.push(login_form(&app, &client, &format!("198.51.100.{i}")).await);
    }
    let statuses = futures::future::join_all(
        forms
            .iter_mut()
            .map(|(browser, page)| async move { browser.login(page, USERNAME, "guess").await.status() }),
    )
    .await;
    let checked = statuses.iter().filter(|status| status.as_u16() == 401).count();
    let refused = statuses.iter().filter(|status| status.as_u16() == 429).count();
    assert_eq!((checked, refused), (5, 35), "{statuses:?}");
}

#[tokio::test]
async fn the_window_slides_from_the_last_failure() {
    let app = app().await;
    let client = app.confidential_client().await;
    let (mut browser, page) = login_form(&app, &client, "198.51.100.1").await;
    for _ in 0..5 {
        assert_eq!(guess(&mut browser, &page).await, 401);
    }
    app.clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(guess(&mut browser, &page).await, 401, "the wait is over");
    assert_eq!(
        guess(&mut browser, &page).await,
        429,
        "still counted: the 15 minutes began at the last failure"
    );
    app.clock.advance(Duration::from_secs(2 * 60));
    // 16 minutes after the first failure, 2 after the last: a fixed window would start over.
    assert_eq!(guess(&mut browser, &page).await, 401);
    assert_eq!(guess(&mut browser, &page).await, 429, "the window slid with the failures");
    app.clock.advance(Duration::from_secs(15 * 60 + 1));
    assert_eq!(guess(&mut browser, &page).await, 401, "15 minutes without a failure: free again");
    assert_eq!(guess(&mut browser, &page).await, 401);
}

/// A wrong password from a new address.
async fn guess(browser: &mut Browser<'_>, page: &str) -> u16 {
    browser.forwarded_for = Some(format!("203.0.113.{}", rand_octet()));
    browser.login(page, USERNAME, "guess").await.status().as_u16()
}

/// A different documentation address each call, so the address's own count stays out of it.
fn rand_octet() -> u8 {
    use std::sync::atomic::{AtomicU8, Ordering};
    static NEXT: AtomicU8 = AtomicU8::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn the_wait_for_one_username_is_capped_at_a_minute() {
    let app = app().await;
    let client = app.confidential_client().await;
    let (mut browser, page) = login_form(&app, &client, "198.51.100.1").await;
    let mut longest = 0;
    for _ in 0..20 {
        browser.forwarded_for = Some(format!("203.0.113.{}", rand_octet()));
        let response = browser.login(&page, USERNAME, "guess").await;
        if response.status() == 429 {
            let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            longest = longest.max(wait);
            app.clock.advance(Duration::from_secs(wait));
        }
    }
    assert_eq!(longest, 60, "the doubling stops at username_max_delay");
    // The owner, from their own address, gets in within a minute.
    app.clock.advance(Duration::from_secs(60));
    browser.forwarded_for = Some("192.0.2.7".into());
    assert_eq!(browser.login(&page, USERNAME, PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn the_password_grant_is_throttled_and_answers_exactly_as_for_a_wrong_password() {
    let app = TestApp::spawn_with(|settings| settings.grants.password = true).await;
    let client = app
        .register(ClientSpec {
            name: Some("legacy".into()),
            grant_types: Some(vec![GrantType::Password]),
            scopes: Some("read".into()),
            ..ClientSpec::default()
        })
        .await;
    let grant = |password: &'static str| {
        let app = &app;
        let client = &client;
        async move {
            app.token(client, &[("grant_type", "password"), ("username", USERNAME), ("password", password)])
                .await
        }
    };
    let wrong = assert_error(grant("guess").await, 400, "invalid_grant").await;
    for _ in 0..4 {
        assert_error(grant("guess").await, 400, "invalid_grant").await;
    }
    // Throttled now: the right password gets the wrong password's answer, byte for byte.
    let throttled = assert_error(grant(PASSWORD).await, 400, "invalid_grant").await;
    assert_eq!(throttled, wrong);
    app.clock.advance(Duration::from_secs(2));
    assert_eq!(grant(PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn the_plugins_check_password_is_throttled_too() {
    let (app, _plugins) = TestApp::spawn_with_plugin(
        "check.rhai",
        r#"fn authorization_GET(request) {
               let subject = check_password(request.params.login_hint, request.params.acr_values);
               if subject == () { deny("wrong") } else { grant(subject) }
           }"#,
    )
    .await;
    let client = app.confidential_client().await;
    let attempt = |password: &'static str| {
        let (app, client) = (&app, &client);
        async move {
            let params = [
                ("response_type", "code"),
                ("client_id", client.id.as_str()),
                ("state", "s1"),
                ("login_hint", USERNAME),
                ("acr_values", password),
            ];
            redirect_params(&app.get_authorize(&params).await)
        }
    };
    for _ in 0..5 {
        assert_eq!(attempt("guess").await["error"], "access_denied");
    }
    assert_eq!(attempt(PASSWORD).await["error"], "access_denied", "throttled: like a wrong password");
    app.clock.advance(Duration::from_secs(2));
    assert!(attempt(PASSWORD).await.contains_key("code"));
}

#[tokio::test]
async fn a_client_sent_forwarded_header_does_not_escape_the_address_throttle() {
    let app = app().await; // 127.0.0.1 is a trusted proxy that sets X-Forwarded-For
    let client = app.confidential_client().await;
    let (mut browser, page) = login_form(&app, &client, "198.51.100.77").await;
    let form = [
        ("csrf_token", hidden(&page, "csrf_token")),
        ("request", hidden(&page, "request")),
        ("password", "guess".to_owned()),
    ];
    for i in 0..6 {
        let mut fields: Vec<(&str, String)> = form.to_vec();
        fields.push(("username", format!("user{i}")));
        // The client writes its own Forwarded; the proxy appends what it saw to X-Forwarded-For.
        let response = app
            .http
            .post(app.url("/login"))
            .header("cookie", format!("oauth2u_session={}", browser.cookie.as_deref().unwrap()))
            .header("forwarded", format!("for=192.0.2.{i}"))
            .header("x-forwarded-for", "198.51.100.77")
            .form(&fields)
            .send()
            .await
            .unwrap();
        let expected = if i < 5 { 401 } else { 429 };
        assert_eq!(response.status(), expected, "attempt {i}: the proxy's address is counted");
    }
    browser.forwarded_for = None;
}
