//! The admin API (issue 19, first routes): on its own address only, behind a bearer token
//! compared by hash; problem+json errors (RFC 9457); lists paged by cursor; `ETag` and
//! `If-Match` (RFC 9110 §13.1.1).

use oauth2u::core::admin::ClientSpec;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::*;

const TOKEN: &str = "admin-token-of-at-least-32-characters";

async fn admin_app() -> (TestApp, String) {
    admin_app_with(|_| {}).await
}

async fn admin_app_with(configure: impl FnOnce(&mut oauth2u::Settings)) -> (TestApp, String) {
    let hash: String = Sha256::digest(TOKEN.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect();
    let app = TestApp::spawn_with(|settings| {
        settings.admin.address = Some("127.0.0.1:0".parse().unwrap());
        settings.admin.token_sha256 = Some(hash);
        configure(settings);
    })
    .await;
    let admin = app.admin.clone().expect("the admin API is on");
    (app, admin)
}

fn get(app: &TestApp, url: &str) -> reqwest::RequestBuilder {
    app.http.get(url).bearer_auth(TOKEN)
}

async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
    body
}

#[tokio::test]
async fn the_admin_api_needs_its_token_and_never_answers_on_the_public_port() {
    let (app, admin) = admin_app().await;
    let url = format!("{admin}/admin/clients");
    assert_problem(app.http.get(&url).send().await.unwrap(), 401).await;
    assert_problem(app.http.get(&url).bearer_auth("wrong").send().await.unwrap(), 401).await;
    let unauthorized = app.http.get(&url).basic_auth("admin", Some(TOKEN)).send().await.unwrap();
    assert_eq!(unauthorized.headers()["www-authenticate"], "Bearer realm=\"oauth2u-admin\"");
    assert_problem(unauthorized, 401).await;
    assert_eq!(get(&app, &url).send().await.unwrap().status(), 200);
    // The public port has no /admin/ at all, token or not.
    let public = get(&app, &app.url("/admin/clients")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    // Off by default.
    assert!(TestApp::spawn().await.admin.is_none());
}

#[tokio::test]
async fn clients_are_listed_in_pages_that_a_cursor_continues() {
    let (app, admin) = admin_app().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.confidential_client().await.id);
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut next = Some(format!("{admin}/admin/clients?limit=2"));
    while let Some(url) = next {
        let page: Value = get(&app, &url).send().await.unwrap().json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|client| client["client_id"].as_str().unwrap().to_owned()));
        assert!(items.iter().all(|client| client.get("client_secret").is_none()), "no secret is shown");
        next = page["next"].as_str().map(|path| format!("{admin}{path}"));
    }
    assert_eq!(seen, ids);
    assert_problem(get(&app, &format!("{admin}/admin/clients?limit=0")).send().await.unwrap(), 400).await;
    assert_problem(get(&app, &format!("{admin}/admin/clients?limit=abc")).send().await.unwrap(), 400).await;
}

