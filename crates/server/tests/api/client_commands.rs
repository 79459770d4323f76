//! The client half's commands (`token`, `refresh`, `revoke`, `introspect`), run as
//! processes against a server in-process, as a developer runs them in a terminal; and
//! their answers to wrong secrets, closed ports and servers that are not OAuth servers.

use std::process::{Output, Stdio};

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::helpers::*;

/// A server whose issuer is its real address, so that discovery (RFC 8414 §3.3) accepts
/// it; `alice` is auto-approved.
pub async fn client_app() -> TestApp {
    spawn_at_issuer(true).await
}

/// The same with the real sign-in and consent pages (no auto-approval).
pub async fn client_app_with_pages() -> TestApp {
    spawn_at_issuer(false).await
}

async fn spawn_at_issuer(auto_approve: bool) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    TestApp::spawn_with(|settings| {
        settings.port = port;
        settings.issuer = Some(format!("http://127.0.0.1:{port}"));
        if !auto_approve {
            settings.auto_approve = None;
        }
    })
    .await
}

/// The `oauth2u` binary with a home of its own: cache and profiles in a temporary directory.
pub struct ClientCli {
    pub home: tempfile::TempDir,
}

impl Default for ClientCli {
    fn default() -> Self {
        Self { home: tempfile::tempdir().unwrap() }
    }
}

impl ClientCli {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cache_dir(&self) -> std::path::PathBuf {
        self.home.path().join("cache/oauth2u/tokens")
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_oauth2u"));
        command
            .args(args)
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env_remove("OAUTH2U_CLIENT_SECRET")
            .env_remove("OAUTH2U_CLIENT_PROFILES")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self.command(args).spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await.unwrap();
        }
        drop(input);
        child.wait_with_output().await.unwrap()
    }
}

pub fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Exit status `code` and one line on standard error: `error: ` and `mentions`.
pub fn assert_failed(output: &Output, code: i32, mentions: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing on standard output");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(mentions), "{stderr}");
}

fn issuer(app: &TestApp) -> String {
    app.base.clone()
}

#[tokio::test]
async fn token_prints_the_response_and_raw_only_the_access_token() {
    let app = client_app().await;
    let service = app.service_client().await;
    let cli = ClientCli::new();
    let issuer = issuer(&app);
    let args = [
        "token",
        "--issuer",
        &issuer,
        "--client-id",
        &service.id,
        "--client-secret-stdin",
        "--scope",
        "read",
    ];
    let secret = format!("{}\n", service.secret.clone().unwrap());

    let mut no_cache = args.to_vec();
    no_cache.push("--no-cache");
    let response = json_of(&cli.run(&no_cache, Some(&secret)).await);
    assert_eq!(response["token_type"], "Bearer");
    assert_eq!(response["scope"], "read");
    assert!(response["expires_in"].as_u64().unwrap() > 0);
    assert!(app.is_active(response["access_token"].as_str().unwrap()).await);

    no_cache.push("--raw");
    let raw = cli.run(&no_cache, Some(&secret)).await;
    assert!(raw.status.success());
    let token = String::from_utf8(raw.stdout).unwrap();
    assert_eq!(token.trim_end().lines().count(), 1);
    assert!(app.is_active(token.trim_end()).await);
    assert_ne!(token.trim_end(), response["access_token"], "--no-cache asks every time");
}

