//! Dynamic Client Registration (RFC 7591) and its management (RFC 7592), at the HTTP level:
//! switched off by default; open or behind initial access tokens; every refusal with the
//! code of RFC 7591 §3.2.2; the client configuration endpoint's read, update and delete;
//! the throttle, the policy hook (Rust and Rhai), CORS, and unused clients swept.

use std::sync::Arc;
use std::time::Duration;

use oauth2u::Settings;
use oauth2u::core::Clock;
use oauth2u::core::OAuthError;
use oauth2u::core::admin;
use oauth2u::core::config::RegistrationMode;
use oauth2u::core::hooks::{Hooks, RegistrationContext, RegistrationDecision};
use serde_json::{Value, json};

use crate::helpers::*;

/// A server whose issuer is its real address (so `registration_client_uri` can be called)
/// with registration in `mode`.
async fn app_with(mode: RegistrationMode, configure: impl FnOnce(&mut Settings)) -> TestApp {
    app_built(mode, configure, |builder| builder).await
}

async fn app_built(
    mode: RegistrationMode,
    configure: impl FnOnce(&mut Settings),
    build: impl FnOnce(oauth2u::ServerBuilder) -> oauth2u::ServerBuilder,
) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    TestApp::spawn_full(
        |settings| {
            settings.port = port;
            settings.issuer = Some(format!("http://127.0.0.1:{port}"));
            settings.registration.mode = mode;
            configure(settings);
        },
        build,
    )
    .await
}

