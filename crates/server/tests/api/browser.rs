//! A real browser: headless Chromium, driven over WebDriver, signs in and consents on the
//! built-in pages and lands on the client's redirect URI with a code.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test skips with one
//! line; with `CI=true` it fails instead, and `.ci/run` installs them.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::helpers::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// chromedriver, killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_chromedriver() -> Option<String> {
    let found = Command::new("sh").args(["-c", "command -v chromedriver"]).output().ok()?;
    let path = String::from_utf8(found.stdout).ok()?.trim().to_owned();
    (!path.is_empty() && Path::new(CHROMIUM).exists()).then_some(path)
}

async fn browser() -> Option<(Driver, fantoccini::Client, tempfile::TempDir)> {
    let Some(chromedriver) = find_chromedriver() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: chromium and chromedriver are required"
        );
        eprintln!(
            "skipped: the browser test needs chromium and chromedriver (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap();
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                "--window-size=900,800", format!("--user-data-dir={}", profile.path().display()),
            ],
        }
    });
    let capabilities: fantoccini::wd::Capabilities = capabilities.as_object().unwrap().clone();
    let webdriver = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connected = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&webdriver)
            .await;
        if let Ok(client) = connected {
            return Some((driver, client, profile));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

#[tokio::test]
async fn a_person_signs_in_and_consents_in_a_real_browser() {
    let Some((_driver, browser, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn_full(
        |settings| settings.auto_approve = None,
        |builder| {
            builder
                .merge(axum::Router::new().route("/callback", axum::routing::get(|| async { "signed in" })))
        },
    )
    .await;
    let client = app
        .register(oauth2u::core::admin::ClientSpec {
            name: Some("Photo Printer".into()),
            public: Some(true),
            redirect_uris: Some(vec!["http://127.0.0.1/callback".into()]),
            scopes: Some("photos:read profile".into()),
            ..Default::default()
        })
        .await;
    let redirect_uri = format!("{}/callback", app.base);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("state", "from-the-browser"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .finish();

    browser.goto(&app.url(&format!("/authorize?{query}"))).await.unwrap();
    browser.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(USERNAME).await.unwrap();
    browser.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
    let screenshot = browser.screenshot().await.unwrap();
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join("login-page.png"), &screenshot).unwrap();
    browser.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();

    let allow = browser.wait().for_element(Locator::Css("button[name=decision][value=allow]")).await.unwrap();
    let consent = browser.source().await.unwrap();
    assert!(consent.contains("Photo Printer") && consent.contains("photos:read"));
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("consent-page.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();
    allow.click().await.unwrap();

    let mut landed = browser.current_url().await.unwrap();
    for _ in 0..50 {
        if landed.path() == "/callback" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        landed = browser.current_url().await.unwrap();
    }
    assert!(landed.as_str().starts_with(&redirect_uri), "{landed}");
    let params: std::collections::HashMap<_, _> = landed.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "from-the-browser");
    assert_eq!(params["iss"], "http://127.0.0.1");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("code_verifier", VERIFIER),
        ("redirect_uri", redirect_uri.as_str()),
    ];
    assert_eq!(app.token(&client, &form).await.status(), 200);
    browser.close().await.unwrap();
}

/// OpenID Connect in a real browser: `response_mode=form_post` lands on the client by the
/// page's own script (which its CSP allows by hash, and nothing else), `prompt=login`
/// shows the login page although the browser is signed in, and RP-initiated logout's
/// confirmation ends the session and lands on the registered post-logout URI.
#[tokio::test]
async fn form_post_prompt_login_and_logout_in_a_real_browser() {
    let Some((_driver, browser, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn_full(
        |settings| settings.auto_approve = None,
        |builder| {
            let callback = axum::routing::post(|body: String| async move { format!("posted: {body}") });
            let bye = axum::routing::get(|| async { "logged out at the client" });
            builder.merge(axum::Router::new().route("/callback", callback).route("/bye", bye))
        },
    )
    .await;
    let client = app
        .register(oauth2u::core::admin::ClientSpec {
            name: Some("Relying Party".into()),
            public: Some(true),
            redirect_uris: Some(vec!["http://127.0.0.1/callback".into()]),
            scopes: Some("openid profile".into()),
            post_logout_redirect_uris: Some(vec![format!("{}/bye", app.base)]),
            ..Default::default()
        })
        .await;
    let redirect_uri = format!("{}/callback", app.base);
    let authorize = |prompt: Option<&str>| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs([
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("scope", "openid profile"),
            ("state", "s-browser"),
            ("nonce", "n-browser"),
            ("response_mode", "form_post"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        if let Some(prompt) = prompt {
            query.append_pair("prompt", prompt);
        }
        app.url(&format!("/authorize?{}", query.finish()))
    };
    let sign_in_and_allow = async |browser: &fantoccini::Client| {
        browser.wait().for_element(Locator::Css("input[name=password]")).await.unwrap();
        browser.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(USERNAME).await.unwrap();
        browser.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(PASSWORD).await.unwrap();
        browser.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        let allow = browser.wait().for_element(Locator::Css("button[name=decision][value=allow]")).await;
        allow.unwrap().click().await.unwrap();
        // The form post page submits itself; no button is pressed here.
        let posted = browser.wait().for_element(Locator::XPath("//*[contains(text(), 'posted: ')]")).await;
        let text = posted.unwrap().text().await.unwrap();
        let body = text.trim_start_matches("posted: ").to_owned();
        let fields: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        fields
    };

    browser.goto(&authorize(None)).await.unwrap();
    let fields = sign_in_and_allow(&browser).await;
    assert_eq!(browser.current_url().await.unwrap().path(), "/callback");
    assert_eq!(fields["state"], "s-browser");
    assert_eq!(fields["iss"], "http://127.0.0.1");
    let exchange = |code: String| {
        let (app, client, redirect_uri) = (&app, &client, redirect_uri.clone());
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("code_verifier", VERIFIER),
                ("redirect_uri", redirect_uri.as_str()),
            ];
            let response = app.token(client, &form).await;
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert!(exchange(fields["code"].clone()).await["id_token"].is_string());

    // Signed in now; prompt=login still shows the login page, then posts a new code.
    browser.goto(&authorize(Some("login"))).await.unwrap();
    let fields = sign_in_and_allow(&browser).await;
    assert_eq!(fields["state"], "s-browser");
    let tokens = exchange(fields["code"].clone()).await;
    let id_token = tokens["id_token"].as_str().unwrap();

    // RP-Initiated Logout: the user confirms, and lands on the registered URI with state.
    let logout = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", &format!("{}/bye", app.base)),
            ("state", "bye-state"),
        ])
        .finish();
    browser.goto(&app.url(&format!("/logout?{logout}"))).await.unwrap();
    let confirm =
        browser.wait().for_element(Locator::Css("form[action='/logout'] button[type=submit]")).await;
    assert!(browser.source().await.unwrap().contains("Relying Party"));
    confirm.unwrap().click().await.unwrap();
    browser
        .wait()
        .for_element(Locator::XPath("//*[contains(text(), 'logged out at the client')]"))
        .await
        .unwrap();
    let landed = browser.current_url().await.unwrap();
    assert_eq!((landed.path(), landed.query()), ("/bye", Some("state=bye-state")));
    // The session is over: prompt=none now answers login_required, in a form post.
    browser.goto(&authorize(Some("none"))).await.unwrap();
    let posted = browser.wait().for_element(Locator::XPath("//*[contains(text(), 'posted: ')]")).await;
    let text = posted.unwrap().text().await.unwrap();
    assert!(text.contains("error=login_required"), "{text}");
    browser.close().await.unwrap();
}