#[tokio::test]
async fn tokens_are_cached_in_private_files_per_scope_until_shortly_before_expiry() {
    use std::os::unix::fs::PermissionsExt;
    let app = client_app().await;
    let service = app.service_client().await;
    let cli = ClientCli::new();
    let issuer = issuer(&app);
    let secret = service.secret.clone().unwrap();
    let token = |scope: &'static str| {
        let args = [
            "token",
            "--issuer",
            &issuer,
            "--client-id",
            &service.id,
            "--client-secret",
            &secret,
            "--scope",
            scope,
            "--raw",
        ];
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let cli = &cli;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = cli.run(&args, None).await;
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).unwrap().trim_end().to_owned()
        }
    };
    let first = token("read").await;
    assert_eq!(token("read").await, first, "the cached token is reused");
    assert_ne!(token("write").await, first, "another scope is another entry");

    let entries: Vec<_> = std::fs::read_dir(cli.cache_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    let json: Vec<_> = entries.iter().filter(|path| path.extension().is_some_and(|e| e == "json")).collect();
    assert_eq!(json.len(), 2);
    for path in &json {
        assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(path).unwrap();
        assert!(!text.contains(&secret), "the client secret is never cached");
    }
    assert_eq!(std::fs::metadata(cli.cache_dir()).unwrap().permissions().mode() & 0o777, 0o700);

    // An entry that expires within the margin is not used: a new token is fetched.
    let path = json.iter().find(|path| std::fs::read_to_string(path).unwrap().contains(&first)).unwrap();
    let mut entry: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    entry["response"]["expires_in"] = 30.into();
    std::fs::write(path, entry.to_string()).unwrap();
    let renewed = token("read").await;
    assert_ne!(renewed, first);
    assert_eq!(token("read").await, renewed);
}

#[tokio::test]
async fn a_wrong_secret_is_the_servers_error_with_status_1() {
    let app = client_app().await;
    let service = app.service_client().await;
    let cli = ClientCli::new();
    let output = cli
        .run(
            &[
                "token",
                "--issuer",
                &issuer(&app),
                "--client-id",
                &service.id,
                "--client-secret",
                "wrong",
                "--no-cache",
            ],
            None,
        )
        .await;
    assert_failed(&output, 1, "error: invalid_client — ");
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error_with_status_2() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output = ClientCli::new()
        .run(
            &[
                "token",
                "--issuer",
                &format!("http://127.0.0.1:{closed}"),
                "--client-id",
                "c",
                "--client-secret",
                "s",
            ],
            None,
        )
        .await;
    assert_failed(&output, 2, "network");
}

#[tokio::test]
async fn a_server_answering_html_is_refused_with_status_1() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let html =
        axum::Router::new().fallback(|| async { axum::response::Html("<html><body>Sign in</body></html>") });
    tokio::spawn(async move { axum::serve(listener, html).await });
    let cli = ClientCli::new();

    // Discovery gets a page, not metadata.
    let output =
        cli.run(&["token", "--issuer", &base, "--client-id", "c", "--client-secret", "s"], None).await;
    assert_failed(&output, 1, "JSON");
    // The token endpoint itself answers with a page.
    let token_endpoint = format!("{base}/token");
    let args = [
        "token",
        "--issuer",
        &base,
        "--token-endpoint",
        &token_endpoint,
        "--client-id",
        "c",
        "--client-secret",
        "s",
    ];
    assert_failed(&cli.run(&args, None).await, 1, "Content-Type");
}

#[tokio::test]
async fn endpoints_given_by_flags_need_no_discovery() {
    let app = client_app().await;
    let service = app.service_client().await;
    let secret = service.secret.clone().unwrap();
    let token_endpoint = app.url("/token");
    // An issuer with no metadata at all: only the flag's endpoint is used.
    let args = [
        "token",
        "--issuer",
        "http://127.0.0.1:9",
        "--token-endpoint",
        &token_endpoint,
        "--client-id",
        &service.id,
        "--client-secret",
        &secret,
        "--no-cache",
    ];
    let response = json_of(&ClientCli::new().run(&args, None).await);
    assert!(app.is_active(response["access_token"].as_str().unwrap()).await);
}

#[tokio::test]
async fn plain_http_beyond_loopback_is_refused_unless_allowed() {
    let args = [
        "token",
        "--issuer",
        "http://as.example",
        "--token-endpoint",
        "http://as.example/token",
        "--client-id",
        "c",
    ];
    assert_failed(&ClientCli::new().run(&args, None).await, 1, "https");
}

