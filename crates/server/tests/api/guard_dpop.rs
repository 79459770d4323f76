//! The guard (`oauth2u-guard`) with DPoP-bound tokens (RFC 9449 §7): a bound token passes
//! only as `Authorization: DPoP` with a fresh proof of its key for this request, JWT or
//! introspected; as Bearer it is refused. Challenges name the DPoP scheme and its
//! algorithms, nonces work, and the RFC 9728 document says what the API takes.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use oauth2u::core::Clock;
use oauth2u::core::admin::ClientSpec;
use oauth2u::core::config::TokenFormat;
use oauth2u::core::model::GrantType;
use oauth2u_guard::{AccessToken, Guard, GuardBuilder};
use serde_json::Value;

use super::jose_peer::PeerKey;
use crate::helpers::*;

const API: &str = "https://photos.example/api";
/// What proofs name: the API's public origin and the request's path, not the test's port.
const PHOTOS: &str = "https://photos.example/photos";
const TOKEN_URL: &str = "http://127.0.0.1/token";

async fn protected_api(guard: Guard) -> String {
    let app = Router::new()
        .route(
            "/photos",
            get(
                |token: AccessToken| async move { format!("photos of {}", token.client_id().unwrap_or("?")) },
            ),
        )
        .layer(guard.require(["photos:read"]))
        .merge(guard.metadata_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn guard(app: &TestApp) -> GuardBuilder {
    let clock = app.clock.clone();
    Guard::builder("http://127.0.0.1", API)
        .jwks_uri(app.url("/jwks.json"))
        .clock(Arc::new(move || clock.now()))
}

async fn client(app: &TestApp, format: TokenFormat) -> TestClient {
    app.register(ClientSpec {
        name: Some("photo printer".into()),
        grant_types: Some(vec![GrantType::ClientCredentials]),
        scopes: Some("photos:read".into()),
        resources: Some(vec![API.into()]),
        access_token_format: Some(format),
        ..ClientSpec::default()
    })
    .await
}

/// A token for the API bound to `key` (or a bearer token without one).
async fn token(app: &TestApp, client: &TestClient, key: Option<&PeerKey>) -> String {
    let mut request = app.http.post(app.url("/token")).basic_auth(&client.id, client.secret.as_deref());
    if let Some(key) = key {
        request = request.header("DPoP", key.proof("POST", TOKEN_URL, app.clock.now(), None, None));
    }
    let body: Value = request
        .form(&[("grant_type", "client_credentials"), ("resource", API)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn call(api: &str, authorization: &str, proof: Option<&str>) -> reqwest::Response {
    let mut request =
        reqwest::Client::new().get(format!("{api}/photos")).header("authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

fn challenges(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

fn dpop_challenge(response: &reqwest::Response) -> String {
    challenges(response)
        .into_iter()
        .find(|challenge| challenge.starts_with("DPoP "))
        .expect("a DPoP challenge")
}

#[tokio::test]
async fn a_bound_jwt_passes_with_a_proof_of_its_key_and_nothing_else() {
    let app = TestApp::spawn().await;
    let api = protected_api(guard(&app).build().unwrap()).await;
    let client = client(&app, TokenFormat::Jwt).await;
    let key = PeerKey::generate("dpop");
    let token = token(&app, &client, Some(&key)).await;
    let now = app.clock.now();
    let proof = key.proof("GET", PHOTOS, now, Some(&token), None);
    let response = call(&api, &format!("DPoP {token}"), Some(&proof)).await;
    assert_eq!(response.status(), 200, "{:?}", challenges(&response));
    assert_eq!(response.text().await.unwrap(), format!("photos of {}", client.id));

    // §11.1: the same proof again.
    let replayed = call(&api, &format!("DPoP {token}"), Some(&proof)).await;
    assert_eq!(replayed.status(), 401);
    assert!(dpop_challenge(&replayed).contains("error=\"invalid_dpop_proof\""));
    // §7.1: a bound token presented as Bearer.
    let as_bearer = call(&api, &format!("Bearer {token}"), None).await;
    assert_eq!(as_bearer.status(), 401);
    let cases = [
        ("no proof", None),
        (
            "a proof of another key",
            Some(PeerKey::generate("other").proof("GET", PHOTOS, now, Some(&token), None)),
        ),
        ("a proof for another token", Some(key.proof("GET", PHOTOS, now, Some("another-token"), None))),
        ("a proof without ath", Some(key.proof("GET", PHOTOS, now, None, None))),
        ("a proof for another method", Some(key.proof("POST", PHOTOS, now, Some(&token), None))),
        (
            "a proof for the URL as the Host header says",
            Some(key.proof("GET", &format!("{api}/photos"), now, Some(&token), None)),
        ),
        ("a stale proof", Some(key.proof("GET", PHOTOS, now - 600, Some(&token), None))),
    ];
    for (why, proof) in cases {
        let response = call(&api, &format!("DPoP {token}"), proof.as_deref()).await;
        assert_eq!(response.status(), 401, "{why}");
        let challenge = dpop_challenge(&response);
        assert!(challenge.contains("error=\"invalid_dpop_proof\""), "{why}: {challenge}");
        assert!(challenge.contains("algs=\"") && challenge.contains("ES256"), "{why}: {challenge}");
    }
}

#[tokio::test]
async fn an_introspected_token_carries_its_binding_too() {
    let app = TestApp::spawn().await;
    let api_client = app
        .register(ClientSpec {
            name: Some("photos api".into()),
            grant_types: Some(vec![]),
            resource_server: Some(API.into()),
            ..ClientSpec::default()
        })
        .await;
    let guard = guard(&app)
        .introspection(app.url("/introspect"), &api_client.id, api_client.secret.clone().unwrap())
        .build()
        .unwrap();
    let api = protected_api(guard).await;
    let client = client(&app, TokenFormat::Opaque).await;
    let key = PeerKey::generate("dpop");
    let token = token(&app, &client, Some(&key)).await;
    let proof = key.proof("GET", PHOTOS, app.clock.now(), Some(&token), None);
    assert_eq!(call(&api, &format!("DPoP {token}"), Some(&proof)).await.status(), 200);
    assert_eq!(call(&api, &format!("Bearer {token}"), None).await.status(), 401);
    // An unbound token sent with the DPoP scheme has no key to prove.
    let bearer = self::token(&app, &client, None).await;
    let proof = key.proof("GET", PHOTOS, app.clock.now(), Some(&bearer), None);
    assert_eq!(call(&api, &format!("DPoP {bearer}"), Some(&proof)).await.status(), 401);
    assert_eq!(call(&api, &format!("Bearer {bearer}"), None).await.status(), 200);
}

#[tokio::test]
async fn an_api_that_requires_dpop_refuses_bearer_tokens_and_says_so() {
    let app = TestApp::spawn().await;
    let guard = guard(&app).dpop_required().build().unwrap();
    assert_eq!(guard.metadata()["dpop_bound_access_tokens_required"], true);
    let api = protected_api(guard).await;
    let client = client(&app, TokenFormat::Jwt).await;
    let bearer = token(&app, &client, None).await;
    let refused = call(&api, &format!("Bearer {bearer}"), None).await;
    assert_eq!(refused.status(), 401);
    let all = challenges(&refused);
    assert!(all.iter().all(|challenge| challenge.starts_with("DPoP ")), "no Bearer challenge: {all:?}");

    let document: Value = reqwest::get(format!("{api}/.well-known/oauth-protected-resource/api"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        document["dpop_signing_alg_values_supported"].as_array().unwrap().iter().any(|alg| alg == "ES256")
    );
    assert_eq!(document["dpop_bound_access_tokens_required"], true);
}

#[tokio::test]
async fn with_nonces_the_first_proof_is_refused_with_one_and_the_retry_passes() {
    let app = TestApp::spawn().await;
    let api = protected_api(guard(&app).dpop_nonces().build().unwrap()).await;
    let client = client(&app, TokenFormat::Jwt).await;
    let key = PeerKey::generate("dpop");
    let token = token(&app, &client, Some(&key)).await;
    let first = call(
        &api,
        &format!("DPoP {token}"),
        Some(&key.proof("GET", PHOTOS, app.clock.now(), Some(&token), None)),
    )
    .await;
    assert_eq!(first.status(), 401);
    assert!(dpop_challenge(&first).contains("error=\"use_dpop_nonce\""));
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let proof = key.proof("GET", PHOTOS, app.clock.now(), Some(&token), Some(&nonce));
    assert_eq!(call(&api, &format!("DPoP {token}"), Some(&proof)).await.status(), 200);
}
