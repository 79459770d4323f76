//! The MCP authorization flow end to end, starting from nothing but an API's URL: its 401
//! challenge, its RFC 9728 metadata, the authorization server's RFC 8414 metadata, a client
//! that is a Client ID Metadata Document (then, in a second run, one that registers itself,
//! RFC 7591), a login with PKCE and `resource` (RFC 8707), and the API called with the token;
//! and once more with keys instead of secrets: private_key_jwt, PAR and a DPoP-bound token.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use oauth2u::core::Clock;
use oauth2u::core::config::{RegistrationMode, TokenFormat};
use oauth2u_guard::{AccessToken, Guard};
use serde_json::{Value, json};

use super::client_metadata_document::DocumentServer;
use super::jose_peer::PeerKey;
use super::private_key_jwt::JWT_BEARER;
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

/// An authorization server, and an API (an MCP server, say) behind the guard, at a URL that
/// is its identifier; the client has only the API's URL, and discovers the rest.
struct Mcp {
    app: TestApp,
    api: String,
    http: reqwest::Client,
    server: oauth2u_client::Metadata,
}

async fn start() -> Mcp {
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
    Mcp { app, api, http, server }
}

async fn mcp_flow(identity: Identity) {
    let Mcp { app, api, http, server } = start().await;

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

/// The same flow the way FAPI 2.0 and RFC 9700 §2.2 ask for it: the client registers keys
/// instead of taking a secret and asks for DPoP-bound tokens (RFC 7591, RFC 9449 §5.2),
/// authenticates with `private_key_jwt` (RFC 7523), pushes its request (RFC 9126), and
/// calls the API with a DPoP-bound token and a proof.
#[tokio::test]
async fn from_an_apis_url_to_its_answer_with_private_key_jwt_par_and_a_dpop_bound_token() {
    let Mcp { app, api, http, server } = start().await;
    let signing = PeerKey::generate("signing");
    let proof_key = PeerKey::generate("proofs");
    let registration = json!({
        "client_name": "FAPI tool",
        "redirect_uris": [REDIRECT_URI],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": signing.jwks(),
        "dpop_bound_access_tokens": true,
        "scope": "openid profile",
    });
    let endpoint = server.other["registration_endpoint"].as_str().unwrap();
    let registered: Value =
        http.post(endpoint).json(&registration).send().await.unwrap().json().await.unwrap();
    assert!(registered.get("client_secret").is_none(), "{registered}");
    assert_eq!(registered["dpop_bound_access_tokens"], true);
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let par_endpoint = server.other["pushed_authorization_request_endpoint"].as_str().unwrap().to_owned();
    let token_endpoint = server.token_endpoint.clone().unwrap();
    let now = || app.clock.now();
    let assertion = |aud: &str| signing.assertion(&client_id, aud, app.clock.now());

    // Push, with a proof that binds the code to the key (RFC 9449 §10).
    let pushed: Value = http
        .post(&par_endpoint)
        .header("DPoP", proof_key.proof("POST", &par_endpoint, now(), None, None))
        .form(&[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "profile"),
            ("state", "s1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("resource", api.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion(&par_endpoint)),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request_uri = pushed["request_uri"].as_str().unwrap_or_else(|| panic!("{pushed}"));
    let authorization = http
        .get(server.authorization_endpoint.as_deref().unwrap())
        .query(&[("client_id", client_id.as_str()), ("request_uri", request_uri)])
        .send()
        .await
        .unwrap();
    assert_eq!(authorization.status(), 302, "{:?}", authorization.text().await);
    let code = redirect_params(&authorization)["code"].clone();
    let token: Value = http
        .post(&token_endpoint)
        .header("DPoP", proof_key.proof("POST", &token_endpoint, now(), None, None))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("resource", api.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion(&app.base)),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["token_type"], "DPoP", "{token}");
    let access_token = token["access_token"].as_str().unwrap();

    // The API takes the token only with a proof of the key.
    let as_bearer = http.get(&api).bearer_auth(access_token).send().await.unwrap();
    assert_eq!(as_bearer.status(), 401);
    let answer = http
        .get(&api)
        .header("authorization", format!("DPoP {access_token}"))
        .header("DPoP", proof_key.proof("GET", &api, now(), Some(access_token), None))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), format!("tools for {}", app.subject));
}
