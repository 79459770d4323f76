//! Nothing secret is ever logged: tokens, codes, client secrets, passwords, Authorization
//! headers. The test binary captures every log line at TRACE level.

use base64::Engine;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn logs_contain_no_token_code_or_secret() {
    let app = TestApp::spawn_with(|settings| {
        settings.grants.password = true;
        settings.grants.implicit = true;
    })
    .await;
    let mut secrets: Vec<String> = vec![PASSWORD.into(), VERIFIER.into()];

    let client = app.confidential_client().await;
    secrets.push(client.secret.clone().unwrap());
    let code = app.code(&client).await;
    secrets.push(code.clone());
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let tokens: Value = app.token(&client, &form).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: Value = app
        .token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .await
        .json()
        .await
        .unwrap();
    // Replays, so the error paths log too.
    app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    app.token(&client, &form).await;
    for body in [&tokens, &refreshed] {
        secrets.push(body["access_token"].as_str().unwrap().into());
        secrets.push(body["refresh_token"].as_str().unwrap().into());
    }

    let service = app.service_client().await;
    secrets.push(service.secret.clone().unwrap());
    let issued: Value =
        app.token(&service, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    secrets.push(issued["access_token"].as_str().unwrap().into());
    let wrong = TestClient { id: service.id.clone(), secret: Some("o2u_cs_not_the_secret_at_all".into()) };
    secrets.push(wrong.secret.clone().unwrap());
    app.token(&wrong, &[("grant_type", "client_credentials")]).await;
    let header = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        service.id,
        service.secret.as_deref().unwrap()
    ));
    secrets.push(header);

    let legacy = app
        .register(oauth2u::core::admin::ClientSpec {
            name: Some("legacy".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            grant_types: Some(vec![
                oauth2u::core::model::GrantType::Password,
                oauth2u::core::model::GrantType::Implicit,
            ]),
            ..Default::default()
        })
        .await;
    secrets.push(legacy.secret.clone().unwrap());
    let password: Value = app
        .token(&legacy, &[("grant_type", "password"), ("username", USERNAME), ("password", PASSWORD)])
        .await
        .json()
        .await
        .unwrap();
    secrets.push(password["access_token"].as_str().unwrap().into());
    let implicit = app.get_authorize(&[("response_type", "token"), ("client_id", &legacy.id)]).await;
    secrets.push(redirect_params(&implicit)["access_token"].clone());

    let logs = captured_logs();
    assert!(logs.contains("/token"), "the capture works: requests are logged");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
    }
    // Nor any token of another test running beside this one.
    for prefix in ["o2u_at_", "o2u_rt_", "o2u_ac_", "o2u_cs_"] {
        assert!(!logs.contains(prefix), "something like {prefix}… reached the logs");
    }
}
