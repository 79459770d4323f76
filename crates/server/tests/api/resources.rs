//! RFC 8707: resource indicators set the audience.

use oauth2u::core::admin::ClientSpec;
use serde_json::Value;

use crate::helpers::*;

async fn client_with_resources(app: &TestApp) -> TestClient {
    app.register(ClientSpec {
        name: Some("multi api".into()),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        scopes: Some("read".into()),
        resources: Some(vec!["https://a.example/".into(), "https://b.example/".into()]),
        ..ClientSpec::default()
    })
    .await
}

#[tokio::test]
async fn resources_at_authorize_bound_the_tokens_audience() {
    let app = TestApp::spawn().await;
    let client = client_with_resources(&app).await;
    let pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("resource", "https://a.example/"),
        ("resource", "https://b.example/"),
    ];
    let code = app.code_with(&client, &pkce).await;
    let exchange =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let outside = [&exchange[..], &[("resource", "https://c.example/")]].concat();
    assert_error(app.token(&client, &outside).await, 400, "invalid_target").await;
    let narrowed = [&exchange[..], &[("resource", "https://a.example/")]].concat();
    let tokens: Value = app.token(&client, &narrowed).await.json().await.unwrap();
    assert_eq!(app.record(tokens["access_token"].as_str().unwrap()).await.audience, ["https://a.example/"]);
    let refresh = app.record(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refresh.audience, ["https://a.example/", "https://b.example/"], "the grant keeps both");

    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("resource", "https://b.example/"),
    ];
    let refreshed: Value = app.token(&client, &form).await.json().await.unwrap();
    assert_eq!(
        app.record(refreshed["access_token"].as_str().unwrap()).await.audience,
        ["https://b.example/"]
    );
}

#[tokio::test]
async fn a_resource_the_client_may_not_ask_for_is_invalid_target() {
    let app = TestApp::spawn().await;
    let client = client_with_resources(&app).await;
    for resource in ["https://c.example/", "not a uri", "https://a.example/#frag"] {
        let response = app
            .get_authorize(&[
                ("response_type", "code"),
                ("client_id", &client.id),
                ("state", "s1"),
                ("resource", resource),
            ])
            .await;
        assert_eq!(redirect_params(&response)["error"], "invalid_target", "{resource}");
    }
}
