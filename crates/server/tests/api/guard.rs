//! The resource-server guard (`oauth2u-guard`) in front of a small API, against our server.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use oauth2u::core::Clock;
use oauth2u::core::admin::ClientSpec;
use oauth2u::core::config::TokenFormat;
use oauth2u::core::model::GrantType;
use oauth2u_guard::{AccessToken, Guard};
use serde_json::Value;

use crate::helpers::*;

const API: &str = "https://photos.example/api";
/// Where RFC 9728 §3.1 puts the API's metadata.
const METADATA: &str = "https://photos.example/.well-known/oauth-protected-resource/api";

/// The API, on its own port, behind the guard.
async fn protected_api(guard: Guard) -> String {
    let app = Router::new()
        .route(
            "/photos",
            get(|token: AccessToken| async move { format!("photos of {}", token.subject().unwrap_or("?")) })
                .post(|| async { "posted" }),
        )
        .layer(guard.require(["photos:read"]))
        .merge(
            Router::new()
                .route("/upload", post(|| async { "uploaded" }))
                .layer(guard.require(["photos:write"])),
        )
        .merge(guard.metadata_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn jwt_guard(app: &TestApp) -> oauth2u_guard::GuardBuilder {
    let clock = app.clock.clone();
    Guard::builder("http://127.0.0.1", API)
        .jwks_uri(app.url("/jwks.json"))
        .clock(Arc::new(move || clock.now()))
}

async fn client(app: &TestApp, format: TokenFormat, scopes: &str) -> TestClient {
    app.register(ClientSpec {
        name: Some("photo printer".into()),
        grant_types: Some(vec![GrantType::ClientCredentials]),
        scopes: Some(scopes.into()),
        resources: Some(vec![API.into(), "https://other.example/".into()]),
        access_token_format: Some(format),
        ..ClientSpec::default()
    })
    .await
}

/// The API registered as a resource server, which may introspect the tokens for it.
async fn photos_api(app: &TestApp) -> TestClient {
    app.register(ClientSpec {
        name: Some("photos api".into()),
        grant_types: Some(vec![]),
        resource_server: Some(API.into()),
        ..ClientSpec::default()
    })
    .await
}

async fn token(app: &TestApp, client: &TestClient, resource: &str) -> String {
    let form = [("grant_type", "client_credentials"), ("resource", resource)];
    let body: Value = app.token(client, &form).await.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn call(api: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{api}/photos"));
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.send().await.unwrap()
}

fn dpop_algorithms() -> Value {
    serde_json::json!(["ES256", "ES384", "EdDSA", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"])
}

fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_valid_jwt_passes_and_the_handler_sees_its_claims() {
    let app = TestApp::spawn().await;
    let api = protected_api(jwt_guard(&app).build().unwrap()).await;
    let client = client(&app, TokenFormat::Jwt, "photos:read").await;
    let response = call(&api, Some(&token(&app, &client, API).await)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), format!("photos of {}", client.id));
}

#[tokio::test]
async fn no_token_is_401_with_a_challenge_and_no_error_code() {
    let app = TestApp::spawn().await;
    let api = protected_api(jwt_guard(&app).realm("photos").build().unwrap()).await;
    let response = call(&api, None).await;
    assert_eq!(response.status(), 401);
    assert_eq!(challenge(&response), format!("Bearer realm=\"photos\", resource_metadata=\"{METADATA}\""));
    // The query-parameter method is not offered (RFC 9700 §4.3.2).
    let client = client(&app, TokenFormat::Jwt, "photos:read").await;
    let jwt = token(&app, &client, API).await;
    let in_query = reqwest::get(format!("{api}/photos?access_token={jwt}")).await.unwrap();
    assert_eq!(in_query.status(), 401);
    assert_eq!(challenge(&in_query), format!("Bearer realm=\"photos\", resource_metadata=\"{METADATA}\""));
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token() {
    let app = TestApp::spawn().await;
    let api = protected_api(jwt_guard(&app).build().unwrap()).await;
    let client = client(&app, TokenFormat::Jwt, "photos:read").await;
    let other_audience = token(&app, &client, "https://other.example/").await;
    let good = token(&app, &client, API).await;
    let mut tampered = good.clone();
    tampered.pop();
    tampered.push(if good.ends_with('A') { 'B' } else { 'A' });
    let parts: Vec<&str> = good.split('.').collect();
    let b64 = |text: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, text);
    let alg_none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"at+jwt"}"#), parts[1]);
    let hmac = format!("{}.{}.{}", b64(r#"{"alg":"HS256","typ":"at+jwt","kid":"x"}"#), parts[1], parts[2]);
    for bad in [other_audience.as_str(), tampered.as_str(), alg_none.as_str(), hmac.as_str(), "garbage"] {
        let response = call(&api, Some(bad)).await;
        assert_eq!(response.status(), 401, "{bad}");
        assert!(challenge(&response).contains("error=\"invalid_token\""), "{bad}");
    }
    app.clock.advance(Duration::from_secs(3601));
    let expired = call(&api, Some(&good)).await;
    assert!(challenge(&expired).contains("expired"), "{}", challenge(&expired));
}

#[tokio::test]
async fn too_little_scope_is_403_insufficient_scope_with_the_scope_needed() {
    let app = TestApp::spawn().await;
    let api = protected_api(jwt_guard(&app).build().unwrap()).await;
    let client = client(&app, TokenFormat::Jwt, "photos:read").await;
    let jwt = token(&app, &client, API).await;
    let response =
        reqwest::Client::new().post(format!("{api}/upload")).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        challenge(&response).contains("error=\"insufficient_scope\", scope=\"photos:write\""),
        "{}",
        challenge(&response)
    );
}

#[tokio::test]
async fn a_malformed_request_is_400_invalid_request() {
    let app = TestApp::spawn().await;
    let api = protected_api(jwt_guard(&app).build().unwrap()).await;
    for header in ["Bearer", "Bearer a b", "Bearer {}"] {
        let response = reqwest::Client::new()
            .get(format!("{api}/photos"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{header}");
        assert!(challenge(&response).contains("error=\"invalid_request\""));
    }
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_jwks_again() {
    let app = TestApp::spawn().await;
    let api = protected_api(jwt_guard(&app).build().unwrap()).await;
    let client = client(&app, TokenFormat::Jwt, "photos:read").await;
    assert_eq!(call(&api, Some(&token(&app, &client, API).await)).await.status(), 200);
    // A key revoked: the next token is signed by a key the guard has not cached.
    let kid = {
        let jwt = token(&app, &client, API).await;
        let header = jwt.split('.').next().unwrap().to_owned();
        let header: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
        )
        .unwrap();
        header["kid"].as_str().unwrap().to_owned()
    };
    app.store.revoke_signing_key(&kid, app.clock.now()).await.unwrap();
    app.clock.advance(Duration::from_secs(11));
    assert_eq!(call(&api, Some(&token(&app, &client, API).await)).await.status(), 200);
}

#[tokio::test]
async fn opaque_tokens_are_checked_by_introspection() {
    let app = TestApp::spawn().await;
    let resource_server = photos_api(&app).await;
    let guard = Guard::builder("http://127.0.0.1", API)
        .introspection(
            app.url("/introspect"),
            resource_server.id.clone(),
            resource_server.secret.clone().unwrap(),
        )
        .introspection_cache(Duration::ZERO)
        .build()
        .unwrap();
    let api = protected_api(guard).await;
    let client = client(&app, TokenFormat::Opaque, "photos:read").await;
    let opaque = token(&app, &client, API).await;
    assert_eq!(call(&api, Some(&opaque)).await.status(), 200);
    assert_eq!(app.revoke(&client, &[("token", &opaque)]).await.status(), 200);
    let revoked = call(&api, Some(&opaque)).await;
    assert_eq!(revoked.status(), 401);
    assert!(challenge(&revoked).contains("invalid_token"));
}

#[tokio::test]
async fn the_form_body_method_works_only_when_allowed() {
    let app = TestApp::spawn().await;
    let client = client(&app, TokenFormat::Jwt, "photos:read").await;
    let jwt = token(&app, &client, API).await;
    let strict = protected_api(jwt_guard(&app).build().unwrap()).await;
    let lenient = protected_api(jwt_guard(&app).allow_form_body().build().unwrap()).await;
    let post = |api: String| {
        let jwt = jwt.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{api}/photos"))
                .form(&[("access_token", jwt)])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(post(strict).await.status(), 401);
    let response = post(lenient).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "posted");
}

/// A JWT-shaped token whose header names `kid`; its signature is never reached.
fn forged_jwt(kid: &str) -> String {
    let b64 = |text: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, text);
    format!("{}.{}.c2ln", b64(&format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}"}}"#)), b64("{}"))
}

/// A JWKS endpoint that counts its requests, with an empty key set.
async fn counting_jwks(max_age: &'static str) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let fetched = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = fetched.clone();
    let app = Router::new().route(
        "/jwks.json",
        get(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // Slow enough that concurrent callers overlap the fetch.
                tokio::time::sleep(Duration::from_millis(100)).await;
                ([("cache-control", max_age)], r#"{"keys":[]}"#)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("{base}/jwks.json"), fetched)
}

#[tokio::test]
async fn a_stream_of_unknown_kids_costs_one_jwks_fetch_per_interval() {
    let (jwks, fetched) = counting_jwks("max-age=300").await;
    let clock = Arc::new(oauth2u::core::ManualClock::new());
    let now = clock.clone();
    let guard = Guard::builder("http://127.0.0.1", API)
        .jwks_uri(jwks)
        .clock(Arc::new(move || now.now()))
        .build()
        .unwrap();
    let api = protected_api(guard).await;
    let burst = || {
        futures::future::join_all((0..30).map(|i| {
            let (api, jwt) = (api.clone(), forged_jwt(&format!("kid-{i}-{}", clock.now())));
            async move { call(&api, Some(&jwt)).await.status() }
        }))
    };
    assert!(burst().await.iter().all(|status| *status == 401));
    assert_eq!(
        fetched.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "concurrent unknown kids share one fetch"
    );
    assert!(burst().await.iter().all(|status| *status == 401));
    assert_eq!(fetched.load(std::sync::atomic::Ordering::SeqCst), 1, "and none more within the interval");
    clock.advance(Duration::from_secs(11));
    burst().await;
    assert_eq!(fetched.load(std::sync::atomic::Ordering::SeqCst), 2, "one more once the interval has passed");
}

#[tokio::test]
async fn a_key_removed_from_the_jwks_stops_being_trusted_once_its_max_age_passes() {
    let app = TestApp::spawn_with(|settings| settings.jwks_max_age = Duration::from_secs(60)).await;
    let api = protected_api(jwt_guard(&app).build().unwrap()).await;
    let client = client(&app, TokenFormat::Jwt, "photos:read").await;
    let jwt = token(&app, &client, API).await;
    assert_eq!(call(&api, Some(&jwt)).await.status(), 200);
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            jwt.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    app.store.revoke_signing_key(header["kid"].as_str().unwrap(), app.clock.now()).await.unwrap();
    assert_eq!(call(&api, Some(&jwt)).await.status(), 200, "the cached set is trusted for its max-age");
    app.clock.advance(Duration::from_secs(61));
    let response = call(&api, Some(&jwt)).await;
    assert_eq!(response.status(), 401, "the set was fetched again, and the key is gone from it");
    assert!(challenge(&response).contains("unknown key"), "{}", challenge(&response));
}

#[tokio::test]
async fn a_cached_introspection_answer_is_never_used_past_the_tokens_exp() {
    let app = TestApp::spawn().await;
    let resource_server = photos_api(&app).await;
    let clock = app.clock.clone();
    let guard = Guard::builder("http://127.0.0.1", API)
        .introspection(
            app.url("/introspect"),
            resource_server.id.clone(),
            resource_server.secret.clone().unwrap(),
        )
        .introspection_cache(Duration::from_secs(3600))
        .clock(Arc::new(move || clock.now()))
        .build()
        .unwrap();
    let api = protected_api(guard).await;
    let short = app
        .register(ClientSpec {
            name: Some("short-lived".into()),
            grant_types: Some(vec![GrantType::ClientCredentials]),
            scopes: Some("photos:read".into()),
            resources: Some(vec![API.into()]),
            access_token_lifetime: Some(Duration::from_secs(60)),
            ..ClientSpec::default()
        })
        .await;
    let opaque = token(&app, &short, API).await;
    assert_eq!(call(&api, Some(&opaque)).await.status(), 200);
    app.clock.advance(Duration::from_secs(61));
    assert_eq!(
        call(&api, Some(&opaque)).await.status(),
        401,
        "expired, though the cache would still hold it"
    );
}

/// An introspection endpoint that calls every token an active refresh token for the API.
#[tokio::test]
async fn the_guard_refuses_an_introspection_answer_that_is_not_an_access_token() {
    for (token_type, expected) in [("refresh_token", 401), ("Bearer", 200), ("DPoP", 200)] {
        let answer = serde_json::json!({ "active": true, "token_type": token_type, "aud": API, "scope": "photos:read" });
        let introspection =
            Router::new().route("/introspect", post(move || async move { axum::Json(answer) }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, introspection).await });
        let guard = Guard::builder("http://127.0.0.1", API)
            .introspection(format!("{base}/introspect"), "api", "secret")
            .build()
            .unwrap();
        let api = protected_api(guard).await;
        assert_eq!(call(&api, Some("o2u_rt_whatever")).await.status(), expected, "{token_type}");
    }
}

/// RFC 9728 §2, §3: the metadata at the well-known path, for any origin.
#[tokio::test]
async fn the_api_publishes_its_protected_resource_metadata() {
    let app = TestApp::spawn().await;
    let guard = jwt_guard(&app).resource_name("Photos").build().unwrap();
    assert_eq!(guard.metadata_url().as_deref(), Some(METADATA));
    let api = protected_api(guard).await;
    let response = reqwest::Client::new()
        .get(format!("{api}/.well-known/oauth-protected-resource/api"))
        .header("origin", "https://mcp-client.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let document: Value = response.json().await.unwrap();
    assert_eq!(
        document,
        serde_json::json!({
            "resource": API,
            "authorization_servers": ["http://127.0.0.1"],
            // Every scope a route of the API requires, by default.
            "scopes_supported": ["photos:read", "photos:write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "Photos",
            // RFC 9449 §5.1: DPoP-bound tokens are accepted beside bearer tokens.
            "dpop_signing_alg_values_supported": dpop_algorithms(),
            "dpop_bound_access_tokens_required": false,
        })
    );
    // The document is public; the API is not.
    assert_eq!(call(&api, None).await.status(), 401);
    // Only at the path §3.1 gives.
    let elsewhere = reqwest::get(format!("{api}/.well-known/oauth-protected-resource")).await.unwrap();
    assert_ne!(elsewhere.status(), 200, "the document is served at its own path only");
}

/// RFC 9728 §2: configured scopes win; the form-body method shows when it is allowed.
#[tokio::test]
async fn the_metadata_says_what_is_configured() {
    let app = TestApp::spawn().await;
    let guard = jwt_guard(&app).scopes_supported(["photos:read"]).allow_form_body().build().unwrap();
    let document = guard.metadata();
    assert_eq!(document["scopes_supported"], serde_json::json!(["photos:read"]));
    assert_eq!(document["bearer_methods_supported"], serde_json::json!(["header", "body"]));
    assert!(document.get("resource_name").is_none());
    // An audience that is no URL has no well-known location, and its challenges name none.
    let urn = Guard::builder("http://127.0.0.1", "urn:example:photos")
        .jwks_uri(app.url("/jwks.json"))
        .build()
        .unwrap();
    assert_eq!(urn.metadata_url(), None);
    let api = protected_api(urn).await;
    assert_eq!(challenge(&call(&api, None).await), "Bearer realm=\"urn:example:photos\"");
}

/// RFC 9728 §5.1: every challenge, whatever the error, names the metadata.
#[tokio::test]
async fn every_challenge_names_the_resource_metadata() {
    let app = TestApp::spawn().await;
    let api = protected_api(jwt_guard(&app).build().unwrap()).await;
    let client = client(&app, TokenFormat::Jwt, "photos:read").await;
    let good = token(&app, &client, API).await;
    let responses = [
        call(&api, None).await,
        call(&api, Some("not-a-token")).await,
        reqwest::Client::new().post(format!("{api}/upload")).bearer_auth(&good).send().await.unwrap(),
    ];
    for response in &responses {
        assert!([401, 403].contains(&response.status().as_u16()));
        assert!(
            challenge(response).contains(&format!("resource_metadata=\"{METADATA}\"")),
            "{}",
            challenge(response)
        );
    }
}
