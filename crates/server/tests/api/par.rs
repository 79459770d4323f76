//! Pushed Authorization Requests (RFC 9126): the client pushes its request to `/par`,
//! authenticated, and sends the browser to `/authorize` with only `client_id` and the
//! `request_uri` it got. The push is checked as `/authorize` checks a request, in JSON; the
//! `request_uri` lives through one sign-in and consent, and yields one response.

use oauth2u::core::admin::ClientSpec;
use serde_json::Value;

use crate::helpers::*;

/// The parameters of a PKCE code request of `client`, as a client would push them.
fn code_request(client: &TestClient) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "read"),
        ("state", "pushed-state"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect()
}

/// POSTs a push of `form` for `client`, authenticated as `client`.
pub(crate) async fn push(app: &TestApp, client: &TestClient, form: &[(&str, String)]) -> reqwest::Response {
    let form: Vec<(&str, &str)> = form.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let request = app.http.post(app.url("/par"));
    match &client.secret {
        Some(secret) => request.basic_auth(&client.id, Some(secret)),
        None => request,
    }
    .form(&form)
    .send()
    .await
    .unwrap()
}

/// Pushes a code request and returns its `request_uri`.
pub(crate) async fn pushed_uri(app: &TestApp, client: &TestClient) -> String {
    let response = push(app, client, &code_request(client)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 60, "the default lifetime");
    let uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"), "{uri}");
    uri
}

async fn authorize_pushed(app: &TestApp, client: &TestClient, uri: &str) -> reqwest::Response {
    app.get_authorize(&[("client_id", client.id.as_str()), ("request_uri", uri)]).await
}

/// A refusal on the error page: never a redirect.
async fn assert_page(response: reqwest::Response, why: &str) {
    assert_eq!(response.status(), 400, "{why}");
    assert!(response.headers().get("location").is_none(), "{why}: never a redirect");
}

#[tokio::test]
async fn a_pushed_request_is_authorized_with_its_request_uri_alone() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let metadata = app.metadata().await;
    assert_eq!(metadata["pushed_authorization_request_endpoint"], "http://127.0.0.1/par");
    assert_eq!(metadata["require_pushed_authorization_requests"], false);

    let uri = pushed_uri(&app, &client).await;
    // Parameters sent beside the request_uri are ignored (§4): the pushed state comes back.
    let response = app
        .get_authorize(&[("client_id", client.id.as_str()), ("request_uri", &uri), ("state", "tampered")])
        .await;
    assert_eq!(response.status(), 302);
    let answer = redirect_params(&response);
    assert_eq!(answer["state"], "pushed-state");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", answer["code"].as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    assert_eq!(app.token(&client, &form).await.status(), 200);

    // §4: used once.
    assert_page(authorize_pushed(&app, &client, &uri).await, "a used request_uri").await;
}

#[tokio::test]
async fn the_request_uri_lives_through_sign_in_and_consent_and_a_denial_ends_it() {
    let app = TestApp::spawn_with(|settings| settings.auto_approve = None).await;
    let client = app.confidential_client().await;
    let uri = pushed_uri(&app, &client).await;
    let mut browser = Browser::new(&app);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("client_id", client.id.as_str()), ("request_uri", uri.as_str())])
        .finish();
    let login = browser.get(&format!("/authorize?{query}")).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    assert_eq!(after_login.status(), 303);
    let location = after_login.headers()["location"].to_str().unwrap().to_owned();
    let consent = browser.get(&location).await.text().await.unwrap();
    assert!(consent.contains("read"), "the consent page shows the pushed scope");
    let allowed = browser.consent(&consent, "allow", false).await;
    assert_eq!(allowed.status(), 303);
    assert_eq!(redirect_params(&allowed)["state"], "pushed-state");
    // The authorization ended: the request_uri is gone.
    assert_page(authorize_pushed(&app, &client, &uri).await, "a request_uri whose authorization ended").await;

    // A denial ends the authorization too.
    let uri = pushed_uri(&app, &client).await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("client_id", client.id.as_str()), ("request_uri", uri.as_str())])
        .finish();
    let consent = browser.get(&format!("/authorize?{query}")).await.text().await.unwrap();
    let denied = browser.consent(&consent, "deny", false).await;
    assert_eq!(redirect_params(&denied)["error"], "access_denied");
    assert_page(authorize_pushed(&app, &client, &uri).await, "a denied request_uri").await;
}

#[tokio::test]
async fn unknown_expired_and_foreign_request_uris_get_the_error_page() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let other = app.confidential_client().await;
    let uri = pushed_uri(&app, &client).await;
    assert_page(authorize_pushed(&app, &other, &uri).await, "another client's request_uri").await;
    assert_page(
        authorize_pushed(&app, &client, "urn:ietf:params:oauth:request_uri:unknown").await,
        "unknown",
    )
    .await;
    assert_page(
        authorize_pushed(&app, &client, "https://client.example/request.jwt").await,
        "a remote request_uri",
    )
    .await;
    app.clock.advance(std::time::Duration::from_secs(61));
    assert_page(authorize_pushed(&app, &client, &uri).await, "expired").await;
}

