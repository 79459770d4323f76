//! The server as a process: health, settings layers, graceful shutdown, slow clients.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

#[tokio::test]
async fn health_live_answers_200() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn health_ready_answers_200_while_the_database_answers() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["status"], "ready");
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let app =
        TestApp::spawn_with(|settings| settings.limits.header_read_timeout = Duration::from_millis(300))
            .await;
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(b"POST /token HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut buffer = Vec::new();
    // The server closes the connection (possibly after a 408); it does not wait forever.
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buffer)).await;
    assert!(closed.is_ok(), "the connection was still open after 10 s");
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut app = TestApp::spawn_full(
        |_| {},
        |builder| {
            builder.merge(axum::Router::new().route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    "done"
                }),
            ))
        },
    )
    .await;
    let request = tokio::spawn(app.http.get(app.url("/slow")).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.stop();
    let response = request.await.unwrap().unwrap();
    assert_eq!(response.text().await.unwrap(), "done");
}

/// The binary: config file < environment < flags, it announces itself, and SIGTERM stops it.
#[test]
fn the_binary_layers_its_settings_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.path().join("oauth2u.toml");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/handlers");
    let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plugins");
    std::fs::write(
        &config,
        "port = 1\nissuer = \"https://from-file.example\"\n[lifetimes]\naccess_token = \"5m\"\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .current_dir(dir.path())
        .args(["serve", "--config", config.to_str().unwrap(), "--port", &port.to_string()])
        .args(["--handlers-dir", examples.to_str().unwrap(), "--plugins-dir", plugins.to_str().unwrap()])
        .env("OAUTH2U_ISSUER", "https://from-env.example")
        .env("OAUTH2U_LOG_FORMAT", "json")
        // The client commands' variables, and a wrapper's: never settings, never fatal.
        .env("OAUTH2U_CLIENT_SECRET", "o2u_cs_for_the_client_commands")
        .env("OAUTH2U_CLIENT_PROFILES", "/nowhere/client.toml")
        .env("OAUTH2U_WRAPPER_THING", "1")
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    let announced: serde_json::Value = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server exited: {lines:?}");
        let parsed: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("JSON log line: {line}"));
        if parsed["fields"]["message"] == "oauth2u listening" {
            break parsed;
        }
        lines.push(line);
    };
    assert!(lines.iter().any(|line| line.contains("created the master key file")), "{lines:?}");
    let warned: Vec<&String> = lines.iter().filter(|line| line.contains("OAUTH2U_")).collect();
    assert_eq!(warned.len(), 1, "one warning, for the unknown variable alone: {warned:?}");
    assert!(warned[0].contains("OAUTH2U_WRAPPER_THING") && warned[0].contains("WARN"), "{warned:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key_file = std::fs::metadata(dir.path().join("oauth2u.db.key")).unwrap();
        assert_eq!(key_file.permissions().mode() & 0o777, 0o600, "the master key file is private");
        for file in ["oauth2u.db", "oauth2u.db-wal", "oauth2u.db-shm"] {
            let mode = std::fs::metadata(dir.path().join(file)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{file} is private");
        }
    }
    assert_eq!(
        announced["fields"]["address"],
        format!("http://127.0.0.1:{port}"),
        "the flag wins over the file"
    );
    assert_eq!(
        announced["fields"]["issuer"], "https://from-env.example",
        "the environment wins over the file"
    );
    assert!(dir.path().join("oauth2u.db").exists(), "the default database is created");

    let get = |path: &str| {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        reply
    };
    assert!(get("/health/live").starts_with("HTTP/1.1 200"));
    assert!(get("/my/custom/url").ends_with("hello world"), "--handlers-dir is loaded");

    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        rest
    });
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let rest = rest.join().unwrap();
    assert!(rest.contains("no client is registered yet"), "{rest}");
    assert!(rest.contains("shutting down"), "{rest}");
}

async fn boom() -> &'static str {
    panic!("a bug in a handler")
}

#[tokio::test]
async fn a_panicking_route_gets_a_friendly_500_and_the_server_goes_on() {
    let app =
        TestApp::spawn_full(|_| {}, |builder| builder.merge(axum::Router::new().route("/boom", get(boom))))
            .await;
    let response = app.http.get(app.url("/boom")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(response.text().await.unwrap().contains("Something went wrong"));
    assert_eq!(app.http.get(app.url("/health/live")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_issuer_is_https() {
    let app = TestApp::spawn_with(|settings| {
        settings.auto_approve = None;
        settings.issuer = Some("https://auth.example.com".into());
    })
    .await;
    let client = app.confidential_client().await;
    let page = app.request_code(&client).await;
    let cookie = page.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn a_client_that_trickles_its_body_gets_408() {
    let app =
        TestApp::spawn_with(|settings| settings.limits.request_timeout = Duration::from_millis(300)).await;
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let head = "POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buffer = vec![0u8; 512];
    let read =
        tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await.unwrap().unwrap();
    let reply = String::from_utf8_lossy(&buffer[..read]);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
}

/// An unknown key in the config file stops the start, and the message names its line.
#[test]
fn an_unknown_key_in_the_config_file_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("oauth2u.toml");
    std::fs::write(&config, "port = 8001\n\n[grants]\npasword = true\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .current_dir(dir.path())
        .args(["serve", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 4") && stderr.contains("pasword"), "{stderr}");
}

/// Database URLs are shown with the password replaced, in errors and in the start line.
#[test]
fn a_database_password_never_reaches_the_output() {
    let output = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .args(["--database", "postgres://app:hunter2-in-url@127.0.0.1:1/oauth2u", "clients", "list"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .args(["--database", "mysql://app:hunter2-in-url@db/oauth2u", "clients", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported database URL `mysql://app:***@db/oauth2u`"), "{stderr}");
}

/// On PostgreSQL the URL may carry a password (the test server trusts, so any will do):
/// the start line names the database with `***` in its place.
#[test]
fn the_start_line_names_the_database_without_its_password() {
    if crate::database::engine() != crate::database::Engine::Postgres {
        return; // a SQLite URL is a path: there is no password to hide
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(TestApp::spawn());
    let url = app.database_url.replacen("postgres@", "postgres:hunter2-in-url@", 1);
    assert_ne!(url, app.database_url);
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .args(["serve", "--port", "0", "--database", &url, "--log-format", "json"])
        .envs(app.master_key.as_ref().map(|key| ("OAUTH2U_MASTER_KEY", key)))
        .env_remove("OAUTH2U_CONFIG")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut output = String::new();
    let announced: serde_json::Value = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server exited: {output}");
        output.push_str(&line);
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if parsed["fields"]["message"] == "oauth2u listening" {
            break parsed;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(!output.contains("hunter2"), "{output}");
    assert!(
        announced["fields"]["database"].as_str().unwrap().starts_with("postgres://postgres:***@"),
        "{announced}"
    );
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_beside_http1() {
    let app = TestApp::spawn().await;
    let h2 = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let live = h2.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!((live.status().as_u16(), live.version()), (200, reqwest::Version::HTTP_2));
    // The token endpoint answers the same over either.
    let service = app.service_client().await;
    let token = h2
        .post(app.url("/token"))
        .basic_auth(&service.id, service.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!((token.status().as_u16(), token.version()), (200, reqwest::Version::HTTP_2));
    assert_eq!(token.headers()["cache-control"], "no-store");
    let refused =
        h2.post(app.url("/token")).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
    assert_eq!(refused.status(), 401, "no client authentication");
    let http1 = app.http.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(http1.version(), reqwest::Version::HTTP_11);
}
