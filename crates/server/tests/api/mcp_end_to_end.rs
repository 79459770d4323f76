//! The MCP authorization flow end to end, starting from nothing but an API's URL: its 401
//! challenge, its RFC 9728 metadata, the authorization server's RFC 8414 metadata, a client
//! that is a Client ID Metadata Document (then, in a second run, one that registers itself,
//! RFC 7591), a login with PKCE and `resource` (RFC 8707), and the API called with the token.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use oauth2u::core::Clock;
use oauth2u::core::config::{RegistrationMode, TokenFormat};
use oauth2u_guard::{AccessToken, Guard};
use serde_json::{Value, json};

use super::client_metadata_document::DocumentServer;
use crate::helpers::*;

/// How the client comes to have a `client_id`.
enum Identity {
    MetadataDocument,
    Registered,
}

#[tokio::test]
async fn from_an_apis_url_to_its_answer_with_a_metadata_document_client() {
    mcp_flow(Identity::MetadataDocument).await;
}

#[tokio::test]
async fn from_an_apis_url_to_its_answer_with_a_dynamically_registered_client() {
    mcp_flow(Identity::Registered).await;
}

async fn mcp_flow(identity: Identity) {
    // The API (an MCP server, say) behind the guard, at a URL that is its identifier.
    let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}/mcp", api_listener.local_addr().unwrap());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let resource = api.clone();
    let app = TestApp::spawn_with(move |settings| {
        settings.port = port;
        settings.issuer = Some(format!("http://127.0.0.1:{port}"));
        settings.access_token_format = TokenFormat::Jwt;
        settings.registration.mode = RegistrationMode::Open;
        settings.registration.client_id_metadata_documents = true;
        settings.registration.resources = vec![resource];
        settings.fetch.allow_loopback = true;
    })
    .await;
    let clock = app.clock.clone();
    let guard = Guard::builder(app.base.clone(), api.clone())
        .jwks_uri(app.url("/jwks.json"))
        .clock(Arc::new(move || clock.now()))
        .build()
        .unwrap();
    let router = Router::new()
        .route(
            "/mcp",
            get(|token: AccessToken| async move { format!("tools for {}", token.subject().unwrap_or("?")) }),
        )
        .layer(guard.require(["profile"]))
        .merge(guard.metadata_router());
    tokio::spawn(async move { axum::serve(api_listener, router).await });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // 1–2. The API's challenge names its metadata, which names the authorization server.
    let resource_metadata = oauth2u_client::discover_from_challenge(&http, &api).await.unwrap();
    assert_eq!(resource_metadata.resource, api);
    // 3. The server's own metadata.
    let server =
        oauth2u_client::discover(&http, resource_metadata.authorization_server().unwrap()).await.unwrap();
    assert_eq!(server.issuer, app.base);

    // 4. A client id: a metadata document the client serves, or a registration.
    let documents = DocumentServer::start().await;
    let client_id = match identity {
        Identity::MetadataDocument => {
            assert_eq!(server.other["client_id_metadata_document_supported"], true);
            documents.url.clone()
        }
        Identity::Registered => {
            let endpoint = server.other["registration_endpoint"].as_str().unwrap();
            let registration = json!({
                "client_name": "MCP tool",
                "redirect_uris": [REDIRECT_URI],
                "token_endpoint_auth_method": "none",
                "scope": "openid profile",
            });
            let registered: Value =
                http.post(endpoint).json(&registration).send().await.unwrap().json().await.unwrap();
            registered["client_id"].as_str().unwrap().to_owned()
        }
    };

    // 5. Sign in with PKCE, for the API (alice is approved automatically here).
    let authorization = http
        .get(server.authorization_endpoint.as_deref().unwrap())
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "profile"),
            ("state", "s1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("resource", api.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(authorization.status(), 302, "{:?}", authorization.text().await);
    let code = redirect_params(&authorization)["code"].clone();
    let token: Value = http
        .post(server.token_endpoint.as_deref().unwrap())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", client_id.as_str()),
            ("code_verifier", VERIFIER),
            ("resource", api.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["access_token"].as_str().unwrap_or_else(|| panic!("{token}"));

    // 6. The API answers.
    let answer = http.get(&api).bearer_auth(access_token).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), format!("tools for {}", app.subject));
}
