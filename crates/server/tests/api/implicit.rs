//! RFC 6749 §4.2: the implicit grant, off unless switched on server-wide and per client.

use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::GrantType;

use crate::helpers::*;

async fn implicit_client(app: &TestApp) -> TestClient {
    implicit_client_for(app, "read").await
}

/// A public client of the implicit grant that may ask for `scopes`.
pub(crate) async fn implicit_client_for(app: &TestApp, scopes: &str) -> TestClient {
    app.register(ClientSpec {
        name: Some("legacy spa".into()),
        public: Some(true),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        grant_types: Some(vec![GrantType::Implicit, GrantType::RefreshToken]),
        scopes: Some(scopes.into()),
        ..ClientSpec::default()
    })
    .await
}

#[tokio::test]
async fn the_token_comes_in_the_fragment_without_a_refresh_token() {
    let app = TestApp::spawn_with(|settings| settings.grants.implicit = true).await;
    let client = implicit_client(&app).await;
    let response =
        app.get_authorize(&[("response_type", "token"), ("client_id", &client.id), ("state", "s1")]).await;
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{REDIRECT_URI}#")), "{location}");
    let params = redirect_params(&response);
    assert!(params["access_token"].starts_with("o2u_at_"));
    assert_eq!(params["token_type"], "Bearer");
    assert_eq!(params["expires_in"], "3600");
    assert_eq!(params["scope"], "read");
    assert_eq!(params["state"], "s1");
    assert_eq!(params["iss"], "http://127.0.0.1");
    assert!(!params.contains_key("refresh_token"), "§4.2.2");
    assert!(app.is_active(&params["access_token"]).await);
}

#[tokio::test]
async fn implicit_errors_go_in_the_fragment() {
    let app = TestApp::spawn_with(|settings| settings.grants.implicit = true).await;
    let client = implicit_client(&app).await;
    let response = app
        .get_authorize(&[
            ("response_type", "token"),
            ("client_id", &client.id),
            ("scope", "admin"),
            ("state", "s1"),
        ])
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{REDIRECT_URI}#error=invalid_scope")), "{location}");
}

#[tokio::test]
async fn a_client_not_registered_for_implicit_is_unauthorized_client() {
    let app = TestApp::spawn_with(|settings| settings.grants.implicit = true).await;
    let client = app.confidential_client().await;
    let response =
        app.get_authorize(&[("response_type", "token"), ("client_id", &client.id), ("state", "s1")]).await;
    assert_eq!(redirect_params(&response)["error"], "unauthorized_client");
}
