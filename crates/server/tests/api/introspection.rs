//! RFC 7662: token introspection.

use std::time::Duration;

use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::GrantType;
use serde_json::{Value, json};

use crate::helpers::*;

impl TestApp {
    pub async fn introspect(&self, caller: &TestClient, token: &str) -> reqwest::Response {
        let mut request = self.http.post(self.url("/introspect"));
        let mut form = vec![("token", token)];
        match &caller.secret {
            Some(secret) => request = request.basic_auth(&caller.id, Some(secret)),
            None => form.push(("client_id", &caller.id)),
        }
        request.form(&form).send().await.unwrap()
    }

    pub async fn introspection(&self, caller: &TestClient, token: &str) -> Value {
        let response = self.introspect(caller, token).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        response.json().await.unwrap()
    }
}

const INACTIVE: fn() -> Value = || json!({ "active": false });

#[tokio::test]
async fn an_active_token_is_described() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let answer = app.introspection(&client, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["scope"], "read write");
    assert_eq!(answer["client_id"], client.id);
    assert_eq!(answer["username"], USERNAME);
    assert_eq!(answer["sub"], app.subject);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["iss"], "http://127.0.0.1");
    let (iat, exp) = (answer["iat"].as_i64().unwrap(), answer["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 3600);
    assert_eq!(answer["nbf"], iat);

    let refresh = app.introspection(&client, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refresh["active"], true);
    // RFC 7662 §2.2: every active answer names the token's type.
    assert_eq!(refresh["token_type"], "refresh_token");
}

#[tokio::test]
async fn revoke_then_introspect_is_inactive() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.revoke(&client, &[("token", access)]).await.status(), 200);
    assert_eq!(app.introspection(&client, access).await, INACTIVE());
}

#[tokio::test]
async fn expired_unknown_and_other_clients_tokens_are_inactive_and_nothing_more() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let other = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.introspection(&other, access).await, INACTIVE(), "not the caller's");
    assert_eq!(app.introspection(&client, "o2u_at_unknown").await, INACTIVE());
    app.clock.advance(Duration::from_secs(3601));
    assert_eq!(app.introspection(&client, access).await, INACTIVE(), "expired");
}

#[tokio::test]
async fn only_authenticated_confidential_clients_may_introspect() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let public = app.public_client().await;
    let tokens = app.tokens(&public).await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_error(app.introspect(&public, token).await, 401, "invalid_client").await;
    let wrong = TestClient { id: client.id.clone(), secret: Some("wrong".into()) };
    let refused = app.introspect(&wrong, token).await;
    assert_eq!(refused.headers()["www-authenticate"], "Basic realm=\"oauth2u\"");
    assert_error(refused, 401, "invalid_client").await;
    let anonymous = app.http.post(app.url("/introspect")).form(&[("token", token)]).send().await.unwrap();
    assert_error(anonymous, 401, "invalid_client").await;
}

/// An API registered with `--resource-server`, and a client that may ask tokens for it.
async fn api_and_client(app: &TestApp) -> (TestClient, TestClient) {
    let api = app
        .register(ClientSpec {
            name: Some("photos api".into()),
            grant_types: Some(vec![]),
            resource_server: Some("https://photos.example/api".into()),
            ..ClientSpec::default()
        })
        .await;
    let client = app
        .register(ClientSpec {
            name: Some("printer".into()),
            grant_types: Some(vec![GrantType::ClientCredentials]),
            resources: Some(vec!["https://photos.example/api".into(), "https://other.example/".into()]),
            ..ClientSpec::default()
        })
        .await;
    (api, client)
}

#[tokio::test]
async fn a_resource_server_sees_the_tokens_for_its_audience_only() {
    let app = TestApp::spawn().await;
    let (api, client) = api_and_client(&app).await;
    let for_api: Value = app
        .token(&client, &[("grant_type", "client_credentials"), ("resource", "https://photos.example/api")])
        .await
        .json()
        .await
        .unwrap();
    let answer = app.introspection(&api, for_api["access_token"].as_str().unwrap()).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["aud"], json!(["https://photos.example/api"]));
    assert!(answer.get("sub").is_none(), "client credentials: no user");

    let for_other: Value = app
        .token(&client, &[("grant_type", "client_credentials"), ("resource", "https://other.example/")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(app.introspection(&api, for_other["access_token"].as_str().unwrap()).await, INACTIVE());
}

#[tokio::test]
async fn a_refresh_token_is_inactive_to_a_resource_server_even_in_its_audience() {
    let app = TestApp::spawn().await;
    let (api, _) = api_and_client(&app).await;
    let web = app
        .register(ClientSpec {
            name: Some("web".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            scopes: Some("read".into()),
            resources: Some(vec!["https://photos.example/api".into()]),
            ..ClientSpec::default()
        })
        .await;
    let code = app
        .code_with(
            &web,
            &[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
                ("resource", "https://photos.example/api"),
            ],
        )
        .await;
    let exchange =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let tokens: Value = app.token(&web, &exchange).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(app.record(refresh).await.audience, ["https://photos.example/api"]);
    // RFC 6749 §1.5, §10.4: a refresh token is never a credential at an API.
    assert_eq!(app.introspection(&api, refresh).await, INACTIVE());
    let access = app.introspection(&api, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!((access["active"].clone(), access["token_type"].clone()), (json!(true), json!("Bearer")));
    let own = app.introspection(&web, refresh).await;
    assert_eq!((own["active"].clone(), own["token_type"].clone()), (json!(true), json!("refresh_token")));
}

/// The `oauth2` crate introspects (its revocation is in `revocation.rs`).
#[tokio::test]
async fn the_oauth2_crate_introspects() {
    use oauth2::basic::BasicClient;
    use oauth2::{ClientId, ClientSecret, IntrospectionUrl, TokenIntrospectionResponse, TokenUrl};
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let oauth = BasicClient::new(ClientId::new(client.id.clone()))
        .set_client_secret(ClientSecret::new(client.secret.clone().unwrap()))
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(app.url("/introspect")).unwrap());
    let http = oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = oauth.exchange_client_credentials().request_async(&http).await.unwrap();
    let access = oauth2::TokenResponse::access_token(&token).clone();

    let described = oauth.introspect(&access).request_async(&http).await.unwrap();
    assert!(described.active());
    assert_eq!(described.client_id().unwrap().as_str(), client.id);
    assert_eq!(described.scopes().unwrap().len(), 2);

    assert_eq!(app.revoke(&client, &[("token", access.secret())]).await.status(), 200);
    let described = oauth.introspect(&access).request_async(&http).await.unwrap();
    assert!(!described.active());
}
