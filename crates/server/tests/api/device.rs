//! RFC 8628: the device authorization grant, through the real pages.

use std::time::Duration;

use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::GrantType;
use serde_json::Value;

use crate::helpers::*;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn app() -> TestApp {
    TestApp::spawn_with(|settings| settings.auto_approve = None).await
}

pub async fn tv(app: &TestApp) -> TestClient {
    app.register(ClientSpec {
        name: Some("Living room TV".into()),
        public: Some(true),
        grant_types: Some(vec![GrantType::DeviceCode, GrantType::RefreshToken]),
        scopes: Some("watch".into()),
        ..ClientSpec::default()
    })
    .await
}

async fn start(app: &TestApp, client: &TestClient) -> Value {
    let response = app
        .http
        .post(app.url("/device_authorization"))
        .form(&[("client_id", client.id.as_str()), ("scope", "watch")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn poll(app: &TestApp, client: &TestClient, device_code: &str) -> reqwest::Response {
    app.token(client, &[("grant_type", DEVICE_GRANT), ("device_code", device_code)]).await
}

/// A person opens the verification URI, signs in and decides.
pub async fn decide(app: &TestApp, started: &Value, decision: &str) -> String {
    let mut browser = Browser::new(app);
    let complete = started["verification_uri_complete"].as_str().unwrap();
    // The default test issuer has no port; a test may give the real address as issuer.
    let complete = if complete.starts_with(&app.base) {
        complete.to_owned()
    } else {
        complete.replace("http://127.0.0.1", &app.base)
    };
    let login = browser.get(&complete).await.text().await.unwrap();
    assert!(login.contains("Living room TV") && login.contains("name=\"password\""));
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    assert_eq!(after_login.status(), 303);
    let location = after_login.headers()["location"].to_str().unwrap().to_owned();
    let consent = browser.get(&location).await.text().await.unwrap();
    let code = started["user_code"].as_str().unwrap();
    assert!(consent.contains(code), "the consent page shows the code to compare");
    assert!(!consent.contains("name=\"remember\""), "device consent is never remembered");
    let form = [
        ("csrf_token", hidden(&consent, "csrf_token")),
        ("user_code", hidden(&consent, "user_code")),
        ("decision", decision.into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = browser.post("/device/consent", &form).await;
    assert_eq!(done.status(), 200);
    done.text().await.unwrap()
}

#[tokio::test]
async fn a_device_is_approved_through_the_pages_and_gets_tokens_exactly_once() {
    let app = app().await;
    let client = tv(&app).await;
    let started = start(&app, &client).await;
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert!(user_code.chars().all(|c| c == '-' || "BCDFGHJKLMNPQRSTVWXZ".contains(c)), "{user_code}");
    assert_eq!(started["verification_uri"], "http://127.0.0.1/device");
    assert_eq!(started["expires_in"], 600);
    assert_eq!(started["interval"], 5);
    let device_code = started["device_code"].as_str().unwrap();

    assert_error(poll(&app, &client, device_code).await, 400, "authorization_pending").await;
    // Polling sooner than the interval: slow down, and the interval grows by 5 seconds.
    assert_error(poll(&app, &client, device_code).await, 400, "slow_down").await;
    app.clock.advance(Duration::from_secs(6));
    let slower = assert_error(poll(&app, &client, device_code).await, 400, "slow_down").await;
    assert_eq!(slower["error_description"], "poll at most every 15 seconds");
    app.clock.advance(Duration::from_secs(16));
    assert_error(poll(&app, &client, device_code).await, 400, "authorization_pending").await;

    assert!(decide(&app, &started, "allow").await.contains("Device connected"));
    app.clock.advance(Duration::from_secs(16));
    let tokens = poll(&app, &client, device_code).await;
    assert_eq!(tokens.status(), 200);
    let tokens: Value = tokens.json().await.unwrap();
    assert_eq!(tokens["scope"], "watch");
    assert!(tokens["refresh_token"].is_string());
    assert_eq!(
        app.record(tokens["access_token"].as_str().unwrap()).await.subject.as_deref(),
        Some(app.subject.as_str())
    );

    app.clock.advance(Duration::from_secs(16));
    assert_error(poll(&app, &client, device_code).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_denied_device_gets_access_denied() {
    let app = app().await;
    let client = tv(&app).await;
    let started = start(&app, &client).await;
    assert!(decide(&app, &started, "deny").await.contains("Access denied"));
    let polled = poll(&app, &client, started["device_code"].as_str().unwrap()).await;
    // RFC 8628 §3.5 codes are RFC 6749 §5.2 errors: 400.
    assert_error(polled, 400, "access_denied").await;
}

#[tokio::test]
async fn an_expired_device_code_is_expired_token() {
    let app = app().await;
    let client = tv(&app).await;
    let started = start(&app, &client).await;
    app.clock.advance(Duration::from_secs(601));
    assert_error(poll(&app, &client, started["device_code"].as_str().unwrap()).await, 400, "expired_token")
        .await;
    assert_error(poll(&app, &client, "o2u_dc_unknown").await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn wrong_user_codes_are_slowed_down() {
    let app = app().await;
    let mut browser = Browser::new(&app);
    let entry = browser.get("/device").await.text().await.unwrap();
    let csrf = hidden(&entry, "csrf_token");
    for guess in ["BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD", "FFFF-FFFF", "GGGG-GGGG"] {
        let page = browser.post("/device", &[("csrf_token", &csrf), ("user_code", guess)]).await;
        assert_eq!(page.status(), 400);
    }
    let slowed = browser.post("/device", &[("csrf_token", &csrf), ("user_code", "HHHH-HHHH")]).await;
    assert_eq!(slowed.status(), 429);
    assert!(slowed.text().await.unwrap().contains("Try again in"));
}

#[tokio::test]
async fn the_entry_page_accepts_a_typed_code_in_any_case() {
    let app = app().await;
    let client = tv(&app).await;
    let started = start(&app, &client).await;
    let mut browser = Browser::new(&app);
    let entry = browser.get("/device").await.text().await.unwrap();
    let typed = started["user_code"].as_str().unwrap().to_lowercase().replace('-', " ");
    let page = browser
        .post("/device", &[("csrf_token", hidden(&entry, "csrf_token").as_str()), ("user_code", &typed)])
        .await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"password\""), "on to sign in");
}

#[tokio::test]
async fn a_client_without_the_device_grant_is_refused() {
    let app = app().await;
    let client = app.service_client().await;
    let response = app
        .http
        .post(app.url("/device_authorization"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "unauthorized_client").await;
    let tv = tv(&app).await;
    let response = app
        .http
        .post(app.url("/device_authorization"))
        .form(&[("client_id", tv.id.as_str()), ("scope", "admin")])
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "invalid_scope").await;
}

#[tokio::test]
async fn the_oauth2_crate_runs_the_device_flow() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
    };

    let app = app().await;
    let client = tv(&app).await;
    let oauth = BasicClient::new(ClientId::new(client.id.clone()))
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap())
        .set_device_authorization_url(DeviceAuthorizationUrl::new(app.url("/device_authorization")).unwrap());
    let http = oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let details: StandardDeviceAuthorizationResponse = oauth
        .exchange_device_code()
        .add_scope(Scope::new("watch".into()))
        .request_async(&http)
        .await
        .unwrap();
    let started = serde_json::to_value(&details).unwrap();
    decide(&app, &started, "allow").await;
    // The crate waits `interval` between polls; the test clock stands in for the wait.
    let clock = app.clock.clone();
    let sleep = move |wait: Duration| {
        clock.advance(wait);
        std::future::ready(())
    };
    let token = oauth.exchange_device_access_token(&details).request_async(&http, sleep, None).await.unwrap();
    assert!(app.is_active(token.access_token().secret()).await);
}

#[tokio::test]
async fn a_device_approved_by_a_user_disabled_since_is_refused_at_its_next_poll() {
    let app = app().await;
    let client = tv(&app).await;
    let started = start(&app, &client).await;
    assert!(decide(&app, &started, "allow").await.contains("Device connected"));
    oauth2u::core::admin::disable_user(
        app.store.as_ref(),
        USERNAME,
        oauth2u::core::Clock::now(app.clock.as_ref()),
    )
    .await
    .unwrap();
    let device_code = started["device_code"].as_str().unwrap();
    assert_error(poll(&app, &client, device_code).await, 400, "access_denied").await;
    app.clock.advance(Duration::from_secs(601));
    assert_error(poll(&app, &client, device_code).await, 400, "expired_token").await;
}

#[tokio::test]
async fn an_approval_standing_for_a_disabled_user_is_refused_even_if_the_row_says_approved() {
    let app = app().await;
    let client = tv(&app).await;
    let started = start(&app, &client).await;
    decide(&app, &started, "allow").await;
    // Disabled behind the store's back (an older version, a hand edit): the grant still checks.
    crate::database::execute(&app.database_url, "UPDATE users SET disabled = TRUE").await;
    assert_error(poll(&app, &client, started["device_code"].as_str().unwrap()).await, 400, "access_denied")
        .await;
}

#[tokio::test]
async fn the_device_consent_step_goes_through_the_code_throttle() {
    let app = app().await;
    let client = tv(&app).await;
    let started = start(&app, &client).await;
    let mut browser = Browser::new(&app);
    let complete =
        started["verification_uri_complete"].as_str().unwrap().replace("http://127.0.0.1", &app.base);
    let login = browser.get(&complete).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    let location = after_login.headers()["location"].to_str().unwrap().to_owned();
    let consent = browser.get(&location).await.text().await.unwrap();
    let csrf = hidden(&consent, "csrf_token");
    for guess in ["BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD", "FFFF-FFFF", "GGGG-GGGG"] {
        let form = [("csrf_token", csrf.as_str()), ("user_code", guess), ("decision", "allow")];
        assert_eq!(browser.post("/device/consent", &form).await.status(), 400, "{guess}");
    }
    let real = started["user_code"].as_str().unwrap();
    let form = [("csrf_token", csrf.as_str()), ("user_code", real), ("decision", "allow")];
    let slowed = browser.post("/device/consent", &form).await;
    assert_eq!(slowed.status(), 429, "even the live code waits");
    assert!(slowed.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_login_page_does_not_tell_a_live_code_from_a_dead_one() {
    let app = app().await;
    let client = tv(&app).await;
    let started = start(&app, &client).await;
    let live = started["user_code"].as_str().unwrap();
    let mut pages = Vec::new();
    for code in [live, "BBBB-BBBB"] {
        let mut browser = Browser::new(&app);
        let entry = browser.get("/device").await.text().await.unwrap();
        let form = [
            ("csrf_token", hidden(&entry, "csrf_token")),
            ("user_code", code.to_owned()),
            ("username", USERNAME.to_owned()),
            ("password", "wrong".to_owned()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = browser.post("/login", &form).await;
        assert_eq!(page.status(), 401);
        let text = page.text().await.unwrap();
        assert!(!text.contains("Living room TV"), "the client's name would tell the code is live");
        pages.push(text.replace(code, "CODE").replace(&hidden(&entry, "csrf_token"), "CSRF"));
    }
    assert_eq!(pages[0], pages[1]);
}

#[tokio::test]
async fn a_switched_off_device_grant_has_no_device_pages() {
    let app = TestApp::spawn_with(|settings| {
        settings.auto_approve = None;
        settings.grants.device_code = false;
    })
    .await;
    let entry = app.http.get(app.url("/device")).send().await.unwrap();
    assert_eq!(entry.status(), 404, "GET /device");
    let typed = app.http.post(app.url("/device")).form(&[("user_code", "BCDF-GHJK")]).send().await.unwrap();
    assert_eq!(typed.status(), 404, "POST /device");
    let consent =
        app.http.post(app.url("/device/consent")).form(&[("decision", "allow")]).send().await.unwrap();
    assert_eq!(consent.status(), 404, "POST /device/consent");
    // The endpoint clients call still answers in RFC 6749 §5.2 terms, saying why.
    let client = tv(&app).await;
    let started = app
        .http
        .post(app.url("/device_authorization"))
        .form(&[("client_id", client.id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 400);
    let body: Value = started.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
}
