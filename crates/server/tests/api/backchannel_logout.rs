//! OpenID Connect Back-Channel Logout 1.0: when a session ends — by RP-initiated logout,
//! or by disabling, removing or re-passwording its user — every client it signed into that
//! registered a back-channel URI is POSTed a Logout Token (§2.4, §2.5). A receiver in the
//! test verifies each token with a JOSE library other than ours (`jwt-simple`); others
//! time out or fail, for the bounded retries; two instances deliver each token once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use jwt_simple::prelude::JWTClaims;
use oauth2u::Settings;
use oauth2u::core::Clock;
use oauth2u::core::admin::{self, AfterPasswordChange, ClientSpec};
use oauth2u::core::config::BackchannelDelivery;
use serde_json::Value;

use super::id_token::{exchange, verify_signed_for};
use super::openid::{openid_request, sign_in_for_code};
use crate::helpers::*;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What a receiver was sent: the path it was sent to, and the `logout_token`.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A client's back-channel endpoint, on an ephemeral loopback port: `/ok` answers 200,
/// `/slow` answers after the delivery timeout, `/fail` answers 500, `/moved` redirects to
/// `/ok` (which a delivery must not follow).
struct Receiver {
    base: String,
    received: Received,
}

impl Receiver {
    async fn start() -> Self {
        async fn receive(
            State(received): State<Received>,
            uri: Uri,
            body: String,
        ) -> axum::response::Response {
            use axum::response::IntoResponse;
            let token = url::form_urlencoded::parse(body.as_bytes())
                .find(|(name, _)| name == "logout_token")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            received.lock().unwrap().push((uri.path().to_owned(), token));
            match uri.path() {
                "/slow" => {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    StatusCode::OK.into_response()
                }
                "/fail" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                "/moved" => (StatusCode::TEMPORARY_REDIRECT, [("location", "/ok")]).into_response(),
                _ => StatusCode::OK.into_response(),
            }
        }
        let received = Received::default();
        let router =
            axum::Router::new().route("/{path}", axum::routing::post(receive)).with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { base, received }
    }

