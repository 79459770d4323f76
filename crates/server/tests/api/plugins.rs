//! The seed's plugins and handlers, as Rhai scripts loaded from directories.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::*;

fn examples(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(folder)
}

/// A directory holding the given scripts (name, source).
fn scripts(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in files {
        std::fs::write(dir.path().join(name), source).unwrap();
    }
    dir
}

async fn with_plugins(dir: &Path) -> TestApp {
    let dir = dir.to_owned();
    TestApp::spawn_with(move |settings| settings.plugins_directories = vec![dir]).await
}

#[tokio::test]
async fn access_token_response_adds_a_key() {
    let app = with_plugins(&examples("plugins")).await;
    let client = app.service_client().await;
    let body: Value = app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    assert_eq!(body["issued_by"], "oauth2u example plugin");
    assert_eq!(body["grant"], "client_credentials");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn a_response_hook_cannot_change_or_remove_the_token_fields() {
    let dir = scripts(&[(
        "bad.rhai",
        r#"fn access_token_response(request) { #{ access_token: (), extra: "x" } }"#,
    )]);
    let app = with_plugins(dir.path()).await;
    let client = app.service_client().await;
    let body: Value = app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    assert!(body["access_token"].as_str().unwrap().starts_with("o2u_at_"));
    assert!(body.get("extra").is_none(), "the whole change is refused");
}

#[tokio::test]
async fn authorization_get_can_deny_a_client() {
    let dir = scripts(&[(
        "deny.rhai",
        r#"fn authorization_GET(request) { if request.client_name == "blocked" { return deny("not today"); } }"#,
    )]);
    let app = with_plugins(dir.path()).await;
    let blocked = app
        .register(oauth2u::core::admin::ClientSpec {
            name: Some("blocked".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            ..Default::default()
        })
        .await;
    let params = redirect_params(&app.request_code(&blocked).await);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["error_description"], "not today");
    assert_eq!(params["state"], "s1");
    let allowed = app.confidential_client().await;
    assert!(redirect_params(&app.request_code(&allowed).await).contains_key("code"), "others go on");
}

#[tokio::test]
async fn access_token_validation_rejects_before_anything_is_consumed() {
    let dir = scripts(&[(
        "validate.rhai",
        r#"fn access_token_validation(request) {
            if request.params.device == "unknown" { return reject("invalid_request", "unknown device"); }
            if request.params.contains("code") { return reject("server_error", "a secret reached a script"); }
        }"#,
    )]);
    let app = with_plugins(dir.path()).await;
    let client = app.confidential_client().await;
    let code = app.code(&client).await;
    let mut form =
        vec![("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let refused = app.token(&client, &[form.clone(), vec![("device", "unknown")]].concat()).await;
    let body = assert_error(refused, 400, "invalid_request").await;
    assert_eq!(body["error_description"], "unknown device");
    form.push(("device", "phone"));
    assert_eq!(app.token(&client, &form).await.status(), 200, "the code was not consumed");
}

#[tokio::test]
async fn a_handlers_directory_serves_custom_urls() {
    let dir = examples("handlers");
    let app = TestApp::spawn_with(move |settings| settings.handlers_directories = vec![dir]).await;
    let hello = app.http.get(app.url("/my/custom/url")).send().await.unwrap();
    assert_eq!(hello.status(), 200);
    assert_eq!(hello.text().await.unwrap(), "hello world");
    let json = app.http.get(app.url("/my/custom/json?name=seed")).send().await.unwrap();
    assert_eq!(json.headers()["content-type"], "application/json");
    assert_eq!(json.text().await.unwrap(), r#"{"hello":"seed"}"#);
}

#[tokio::test]
async fn files_that_are_not_rhai_are_ignored() {
    let dir = scripts(&[
        ("notes.txt", "this is not a script {{{"),
        ("old.rhai.bak", "fn broken( {"),
        ("extras.rhai", r#"fn access_token_response(request) { #{ "ok": true } }"#),
    ]);
    let app = with_plugins(dir.path()).await;
    let client = app.service_client().await;
    let body: Value = app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    assert_eq!(body["ok"], true);
}

#[tokio::test]
async fn a_script_that_does_not_compile_stops_the_start_with_file_and_line() {
    let dir = scripts(&[("broken.rhai", "fn authorization_GET(request) {\n    let x = ;\n}\n")]);
    let result = oauth2u::Server::builder()
        .port(0)
        .database(format!("sqlite://{}", dir.path().join("db.sqlite").display()))
        .plugins_directories([dir.path()])
        .build()
        .unwrap()
        .bind()
        .await;
    let error = result.err().expect("the start is refused").to_string();
    assert!(error.contains("broken.rhai:2:"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_script_fails_its_own_request_only() {
    let dir = scripts(&[(
        "loop.rhai",
        r#"fn authorization_GET(request) { if request.client_name == "looping" { loop { } } }"#,
    )]);
    let app = with_plugins(dir.path()).await;
    let looping = app
        .register(oauth2u::core::admin::ClientSpec {
            name: Some("looping".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            ..Default::default()
        })
        .await;
    let normal = app.confidential_client().await;
    let (stuck, fine) = tokio::join!(app.request_code(&looping), app.request_code(&normal));
    assert_eq!(redirect_params(&stuck)["error"], "server_error");
    assert!(redirect_params(&fine).contains_key("code"));
}

#[tokio::test]
async fn the_seeds_login_window_example_signs_a_user_in() {
    let dir = examples("plugins");
    let app = TestApp::spawn_with(move |settings| {
        settings.auto_approve = None;
        settings.plugins_directories = vec![dir];
    })
    .await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let page = browser.authorize(&client).await;
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let page = page.text().await.unwrap();
    assert!(page.contains("Sign in to web app"));
    let action = {
        let start = page.find("action=\"").unwrap() + "action=\"".len();
        page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&")
    };
    let csrf = hidden(&page, "csrf_token");

    let wrong =
        browser.post(&action, &[("csrf_token", &csrf), ("username", USERNAME), ("password", "nope")]).await;
    assert_eq!(wrong.status(), 401);
    let forged = browser.post(&action, &[("username", USERNAME), ("password", PASSWORD)]).await;
    assert_eq!(forged.status(), 400, "no CSRF token, no entry");
    let back =
        browser.post(&action, &[("csrf_token", &csrf), ("username", USERNAME), ("password", PASSWORD)]).await;
    assert_eq!(back.status(), 303);
    let params = redirect_params(&back);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("code_verifier", VERIFIER),
    ];
    let tokens: Value = app.token(&client, &form).await.json().await.unwrap();
    assert_eq!(
        app.record(tokens["access_token"].as_str().unwrap()).await.subject.as_deref(),
        Some(app.subject.as_str())
    );
}

#[tokio::test]
async fn authorization_get_can_answer_the_seeds_redirect_errors() {
    let dir = scripts(&[(
        "errors.rhai",
        r#"fn authorization_GET(request) {
            if request.scope == "write" { return redirect_error("invalid_scope", "write is for staff"); }
            if request.scope == "read" { return redirect_error("invalid_grant", "not a redirect error"); }
        }"#,
    )]);
    let app = with_plugins(dir.path()).await;
    let client = app.confidential_client().await;
    let ask = |scope: &'static str| {
        [("response_type", "code"), ("client_id", client.id.as_str()), ("scope", scope), ("state", "s1")]
    };
    let params = redirect_params(&app.get_authorize(&ask("write")).await);
    assert_eq!(
        (params["error"].as_str(), params["error_description"].as_str()),
        ("invalid_scope", "write is for staff")
    );
    assert_eq!(
        redirect_params(&app.get_authorize(&ask("read")).await)["error"],
        "server_error",
        "only the redirect errors are allowed"
    );
}

/// Library users implement `Hooks` in Rust.
struct OnlyOnWeekdays;

#[oauth2u::core::async_trait]
impl oauth2u::core::Hooks for OnlyOnWeekdays {
    async fn access_token_validation(
        &self,
        context: &oauth2u::core::hooks::TokenContext<'_>,
    ) -> Result<(), oauth2u::core::OAuthError> {
        match context.params.get("day")? {
            Some("sunday") => Err(oauth2u::core::OAuthError::invalid_request("closed on sundays")),
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn rust_hooks_run_beside_script_plugins() {
    let dir = examples("plugins");
    let app = TestApp::spawn_full(
        move |settings| settings.plugins_directories = vec![dir],
        |builder| builder.hooks(std::sync::Arc::new(OnlyOnWeekdays)),
    )
    .await;
    let client = app.service_client().await;
    let sunday = app.token(&client, &[("grant_type", "client_credentials"), ("day", "sunday")]).await;
    assert_error(sunday, 400, "invalid_request").await;
    let monday: Value = app
        .token(&client, &[("grant_type", "client_credentials"), ("day", "monday")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(monday["issued_by"], "oauth2u example plugin", "the script's hook ran too");
}

/// A script that waits (a few operations each, but a store call every time) is stopped by
/// the wall-clock deadline, not the operation limit: it never reaches its own answer.
#[tokio::test]
async fn a_script_past_plugins_timeout_stops_and_its_request_gets_server_error() {
    let dir = scripts(&[(
        "slow.rhai",
        r#"fn authorization_GET(request) {
               for i in 0..100000 { find_user("nobody"); }
               deny("finished")
           }"#,
    )]);
    let plugins = dir.path().to_owned();
    let app = TestApp::spawn_with(move |settings| {
        settings.plugins_directories = vec![plugins];
        settings.plugins.timeout = std::time::Duration::from_millis(200);
    })
    .await;
    let client = app.confidential_client().await;
    let params = redirect_params(&app.request_code(&client).await);
    assert_eq!(params["error"], "server_error", "{params:?}");
    assert_ne!(params.get("error_description").map(String::as_str), Some("finished"));
}
