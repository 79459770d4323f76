//! The database goes away and comes back (PostgreSQL: SQLite lives inside the process). A
//! TCP proxy inside the test stands between the server and PostgreSQL, and is cut and
//! restored, so no other test is disturbed.

use std::time::Duration;

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::*;

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Forwards both ways.
    Open,
    /// Drops every connection and refuses new ones: a database that is gone.
    Cut,
    /// Keeps every connection open and forwards nothing: a database that silently stops
    /// answering (a partition, a hung host).
    Stall,
}

/// Forwards connections to `upstream` while open; cut, it drops them; stalled, it holds them.
struct Proxy {
    address: std::net::SocketAddr,
    mode: watch::Sender<Mode>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (mode, _) = watch::channel(Mode::Open);
        let state = mode.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut mode = state.subscribe();
                let upstream = upstream.clone();
                let current = *mode.borrow();
                match current {
                    Mode::Cut => continue, // dropped: the connection is refused
                    Mode::Stall => {
                        // Accepted and held, never answered.
                        tokio::spawn(async move {
                            let _held = client;
                            let _ = mode.wait_for(|mode| *mode != Mode::Stall).await.map(|_| ());
                        });
                        continue;
                    }
                    Mode::Open => {}
                }
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
                    let left_open =
                        async { mode.wait_for(|mode| *mode != Mode::Open).await.map(|mode| *mode) };
                    let stalled = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => false,
                        left = left_open => matches!(left, Ok(Mode::Stall)),
                    };
                    // Stalled: both ends stay open and nothing moves, until cut or restored.
                    if stalled {
                        let _ = mode.wait_for(|mode| *mode != Mode::Stall).await.map(|_| ());
                    }
                });
            }
        });
        Self { address, mode }
    }

    fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
    }

    fn stall(&self) {
        self.mode.send_replace(Mode::Stall);
    }

    fn restore(&self) {
        self.mode.send_replace(Mode::Open);
    }
}

/// The test database's URL, pointed through the proxy.
fn through(proxy: &Proxy, url: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_port(Some(proxy.address.port())).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.to_string()
}

fn upstream_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_gone_requests_fail_fast_with_503_and_service_resumes_when_it_returns() {
    let proxy = Proxy::start(upstream_of(&crate::database::server_url())).await;
    let app = TestApp::spawn_with(|settings| {
        settings.database_url = through(&proxy, &settings.database_url);
        settings.pool.acquire_timeout = Duration::from_secs(1);
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30)) // a hang fails the test
        .build()
        .unwrap();
    let client = app.service_client().await;
    let before: Value =
        app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    let before = before["access_token"].as_str().unwrap().to_owned();

    proxy.cut();

    let response = http
        .post(app.url("/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "5");
    assert_error(response, 503, "temporarily_unavailable").await;

    // Introspection never guesses: 503, not "active": false.
    let response = http
        .post(app.url("/introspect"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("token", before.as_str())])
        .send()
        .await
        .unwrap();
    assert_error(response, 503, "temporarily_unavailable").await;

    // The authorization endpoint cannot validate the redirect URI: a page, never a redirect.
    let response = http
        .get(app.url("/authorize"))
        .query(&[("response_type", "code"), ("client_id", client.id.as_str()), ("state", "s1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("location").is_none());
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

    assert_eq!(http.get(app.url("/health/ready")).send().await.unwrap().status(), 503);
    assert_eq!(http.get(app.url("/health/live")).send().await.unwrap().status(), 200);

    proxy.restore();

    let mut ready = false;
    for _ in 0..50 {
        if http.get(app.url("/health/ready")).send().await.unwrap().status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "ready again once the database is back, without a restart");
    assert_eq!(app.token(&client, &[("grant_type", "client_credentials")]).await.status(), 200);
    assert_eq!(app.introspection(&client, &before).await["active"], true, "nothing acknowledged was lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_stops_answering_gives_503_within_the_deadline_not_a_hang() {
    let proxy = Proxy::start(upstream_of(&crate::database::server_url())).await;
    let app = TestApp::spawn_with(|settings| {
        settings.database_url = through(&proxy, &settings.database_url);
        settings.pool.acquire_timeout = Duration::from_secs(1);
        settings.pool.statement_timeout = Duration::from_secs(1);
    })
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20)) // well below the 30 s request timeout: a hang fails the test
        .build()
        .unwrap();
    let client = app.service_client().await;
    assert_eq!(app.token(&client, &[("grant_type", "client_credentials")]).await.status(), 200);

    // Connections stay open, pooled ones too, but nothing comes back.
    proxy.stall();
    for path in ["/token", "/introspect"] {
        let response = http
            .post(app.url(path))
            .basic_auth(&client.id, client.secret.as_deref())
            .form(&[("grant_type", "client_credentials"), ("token", "o2u_at_x")])
            .send()
            .await
            .unwrap_or_else(|error| panic!("{path} hung: {error}"));
        assert_eq!(response.headers()["retry-after"], "5", "{path}");
        assert_error(response, 503, "temporarily_unavailable").await;
    }
    assert_eq!(http.get(app.url("/health/ready")).send().await.unwrap().status(), 503);

    proxy.restore();
    let mut served = false;
    for _ in 0..50 {
        if app.token(&client, &[("grant_type", "client_credentials")]).await.status() == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(served, "service resumes once the database answers again");
}

/// A statement that waits on a lock the database never releases in time: the call's
/// deadline (here 1 s; PostgreSQL's own statement_timeout too) answers 503, long before the
/// 30 s request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_stuck_in_the_database_is_cut_off_at_the_deadline_with_503() {
    use sqlx::Connection;
    let app = TestApp::spawn_with(|settings| settings.pool.statement_timeout = Duration::from_secs(1)).await;
    let client = app.service_client().await;
    let mut blocker = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut blocker).await.unwrap();
    sqlx::query("LOCK TABLE clients IN ACCESS EXCLUSIVE MODE").execute(&mut blocker).await.unwrap();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let response = http
        .post(app.url("/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answered, not hung");
    assert_error(response, 503, "temporarily_unavailable").await;
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    assert_eq!(app.token(&client, &[("grant_type", "client_credentials")]).await.status(), 200);
}