#[tokio::test]
async fn a_profile_supplies_the_settings_and_its_secret_comes_from_the_environment() {
    let app = client_app().await;
    let service = app.service_client().await;
    let cli = ClientCli::new();
    let config = cli.home.path().join("config/oauth2u");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("client.toml"),
        format!(
            "[staging]\nissuer = \"{}\"\nclient_id = \"{}\"\nclient_secret_env = \"STAGING_SECRET\"\nscope = \"write\"\n",
            app.base, service.id
        ),
    )
    .unwrap();
    let mut command = cli.command(&["token", "-p", "staging", "--no-cache"]);
    command.env("STAGING_SECRET", service.secret.clone().unwrap());
    let response = json_of(&command.output().await.unwrap());
    assert_eq!(response["scope"], "write");

    // A flag wins over the profile.
    let mut command = cli.command(&["token", "-p", "staging", "--no-cache", "--scope", "read"]);
    command.env("STAGING_SECRET", service.secret.clone().unwrap());
    assert_eq!(json_of(&command.output().await.unwrap())["scope"], "read");

    let missing = cli.run(&["token", "-p", "staging"], None).await;
    assert_failed(&missing, 1, "STAGING_SECRET");
    assert_failed(&cli.run(&["token", "-p", "prod"], None).await, 1, "no profile `prod`");
}

#[tokio::test]
async fn introspect_refresh_and_revoke_with_the_callers_credentials() {
    let app = client_app().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let (access, refresh) =
        (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());
    let cli = ClientCli::new();
    let issuer = issuer(&app);
    let secret = client.secret.clone().unwrap();
    let run = |command: &'static str, extra: Vec<String>| {
        let mut args: Vec<String> =
            [command, "--issuer", &issuer, "--client-id", &client.id, "--client-secret", &secret]
                .map(String::from)
                .to_vec();
        args.extend(extra);
        let cli = &cli;
        async move { cli.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), None).await }
    };

    let introspected = json_of(&run("introspect", vec![access.into()]).await);
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["client_id"], client.id.as_str());
    assert_eq!(introspected["sub"], app.subject.as_str());

    let refreshed = json_of(&run("refresh", vec!["--refresh-token".into(), refresh.into()]).await);
    let new_refresh = refreshed["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, refresh, "rotated");
    assert!(app.is_active(refreshed["access_token"].as_str().unwrap()).await);

    let revoked = run("revoke", vec![new_refresh.into(), "--hint".into(), "refresh_token".into()]).await;
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert!(revoked.stdout.is_empty());
    assert_eq!(json_of(&run("introspect", vec![new_refresh.into()]).await)["active"], false);

    // Another client's credentials: the server's refusal, status 1.
    let other = app.service_client().await;
    let args = ["revoke", refresh, "--issuer", &issuer, "--client-id", &other.id, "--client-secret", "wrong"];
    assert_failed(&cli.run(&args, None).await, 1, "invalid_client");
}

#[tokio::test]
async fn secrets_and_tokens_given_as_dash_are_read_from_standard_input() {
    let app = client_app().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let (access, refresh) =
        (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());
    let cli = ClientCli::new();
    let issuer = issuer(&app);
    let secret = client.secret.clone().unwrap();
    let base = ["--issuer", issuer.as_str(), "--client-id", client.id.as_str(), "--client-secret", "-"];
    // One line each, the secret first: nothing secret on the command line.
    let introspect = [&["introspect", "-"][..], &base].concat();
    let described = json_of(&cli.run(&introspect, Some(&format!("{secret}\n{access}\n"))).await);
    assert_eq!(described["active"], true);
    let refresh_args = [&["refresh", "--refresh-token", "-"][..], &base].concat();
    let refreshed = json_of(&cli.run(&refresh_args, Some(&format!("{secret}\n{refresh}\n"))).await);
    let rotated = refreshed["refresh_token"].as_str().unwrap();
    let revoke = [&["revoke", "-"][..], &base].concat();
    let revoked = cli.run(&revoke, Some(&format!("{secret}\n{rotated}\n"))).await;
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert!(!app.is_active(rotated).await);
    // A `-` with nothing left to read is refused, not sent as an empty token.
    assert_failed(&cli.run(&introspect, Some(&format!("{secret}\n"))).await, 1, "standard input");
}

