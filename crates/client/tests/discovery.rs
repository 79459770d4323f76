//! Discovery against a real server (ours, started in-process) and against servers that
//! answer wrongly.
#![allow(clippy::unwrap_used)]

use oauth2u_client::{ClientError, discover};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Our server on a fresh SQLite file, announcing `issuer`; returns the port.
async fn serve(issuer: impl FnOnce(u16) -> String) -> (u16, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let settings = oauth2u::Settings {
        port,
        issuer: Some(issuer(port)),
        database_url: format!("sqlite://{}", dir.path().join("db").display()),
        ..oauth2u::Settings::default()
    };
    let bound = oauth2u::Server::builder().settings(settings).build().unwrap().bind().await.unwrap();
    tokio::spawn(bound.serve(std::future::pending()));
    (port, dir)
}

#[tokio::test]
async fn the_metadata_of_a_standard_server_is_found_and_checked() {
    let (port, _dir) = serve(|port| format!("http://127.0.0.1:{port}")).await;
    let issuer = format!("http://127.0.0.1:{port}");
    let metadata = discover(&reqwest::Client::new(), &issuer).await.unwrap();
    assert_eq!(metadata.issuer, issuer);
    assert_eq!(metadata.token_endpoint.as_deref(), Some(format!("{issuer}/token").as_str()));
    assert!(metadata.code_challenge_methods_supported.contains(&"S256".to_owned()));
}

#[tokio::test]
async fn a_document_for_another_issuer_is_refused() {
    let (port, _dir) = serve(|port| format!("http://localhost:{port}")).await;
    let error = discover(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")).await.unwrap_err();
    assert!(matches!(&error, ClientError::Protocol(text) if text.contains("§3.3")), "{error}");
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
