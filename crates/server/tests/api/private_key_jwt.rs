//! `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): a client without a secret
//! proves itself with a JWT signed by its key, at every endpoint that authenticates
//! clients, with keys given at registration or fetched from its `jwks_uri`; and every
//! assertion that is not exactly right is `invalid_client`.

use jwt_simple::prelude::{HS256Key, MACLike};
use oauth2u::core::Clock;
use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::{ClientKeys, GrantType};
use serde_json::{Value, json};

use super::client_metadata_document::DocumentServer;
use super::jose_peer::{PeerKey, random_id};
use crate::helpers::*;

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The issuer of every test server (see `helpers.rs`).
pub(crate) const ISSUER: &str = "http://127.0.0.1";

/// A server with the device grant on, so that every client-authenticating endpoint is there.
async fn app() -> TestApp {
    TestApp::spawn_with(|settings| settings.grants.device_code = true).await
}

/// A `private_key_jwt` service client with these keys.
pub(crate) async fn key_client(app: &TestApp, keys: ClientKeys) -> TestClient {
    app.register(ClientSpec {
        name: Some("Signing service".into()),
        grant_types: Some(vec![GrantType::ClientCredentials, GrantType::DeviceCode]),
        scopes: Some("read".into()),
        private_key_jwt: Some(true),
        keys: Some(keys),
        ..ClientSpec::default()
    })
    .await
}

/// POSTs `form` with the assertion to `path`.
pub(crate) async fn post_with_assertion(
    app: &TestApp,
    path: &str,
    assertion: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = form.to_vec();
    form.extend([("client_assertion_type", JWT_BEARER), ("client_assertion", assertion)]);
    app.http.post(app.url(path)).form(&form).send().await.unwrap()
}

async fn client_credentials(app: &TestApp, assertion: &str) -> reqwest::Response {
    post_with_assertion(app, "/token", assertion, &[("grant_type", "client_credentials")]).await
}

async fn assert_invalid_client(response: reqwest::Response, why: &str) {
    assert_eq!(response.status(), 401, "{why}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{why}: {body}");
}

#[tokio::test]
async fn an_assertion_authenticates_the_client_at_every_endpoint() {
    let app = app().await;
    let key = PeerKey::generate("k1");
    let client = key_client(&app, ClientKeys::Jwks(key.jwks())).await;
    assert!(client.secret.is_none(), "a private_key_jwt client has no secret");
    let now = app.clock.now();

    // The audience may be the issuer, the token endpoint or the PAR endpoint.
    for aud in [ISSUER.to_owned(), format!("{ISSUER}/token"), format!("{ISSUER}/par")] {
        let response = client_credentials(&app, &key.assertion(&client.id, &aud, now)).await;
        assert_eq!(response.status(), 200, "aud {aud}");
    }
    let tokens: Value =
        client_credentials(&app, &key.assertion(&client.id, ISSUER, now)).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();

    let introspected = post_with_assertion(
        &app,
        "/introspect",
        &key.assertion(&client.id, ISSUER, now),
        &[("token", token)],
    )
    .await;
    assert_eq!(introspected.status(), 200);
    assert_eq!(introspected.json::<Value>().await.unwrap()["active"], true);

    let revoked =
        post_with_assertion(&app, "/revoke", &key.assertion(&client.id, ISSUER, now), &[("token", token)])
            .await;
    assert_eq!(revoked.status(), 200);
    assert!(!app.is_active(token).await);

    let device = post_with_assertion(
        &app,
        "/device_authorization",
        &key.assertion(&client.id, ISSUER, now),
        &[("scope", "read")],
    )
    .await;
    assert_eq!(device.status(), 200);

    let metadata = app.metadata().await;
    for endpoint in ["token_endpoint", "revocation_endpoint", "introspection_endpoint"] {
        let methods = metadata[format!("{endpoint}_auth_methods_supported")].as_array().unwrap();
        assert!(methods.contains(&json!("private_key_jwt")), "{endpoint}");
        assert!(!methods.contains(&json!("client_secret_jwt")), "{endpoint}: secrets are stored hashed");
        let algs = metadata[format!("{endpoint}_auth_signing_alg_values_supported")].as_array().unwrap();
        assert!(
            algs.contains(&json!("ES256")) && !algs.iter().any(|alg| alg.as_str().unwrap().starts_with("HS"))
        );
    }
}

