//! `oauth2u login` and `oauth2u device` driven end to end: the test plays the person in
//! the browser, on the server's real sign-in, consent and device pages, while the command
//! runs as a process; and the token cache's refresh under its lock.

use std::process::Output;
use std::time::Duration;

use oauth2u::core::secret::Secret;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr};

use super::client_commands::{ClientCli, assert_failed, client_app_with_pages, json_of};
use super::device;
use crate::helpers::*;

/// A command that is running, and its standard error read line by line.
struct Running {
    child: Child,
    stderr: Lines<BufReader<ChildStderr>>,
    seen: Vec<String>,
}

impl Running {
    fn start(cli: &ClientCli, args: &[&str]) -> Self {
        let mut child = cli.command(args).spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        Self { child, stderr, seen: Vec::new() }
    }

    /// The next line of standard error that starts with `prefix`.
    async fn line_starting(&mut self, prefix: &str) -> String {
        let wait = async {
            while let Some(line) = self.stderr.next_line().await.unwrap() {
                self.seen.push(line.clone());
                if line.starts_with(prefix) {
                    return line;
                }
            }
            panic!("no line starting with {prefix:?} in {:?}", self.seen);
        };
        tokio::time::timeout(Duration::from_secs(30), wait).await.expect("the command prints in time")
    }

    async fn finish(mut self) -> Output {
        let mut rest = String::new();
        let mut stdout = Vec::new();
        self.child.stdout.take().unwrap().read_to_end(&mut stdout).await.unwrap();
        while let Some(line) = self.stderr.next_line().await.unwrap() {
            rest.push_str(&line);
            rest.push('\n');
        }
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait()).await.unwrap().unwrap();
        Output { status, stdout, stderr: rest.into_bytes() }
    }
}

fn login_args<'a>(app: &'a TestApp, client: &'a TestClient) -> Vec<&'a str> {
    vec!["login", "--issuer", &app.base, "--client-id", &client.id, "--scope", "read", "--no-browser"]
}

/// Signs in and consents on the real pages: returns where the server sends the browser.
async fn sign_in(app: &TestApp, authorization_url: &str) -> String {
    let mut browser = Browser::new(app);
    let login = browser.get(authorization_url).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    assert_eq!(after_login.status(), 303);
    let location = after_login.headers()["location"].to_str().unwrap().to_owned();
    let consent = browser.get(&location).await.text().await.unwrap();
    let back = browser.consent(&consent, "allow", false).await;
    back.headers()["location"].to_str().unwrap().to_owned()
}

/// Runs `oauth2u login` through the pages; returns the command's output.
async fn login(cli: &ClientCli, app: &TestApp, client: &TestClient, extra: &[&str]) -> Output {
    let mut args = login_args(app, client);
    args.extend_from_slice(extra);
    let mut running = Running::start(cli, &args);
    let url = running.line_starting("http").await;
    let callback = sign_in(app, &url).await;
    assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
    let page = reqwest::get(&callback).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.text().await.unwrap().contains("close this tab"));
    running.finish().await
}

#[tokio::test]
async fn login_runs_the_code_flow_with_pkce_through_the_real_pages() {
    let app = client_app_with_pages().await;
    let client = app.public_client().await;
    let cli = ClientCli::new();
    let tokens = json_of(&login(&cli, &app, &client, &[]).await);
    let access = tokens["access_token"].as_str().unwrap();
    assert!(app.is_active(access).await);
    assert_eq!(app.record(access).await.subject.as_deref(), Some(app.subject.as_str()));
    assert!(tokens["refresh_token"].is_string());

    // Cached: the next login prints the same token and opens no browser.
    let again = cli.run(&login_args(&app, &client), None).await;
    assert_eq!(json_of(&again)["access_token"], access);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("http"), "no URL to open");

    // Close to expiry, the cached refresh token is used instead of a new login.
    let entry = cached_entry(&cli);
    let mut cached: Value = serde_json::from_str(&std::fs::read_to_string(&entry).unwrap()).unwrap();
    cached["response"]["expires_in"] = json!(30);
    std::fs::write(&entry, cached.to_string()).unwrap();
    let refreshed = cli.run(&login_args(&app, &client), None).await;
    let refreshed = json_of(&refreshed);
    assert_ne!(refreshed["access_token"], access);
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"], "rotated, and cached");
    assert!(std::fs::read_to_string(&entry).unwrap().contains(refreshed["refresh_token"].as_str().unwrap()));
}