#[tokio::test]
async fn discovery_finds_our_metadata_and_refuses_another_issuers() {
    use oauth2u_client::{ClientError, discover};
    let app = client_app().await;
    let metadata = discover(&reqwest::Client::new(), &app.base).await.unwrap();
    assert_eq!(metadata.issuer, app.base);
    assert_eq!(metadata.token_endpoint.as_deref(), Some(app.url("/token").as_str()));
    assert!(metadata.authorization_response_iss_parameter_supported);

    let elsewhere = app.base.replace("127.0.0.1", "localhost");
    let error = discover(&reqwest::Client::new(), &elsewhere).await.unwrap_err();
    assert!(matches!(&error, ClientError::Protocol(text) if text.contains("§3.3")), "{error}");
}

#[tokio::test]
async fn the_help_describes_every_client_command() {
    let cli = ClientCli::new();
    let help = String::from_utf8(cli.run(&["--help"], None).await.stdout).unwrap();
    for command in ["token", "login", "device", "refresh", "revoke", "introspect"] {
        assert!(help.contains(&format!("  {command} ")), "{command} in {help}");
        let own = cli.run(&[command, "--help"], None).await;
        assert!(own.status.success());
        let text = String::from_utf8(own.stdout).unwrap();
        assert!(
            text.contains("--issuer") && text.contains("--client-id") && text.contains("--profile"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_server_behind_an_internal_ca_is_trusted_with_ca_cert_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = super::tls::certificate(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let issuer = format!("https://127.0.0.1:{port}");
    let app = TestApp::spawn_with(|settings| {
        settings.port = port;
        settings.issuer = Some(issuer.clone());
        settings.tls_cert = Some(cert.clone());
        settings.tls_key = Some(key);
    })
    .await;
    let service = app.service_client().await;
    let secret = service.secret.clone().unwrap();
    let cli = ClientCli::new();
    let args =
        ["token", "--issuer", &issuer, "--client-id", &service.id, "--client-secret", &secret, "--no-cache"];

    // An unknown authority: the connection itself fails (exit 2), nothing is sent.
    assert_failed(&cli.run(&args, None).await, 2, "certificate");
    let mut trusted = args.to_vec();
    trusted.extend(["--ca-cert", cert.to_str().unwrap()]);
    let response = json_of(&cli.run(&trusted, None).await);
    assert!(app.is_active(response["access_token"].as_str().unwrap()).await);
}

/// `token --dpop` against a server that asks for nonces: the command retries once with the
/// nonce it was given, and the token is bound to its key.
#[tokio::test]
async fn token_with_dpop_retries_once_with_the_servers_nonce() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_with(|settings| {
        settings.port = port;
        settings.issuer = Some(format!("http://127.0.0.1:{port}"));
        settings.dpop.nonces = true;
    })
    .await;
    let service = app.service_client().await;
    let cli = ClientCli::new();
    let issuer = issuer(&app);
    let args = [
        "token",
        "--issuer",
        &issuer,
        "--client-id",
        &service.id,
        "--client-secret-stdin",
        "--dpop",
        "--no-cache",
    ];
    let secret = format!("{}\n", service.secret.clone().unwrap());
    let response = json_of(&cli.run(&args, Some(&secret)).await);
    assert_eq!(response["token_type"], "DPoP");
    let record = app.record(response["access_token"].as_str().unwrap()).await;
    assert!(record.jkt.is_some(), "bound to the run's key");
}
