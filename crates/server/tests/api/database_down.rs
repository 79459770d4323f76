//! The database goes away and comes back (PostgreSQL: SQLite lives inside the process). A
//! TCP proxy inside the test stands between the server and PostgreSQL, and is cut and
//! restored, so no other test is disturbed.

use std::time::Duration;

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::*;

/// Forwards connections to `upstream` while open; when cut, drops every connection and
/// refuses new ones.
struct Proxy {
    address: std::net::SocketAddr,
    open: watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (open, _) = watch::channel(true);
        let state = open.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut open = state.subscribe();
                if !*open.borrow() {
                    continue; // dropped: the connection is refused
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = open.wait_for(|open| !open) => {}
                    }
                });
            }
        });
        Self { address, open }
    }

    fn cut(&self) {
        self.open.send_replace(false);
    }

    fn restore(&self) {
        self.open.send_replace(true);
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
