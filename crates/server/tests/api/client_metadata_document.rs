//! Client ID Metadata Documents (the draft MCP uses): a `client_id` that is the URL of the
//! client's metadata is fetched and used as the client — under the URL rules, the document's
//! own rules and the fetcher's SSRF and cache rules — and its name is shown as unverified.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::helpers::*;

/// What the document server answers, changeable while it runs; and how often it was asked.
#[derive(Clone)]
pub struct DocumentServer {
    pub url: String,
    answer: Arc<Mutex<(u16, String, Option<&'static str>)>>,
    hits: Arc<AtomicUsize>,
}

impl DocumentServer {
    /// A loopback server of one document at `/client.json`, which names itself.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/client.json", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new((200, String::new(), None)));
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (answer.clone(), hits.clone());
        let router = axum::Router::new().route(
            "/client.json",
            axum::routing::get(move || {
                let (status, body, cache_control) = served.lock().unwrap().clone();
                counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    let mut response = body.into_response();
                    *response.status_mut() = StatusCode::from_u16(status).unwrap();
                    response
                        .headers_mut()
                        .insert("content-type", HeaderValue::from_static("application/json"));
                    if let Some(value) = cache_control {
                        response.headers_mut().insert("cache-control", HeaderValue::from_static(value));
                    }
                    response
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        let server = Self { url, answer, hits };
        server.serve(200, &server.document("Photo tool"), None);
        server
    }

    /// A valid document for a public client named `name`.
    pub fn document(&self, name: &str) -> Value {
        json!({
            "client_id": self.url,
            "client_name": name,
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            "scope": "openid profile",
        })
    }

    pub fn serve(&self, status: u16, body: &Value, cache_control: Option<&'static str>) {
        *self.answer.lock().unwrap() = (status, body.to_string(), cache_control);
    }

    pub fn serve_text(&self, status: u16, body: String) {
        *self.answer.lock().unwrap() = (status, body, None);
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn client(&self) -> TestClient {
        TestClient { id: self.url.clone(), secret: None }
    }
}

/// A server that accepts metadata documents, and may fetch them from loopback (tests only).
pub async fn cimd_app(auto_approve: bool) -> TestApp {
    TestApp::spawn_with(|settings| {
        settings.registration.client_id_metadata_documents = true;
        settings.fetch.allow_loopback = true;
        if !auto_approve {
            settings.auto_approve = None;
        }
    })
    .await
}

/// The authorization request is refused with the error page, never a redirect.
async fn assert_refused(app: &TestApp, client: &TestClient) {
    let response = app
        .get_authorize(&[
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(response.status(), 400, "{}", client.id);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn a_metadata_document_client_signs_a_user_in_with_pkce() {
    let app = cimd_app(true).await;
    let metadata: Value = app.metadata().await;
    assert_eq!(metadata["client_id_metadata_document_supported"], true);
    let documents = DocumentServer::start().await;
    let client = documents.client();
    let code = app.code(&client).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let tokens = app.token(&client, &form).await;
    assert_eq!(tokens.status(), 200);
    let tokens: Value = tokens.json().await.unwrap();
    assert!(app.is_active(tokens["access_token"].as_str().unwrap()).await);
    // Not stored: nothing registered it here.
    assert!(app.store.client(&documents.url).await.unwrap().is_none());
}

#[tokio::test]
async fn without_the_switch_a_url_is_no_client() {
    let app = TestApp::spawn_with(|settings| settings.fetch.allow_loopback = true).await;
    let documents = DocumentServer::start().await;
    assert_refused(&app, &documents.client()).await;
    assert_eq!(documents.hits(), 0, "nothing fetched");
}

/// The document's own rules: it names itself, holds no secret, names no shared-secret method.
#[tokio::test]
async fn a_document_that_breaks_a_rule_is_no_client() {
    let app = cimd_app(true).await;
    let documents = DocumentServer::start().await;
    let good = documents.document("Photo tool");
    let with = |name: &str, value: Value| {
        let mut document = good.clone();
        document[name] = value;
        document
    };
    for document in [
        with("client_id", json!("https://elsewhere.example/client.json")),
        with("client_secret", json!("s3cret")),
        with("token_endpoint_auth_method", json!("client_secret_basic")),
        with("token_endpoint_auth_method", json!("private_key_jwt")), // without keys
        with("redirect_uris", json!(["https://client.example/cb#fragment"])),
        with("grant_types", json!(["client_credentials"])),
        json!(["not", "an", "object"]),
    ] {
        documents.serve(200, &document, None);
        assert_refused(&app, &documents.client()).await;
    }
}

/// The fetch's rules: only a 200, no redirect, at most 5 KB, JSON.
#[tokio::test]
async fn a_document_that_cannot_be_fetched_properly_is_no_client() {
    let app = cimd_app(true).await;
    let documents = DocumentServer::start().await;
    documents.serve(404, &documents.document("x"), None);
    assert_refused(&app, &documents.client()).await;
    documents.serve(302, &documents.document("x"), None);
    assert_refused(&app, &documents.client()).await;
    let mut padded = documents.document("x");
    padded["padding"] = json!("p".repeat(6 * 1024));
    documents.serve(200, &padded, None);
    assert_refused(&app, &documents.client()).await;
    documents.serve_text(200, "<html>".into());
    assert_refused(&app, &documents.client()).await;
}

/// The URL rules, and the address rules without the test switch.
#[tokio::test]
async fn only_a_plain_url_at_a_public_address_is_fetched() {
    let strict =
        TestApp::spawn_with(|settings| settings.registration.client_id_metadata_documents = true).await;
    let documents = DocumentServer::start().await;
    assert_refused(&strict, &documents.client()).await;
    assert_eq!(documents.hits(), 0, "loopback is refused before connecting");

    let app = cimd_app(true).await;
    let base = documents.url.trim_end_matches("/client.json");
    for id in [format!("{base}/x/../client.json"), format!("{base}/client.json#f"), format!("{base}/")] {
        assert_refused(&app, &TestClient { id, secret: None }).await;
    }
    assert_eq!(documents.hits(), 0);
}

/// Reused within `Cache-Control: max-age`; fetched every time without; an error never kept.
#[tokio::test]
async fn documents_are_cached_as_their_server_says_and_errors_never() {
    let app = cimd_app(true).await;
    let documents = DocumentServer::start().await;
    let client = documents.client();
    documents.serve(200, &documents.document("Photo tool"), Some("max-age=300"));
    app.code(&client).await;
    app.code(&client).await;
    assert_eq!(documents.hits(), 1, "one fetch within max-age");

    let other = DocumentServer::start().await;
    other.serve(200, &other.document("Photo tool"), Some("no-store"));
    app.code(&other.client()).await;
    app.code(&other.client()).await;
    assert_eq!(other.hits(), 2, "no-store: fetched each time");

    let flaky = DocumentServer::start().await;
    flaky.serve(500, &json!({}), Some("max-age=300"));
    assert_refused(&app, &flaky.client()).await;
    flaky.serve(200, &flaky.document("Photo tool"), None);
    app.code(&flaky.client()).await;
}

/// The consent page says the name is unverified and whose host it is; a remembered consent
/// does not outlive a change of the document.
#[tokio::test]
async fn the_consent_page_marks_the_client_self_asserted_and_a_changed_document_asks_again() {
    let app = cimd_app(false).await;
    let documents = DocumentServer::start().await;
    let client = documents.client();
    let mut browser = Browser::new(&app);
    let page = browser.consent_page(&client).await;
    assert!(
        page.contains("Photo tool") && page.contains("unverified") && page.contains("127.0.0.1"),
        "{page}"
    );
    let allowed = browser.consent(&page, "allow", true).await;
    assert_eq!(allowed.status(), 303);
    assert!(allowed.headers()["location"].to_str().unwrap().starts_with(REDIRECT_URI));

    // Remembered while the document stays the same.
    let again = browser.authorize(&client).await;
    assert_eq!(again.status(), 302, "consent remembered");

    // A new document: asked again.
    documents.serve(200, &documents.document("Photo tool (new owner)"), None);
    let changed = browser.authorize(&client).await;
    assert_eq!(changed.status(), 200);
    assert!(changed.text().await.unwrap().contains("Photo tool (new owner)"));
}

/// A document may name `private_key_jwt` with its keys: the client then proves itself with
/// an assertion signed by them (RFC 7523), and has no secret.
#[tokio::test]
async fn a_document_with_keys_makes_a_private_key_jwt_client() {
    use oauth2u::core::Clock;
    let app = cimd_app(true).await;
    let documents = DocumentServer::start().await;
    let key = super::jose_peer::PeerKey::generate("k1");
    let mut document = documents.document("Signed tool");
    document["token_endpoint_auth_method"] = json!("private_key_jwt");
    document["jwks"] = key.jwks();
    documents.serve(200, &document, None);
    let client = documents.client();
    let code = app.code(&client).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    // client_id alone is not enough for this client.
    assert_error(app.token(&client, &form).await, 401, "invalid_client").await;
    let code = app.code(&client).await;
    let assertion = key.assertion(&client.id, "http://127.0.0.1", app.clock.now());
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
        ("client_assertion_type", super::private_key_jwt::JWT_BEARER),
        ("client_assertion", assertion.as_str()),
    ];
    let tokens = app.http.post(app.url("/token")).form(&form).send().await.unwrap();
    assert_eq!(tokens.status(), 200);
}