#[tokio::test]
async fn an_assertion_is_accepted_once() {
    let app = app().await;
    let key = PeerKey::generate("k1");
    let client = key_client(&app, ClientKeys::Jwks(key.jwks())).await;
    let assertion = key.assertion(&client.id, ISSUER, app.clock.now());
    assert_eq!(client_credentials(&app, &assertion).await.status(), 200);
    assert_invalid_client(client_credentials(&app, &assertion).await, "a replayed assertion").await;
}

#[tokio::test]
async fn every_wrong_assertion_is_invalid_client() {
    let app = app().await;
    let key = PeerKey::generate("k1");
    let client = key_client(&app, ClientKeys::Jwks(key.jwks())).await;
    let now = app.clock.now();
    let id = client.id.as_str();
    let claims = |changes: Value| {
        let mut claims =
            json!({ "iss": id, "sub": id, "aud": ISSUER, "jti": random_id(), "iat": now, "exp": now + 60 });
        for (name, value) in changes.as_object().unwrap() {
            match value {
                Value::Null => claims.as_object_mut().unwrap().remove(name),
                _ => claims.as_object_mut().unwrap().insert(name.clone(), value.clone()),
            };
        }
        claims
    };
    let cases = [
        ("another issuer", json!({ "iss": "someone-else" })),
        ("another audience", json!({ "aud": "https://elsewhere.example" })),
        ("an audience list with another value", json!({ "aud": [ISSUER, "https://elsewhere.example"] })),
        ("no audience", json!({ "aud": null })),
        ("no exp", json!({ "exp": null })),
        ("expired", json!({ "iat": now - 600, "exp": now - 60 })),
        ("exp beyond the cap", json!({ "exp": now + 3600 })),
        ("iat in the future", json!({ "iat": now + 600 })),
        ("no jti", json!({ "jti": null })),
    ];
    for (why, changes) in cases {
        assert_invalid_client(client_credentials(&app, &key.sign(claims(changes))).await, why).await;
    }
    let stranger = PeerKey::generate("k1");
    assert_invalid_client(client_credentials(&app, &stranger.sign(claims(json!({})))).await, "another key")
        .await;
    // A MAC keyed by anything the client could guess is never accepted.
    let mac = HS256Key::generate().with_key_id("k1");
    let hs256 = mac.authenticate(jwt_simple::prelude::JWTClaims {
        issued_at: None,
        expires_at: None,
        invalid_before: None,
        issuer: Some(id.to_owned()),
        subject: Some(id.to_owned()),
        audiences: None,
        jwt_id: Some(random_id()),
        nonce: None,
        custom: json!({ "aud": ISSUER, "exp": now + 60 }),
    });
    assert_invalid_client(client_credentials(&app, &hs256.unwrap()).await, "HS256").await;
    let wrong_type = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"),
            ("client_assertion", &key.assertion(id, ISSUER, now)),
        ])
        .send()
        .await
        .unwrap();
    assert_invalid_client(wrong_type, "another assertion type").await;
}

