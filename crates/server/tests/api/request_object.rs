//! JWT-Secured Authorization Requests (RFC 9101): a `request` object the client signed is
//! accepted at `/authorize` and at `/par`, its parameters taking precedence; every object
//! that is not signed by the client for this server, now, is `invalid_request_object`.

use oauth2u::core::Clock;
use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::ClientKeys;
use serde_json::{Value, json};

use super::jose_peer::PeerKey;
use super::par::push;
use super::private_key_jwt::ISSUER;
use crate::helpers::*;

/// A confidential client (with a secret) that signs its request objects with `key`.
async fn signing_client(app: &TestApp, key: &PeerKey) -> TestClient {
    app.register(ClientSpec {
        name: Some("JAR client".into()),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        scopes: Some("read write".into()),
        keys: Some(ClientKeys::Jwks(key.jwks())),
        ..ClientSpec::default()
    })
    .await
}

/// The claims of a code request of `client`, valid for five minutes.
fn request_claims(app: &TestApp, client: &TestClient) -> Value {
    let now = app.clock.now();
    json!({
        "iss": client.id,
        "aud": ISSUER,
        "client_id": client.id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "read",
        "state": "signed-state",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "iat": now,
        "exp": now + 300,
    })
}

#[tokio::test]
async fn a_signed_request_object_is_the_request_and_its_parameters_win() {
    let app = TestApp::spawn().await;
    let key = PeerKey::generate("jar");
    let client = signing_client(&app, &key).await;
    let object = key.sign(request_claims(&app, &client));
    // The outer state is overridden by the object's (OpenID Connect Core §6.1).
    let response = app
        .get_authorize(&[
            ("client_id", client.id.as_str()),
            ("response_type", "code"),
            ("state", "outer-state"),
            ("request", &object),
        ])
        .await;
    assert_eq!(response.status(), 302);
    let answer = redirect_params(&response);
    assert_eq!(answer["state"], "signed-state");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", answer["code"].as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    assert_eq!(app.token(&client, &form).await.status(), 200);
    assert_eq!(app.metadata().await["request_parameter_supported"], true);
}

#[tokio::test]
async fn a_request_object_can_be_pushed() {
    let app = TestApp::spawn().await;
    let key = PeerKey::generate("jar");
    let client = signing_client(&app, &key).await;
    let object = key.sign(request_claims(&app, &client));
    let pushed = push(&app, &client, &[("client_id", client.id.clone()), ("request", object)]).await;
    assert_eq!(pushed.status(), 201);
    let uri = pushed.json::<Value>().await.unwrap()["request_uri"].as_str().unwrap().to_owned();
    let response = app.get_authorize(&[("client_id", client.id.as_str()), ("request_uri", &uri)]).await;
    assert_eq!(response.status(), 302);
    assert_eq!(redirect_params(&response)["state"], "signed-state");
}

#[tokio::test]
async fn every_bad_request_object_is_invalid_request_object() {
    let app = TestApp::spawn().await;
    let key = PeerKey::generate("jar");
    let client = signing_client(&app, &key).await;
    let now = app.clock.now();
    let changed = |name: &str, value: Value| {
        let mut claims = request_claims(&app, &client);
        match value {
            Value::Null => claims.as_object_mut().unwrap().remove(name),
            value => claims.as_object_mut().unwrap().insert(name.to_owned(), value),
        };
        claims
    };
    let unsigned = {
        use base64::Engine;
        let encode =
            |value: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
        format!("{}.{}.", encode(&json!({ "alg": "none" })), encode(&request_claims(&app, &client)))
    };
    let cases = [
        ("unsigned", unsigned),
        ("another key", PeerKey::generate("jar").sign(request_claims(&app, &client))),
        ("another issuer", key.sign(changed("iss", "someone".into()))),
        ("another audience", key.sign(changed("aud", "https://elsewhere.example".into()))),
        ("another client_id", key.sign(changed("client_id", "someone".into()))),
        ("no exp", key.sign(changed("exp", Value::Null))),
        ("expired", key.sign(changed("exp", (now - 60).into()))),
        ("nested request_uri", key.sign(changed("request_uri", "urn:x".into()))),
        ("another response_type than the query's", key.sign(changed("response_type", "token".into()))),
    ];
    for (why, object) in cases {
        let response = app
            .get_authorize(&[
                ("client_id", client.id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("request", &object),
            ])
            .await;
        assert_eq!(response.status(), 302, "{why}");
        assert_eq!(redirect_params(&response)["error"], "invalid_request_object", "{why}");
        // At the PAR endpoint the same refusal comes as JSON.
        let form = [("client_id", client.id.clone()), ("response_type", "code".into()), ("request", object)];
        let pushed = push(&app, &client, &form).await;
        assert_error(pushed, 400, "invalid_request_object").await;
    }
}