#[tokio::test]
async fn a_client_has_an_etag_and_a_stale_if_match_is_412() {
    let (app, admin) = admin_app().await;
    let client = app.confidential_client().await;
    let url = format!("{admin}/admin/clients/{}", client.id);
    let shown = get(&app, &url).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    let tag = shown.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(shown.json::<Value>().await.unwrap()["client_id"], client.id.as_str());

    // The client changes (through the command line's functions): the old tag is stale.
    oauth2u::core::admin::update_client(
        app.store.as_ref(),
        &client.id,
        ClientSpec { name: Some("renamed".into()), ..ClientSpec::default() },
    )
    .await
    .unwrap();
    let stale = app.http.delete(&url).bearer_auth(TOKEN).header("if-match", &tag).send().await.unwrap();
    assert_problem(stale, 412).await;
    assert_eq!(get(&app, &url).send().await.unwrap().status(), 200, "still there");
    let current = get(&app, &url).send().await.unwrap().headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(current, tag);
    let removed = app.http.delete(&url).bearer_auth(TOKEN).header("if-match", &current).send().await.unwrap();
    assert_eq!(removed.status(), 204);
    assert_problem(get(&app, &url).send().await.unwrap(), 404).await;
    assert_problem(get(&app, &format!("{admin}/admin/nothing")).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn users_are_created_listed_patched_disabled_and_removed() {
    let (app, admin) = admin_app().await;
    let users = format!("{admin}/admin/users");
    let body = serde_json::json!({ "username": "bob", "password": "bob's long password", "claims": { "email": "bob@example.com" } });
    let created = app.http.post(&users).bearer_auth(TOKEN).json(&body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["location"], "/admin/users/bob");
    let shown: Value = created.json().await.unwrap();
    assert_eq!(shown["claims"]["email"], "bob@example.com");
    assert!(shown.get("password_hash").is_none());
    // A second bob, a short password, an unknown member: refused as problems.
    assert_problem(app.http.post(&users).bearer_auth(TOKEN).json(&body).send().await.unwrap(), 409).await;
    let short = serde_json::json!({ "username": "carol", "password": "short" });
    assert_problem(app.http.post(&users).bearer_auth(TOKEN).json(&short).send().await.unwrap(), 400).await;
    let unknown =
        serde_json::json!({ "username": "carol", "password": "long enough password", "admin": true });
    assert_problem(app.http.post(&users).bearer_auth(TOKEN).json(&unknown).send().await.unwrap(), 400).await;

    let page: Value = get(&app, &users).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|user| user["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob"]);

    // RFC 7396: a claim set to null goes, the others are merged.
    let bob = format!("{users}/bob");
    let tag = get(&app, &bob).send().await.unwrap().headers()["etag"].to_str().unwrap().to_owned();
    let patch = serde_json::json!({ "claims": { "email": null, "name": "Bob" } });
    let patched = app
        .http
        .patch(&bob)
        .bearer_auth(TOKEN)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", &tag)
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["claims"], serde_json::json!({ "name": "Bob" }));
    let stale =
        app.http.patch(&bob).bearer_auth(TOKEN).header("if-match", &tag).json(&patch).send().await.unwrap();
    assert_problem(stale, 412).await;

    assert_eq!(
        app.http.post(format!("{bob}/disable")).bearer_auth(TOKEN).send().await.unwrap().status(),
        204
    );
    assert_eq!(get(&app, &bob).send().await.unwrap().json::<Value>().await.unwrap()["disabled"], true);
    assert_eq!(app.http.post(format!("{bob}/enable")).bearer_auth(TOKEN).send().await.unwrap().status(), 204);
    let password = serde_json::json!({ "password": "another long password" });
    assert_eq!(
        app.http
            .put(format!("{bob}/password"))
            .bearer_auth(TOKEN)
            .json(&password)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let consents: Value = get(&app, &format!("{bob}/consents")).send().await.unwrap().json().await.unwrap();
    assert_eq!(consents["items"], serde_json::json!([]));
    assert_eq!(app.http.delete(&bob).bearer_auth(TOKEN).send().await.unwrap().status(), 204);
    assert_problem(get(&app, &bob).send().await.unwrap(), 404).await;
    assert_problem(app.http.post(format!("{bob}/enable")).bearer_auth(TOKEN).send().await.unwrap(), 404)
        .await;
}

#[tokio::test]
async fn clients_are_created_patched_and_given_new_secrets_under_the_command_lines_rules() {
    let (app, admin) = admin_app().await;
    let clients = format!("{admin}/admin/clients");
    let document = serde_json::json!({
        "client_id": "billing",
        "name": "Billing service",
        "grant_types": ["client_credentials"],
        "scopes": "invoices:read",
    });
    let created = app.http.post(&clients).bearer_auth(TOKEN).json(&document).send().await.unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["location"], "/admin/clients/billing");
    let created: Value = created.json().await.unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let client = TestClient { id: "billing".into(), secret: Some(secret) };
    assert_eq!(app.token(&client, &[("grant_type", "client_credentials")]).await.status(), 200);
    // The same rules as `clients add`: a public client may not use client_credentials.
    let public = serde_json::json!({ "name": "x", "grant_types": ["client_credentials"], "token_endpoint_auth_method": "none" });
    assert_problem(app.http.post(&clients).bearer_auth(TOKEN).json(&public).send().await.unwrap(), 400).await;
    assert_problem(app.http.post(&clients).bearer_auth(TOKEN).json(&document).send().await.unwrap(), 409)
        .await;

    let billing = format!("{clients}/billing");
    let patch = serde_json::json!({ "name": "Billing", "scopes": "invoices:read invoices:write" });
    let patched = app.http.patch(&billing).bearer_auth(TOKEN).json(&patch).send().await.unwrap();
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        (patched["name"].as_str(), patched["scopes"].as_str()),
        (Some("Billing"), Some("invoices:read invoices:write"))
    );
    let cannot = serde_json::json!({ "name": null });
    assert_problem(app.http.patch(&billing).bearer_auth(TOKEN).json(&cannot).send().await.unwrap(), 400)
        .await;
    let renamed = serde_json::json!({ "client_id": "other" });
    assert_problem(app.http.patch(&billing).bearer_auth(TOKEN).json(&renamed).send().await.unwrap(), 400)
        .await;

    let rotated: Value = app
        .http
        .post(format!("{billing}/rotate-secret"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new = TestClient {
        id: "billing".into(),
        secret: Some(rotated["client_secret"].as_str().unwrap().to_owned()),
    };
    assert_error(app.token(&client, &[("grant_type", "client_credentials")]).await, 401, "invalid_client")
        .await;
    assert_eq!(app.token(&new, &[("grant_type", "client_credentials")]).await.status(), 200);
}

#[tokio::test]
async fn keys_are_listed_rotated_and_revoked() {
    let (app, admin) = admin_app().await;
    let keys: Value = get(&app, &format!("{admin}/admin/keys")).send().await.unwrap().json().await.unwrap();
    let items = keys["items"].as_array().unwrap();
    assert!(items.iter().any(|key| key["state"] == "signing"));
    assert!(items.iter().all(|key| key["public_jwk"].get("d").is_none()), "never a private part");
    let rotated: Value = app
        .http
        .post(format!("{admin}/admin/keys/rotate"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new = rotated["items"][0]["kid"].as_str().unwrap().to_owned();
    assert_eq!(rotated["items"][0]["state"], "published (next)");
    let revoke =
        |kid: String| app.http.post(format!("{admin}/admin/keys/{kid}/revoke")).bearer_auth(TOKEN).send();
    assert_eq!(revoke(new.clone()).await.unwrap().status(), 204);
    assert_problem(revoke(new).await.unwrap(), 404).await;
}

#[tokio::test]
async fn tokens_are_revoked_by_client_user_or_grant() {
    let (app, admin) = admin_app().await;
    let service = app.service_client().await;
    let web = app.confidential_client().await;
    let body: Value =
        app.token(&service, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    let service_token = body["access_token"].as_str().unwrap().to_owned();
    let user_tokens = app.tokens(&web).await;
    let user_token = user_tokens["access_token"].as_str().unwrap().to_owned();
    let revoke = |body: Value| {
        app.http.post(format!("{admin}/admin/tokens/revoke")).bearer_auth(TOKEN).json(&body).send()
    };

    let answer: Value =
        revoke(serde_json::json!({ "client_id": service.id })).await.unwrap().json().await.unwrap();
    assert_eq!(answer["revoked"], 1);
    assert!(!app.is_active(&service_token).await);
    assert!(app.is_active(&user_token).await, "another client's tokens stay");
    let answer: Value =
        revoke(serde_json::json!({ "username": USERNAME })).await.unwrap().json().await.unwrap();
    assert_eq!(answer["revoked"], 2, "the access and the refresh token");
    assert!(!app.is_active(&user_token).await);

    let fresh = app.tokens(&web).await;
    let grant = app.record(fresh["access_token"].as_str().unwrap()).await.grant_id;
    let answer: Value = revoke(serde_json::json!({ "grant_id": grant })).await.unwrap().json().await.unwrap();
    assert_eq!(answer["revoked"], 2);
    assert_problem(revoke(serde_json::json!({ "client_id": "x", "username": "y" })).await.unwrap(), 400)
        .await;
    assert_problem(revoke(serde_json::json!({ "client_id": "nobody" })).await.unwrap(), 404).await;
}

#[tokio::test]
async fn a_users_sessions_are_listed_and_ended() {
    let (app, admin) = admin_app_with(|settings| settings.auto_approve = None).await;
    let client = app.confidential_client().await;
    let mut browser = Browser::new(&app);
    let consent = browser.consent_page(&client).await;
    assert!(consent.contains("decision"));
    let sessions_url = format!("{admin}/admin/users/{USERNAME}/sessions");
    let sessions: Value = get(&app, &sessions_url).send().await.unwrap().json().await.unwrap();
    let items = sessions["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{sessions}");
    let sid = items[0]["sid"].as_str().unwrap().to_owned();
    let end = |sid: String| app.http.delete(format!("{sessions_url}/{sid}")).bearer_auth(TOKEN).send();
    assert_eq!(end(sid.clone()).await.unwrap().status(), 204);
    let after: Value = get(&app, &sessions_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(after["items"], serde_json::json!([]));
    assert_problem(end(sid).await.unwrap(), 404).await;
    // The browser's session is gone: the next request asks to sign in again.
    let again = browser.authorize(&client).await.text().await.unwrap();
    assert!(again.contains("name=\"password\""));
}

#[tokio::test]
async fn with_a_certificate_the_admin_api_speaks_https_too() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = super::tls::certificate(dir.path());
    let (app, admin) = admin_app_with(|settings| {
        settings.tls_cert = Some(cert.clone());
        settings.tls_key = Some(key.clone());
    })
    .await;
    let https = admin.replace("http://", "https://");
    let trusted = reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap();
    let client = reqwest::Client::builder().add_root_certificate(trusted).build().unwrap();
    let answer = client.get(format!("{https}/admin/clients")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        app.http.get(format!("{admin}/admin/clients")).bearer_auth(TOKEN).send().await.is_err(),
        "no plain HTTP"
    );
}
