//! Discovery against servers that answer wrongly; against ours it is tested with the
//! server's HTTP suite (`crates/server/tests/api/client_*.rs`).
#![allow(clippy::unwrap_used)]

use oauth2u_client::{ClientError, discover};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn html_instead_of_json_and_an_unreachable_server_are_told_apart() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let html = axum::Router::new().fallback(|| async { axum::response::Html("<html>a login page</html>") });
    tokio::spawn(async move { axum::serve(listener, html).await });
    let error = discover(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")).await.unwrap_err();
    assert!(matches!(&error, ClientError::Protocol(text) if text.contains("JSON")), "{error}");

    let closed = free_port();
    let error = discover(&reqwest::Client::new(), &format!("http://127.0.0.1:{closed}")).await.unwrap_err();
    assert!(matches!(error, ClientError::Network(_)), "{error}");
}

#[tokio::test]
async fn a_server_with_only_openid_discovery_is_found_at_the_issuers_path() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/tenant", listener.local_addr().unwrap());
    let document = serde_json::json!({ "issuer": issuer, "token_endpoint": format!("{issuer}/token") });
    // OpenID Connect Discovery §4: appended to the issuer; RFC 8414's location answers 404.
    let app = axum::Router::new().route(
        "/tenant/.well-known/openid-configuration",
        axum::routing::get(move || async move { axum::Json(document) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let metadata = discover(&reqwest::Client::new(), &issuer).await.unwrap();
    assert_eq!(metadata.token_endpoint.as_deref(), Some(format!("{issuer}/token").as_str()));
}
