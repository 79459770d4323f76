//! The `oauth2` crate — a client nobody here wrote — against our server.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse, TokenUrl,
};

use crate::helpers::*;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn oauth2_client(app: &TestApp, client: &TestClient, redirect_uri: &str) -> Client {
    let mut oauth = BasicClient::new(ClientId::new(client.id.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).unwrap());
    if let Some(secret) = &client.secret {
        oauth = oauth.set_client_secret(ClientSecret::new(secret.clone()));
    }
    oauth
}

fn http() -> oauth2::reqwest::Client {
    oauth2::reqwest::Client::builder().redirect(oauth2::reqwest::redirect::Policy::none()).build().unwrap()
}

/// Follows the authorization URL as a browser would (auto-approved) and returns the code.
async fn authorize(app: &TestApp, url: url::Url, csrf: &CsrfToken) -> String {
    let response = app.http.get(url.as_str()).send().await.unwrap();
    let params = redirect_params(&response);
    assert_eq!(&params["state"], csrf.secret());
    assert_eq!(params["iss"], "http://127.0.0.1");
    params["code"].clone()
}

#[tokio::test]
async fn authorization_code_with_pkce_then_refresh() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let oauth = oauth2_client(&app, &client, REDIRECT_URI);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = oauth
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let code = authorize(&app, url, &csrf).await;

    let http = http();
    let token = oauth
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert!(app.is_active(token.access_token().secret()).await);
    assert_eq!(token.scopes().unwrap()[0].as_str(), "read");

    let refresh = token.refresh_token().unwrap();
    let refreshed = oauth.exchange_refresh_token(refresh).request_async(&http).await.unwrap();
    assert_ne!(refreshed.refresh_token().unwrap().secret(), refresh.secret());
    assert!(app.is_active(refreshed.access_token().secret()).await);
    // The rotated token is refused, and the crate reports the server's error.
    let reused = oauth.exchange_refresh_token(refresh).request_async(&http).await.unwrap_err();
    assert!(format!("{reused:?}").contains("invalid_grant"), "{reused:?}");
}

#[tokio::test]
async fn a_public_native_client_on_a_loopback_port() {
    let app = TestApp::spawn().await;
    let client = app.public_client().await;
    let oauth = oauth2_client(&app, &client, "http://127.0.0.1:49152/callback");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = oauth.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge).url();
    let code = authorize(&app, url, &csrf).await;
    let token = oauth
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    assert!(token.refresh_token().is_some());
}

#[tokio::test]
async fn client_credentials() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let oauth = BasicClient::new(ClientId::new(client.id.clone()))
        .set_client_secret(ClientSecret::new(client.secret.clone().unwrap()))
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap());
    let token = oauth
        .exchange_client_credentials()
        .add_scope(Scope::new("write".into()))
        .request_async(&http())
        .await
        .unwrap();
    assert!(token.refresh_token().is_none());
    assert_eq!(token.scopes().unwrap()[0].as_str(), "write");
    let wrong = BasicClient::new(ClientId::new(client.id.clone()))
        .set_client_secret(ClientSecret::new("wrong".into()))
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap());
    let error = wrong.exchange_client_credentials().request_async(&http()).await.unwrap_err();
    assert!(format!("{error:?}").contains("invalid_client"), "{error:?}");
}