#[tokio::test]
async fn a_push_is_checked_as_the_authorization_endpoint_checks_and_answers_in_json() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let with = |name: &'static str, value: &str| {
        let mut form: Vec<(&str, String)> =
            code_request(&client).into_iter().filter(|(n, _)| *n != name).collect();
        if !value.is_empty() {
            form.push((name, value.to_owned()));
        }
        form
    };
    let cases = [
        ("redirect_uri", "https://evil.example/cb", "invalid_request"),
        ("response_type", "token id_token", "unsupported_response_type"),
        ("scope", "admin", "invalid_scope"),
        ("code_challenge_method", "plain", "invalid_request"),
        ("request_uri", "urn:ietf:params:oauth:request_uri:abc", "invalid_request"),
    ];
    for (name, value, error) in cases {
        let mut form = with(name, value);
        if name == "request_uri" {
            form = code_request(&client);
            form.push((name, value.to_owned()));
        }
        assert_error(push(&app, &client, &form).await, 400, error).await;
    }
    // §2.1: client authentication is required, as at the token endpoint.
    let anonymous = TestClient { id: client.id.clone(), secret: Some("wrong".into()) };
    assert_eq!(push(&app, &anonymous, &code_request(&client)).await.status(), 401);
    // A client_id that is not the authenticated client's (RFC 6749 §2.3.1).
    let other = app.confidential_client().await;
    let mut form = code_request(&client);
    form.retain(|(name, _)| *name != "client_id");
    form.push(("client_id", other.id.clone()));
    assert_error(push(&app, &client, &form).await, 401, "invalid_client").await;
}

#[tokio::test]
async fn pushing_can_be_required_server_wide_and_per_client() {
    let app = TestApp::spawn().await;
    let required = app
        .register(ClientSpec {
            name: Some("FAPI client".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            scopes: Some("read".into()),
            require_pushed_authorization_requests: Some(true),
            ..ClientSpec::default()
        })
        .await;
    let plain = app.confidential_client().await;
    assert_page(app.request_code(&required).await, "a client that must push").await;
    assert_eq!(app.get_authorize(&code_query(&plain)).await.status(), 302, "other clients need not");
    let uri = pushed_uri(&app, &required).await;
    assert_eq!(authorize_pushed(&app, &required, &uri).await.status(), 302);

    let strict = TestApp::spawn_with(|settings| settings.par.required = true).await;
    assert_eq!(strict.metadata().await["require_pushed_authorization_requests"], true);
    let client = strict.confidential_client().await;
    assert_page(strict.get_authorize(&code_query(&client)).await, "a server that requires pushes").await;
    let uri = pushed_uri(&strict, &client).await;
    assert_eq!(authorize_pushed(&strict, &client, &uri).await.status(), 302);
}

fn code_query(client: &TestClient) -> Vec<(&str, &str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

/// OpenID Connect Core §3.1.2.1 `prompt=login` in a pushed request: the user signs in again,
/// and that sign-in (after the push) answers it — the pushed request cannot be rewritten on
/// its way back from the login page, as a plain one is.
#[tokio::test]
async fn prompt_login_in_a_pushed_request_asks_for_one_sign_in() {
    let app = TestApp::spawn_with(|settings| settings.auto_approve = None).await;
    let client = super::openid::relying_party(&app).await;
    let mut browser = Browser::new(&app);
    // Signed in already, a while ago.
    let page = browser.authorize(&client).await.text().await.unwrap();
    assert_eq!(browser.login(&page, USERNAME, PASSWORD).await.status(), 303);
    app.clock.advance(std::time::Duration::from_secs(60));

    let mut form = code_request(&client);
    form.retain(|(name, _)| *name != "scope");
    form.extend([("scope", "openid".to_owned()), ("prompt", "login".to_owned()), ("nonce", "n1".to_owned())]);
    let pushed = push(&app, &client, &form).await;
    assert_eq!(pushed.status(), 201);
    let uri = pushed.json::<Value>().await.unwrap()["request_uri"].as_str().unwrap().to_owned();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("client_id", client.id.as_str()), ("request_uri", uri.as_str())])
        .finish();
    let login = browser.get(&format!("/authorize?{query}")).await.text().await.unwrap();
    assert!(login.contains("name=\"password\""), "prompt=login shows the login page");
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    let location = after_login.headers()["location"].to_str().unwrap().to_owned();
    let consent = browser.get(&location).await.text().await.unwrap();
    assert!(consent.contains("name=\"decision\""), "the consent page, not the login page again");
    let allowed = browser.consent(&consent, "allow", false).await;
    assert_eq!(redirect_params(&allowed)["state"], "pushed-state");
}
