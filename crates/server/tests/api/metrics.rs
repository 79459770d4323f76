//! `/metrics`: Prometheus text, off the public port or behind a token.

use crate::helpers::*;

#[tokio::test]
async fn on_the_public_port_metrics_need_the_token_and_count_requests_and_tokens() {
    let app = TestApp::spawn_with(|settings| settings.metrics.token = Some("scrape-secret".into())).await;
    let client = app.service_client().await;
    assert_eq!(app.token(&client, &[("grant_type", "client_credentials")]).await.status(), 200);
    assert_eq!(app.token(&client, &[("grant_type", "password")]).await.status(), 400);

    let denied = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(denied.status(), 401);
    let wrong = app.http.get(app.url("/metrics")).bearer_auth("scrape-secreT").send().await.unwrap();
    assert_eq!(wrong.status(), 401);

    let response = app.http.get(app.url("/metrics")).bearer_auth("scrape-secret").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    for expected in [
        "oauth2u_http_requests_total{endpoint=\"/token\",status=\"200\"} 1",
        "oauth2u_http_requests_total{endpoint=\"/token\",status=\"400\"} 1",
        "oauth2u_http_requests_total{endpoint=\"/metrics\",status=\"401\"} 2",
        "oauth2u_tokens_issued_total{grant_type=\"client_credentials\"} 1",
        "oauth2u_http_request_duration_seconds_count{endpoint=\"/token\"} 2",
        "oauth2u_database_connections_max ",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(!text.contains("grant_type=\"password\""), "failures are not issuance");
}

#[tokio::test]
async fn unknown_paths_share_one_label() {
    let app = TestApp::spawn_with(|settings| settings.metrics.token = Some("t".into())).await;
    for path in ["/a", "/b", "/c/d"] {
        app.http.get(app.url(path)).send().await.unwrap();
    }
    let text = app.http.get(app.url("/metrics")).bearer_auth("t").send().await.unwrap().text().await.unwrap();
    assert!(text.contains("oauth2u_http_requests_total{endpoint=\"other\",status=\"404\"} 3"), "{text}");
}

#[tokio::test]
async fn without_configuration_there_are_no_metrics_and_on_their_own_port_they_are_open() {
    let app = TestApp::spawn().await;
    assert_eq!(app.http.get(app.url("/metrics")).send().await.unwrap().status(), 404);

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app =
        TestApp::spawn_with(|settings| settings.metrics.address = Some(([127, 0, 0, 1], port).into())).await;
    assert_eq!(
        app.http.get(app.url("/metrics")).send().await.unwrap().status(),
        404,
        "not on the public port"
    );
    let text =
        app.http.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("# TYPE oauth2u_http_requests counter"), "{text}");
}