async fn register(app: &TestApp, body: &Value, bearer: Option<&str>) -> reqwest::Response {
    let mut request = app.http.post(app.url("/register")).json(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn web_app() -> Value {
    json!({
        "client_name": "Photo printer",
        "redirect_uris": ["https://printer.example/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "openid profile",
        "logo_uri": "https://printer.example/logo.png",
        "software_statement": "eyJhbGciOiJub25lIn0.e30.",
    })
}

async fn dynamic_clients(app: &TestApp) -> usize {
    app.store.clients().await.unwrap().iter().filter(|client| client.registration.is_some()).count()
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn registration_is_off_unless_switched_on() {
    let app = TestApp::spawn().await;
    assert_eq!(register(&app, &web_app(), None).await.status(), 404);
    let metadata: Value = app.metadata().await;
    assert!(metadata.get("registration_endpoint").is_none());
}

/// RFC 7591 §3.2.1: 201 with the client's identity, its metadata (defaults applied,
/// members we do not support left out) and how to manage it.
#[tokio::test]
async fn an_open_registration_answers_201_with_the_client_information() {
    let app = app_with(RegistrationMode::Open, |_| {}).await;
    let metadata: Value = app.metadata().await;
    assert_eq!(metadata["registration_endpoint"], app.url("/register"));

    let response = register(&app, &web_app(), None).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let id = body["client_id"].as_str().unwrap();
    assert!(body["client_secret"].as_str().unwrap().starts_with("o2u_cs_"));
    assert_eq!(body["client_secret_expires_at"], 0);
    assert_eq!(body["client_id_issued_at"], app.clock.now());
    assert!(body["registration_access_token"].as_str().unwrap().starts_with("o2u_rat_"));
    assert_eq!(body["registration_client_uri"], app.url(&format!("/register/{id}")));
    assert_eq!(body["client_name"], "Photo printer");
    assert_eq!(body["redirect_uris"], json!(["https://printer.example/cb"]));
    assert_eq!(body["grant_types"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["scope"], "openid profile");
    assert!(body.get("logo_uri").is_none() && body.get("software_statement").is_none(), "{body}");

    // The client is real: its secret authenticates it, and the command line lists it.
    let introspected = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(id, body["client_secret"].as_str())
        .form(&[("token", "nothing")])
        .send()
        .await
        .unwrap();
    assert_eq!(introspected.status(), 200);
    let stored = app.store.client(id).await.unwrap().unwrap();
    assert!(stored.registration.is_some() && !stored.public);

    // A public client: no secret at all.
    let public = json!({ "redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none" });
    let body: Value = register(&app, &public, None).await.json().await.unwrap();
    assert!(body.get("client_secret").is_none() && body.get("client_secret_expires_at").is_none());
    assert_eq!(body["client_name"], "127.0.0.1", "no name given: the redirect URI's host");
    assert_eq!(body["scope"], "email offline_access openid profile", "no scope asked: all that is allowed");

    // A registered public client signs a user in like any other: code flow with PKCE.
    let native =
        json!({ "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none", "scope": "openid" });
    let body: Value = register(&app, &native, None).await.json().await.unwrap();
    let client = TestClient { id: body["client_id"].as_str().unwrap().to_owned(), secret: None };
    let code = app.code(&client).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let tokens = app.token(&client, &form).await;
    assert_eq!(tokens.status(), 200);
    let stored = app.store.client(&client.id).await.unwrap().unwrap();
    assert_eq!(stored.registration.unwrap().last_used_at, Some(app.clock.now()), "its use is recorded");
}

/// RFC 7591 §3.2.2: each wrong request gets its code, with 400, and nothing is stored.
#[tokio::test]
async fn each_wrong_registration_is_refused_with_its_code_and_stores_nothing() {
    let app =
        app_with(RegistrationMode::Open, |settings| settings.registration.per_address_per_minute = 100).await;
    let cb = json!(["https://printer.example/cb"]);
    let cases = [
        (json!({ "redirect_uris": ["https://printer.example/cb#x"] }), "invalid_redirect_uri"),
        (json!({ "redirect_uris": ["not a uri"] }), "invalid_redirect_uri"),
        (json!({}), "invalid_client_metadata"), // authorization_code needs a redirect URI
        (json!({ "redirect_uris": "https://printer.example/cb" }), "invalid_client_metadata"),
        (
            json!({ "redirect_uris": cb, "token_endpoint_auth_method": "client_secret_jwt" }),
            "invalid_client_metadata",
        ),
        (json!({ "redirect_uris": cb, "grant_types": ["client_credentials"] }), "invalid_client_metadata"),
        (json!({ "redirect_uris": cb, "grant_types": ["password"] }), "invalid_client_metadata"),
        (json!({ "redirect_uris": cb, "response_types": ["code", "token"] }), "invalid_client_metadata"),
        (json!({ "redirect_uris": cb, "scope": "openid admin" }), "invalid_client_metadata"),
        (
            json!({ "redirect_uris": cb, "jwks": { "keys": [] }, "jwks_uri": "https://printer.example/jwks" }),
            "invalid_client_metadata",
        ),
        (
            json!({ "redirect_uris": cb, "jwks_uri": "http://printer.example/jwks" }),
            "invalid_client_metadata",
        ),
        (json!({ "redirect_uris": cb, "client_name": 7 }), "invalid_client_metadata"),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
        // RFC 7523: private_key_jwt needs keys, and keys are public ones.
        (
            json!({ "redirect_uris": cb, "token_endpoint_auth_method": "private_key_jwt" }),
            "invalid_client_metadata",
        ),
        (
            json!({ "redirect_uris": cb, "token_endpoint_auth_method": "private_key_jwt",
                    "jwks": { "keys": [{ "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA" }] } }),
            "invalid_client_metadata",
        ),
        (json!({ "redirect_uris": cb, "dpop_bound_access_tokens": "yes" }), "invalid_client_metadata"),
        (
            json!({ "redirect_uris": cb, "require_pushed_authorization_requests": 1 }),
            "invalid_client_metadata",
        ),
    ];
    for (body, code) in cases {
        assert_eq!(error_of(register(&app, &body, None).await).await, (400, code.to_owned()), "{body}");
    }
    let not_json = app
        .http
        .post(app.url("/register"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(not_json).await, (400, "invalid_client_metadata".to_owned()));
    let form = app.http.post(app.url("/register")).form(&[("client_name", "x")]).send().await.unwrap();
    assert_eq!(error_of(form).await, (400, "invalid_client_metadata".to_owned()));
    let huge = json!({ "client_name": "x".repeat(100 * 1024), "redirect_uris": cb });
    assert_eq!(register(&app, &huge, None).await.status(), 413);
    assert_eq!(dynamic_clients(&app).await, 0);
}

/// RFC 7523, RFC 9449 §5.2 and RFC 9126 §6 at registration: a client with keys and no
/// secret, whose tokens must be bound and whose requests must be pushed.
#[tokio::test]
async fn a_client_registers_keys_bound_tokens_and_pushed_requests() {
    let app = app_with(RegistrationMode::Open, |_| {}).await;
    let key = super::jose_peer::PeerKey::generate("k1");
    let body = json!({
        "client_name": "FAPI client",
        "redirect_uris": ["https://fapi.example/cb"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": key.jwks(),
        "dpop_bound_access_tokens": true,
        "require_pushed_authorization_requests": true,
    });
    let response = register(&app, &body, None).await;
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    assert!(
        registered.get("client_secret").is_none() && registered.get("client_secret_expires_at").is_none()
    );
    assert_eq!(registered["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(registered["jwks"], key.jwks());
    assert_eq!(registered["dpop_bound_access_tokens"], true);
    assert_eq!(registered["require_pushed_authorization_requests"], true);
    let client = TestClient { id: registered["client_id"].as_str().unwrap().to_owned(), secret: None };
    // Its requests must be pushed…
    let plain = app
        .get_authorize(&[
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("redirect_uri", "https://fapi.example/cb"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(plain.status(), 400);
    assert!(plain.headers().get("location").is_none());
    // …and it is known by its key alone.
    let stored = app.store.client(&client.id).await.unwrap().unwrap();
    assert!(stored.authenticates_with_keys() && stored.dpop_bound_access_tokens);
}

/// RFC 7592 §2.1–§2.3: read, replace and delete with the registration access token; each
/// answer carries a new token and the old one stops working.
#[tokio::test]
async fn the_client_configuration_endpoint_reads_replaces_and_deletes() {
    let app = app_with(RegistrationMode::Open, |_| {}).await;
    let registered: Value = register(&app, &web_app(), None).await.json().await.unwrap();
    let uri = registered["registration_client_uri"].as_str().unwrap().to_owned();
    let id = registered["client_id"].as_str().unwrap().to_owned();
    let first = registered["registration_access_token"].as_str().unwrap().to_owned();

    // Read.
    let read = app.http.get(&uri).bearer_auth(&first).send().await.unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["cache-control"], "no-store");
    let read: Value = read.json().await.unwrap();
    assert_eq!(
        (read["client_id"].as_str(), read["client_name"].as_str()),
        (Some(id.as_str()), Some("Photo printer"))
    );
    assert_eq!(read["registration_client_uri"], uri);
    assert!(read.get("client_secret").is_none(), "the secret is stored hashed and never shown again");
    let second = read["registration_access_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let stale = app.http.get(&uri).bearer_auth(&first).send().await.unwrap();
    assert_eq!(stale.status(), 401);
    assert!(
        stale.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer error=\"invalid_token\"")
    );

    // Replace: fields left out are reset; the body must name the client.
    let update = json!({ "client_id": id, "client_name": "Printer 2", "redirect_uris": ["https://printer.example/cb2"] });
    let wrong_id = json!({ "client_id": "someone-else", "redirect_uris": ["https://printer.example/cb2"] });
    let put = |body: Value, token: String| app.http.put(&uri).bearer_auth(token).json(&body).send();
    assert_eq!(
        error_of(put(wrong_id, second.clone()).await.unwrap()).await,
        (400, "invalid_client_metadata".to_owned())
    );
    let chosen_secret = json!({ "client_id": id, "client_secret": "my-own", "redirect_uris": ["https://printer.example/cb2"] });
    assert_eq!(
        error_of(put(chosen_secret, second.clone()).await.unwrap()).await,
        (400, "invalid_client_metadata".to_owned())
    );
    let becoming_public = json!({ "client_id": id, "redirect_uris": ["https://printer.example/cb2"], "token_endpoint_auth_method": "none" });
    assert_eq!(
        error_of(put(becoming_public, second.clone()).await.unwrap()).await,
        (400, "invalid_client_metadata".to_owned())
    );
    let replaced = put(update, second.clone()).await.unwrap();
    assert_eq!(replaced.status(), 200);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["client_name"], "Printer 2");
    assert_eq!(replaced["redirect_uris"], json!(["https://printer.example/cb2"]));
    assert_eq!(replaced["grant_types"], json!(["authorization_code"]), "left out: the default again");
    let stored = app.store.client(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.redirect_uris.iter().map(|uri| uri.as_str()).collect::<Vec<_>>(),
        ["https://printer.example/cb2"]
    );
    assert!(stored.secret_hash.is_some(), "the secret stays");
    let third = replaced["registration_access_token"].as_str().unwrap().to_owned();

    // Delete: 204, the client and its tokens are gone, and the token with them.
    assert_eq!(app.http.delete(&uri).bearer_auth(&second).send().await.unwrap().status(), 401);
    let deleted = app.http.delete(&uri).bearer_auth(&third).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(app.store.client(&id).await.unwrap().is_none());
    assert_eq!(app.http.get(&uri).bearer_auth(&third).send().await.unwrap().status(), 401);
}

/// RFC 7592 §2: no token, a wrong one, another client's, or a client an administrator made:
/// the same 401.
#[tokio::test]
async fn the_configuration_endpoint_admits_only_the_clients_own_token() {
    let app = app_with(RegistrationMode::Open, |_| {}).await;
    let one: Value = register(&app, &web_app(), None).await.json().await.unwrap();
    let other: Value = register(&app, &web_app(), None).await.json().await.unwrap();
    let uri = one["registration_client_uri"].as_str().unwrap();
    let others_token = other["registration_access_token"].as_str().unwrap();
    let made_by_admin = app.service_client().await;
    for (url, token) in [
        (uri.to_owned(), None),
        (uri.to_owned(), Some("o2u_rat_guessed")),
        (uri.to_owned(), Some(others_token)),
        (app.url(&format!("/register/{}", made_by_admin.id)), Some(others_token)),
        (app.url("/register/no-such-client"), Some(others_token)),
    ] {
        let mut request = app.http.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(error_of(response).await, (401, "invalid_token".to_owned()), "{url} {token:?}");
    }
}

/// RFC 7591 §3: with `mode = "token"`, an initial access token is required; its uses are
/// counted in one conditional write, so that concurrent registrations cannot overspend it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_access_tokens_admit_as_many_registrations_as_they_have_uses() {
    let app =
        app_with(RegistrationMode::Token, |settings| settings.registration.per_address_per_minute = 100)
            .await;
    assert_eq!(error_of(register(&app, &web_app(), None).await).await, (401, "invalid_token".to_owned()));
    assert_eq!(error_of(register(&app, &web_app(), Some("o2u_iat_guess")).await).await.0, 401);

    let three =
        admin::add_registration_token(app.store.as_ref(), None, Some(3), app.clock.now()).await.unwrap();
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (http, url, token) = (app.http.clone(), app.url("/register"), three.expose().to_owned());
        racing.spawn(async move {
            http.post(url).bearer_auth(token).json(&web_app()).send().await.unwrap().status().as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = racing.join_next().await {
        statuses.push(status.unwrap());
    }
    assert_eq!(statuses.iter().filter(|status| **status == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|status| **status == 401).count(), 7, "{statuses:?}");
    assert_eq!(dynamic_clients(&app).await, 3);

    let brief = admin::add_registration_token(
        app.store.as_ref(),
        Some(Duration::from_secs(60)),
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(register(&app, &web_app(), Some(brief.expose())).await.status(), 201);
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(register(&app, &web_app(), Some(brief.expose())).await.status(), 401, "expired");
}

/// RFC 7591 §3 lets the server rate-limit: per address, before any other work.
#[tokio::test]
async fn registrations_are_throttled_per_address() {
    let app =
        app_with(RegistrationMode::Open, |settings| settings.registration.per_address_per_minute = 2).await;
    for _ in 0..2 {
        assert_eq!(register(&app, &web_app(), None).await.status(), 201);
    }
    let throttled = register(&app, &web_app(), None).await;
    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));
    assert_eq!(dynamic_clients(&app).await, 2);
}

/// The policy hook, typed: it sees the request and the address, and may refuse or adjust.
struct OnlyOurPrinters;

#[oauth2u::core::async_trait]
impl Hooks for OnlyOurPrinters {
    async fn client_registration(
        &self,
        context: &RegistrationContext<'_>,
    ) -> Result<RegistrationDecision, OAuthError> {
        assert!(context.address.is_some_and(|address| address.is_loopback()));
        if context.metadata.get("client_name").and_then(Value::as_str) == Some("Evil") {
            return Ok(RegistrationDecision::Deny(OAuthError::invalid_client_metadata("not this one")));
        }
        let mut metadata = context.metadata.clone();
        metadata.insert("scope".into(), "openid".into());
        Ok(RegistrationDecision::Adjust(metadata))
    }
}

#[tokio::test]
async fn a_rust_hook_refuses_or_adjusts_a_registration() {
    let app =
        app_built(RegistrationMode::Open, |_| {}, |builder| builder.hooks(Arc::new(OnlyOurPrinters))).await;
    let evil = json!({ "client_name": "Evil", "redirect_uris": ["https://evil.example/cb"] });
    assert_eq!(
        error_of(register(&app, &evil, None).await).await,
        (400, "invalid_client_metadata".to_owned())
    );
    let body: Value = register(&app, &web_app(), None).await.json().await.unwrap();
    assert_eq!(body["scope"], "openid", "the hook forced the scope");
}

#[tokio::test]
async fn a_rhai_plugin_refuses_or_adjusts_a_registration() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("registration.rhai"),
        r#"
        fn client_registration(request) {
            if request.metadata.client_name == "Evil" { return reject("invalid_redirect_uri", "no"); }
            if request.address == () { return deny(); }
            let metadata = request.metadata;
            metadata.client_name = "Checked: " + metadata.client_name;
            adjust(metadata)
        }
        "#,
    )
    .unwrap();
    let plugins = dir.path().to_owned();
    let app =
        app_with(RegistrationMode::Open, move |settings| settings.plugins_directories = vec![plugins]).await;
    let evil = json!({ "client_name": "Evil", "redirect_uris": ["https://evil.example/cb"] });
    assert_eq!(error_of(register(&app, &evil, None).await).await, (400, "invalid_redirect_uri".to_owned()));
    let body: Value = register(&app, &web_app(), None).await.json().await.unwrap();
    assert_eq!(body["client_name"], "Checked: Photo printer");
}

/// `examples/plugins/registration_policy.rhai` does what its comments say.
#[tokio::test]
async fn the_example_registration_policy_refuses_a_host_and_caps_the_scope() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plugins/registration_policy.rhai");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example, dir.path().join("registration_policy.rhai")).unwrap();
    let plugins = dir.path().to_owned();
    let app =
        app_with(RegistrationMode::Open, move |settings| settings.plugins_directories = vec![plugins]).await;
    let evil = json!({ "redirect_uris": ["https://evil.example/cb"] });
    assert_eq!(error_of(register(&app, &evil, None).await).await, (400, "invalid_redirect_uri".to_owned()));
    let asked_for_more = json!({ "redirect_uris": ["https://printer.example/cb"], "scope": "openid email" });
    let body: Value = register(&app, &asked_for_more, None).await.json().await.unwrap();
    assert_eq!(body["scope"], "openid profile");
}

/// The metadata documents, the JWKS and `/register` answer any origin: a browser-based
/// client has no registered origin before it registers.
#[tokio::test]
async fn registration_and_the_public_documents_answer_any_origin() {
    let app = app_with(RegistrationMode::Open, |_| {}).await;
    for path in ["/register", "/.well-known/oauth-authorization-server", "/jwks.json"] {
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", "https://mcp-tool.example")
            .header("access-control-request-method", if path == "/register" { "POST" } else { "GET" })
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.headers()["access-control-allow-origin"], "*", "{path}");
    }
    // The token endpoint still answers only the origins clients registered.
    let token = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/token"))
        .header("origin", "https://mcp-tool.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(token.headers().get("access-control-allow-origin").is_none());
}

/// A registered client issued nothing for `unused_client_lifetime` is removed by cleanup; a
/// client in use, and an administrator's, stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unused_registered_clients_are_swept() {
    let app = app_with(RegistrationMode::Open, |settings| {
        settings.cleanup_interval = Duration::from_millis(50);
        settings.registration.unused_client_lifetime = Duration::from_secs(7 * 24 * 3600);
        settings.registration.grant_types.push("client_credentials".into());
    })
    .await;
    const DAY: u64 = 24 * 3600;
    let unused: Value = register(&app, &web_app(), None).await.json().await.unwrap();
    let service = json!({ "grant_types": ["client_credentials"], "scope": "openid" });
    let in_use: Value = register(&app, &service, None).await.json().await.unwrap();
    let made_by_admin = app.service_client().await;
    app.clock.advance(Duration::from_secs(2 * DAY));
    let token = app
        .http
        .post(app.url("/token"))
        .basic_auth(in_use["client_id"].as_str().unwrap(), in_use["client_secret"].as_str())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    app.clock.advance(Duration::from_secs(6 * DAY));
    let gone = |id: &Value| {
        let (store, id) = (app.store.clone(), id.as_str().unwrap().to_owned());
        async move { store.client(&id).await.unwrap().is_none() }
    };
    for _ in 0..200 {
        if gone(&unused["client_id"]).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(gone(&unused["client_id"]).await, "issued nothing for 8 days: removed");
    assert!(!gone(&in_use["client_id"]).await, "issued a token 6 days ago: kept");
    assert!(app.store.client(&made_by_admin.id).await.unwrap().is_some(), "an administrator's client stays");
}

/// A loopback server answering `path` with `status`, `body` and `headers`; its base URL.
async fn document_server(
    path: &'static str,
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
) -> String {
    use axum::http::{HeaderName, HeaderValue, StatusCode};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().route(
        path,
        axum::routing::get(move || {
            let (body, headers) = (body.clone(), headers.clone());
            async move {
                let mut response = axum::response::IntoResponse::into_response(body);
                *response.status_mut() = StatusCode::from_u16(status).unwrap();
                response.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
                for (name, value) in headers {
                    response.headers_mut().insert(HeaderName::from_static(name), value.parse().unwrap());
                }
                response
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// OpenID Connect Registration §5: the sector identifier's document is fetched and must list
/// every redirect URI; its host becomes the pairwise sector.
#[tokio::test]
async fn a_sector_identifier_uri_is_fetched_and_must_list_every_redirect_uri() {
    let app = app_with(RegistrationMode::Open, |settings| {
        settings.fetch.allow_loopback = true;
        settings.registration.per_address_per_minute = 100;
    })
    .await;
    let listed = json!(["https://printer.example/cb", "https://printer.example/other"]).to_string();
    let sector = document_server("/sector.json", 200, listed, Vec::new()).await;
    let pairwise = |uris: Value| json!({ "redirect_uris": uris, "subject_type": "pairwise", "sector_identifier_uri": format!("{sector}/sector.json") });
    let response = register(&app, &pairwise(json!(["https://printer.example/cb"])), None).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sector_identifier_uri"], format!("{sector}/sector.json"));
    let stored = app.store.client(body["client_id"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.subject_type.as_str(), "pairwise");
    assert_eq!(describe_sector(&stored), Some("127.0.0.1".to_owned()));

    let unlisted = pairwise(json!(["https://printer.example/cb", "https://elsewhere.example/cb"]));
    assert_eq!(
        error_of(register(&app, &unlisted, None).await).await,
        (400, "invalid_client_metadata".to_owned())
    );
}

fn describe_sector(client: &oauth2u::core::model::Client) -> Option<String> {
    match &client.subject_type {
        oauth2u::core::model::SubjectType::Pairwise { sector } => Some(sector.clone()),
        oauth2u::core::model::SubjectType::Public => None,
    }
}

/// The fetch's rules: no private or loopback address (unless configured, for tests), no
/// plain http, no redirect, only a 200, at most 5 KB.
#[tokio::test]
async fn a_sector_identifier_uri_is_fetched_only_under_the_ssrf_rules() {
    let strict =
        app_with(RegistrationMode::Open, |settings| settings.registration.per_address_per_minute = 100).await;
    let listed = json!(["https://printer.example/cb"]).to_string();
    let sector = document_server("/sector.json", 200, listed.clone(), Vec::new()).await;
    let with_sector = |uri: String| json!({ "redirect_uris": ["https://printer.example/cb"], "sector_identifier_uri": uri });
    for (uri, why) in [
        (format!("{sector}/sector.json"), "not a public address"), // loopback, and plain http
        ("https://10.0.0.1/sector.json".to_owned(), "not a public address"), // private
        ("https://169.254.169.254/latest".to_owned(), "not a public address"), // link-local (cloud metadata)
        ("https://[::ffff:127.0.0.1]/s".to_owned(), "not a public address"), // loopback, IPv4-mapped
        ("https://localhost/sector.json".to_owned(), "not a public address"), // resolves to loopback
        ("http://printer.example/sector.json".to_owned(), "only https"),
    ] {
        let response = register(&strict, &with_sector(uri.clone()), None).await;
        assert_eq!(response.status(), 400, "{uri}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client_metadata", "{uri}");
        assert!(body["error_description"].as_str().unwrap().contains(why), "{uri}: {body}");
    }

    let loose = app_with(RegistrationMode::Open, |settings| {
        settings.fetch.allow_loopback = true;
        settings.registration.per_address_per_minute = 100;
    })
    .await;
    let moved = document_server(
        "/sector.json",
        302,
        String::new(),
        vec![("location", format!("{sector}/sector.json"))],
    )
    .await;
    let missing = document_server("/sector.json", 404, listed.clone(), Vec::new()).await;
    let huge = document_server(
        "/sector.json",
        200,
        format!("[{}]", vec!["\"https://printer.example/cb\""; 400].join(",")),
        Vec::new(),
    )
    .await;
    let not_json = document_server("/sector.json", 200, "<html>".into(), Vec::new()).await;
    for base in [moved, missing, huge, not_json] {
        let response = register(&loose, &with_sector(format!("{base}/sector.json")), None).await;
        assert_eq!(error_of(response).await, (400, "invalid_client_metadata".to_owned()), "{base}");
    }
    assert_eq!(dynamic_clients(&strict).await + dynamic_clients(&loose).await, 0);
}