/// The one cache entry of `cli`.
fn cached_entry(cli: &ClientCli) -> std::path::PathBuf {
    let entries: Vec<_> = std::fs::read_dir(cli.cache_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

#[tokio::test]
async fn concurrent_refreshes_take_turns_and_never_reuse_a_refresh_token() {
    let app = client_app_with_pages().await;
    let client = app.public_client().await;
    let cli = ClientCli::new();
    json_of(&login(&cli, &app, &client, &[]).await);

    // Four at once: each must present the refresh token the previous one received. Without
    // the lock two would present the same one, and the server would revoke the family.
    let args = ["refresh", "--issuer", &app.base, "--client-id", &client.id, "--scope", "read"];
    let outputs = futures::future::join_all((0..4).map(|_| cli.run(&args, None))).await;
    let mut refresh_tokens: Vec<String> =
        outputs.iter().map(|output| json_of(output)["refresh_token"].as_str().unwrap().to_owned()).collect();
    refresh_tokens.sort();
    refresh_tokens.dedup();
    assert_eq!(refresh_tokens.len(), 4, "each refresh got its own successor");
    let last: Value = serde_json::from_str(&std::fs::read_to_string(cached_entry(&cli)).unwrap()).unwrap();
    assert!(app.is_active(last["response"]["access_token"].as_str().unwrap()).await, "the family is intact");
}

/// Starts a login and answers its loopback listener with a forged callback built from the
/// real one by `forge`; the command must refuse it and exchange nothing.
async fn refused_callback(forge: impl FnOnce(&mut Vec<(String, String)>), mentions: &str) {
    let app = client_app_with_pages().await;
    let client = app.public_client().await;
    let cli = ClientCli::new();
    let mut running = Running::start(&cli, &login_args(&app, &client));
    let url = running.line_starting("http").await;
    let callback = url::Url::parse(&sign_in(&app, &url).await).unwrap();
    let mut params: Vec<(String, String)> = callback.query_pairs().into_owned().collect();
    let code = params.iter().find(|(name, _)| name == "code").unwrap().1.clone();
    forge(&mut params);
    let mut forged = callback.clone();
    forged.query_pairs_mut().clear().extend_pairs(&params);

    let page = reqwest::get(forged).await.unwrap();
    assert_eq!(page.status(), 400);
    let output = running.finish().await;
    assert_failed(&output, 1, mentions);
    assert!(output.stderr.ends_with(b"\n"));
    let stored = app.store.code(&Secret::from_client(&code).hash()).await.unwrap().unwrap();
    assert_eq!(stored.consumed_at, None, "the code was never exchanged");
}

#[tokio::test]
async fn a_denied_login_says_so() {
    let app = client_app_with_pages().await;
    let client = app.public_client().await;
    let cli = ClientCli::new();
    let mut running = Running::start(&cli, &login_args(&app, &client));
    let url = running.line_starting("http").await;
    let mut browser = Browser::new(&app);
    let login = browser.get(&url).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    let consent =
        browser.get(after_login.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    let back = browser.consent(&consent, "deny", false).await;
    // §4.1.2.1: the refusal comes back to the client, with its state and the issuer.
    let page = reqwest::get(back.headers()["location"].to_str().unwrap()).await.unwrap();
    assert_eq!(page.status(), 400);
    assert_failed(&running.finish().await, 1, "error: access_denied");
}

fn set(params: &mut [(String, String)], name: &str, value: &str) {
    params.iter_mut().find(|(n, _)| n == name).unwrap().1 = value.into();
}

#[tokio::test]
async fn a_callback_with_another_state_is_refused_and_nothing_is_exchanged() {
    refused_callback(|params| set(params, "state", "forged"), "state does not match").await;
}

#[tokio::test]
async fn a_callback_from_another_issuer_is_refused_and_nothing_is_exchanged() {
    refused_callback(|params| set(params, "iss", "https://evil.example"), "RFC 9207").await;
}

#[tokio::test]
async fn a_callback_without_the_announced_iss_is_refused() {
    refused_callback(|params| params.retain(|(name, _)| name != "iss"), "lacks the `iss`").await;
}

/// Starts `oauth2u device`; returns it and what it told the person.
async fn start_device(cli: &ClientCli, app: &TestApp, client: &TestClient) -> (Running, Value) {
    let args = ["device", "--issuer", &app.base, "--client-id", &client.id, "--scope", "watch", "--no-cache"];
    let mut running = Running::start(cli, &args);
    let prompt = running.line_starting("To sign in, open ").await;
    let (uri, user_code) = prompt["To sign in, open ".len()..].split_once(" and enter the code: ").unwrap();
    assert_eq!(uri, app.url("/device"));
    let complete = running.line_starting("Or open: ").await["Or open: ".len()..].to_owned();
    (running, json!({ "verification_uri_complete": complete, "user_code": user_code }))
}

#[tokio::test]
async fn device_is_approved_through_the_device_page() {
    let app = client_app_with_pages().await;
    let client = device::tv(&app).await;
    let cli = ClientCli::new();
    let (running, started) = start_device(&cli, &app, &client).await;
    device::decide(&app, &started, "allow").await;
    // The next poll comes an interval later on the command's clock; the server's follows.
    app.clock.advance(Duration::from_secs(6));
    let tokens = json_of(&running.finish().await);
    assert!(app.is_active(tokens["access_token"].as_str().unwrap()).await);
    assert_eq!(tokens["scope"], "watch");
}

#[tokio::test]
async fn a_denied_device_stops_with_a_clear_message() {
    let app = client_app_with_pages().await;
    let client = device::tv(&app).await;
    let cli = ClientCli::new();
    let (running, started) = start_device(&cli, &app, &client).await;
    device::decide(&app, &started, "deny").await;
    app.clock.advance(Duration::from_secs(6));
    let output = running.finish().await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.lines().last().unwrap().starts_with("error: access_denied — the request was denied"),
        "{stderr}"
    );
}

/// OpenID Connect: the command sends a nonce, verifies the ID token before it prints or
/// caches anything, and `oauth2u userinfo` uses the cached access token.
#[tokio::test]
async fn an_openid_login_verifies_the_id_token_and_userinfo_uses_the_cached_token() {
    let app = client_app_with_pages().await;
    let client = app
        .register(oauth2u::core::admin::ClientSpec {
            name: Some("cli".into()),
            public: Some(true),
            redirect_uris: Some(vec!["http://127.0.0.1/callback".into()]),
            scopes: Some("openid profile read".into()),
            ..Default::default()
        })
        .await;
    let cli = ClientCli::new();
    let scope = ["--scope", "openid profile"];
    let args =
        ["login", "--issuer", &app.base, "--client-id", &client.id, scope[0], scope[1], "--no-browser"];
    let mut running = Running::start(&cli, &args);
    let url = running.line_starting("http").await;
    assert!(url.contains("nonce="), "Core §3.1.2.1: a nonce goes with the request: {url}");
    let callback = sign_in(&app, &url).await;
    assert_eq!(reqwest::get(&callback).await.unwrap().status(), 200);
    let output = running.finish().await;
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(stderr.contains(&format!("ID token verified: sub {}", app.subject)), "{stderr}");
    assert!(json_of(&output)["id_token"].is_string());

    let userinfo = ["userinfo", "--issuer", &app.base, "--client-id", &client.id, scope[0], scope[1]];
    let claims = json_of(&cli.run(&userinfo, None).await);
    assert_eq!(claims["sub"], app.subject.as_str());
    assert_eq!(claims["preferred_username"], USERNAME);

    let refused = cli.run(&[&userinfo[..], &["--access-token", "not-a-token"]].concat(), None).await;
    assert_failed(&refused, 1, "invalid_token");
}

/// RFC 9449 with the command line: `login --dpop` gets tokens bound to a key the cache
/// keeps for the entry, and `refresh --dpop` proves the same key, which the server
/// requires for a public client's bound refresh token.
#[tokio::test]
async fn login_and_refresh_with_dpop_bind_the_tokens_to_the_cache_entrys_key() {
    let app = client_app_with_pages().await;
    let client = app.public_client().await;
    let cli = ClientCli::new();
    let tokens = json_of(&login(&cli, &app, &client, &["--dpop"]).await);
    assert_eq!(tokens["token_type"], "DPoP");
    let entry = cached_entry(&cli);
    let key = std::fs::read(entry.with_extension("dpop")).expect("the entry keeps its key");
    let jkt = oauth2u_client::DpopKey::from_pkcs8(&key).unwrap().thumbprint().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.record(access).await.jkt.as_deref(), Some(jkt.as_str()));
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.record(refresh).await.jkt.as_deref(),
        Some(jkt.as_str()),
        "a public client's refresh token too"
    );

    let args = ["refresh", "--issuer", &app.base, "--client-id", &client.id, "--scope", "read", "--dpop"];
    let refreshed = json_of(&cli.run(&args, None).await);
    assert_eq!(refreshed["token_type"], "DPoP");
    assert_ne!(refreshed["access_token"], tokens["access_token"]);
    assert_eq!(
        app.record(refreshed["access_token"].as_str().unwrap()).await.jkt.as_deref(),
        Some(jkt.as_str())
    );
}