#[tokio::test]
async fn methods_do_not_mix() {
    let app = app().await;
    let key = PeerKey::generate("k1");
    let signer = key_client(&app, ClientKeys::Jwks(key.jwks())).await;
    let secret_client = app.service_client().await;
    let now = app.clock.now();
    // A client with a secret cannot switch to an assertion, even a well-signed one.
    let assertion = key.assertion(&secret_client.id, ISSUER, now);
    assert_invalid_client(client_credentials(&app, &assertion).await, "an assertion for a secret client")
        .await;
    // A private_key_jwt client has no secret to send.
    let form = [("grant_type", "client_credentials"), ("client_id", signer.id.as_str())];
    assert_invalid_client(app.http.post(app.url("/token")).form(&form).send().await.unwrap(), "no assertion")
        .await;
    // RFC 6749 §2.3: one method per request.
    let both = app
        .http
        .post(app.url("/token"))
        .basic_auth(&secret_client.id, secret_client.secret.as_deref())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &key.assertion(&signer.id, ISSUER, now)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    assert_eq!(both.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn keys_come_from_the_jwks_uri_and_an_unknown_kid_fetches_them_again_at_most_once_a_minute() {
    let app = TestApp::spawn_with(|settings| settings.fetch.allow_loopback = true).await;
    let documents = DocumentServer::start().await;
    let first = PeerKey::generate("first");
    documents.serve(200, &first.jwks(), Some("max-age=3600"));
    let client = key_client(&app, ClientKeys::JwksUri(documents.url.clone())).await;
    let now = app.clock.now();
    let response = client_credentials(&app, &first.assertion(&client.id, ISSUER, now)).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    assert_eq!(client_credentials(&app, &first.assertion(&client.id, ISSUER, now)).await.status(), 200);
    assert_eq!(documents.hits(), 1, "the set is cached for its max-age");

    // The client rotates to a new key: an unknown kid fetches the set again…
    let second = PeerKey::generate("second");
    documents.serve(200, &second.jwks(), Some("max-age=3600"));
    assert_invalid_client(
        client_credentials(&app, &second.assertion(&client.id, ISSUER, now)).await,
        "within the minute",
    )
    .await;
    assert_eq!(documents.hits(), 1, "not within a minute of the last fetch");
    app.clock.advance(std::time::Duration::from_secs(61));
    let now = app.clock.now();
    assert_eq!(client_credentials(&app, &second.assertion(&client.id, ISSUER, now)).await.status(), 200);
    assert_eq!(documents.hits(), 2);
    // …and a flood of unknown kids does not turn into a flood of fetches.
    for _ in 0..5 {
        let unknown = PeerKey::generate("unknown");
        assert_invalid_client(
            client_credentials(&app, &unknown.assertion(&client.id, ISSUER, now)).await,
            "unknown kid",
        )
        .await;
    }
    assert_eq!(documents.hits(), 2);
}

#[tokio::test]
async fn a_jwks_uri_outside_the_fetch_rules_is_never_fetched() {
    // Without allow_loopback the fetcher refuses a loopback address: the assertion fails.
    let app = TestApp::spawn().await;
    let documents = DocumentServer::start().await;
    let key = PeerKey::generate("k1");
    documents.serve(200, &key.jwks(), None);
    let client = key_client(&app, ClientKeys::JwksUri(documents.url.clone())).await;
    assert_invalid_client(
        client_credentials(&app, &key.assertion(&client.id, ISSUER, app.clock.now())).await,
        "loopback",
    )
    .await;
    assert_eq!(documents.hits(), 0);
}

#[tokio::test]
async fn clients_add_takes_a_jwks_file_and_refuses_private_key_jwt_without_keys() {
    let app = TestApp::spawn().await;
    let key = PeerKey::generate("cli");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, key.jwks().to_string()).unwrap();
    let added = super::cli::oauth2u(
        &app.database_url,
        &[
            "clients",
            "add",
            "--name",
            "CLI signer",
            "--grant-types",
            "client_credentials",
            "--scopes",
            "read",
            "--auth-method",
            "private_key_jwt",
            "--jwks-file",
            file.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let shown: Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(shown["token_endpoint_auth_method"], "private_key_jwt");
    assert!(shown.get("client_secret").is_none_or(Value::is_null), "no secret is made: {shown}");
    let id = shown["client_id"].as_str().unwrap();
    assert_eq!(client_credentials(&app, &key.assertion(id, ISSUER, app.clock.now())).await.status(), 200);

    let refused = super::cli::oauth2u(
        &app.database_url,
        &[
            "clients",
            "add",
            "--name",
            "No keys",
            "--grant-types",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
        ],
        None,
    );
    super::cli::assert_refused(&refused, "private_key_jwt");
}
