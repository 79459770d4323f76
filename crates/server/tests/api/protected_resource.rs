//! RFC 9728 from the client's side: starting from nothing but an API's URL, the client
//! library and the `oauth2u` command find the authorization server in the API's metadata,
//! and refuse metadata that describes another resource (§3.3).

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use oauth2u::core::Clock;
use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::GrantType;
use oauth2u_guard::{AccessToken, Guard};
use serde_json::json;

use super::client_commands::{ClientCli, assert_failed, client_app, json_of};
use crate::helpers::*;

/// An API at `http://127.0.0.1:PORT/api`, whose identifier is that URL, guarded for tokens
/// of `app`; its URL.
async fn api_of(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resource = format!("http://{}/api", listener.local_addr().unwrap());
    let clock = app.clock.clone();
    let guard = Guard::builder(app.base.clone(), resource.clone())
        .jwks_uri(app.url("/jwks.json"))
        .clock(Arc::new(move || clock.now()))
        .build()
        .unwrap();
    let router = Router::new()
        .route(
            "/api",
            get(|token: AccessToken| async move { format!("hello {}", token.client_id().unwrap_or("?")) }),
        )
        .layer(guard.require(["photos:read"]))
        .merge(guard.metadata_router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    resource
}

async fn client_for(app: &TestApp, resource: &str) -> TestClient {
    app.register(ClientSpec {
        name: Some("photo printer".into()),
        grant_types: Some(vec![GrantType::ClientCredentials]),
        scopes: Some("photos:read".into()),
        resources: Some(vec![resource.into()]),
        access_token_format: Some(oauth2u::core::config::TokenFormat::Jwt),
        ..ClientSpec::default()
    })
    .await
}

#[tokio::test]
async fn the_command_finds_the_server_from_the_apis_url_alone() {
    let app = client_app().await;
    let api = api_of(&app).await;
    let client = client_for(&app, &api).await;
    let cli = ClientCli::new();
    let secret = format!("{}\n", client.secret.clone().unwrap());
    let args = [
        "token",
        "--resource",
        &api,
        "--client-id",
        &client.id,
        "--client-secret-stdin",
        "--scope",
        "photos:read",
    ];
    let response = json_of(&cli.run(&args, Some(&secret)).await);
    let token = response["access_token"].as_str().unwrap();
    let called = reqwest::Client::new().get(&api).bearer_auth(token).send().await.unwrap();
    assert_eq!(called.status(), 200);
    assert_eq!(called.text().await.unwrap(), format!("hello {}", client.id));
}

#[tokio::test]
async fn the_library_follows_the_challenge_to_the_metadata() {
    let app = client_app().await;
    let api = api_of(&app).await;
    let http = reqwest::Client::new();
    let metadata = oauth2u_client::discover_from_challenge(&http, &api).await.unwrap();
    assert_eq!(metadata.resource, api);
    assert_eq!(metadata.authorization_server().unwrap(), app.base);
    assert_eq!(metadata.scopes_supported, vec!["photos:read".to_owned()]);
    let direct = oauth2u_client::discover_resource(&http, &api).await.unwrap();
    assert_eq!(direct.authorization_servers, vec![app.base.clone()]);
}

/// §3.3: metadata that names another resource is not used, whichever way it was found.
#[tokio::test]
async fn metadata_for_another_resource_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let metadata_url = format!("{base}/.well-known/oauth-protected-resource/api");
    let challenge = format!("Bearer realm=\"api\", resource_metadata=\"{metadata_url}\"");
    let router = Router::new()
        .route(
            "/.well-known/oauth-protected-resource/api",
            get(|| async {
                axum::Json(json!({
                    "resource": "https://elsewhere.example/api",
                    "authorization_servers": ["https://attacker.example"],
                }))
            }),
        )
        .route(
            "/api",
            get(move || {
                let challenge = challenge.clone();
                async move { (axum::http::StatusCode::UNAUTHORIZED, [("www-authenticate", challenge)]) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let api = format!("{base}/api");
    let http = reqwest::Client::new();
    for refused in [
        oauth2u_client::discover_resource(&http, &api).await.unwrap_err(),
        oauth2u_client::discover_from_challenge(&http, &api).await.unwrap_err(),
    ] {
        assert!(refused.to_string().contains("RFC 9728 §3.3"), "{refused}");
    }
    let cli = ClientCli::new();
    let output =
        cli.run(&["token", "--resource", &api, "--client-id", "c", "--client-secret", "s"], None).await;
    assert_failed(&output, 1, "RFC 9728 §3.3");
    // Plain http beyond loopback is refused before anything is fetched.
    let output = cli
        .run(
            &["token", "--resource", "http://api.example/v1", "--client-id", "c", "--client-secret", "s"],
            None,
        )
        .await;
    assert_failed(&output, 1, "not https");
}