    fn uri(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn count(&self, path: &str) -> usize {
        self.received.lock().unwrap().iter().filter(|(sent_to, _)| sent_to == path).count()
    }

    /// Waits (10 s at most) until `path` has received `n` deliveries; what it received.
    async fn wait_for(&self, path: &str, n: usize) -> Vec<String> {
        let start = Instant::now();
        while self.count(path) < n && start.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let received = self.received.lock().unwrap();
        let tokens: Vec<String> =
            received.iter().filter(|(sent_to, _)| sent_to == path).map(|(_, token)| token.clone()).collect();
        assert!(tokens.len() >= n, "{path} received {} of {n} Logout Tokens", tokens.len());
        tokens
    }
}

/// Waits (10 s at most) for a log line that contains every one of `parts`.
async fn wait_for_log(parts: &[&str]) {
    let start = Instant::now();
    while !captured_logs().lines().any(|line| parts.iter().all(|part| line.contains(part))) {
        assert!(start.elapsed() < Duration::from_secs(10), "no log line with {parts:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Quick deliveries, to a loopback receiver.
fn delivering(settings: &mut Settings) {
    settings.auto_approve = None;
    settings.oidc.backchannel_logout = BackchannelDelivery {
        timeout: Duration::from_millis(300),
        attempts: 3,
        retry_delay: Duration::from_secs(10),
        poll_interval: Duration::from_millis(25),
        allow_http_loopback: true,
    };
}

async fn listening_client(app: &TestApp, uri: &str, pairwise: bool) -> TestClient {
    app.register(ClientSpec {
        name: Some("listening relying party".into()),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        scopes: Some("openid read".into()),
        pairwise: pairwise.then_some(true),
        backchannel_logout_uri: Some(uri.into()),
        backchannel_logout_session_required: Some(true),
        ..ClientSpec::default()
    })
    .await
}

/// Signs the browser in to each client in turn (one session); each one's ID token claims.
async fn signed_into(app: &TestApp, browser: &mut Browser<'_>, clients: &[&TestClient]) -> Vec<Value> {
    let mut id_tokens = Vec::new();
    for (n, client) in clients.iter().enumerate() {
        let code = if n == 0 {
            sign_in_for_code(browser, client, &[], false).await
        } else {
            let consent = browser.get(&openid_request(client, &[])).await.text().await.unwrap();
            redirect_params(&browser.consent(&consent, "allow", false).await)["code"].clone()
        };
        let tokens = exchange(app, client, &code).await;
        id_tokens.push(jwt_payload(tokens["id_token"].as_str().unwrap()));
    }
    id_tokens
}

/// Verifies a Logout Token with jwt-simple against the JWKS, as a client would (§2.6);
/// §2.4: explicitly typed.
async fn verify_logout_token(app: &TestApp, client: &TestClient, token: &str) -> JWTClaims<Value> {
    verify_signed_for(app, client, token, "logout+jwt").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_reaches_every_client_the_session_signed_into_with_a_verifiable_logout_token() {
    let app = TestApp::spawn_with(delivering).await;
    let receiver = Receiver::start().await;
    let public = listening_client(&app, &receiver.uri("/public"), false).await;
    let pairwise = listening_client(&app, &receiver.uri("/pairwise"), true).await;
    let silent = super::openid::relying_party(&app).await;
    let mut browser = Browser::new(&app);
    let id_tokens = signed_into(&app, &mut browser, &[&public, &pairwise, &silent]).await;

    let page = browser.get(&format!("/logout?client_id={}", public.id)).await.text().await.unwrap();
    let done = browser.post("/logout", &[("csrf_token", &hidden(&page, "csrf_token"))]).await;
    assert_eq!(done.status(), 200);

    for (client, path, id_token) in
        [(&public, "/public", &id_tokens[0]), (&pairwise, "/pairwise", &id_tokens[1])]
    {
        let tokens = receiver.wait_for(path, 1).await;
        let claims = verify_logout_token(&app, client, &tokens[0]).await;
        assert!(claims.jwt_id.is_some(), "jti");
        assert!(claims.issued_at.is_some() && claims.expires_at.is_some(), "iat and exp");
        assert!(claims.nonce.is_none(), "§2.4: a Logout Token MUST NOT carry a nonce");
        assert_eq!(claims.subject.as_deref(), id_token["sub"].as_str(), "the sub this client knows");
        assert_eq!(claims.custom["sid"], id_token["sid"], "the session of its ID token");
        assert_eq!(claims.custom["events"][EVENT], serde_json::json!({}), "{}", claims.custom);
        let logs = captured_logs();
        assert!(!logs.contains(&tokens[0]), "a Logout Token is never logged");
    }
    assert_ne!(id_tokens[1]["sub"], app.subject, "the pairwise client's sub");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received.lock().unwrap().len(), 2, "one token each, none for the silent client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_removing_or_re_passwording_a_user_ends_their_sessions_with_logout_tokens() {
    let app = TestApp::spawn_with(delivering).await;
    let receiver = Receiver::start().await;
    let client = listening_client(&app, &receiver.uri("/ok"), false).await;
    let store = app.store.as_ref();

    let mut browser = Browser::new(&app);
    signed_into(&app, &mut browser, &[&client]).await;
    admin::set_user_password(
        store,
        USERNAME,
        PASSWORD,
        AfterPasswordChange::SignOutEverywhere,
        app.clock.now(),
    )
    .await
    .unwrap();
    receiver.wait_for("/ok", 1).await;

    let mut browser = Browser::new(&app);
    signed_into(&app, &mut browser, &[&client]).await;
    admin::disable_user(store, USERNAME, app.clock.now()).await.unwrap();
    receiver.wait_for("/ok", 2).await;
    admin::enable_user(store, USERNAME).await.unwrap();

    let mut browser = Browser::new(&app);
    signed_into(&app, &mut browser, &[&client]).await;
    admin::remove_user(store, USERNAME, app.clock.now()).await.unwrap();
    let tokens = receiver.wait_for("/ok", 3).await;
    let claims = verify_logout_token(&app, &client, &tokens[2]).await;
    assert_eq!(claims.subject.as_deref(), Some(app.subject.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_times_out_fails_or_redirects_gets_a_bounded_number_of_attempts() {
    let app = TestApp::spawn_with(delivering).await;
    let receiver = Receiver::start().await;
    let slow = listening_client(&app, &receiver.uri("/slow"), false).await;
    let failing = listening_client(&app, &receiver.uri("/fail"), false).await;
    let moved = listening_client(&app, &receiver.uri("/moved"), false).await;
    let mut browser = Browser::new(&app);
    signed_into(&app, &mut browser, &[&slow, &failing, &moved]).await;
    admin::disable_user(app.store.as_ref(), USERNAME, app.clock.now()).await.unwrap();

    // The first attempt at once; a retry after 10 s, the next after 20 s more: three in all.
    for (attempt, wait) in [(1, 0), (2, 10), (3, 20)] {
        app.clock.advance(Duration::from_secs(wait));
        receiver.wait_for("/slow", attempt).await;
        receiver.wait_for("/fail", attempt).await;
        receiver.wait_for("/moved", attempt).await;
        if attempt < 3 {
            // The failure is stored (its retry due) before the clock moves on.
            for client in [&slow, &failing, &moved] {
                wait_for_log(&[&client.id, "will retry", &format!("attempt={attempt}")]).await;
            }
        }
    }
    app.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let counts = (receiver.count("/slow"), receiver.count("/fail"), receiver.count("/moved"));
    assert_eq!(counts, (3, 3, 3), "given up after three attempts");
    assert_eq!(receiver.count("/ok"), 0, "a redirect is never followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_logout_token_once() {
    let first = TestApp::spawn_with(delivering).await;
    let second = first.spawn_beside(delivering).await;
    let receiver = Receiver::start().await;
    let paths = ["/a", "/b", "/c", "/d"];
    let mut clients = Vec::new();
    for path in paths {
        clients.push(listening_client(&first, &receiver.uri(path), false).await);
    }
    let mut browser = Browser::new(&first);
    signed_into(&first, &mut browser, &clients.iter().collect::<Vec<_>>()).await;
    // Queued by the command line's way (no instance is woken): both find it by polling.
    admin::disable_user(first.store.as_ref(), USERNAME, first.clock.now()).await.unwrap();
    for path in paths {
        receiver.wait_for(path, 1).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for path in paths {
        assert_eq!(receiver.count(path), 1, "{path}: delivered once, by one instance");
    }
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_not_delivered_to_unless_loopback_is_allowed() {
    let app = TestApp::spawn_with(|settings| {
        delivering(settings);
        settings.oidc.backchannel_logout.allow_http_loopback = false;
    })
    .await;
    let receiver = Receiver::start().await;
    let client = listening_client(&app, &receiver.uri("/ok"), false).await;
    let mut browser = Browser::new(&app);
    signed_into(&app, &mut browser, &[&client]).await;
    admin::disable_user(app.store.as_ref(), USERNAME, app.clock.now()).await.unwrap();
    wait_for_log(&[&client.id, "back-channel logout refused: the URI is not https"]).await;
    assert_eq!(receiver.count("/ok"), 0);
}
