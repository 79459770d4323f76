//! The `oauth2u` command line, run as a separate process against the test's database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::helpers::*;

pub(crate) fn oauth2u(database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .arg("--database")
        .arg(database_url)
        .args(args)
        .env_remove("OAUTH2U_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn json_of(output: &Output) -> Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn assert_success(output: &Output) {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

pub(crate) fn assert_refused(output: &Output, mentions: &str) {
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(mentions), "{stderr}");
}

#[tokio::test]
async fn registration_refuses_what_cannot_be_safe() {
    let app = TestApp::spawn().await;
    let db = app.database_url.as_str();
    let add = |extra: &[&str]| {
        let mut args = vec!["clients", "add", "--name", "x"];
        args.extend_from_slice(extra);
        oauth2u(db, &args, None)
    };
    assert_refused(&add(&["--redirect-uri", "http://app.example/cb"]), "https");
    assert_refused(&add(&["--redirect-uri", "https://app.example/cb#x"]), "fragment");
    assert_refused(&add(&["--redirect-uri", "/cb"]), "absolute");
    assert_refused(&add(&["--redirect-uri", "javascript:alert(1)"]), "scheme");
    assert_refused(&add(&["--public", "--grant-types", "client_credentials"]), "confidential");
    assert_refused(
        &add(&[
            "--public",
            "--redirect-uri",
            "https://a.example/cb",
            "--grant-types",
            "authorization_code,password",
        ]),
        "confidential",
    );
    assert_refused(&add(&[]), "redirect-uri");
    assert_refused(
        &add(&["--redirect-uri", "https://a.example/cb", "--scopes", "a", "--default-scopes", "b"]),
        "default-scopes",
    );
    assert_refused(
        &add(&["--grant-types", "client_credentials", "--allowed-origin", "https://a.example/path"]),
        "origin",
    );
    // clap's own refusal of an unknown grant type also exits 2.
    assert_eq!(add(&["--grant-types", "magic"]).status.code(), Some(2));
    assert!(app.store.clients().await.unwrap().is_empty(), "nothing was registered");
}

#[tokio::test]
async fn a_client_added_while_the_server_runs_works_at_once() {
    let app = TestApp::spawn().await;
    let output = oauth2u(
        &app.database_url,
        &[
            "clients",
            "add",
            "--name",
            "svc",
            "--grant-types",
            "client_credentials",
            "--scopes",
            "read write",
            "--json",
        ],
        None,
    );
    let added = json_of(&output);
    let client = TestClient {
        id: added["client_id"].as_str().unwrap().into(),
        secret: Some(added["client_secret"].as_str().unwrap().into()),
    };
    assert!(client.secret.as_deref().unwrap().starts_with("o2u_cs_"));
    assert_eq!(app.token(&client, &[("grant_type", "client_credentials")]).await.status(), 200);

    // The database holds only the secret's hash.
    let dump = crate::database::dump(&app.database_url);
    let secret = client.secret.as_deref().unwrap().as_bytes();
    assert!(!dump.windows(secret.len()).any(|window| window == secret));

    let rotated =
        json_of(&oauth2u(&app.database_url, &["clients", "rotate-secret", &client.id, "--json"], None));
    let new =
        TestClient { id: client.id.clone(), secret: Some(rotated["client_secret"].as_str().unwrap().into()) };
    assert_error(app.token(&client, &[("grant_type", "client_credentials")]).await, 401, "invalid_client")
        .await;
    assert_eq!(app.token(&new, &[("grant_type", "client_credentials")]).await.status(), 200);

    assert_success(&oauth2u(&app.database_url, &["clients", "remove", &client.id], None));
    assert_error(app.token(&new, &[("grant_type", "client_credentials")]).await, 401, "invalid_client").await;
}

#[tokio::test]
async fn public_clients_have_no_secret_and_can_be_listed_shown_and_updated() {
    let app = TestApp::spawn().await;
    let db = app.database_url.as_str();
    let added = json_of(&oauth2u(
        db,
        &[
            "clients",
            "add",
            "--name",
            "cli",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--redirect-uri",
            "com.example.app:/cb",
            "--id",
            "my-cli",
            "--json",
        ],
        None,
    ));
    assert_eq!(added["client_id"], "my-cli");
    assert!(added.get("client_secret").is_none());
    assert_eq!(added["grant_types"], serde_json::json!(["authorization_code", "refresh_token"]));

    let listed = json_of(&oauth2u(db, &["clients", "list", "--json"], None));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let shown = json_of(&oauth2u(db, &["clients", "show", "my-cli", "--json"], None));
    assert_eq!(shown["redirect_uris"].as_array().unwrap().len(), 2);

    let updated = json_of(&oauth2u(db, &["clients", "update", "my-cli", "--scopes", "read", "--json"], None));
    assert_eq!(updated["scopes"], "read");
    assert_eq!(updated["name"], "cli", "unchanged options stay");
    assert_refused(&oauth2u(db, &["clients", "show", "nobody"], None), "no client");
    assert_refused(
        &oauth2u(
            db,
            &["clients", "add", "--name", "dup", "--id", "my-cli", "--redirect-uri", "https://a.example/cb"],
            None,
        ),
        "taken",
    );
    let confidential =
        json_of(&oauth2u(db, &["clients", "update", "my-cli", "--confidential", "--json"], None));
    assert!(
        confidential["client_secret"].as_str().unwrap().starts_with("o2u_cs_"),
        "a new secret, shown once"
    );
    let text = oauth2u(db, &["clients", "show", "my-cli"], None);
    assert!(String::from_utf8_lossy(&text.stdout).contains("my-cli"));
}

#[tokio::test]
async fn users_are_managed_with_passwords_from_stdin() {
    let app = TestApp::spawn_with(|settings| settings.grants.password = true).await;
    let db = app.database_url.as_str();
    let output = oauth2u(db, &["users", "add", "bob", "--password-stdin"], Some("bob's long password\n"));
    assert_success(&output);
    assert_refused(
        &oauth2u(db, &["users", "add", "bob", "--password-stdin"], Some("another password\n")),
        "bob",
    );
    assert_refused(&oauth2u(db, &["users", "add", "carol"], None), "password-stdin");
    // `users list`: every user by username, one JSON object a line, no password hash.
    let listed = oauth2u(db, &["users", "list", "--json"], None);
    assert_success(&listed);
    let lines: Vec<Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<&str> = lines.iter().map(|user| user["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert!(lines.iter().all(|user| user.get("password_hash").is_none() && user["sub"].is_string()));
    assert_refused(
        &oauth2u(db, &["users", "add", "carol", "--password-stdin"], Some("short\n")),
        "8 characters",
    );

    let client = app
        .register(oauth2u::core::admin::ClientSpec {
            name: Some("legacy".into()),
            grant_types: Some(vec![oauth2u::core::model::GrantType::Password]),
            ..Default::default()
        })
        .await;
    let login =
        |password: &'static str| [("grant_type", "password"), ("username", "bob"), ("password", password)];
    let body: Value = app.token(&client, &login("bob's long password")).await.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();

    assert!(
        oauth2u(db, &["users", "passwd", "bob", "--password-stdin"], Some("a new password\n"))
            .status
            .success()
    );
    assert_error(app.token(&client, &login("bob's long password")).await, 400, "invalid_grant").await;
    assert_eq!(app.token(&client, &login("a new password")).await.status(), 200);

    assert_success(&oauth2u(db, &["users", "disable", "bob"], None));
    assert!(!app.is_active(&token).await, "disabling revokes the user's tokens");
    assert_error(app.token(&client, &login("a new password")).await, 400, "invalid_grant").await;
    assert_success(&oauth2u(db, &["users", "remove", "bob"], None));
    assert_refused(&oauth2u(db, &["users", "remove", "bob"], None), "no user");
}

#[test]
fn an_unsupported_database_url_is_refused_clearly() {
    let output = oauth2u("mysql://localhost/db", &["clients", "list"], None);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("use sqlite://PATH"), "{output:?}");
}

#[tokio::test]
async fn a_user_subject_never_equals_a_client_id() {
    let app = TestApp::spawn().await;
    let output = oauth2u(
        &app.database_url,
        &["clients", "add", "--name", "x", "--id", &app.subject, "--grant-types", "client_credentials"],
        None,
    );
    assert_refused(&output, "taken");
}

#[tokio::test]
async fn consents_are_listed_and_revoked_from_the_command_line() {
    let app = TestApp::spawn_with(|settings| settings.auto_approve = None).await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let consent = browser.consent_page(&client).await;
    browser.consent(&consent, "allow", true).await;

    let listed = oauth2u(&app.database_url, &["users", "consents", USERNAME], None);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.contains(&client.id) && listed.contains("read write"), "{listed}");
    assert_success(&oauth2u(&app.database_url, &["users", "revoke-consent", USERNAME, &client.id], None));
    assert_refused(
        &oauth2u(&app.database_url, &["users", "revoke-consent", USERNAME, &client.id], None),
        "not consented",
    );
    assert_eq!(browser.authorize(&client).await.status(), 200, "asked again");
}

#[tokio::test]
async fn a_password_change_signs_the_user_out_everywhere_unless_told_to_keep_tokens() {
    let app = TestApp::spawn_with(|settings| settings.auto_approve = None).await;
    let db = app.database_url.as_str();
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let redirect = browser.sign_in_and_allow(&client).await;
    let code = redirect_params(&redirect)["code"].clone();
    let exchange =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let tokens: Value = app.token(&client, &exchange).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let sessions = || crate::database::count(db, "SELECT COUNT(*) FROM sessions");
    assert_eq!(sessions().await, 1);

    let kept = oauth2u(
        db,
        &["users", "passwd", USERNAME, "--password-stdin", "--keep-tokens"],
        Some("another password\n"),
    );
    assert_success(&kept);
    assert!(String::from_utf8_lossy(&kept.stdout).contains("kept: their sessions, their tokens"));
    assert!(app.is_active(&refresh).await);
    assert_eq!(sessions().await, 1);

    let changed = oauth2u(db, &["users", "passwd", USERNAME, "--password-stdin"], Some("a third password\n"));
    assert_success(&changed);
    assert!(
        String::from_utf8_lossy(&changed.stdout).contains("sessions ended and their tokens were revoked")
    );
    assert!(!app.is_active(&refresh).await, "the refresh token is revoked");
    assert!(!app.is_active(tokens["access_token"].as_str().unwrap()).await);
    assert_eq!(sessions().await, 0, "the sessions are over");
    let refreshed = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_error(refreshed, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_disabled_user_can_be_enabled_again() {
    let app = TestApp::spawn_with(|settings| settings.auto_approve = None).await;
    let db = app.database_url.as_str();
    let client = app.confidential_client().await;
    assert_success(&oauth2u(db, &["users", "disable", USERNAME], None));
    let mut browser = Browser::new(&app);
    let login = browser.authorize(&client).await.text().await.unwrap();
    assert_eq!(browser.login(&login, USERNAME, PASSWORD).await.status(), 401);
    let enabled = oauth2u(db, &["users", "enable", USERNAME], None);
    assert_success(&enabled);
    assert_eq!(browser.login(&login, USERNAME, PASSWORD).await.status(), 303);
    assert_refused(&oauth2u(db, &["users", "enable", "nobody"], None), "no user");
}

#[tokio::test]
async fn profile_claims_are_set_shown_and_removed_from_the_command_line() {
    let app = TestApp::spawn().await;
    let db = &app.database_url;
    let added = oauth2u(
        db,
        &[
            "users",
            "add",
            "carol",
            "--password-stdin",
            "--name",
            "Carol Danvers",
            "--email",
            "carol@example.com",
        ],
        Some("a long enough password\n"),
    );
    assert_success(&added);
    let updated = oauth2u(
        db,
        &[
            "users",
            "update",
            "carol",
            "--email-verified",
            "--phone",
            "+1 555 0100",
            "--claim",
            "address={\"country\":\"US\"}",
            "--claim",
            "nickname=Captain",
            "--claim",
            "name=null",
        ],
        None,
    );
    assert_success(&updated);
    let shown = json_of(&oauth2u(db, &["users", "show", "carol", "--json"], None));
    assert_eq!(
        shown["claims"],
        serde_json::json!({
            "email": "carol@example.com", "email_verified": true, "phone_number": "+1 555 0100",
            "address": {"country": "US"}, "nickname": "Captain"
        }),
        "JSON values stay JSON, text stays text, null removes"
    );
    assert!(shown["sub"].is_string());
    let text = String::from_utf8_lossy(&oauth2u(db, &["users", "show", "carol"], None).stdout).to_string();
    assert!(text.contains("email_verified  true"), "{text}");

    assert_refused(&oauth2u(db, &["users", "update", "carol", "--claim", "sub=someone"], None), "sub");
    let malformed = oauth2u(db, &["users", "update", "carol", "--claim", "no-equals-sign"], None);
    assert_eq!(malformed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("NAME=VALUE"));
    assert_refused(&oauth2u(db, &["users", "show", "nobody"], None), "nobody");
}

#[tokio::test]
async fn a_client_names_its_id_token_algorithm() {
    let app = TestApp::spawn().await;
    let db = &app.database_url;
    let args = ["clients", "add", "--name", "rp", "--redirect-uri", "https://rp.example/cb", "--json"];
    let added = json_of(&oauth2u(db, &args, None));
    assert_eq!(added["id_token_alg"], "RS256", "Registration §2's default");
    let id = added["client_id"].as_str().unwrap();
    assert_success(&oauth2u(db, &["clients", "update", id, "--id-token-alg", "EdDSA"], None));
    assert_eq!(json_of(&oauth2u(db, &["clients", "show", id, "--json"], None))["id_token_alg"], "EdDSA");
    let refused = oauth2u(db, &["clients", "update", id, "--id-token-alg", "HS256"], None);
    assert_eq!(refused.status.code(), Some(2), "clap refuses an unknown algorithm");
}

#[tokio::test]
async fn a_client_is_registered_for_pairwise_subjects_and_logout() {
    let app = TestApp::spawn().await;
    let db = &app.database_url;
    let native = ["clients", "add", "--name", "cli", "--public", "--redirect-uri", "http://127.0.0.1/cb"];
    let pairwise = [&native[..], &["--subject-type", "pairwise"]].concat();
    assert_refused(&oauth2u(db, &pairwise, None), "--sector-identifier");
    let named = [&pairwise[..], &["--sector-identifier", "cli.example", "--json"]].concat();
    let added = json_of(&oauth2u(db, &named, None));
    assert_eq!(
        (added["subject_type"].as_str(), added["sector_identifier"].as_str()),
        (Some("pairwise"), Some("cli.example"))
    );

    let web = [
        "clients",
        "add",
        "--name",
        "web",
        "--redirect-uri",
        "https://web.example/cb",
        "--subject-type",
        "pairwise",
        "--post-logout-redirect-uri",
        "https://web.example/bye",
        "--post-logout-redirect-uri",
        "https://web.example/again",
        "--backchannel-logout-uri",
        "https://web.example/logout",
        "--backchannel-logout-session-required",
        "--json",
    ];
    let added = json_of(&oauth2u(db, &web, None));
    assert_eq!(added["sector_identifier"], "web.example", "the redirect URIs' host");
    assert_eq!(
        added["post_logout_redirect_uris"],
        serde_json::json!(["https://web.example/bye", "https://web.example/again"])
    );
    assert_eq!(added["backchannel_logout_uri"], "https://web.example/logout");
    assert_eq!(added["backchannel_logout_session_required"], true);
    let id = added["client_id"].as_str().unwrap();
    assert_refused(
        &oauth2u(
            db,
            &["clients", "update", id, "--backchannel-logout-uri", "http://web.example/logout"],
            None,
        ),
        "https",
    );
    assert_refused(
        &oauth2u(db, &["clients", "update", id, "--post-logout-redirect-uri", "javascript:alert(1)"], None),
        "post-logout",
    );
    assert_success(&oauth2u(db, &["clients", "update", id, "--backchannel-logout-uri", ""], None));
    let shown = json_of(&oauth2u(db, &["clients", "show", id, "--json"], None));
    assert!(shown["backchannel_logout_uri"].is_null(), "removed: {shown}");
}

/// `registration tokens add` makes an initial access token (RFC 7591 §3) that the server
/// takes; a client that registered itself is listed as dynamic.
#[tokio::test]
async fn registration_tokens_are_made_here_and_registered_clients_are_listed_as_dynamic() {
    let app = TestApp::spawn_with(|settings| {
        settings.registration.mode = oauth2u::core::config::RegistrationMode::Token;
    })
    .await;
    let output = oauth2u(
        &app.database_url,
        &["registration", "tokens", "add", "--max-uses", "1", "--expires", "3650d"],
        None,
    );
    assert_success(&output);
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("o2u_iat_"), "{token}");
    let metadata = serde_json::json!({ "client_name": "Printer", "redirect_uris": [REDIRECT_URI] });
    let registered =
        app.http.post(app.url("/register")).bearer_auth(&token).json(&metadata).send().await.unwrap();
    assert_eq!(registered.status(), 201);
    let id = registered.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let again = app.http.post(app.url("/register")).bearer_auth(&token).json(&metadata).send().await.unwrap();
    assert_eq!(again.status(), 401, "one use only");

    let listed = oauth2u(&app.database_url, &["clients", "list"], None);
    assert_success(&listed);
    let listed = String::from_utf8(listed.stdout).unwrap();
    let line = listed.lines().find(|line| line.starts_with(&id)).unwrap_or_else(|| panic!("{listed}"));
    assert!(line.ends_with("\tdynamic"), "{line}");
    let as_json = json_of(&oauth2u(&app.database_url, &["clients", "list", "--json"], None));
    let entry = as_json.as_array().unwrap().iter().find(|client| client["client_id"] == id.as_str()).unwrap();
    assert_eq!(entry["dynamic"], true);

    assert_refused(
        &oauth2u(&app.database_url, &["registration", "tokens", "add", "--max-uses", "0"], None),
        "at least 1",
    );
}

#[tokio::test]
async fn config_check_reads_the_settings_as_serve_would_without_starting() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oauth2u.toml");
    let check = |text: &str| {
        std::fs::write(&file, text).unwrap();
        oauth2u(&app.database_url, &["--config", file.to_str().unwrap(), "config", "check"], None)
    };
    let good = check("port = 8100\n\n[scopes.\"photos:read\"]\ndescription = \"See your photos\"\n");
    assert_success(&good);
    assert!(String::from_utf8_lossy(&good.stdout).starts_with("ok"));
    // A key that does not exist: refused with its line.
    let wrong = check("port = 8100\n\n[par]\nrequierd = true\n");
    assert_eq!(wrong.status.code(), Some(2));
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(said.contains("line 4") && said.contains("requierd"), "{said}");
    // What start-up would refuse: an admin API without its token, half a TLS pair.
    assert_refused(&check("[admin]\naddress = \"127.0.0.1:8001\"\n"), "token");
    assert_refused(&check("tls_cert = \"cert.pem\"\n"), "tls_key");
}
