//! RFC 6749 §3.2, §2.3 and §5: the token endpoint's common rules.

use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::GrantType;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn a_repeated_parameter_is_invalid_request_and_consumes_nothing() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let code = app.code(&client).await;
    let exchange = [("grant_type", "authorization_code"), ("code", &code), ("code_verifier", VERIFIER)];
    let mut repeated = exchange.to_vec();
    repeated.push(("code_verifier", VERIFIER));
    assert_error(app.token(&client, &repeated).await, 400, "invalid_request").await;
    assert_eq!(app.token(&client, &exchange).await.status(), 200, "the code is still usable");
}

#[tokio::test]
async fn more_parameters_than_the_limit_are_invalid_request_before_authentication() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let names: Vec<String> = (0..100).map(|i| format!("extension_{i}")).collect();
    let mut form: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "x")).collect();
    form.push(("grant_type", "client_credentials"));
    // 101 parameters: refused, even with valid credentials.
    let body = assert_error(app.token(&client, &form).await, 400, "invalid_request").await;
    assert_eq!(body["error_description"], "more than 100 parameters");
    form.remove(0);
    assert_eq!(app.token(&client, &form).await.status(), 200, "exactly the limit is accepted");
    // Nobody authenticated: still the same cheap refusal, not invalid_client.
    let anonymous =
        app.http.post(app.url("/token")).form(&[form.clone(), vec![("x", "1"), ("y", "2")]].concat());
    assert_error(anonymous.send().await.unwrap(), 400, "invalid_request").await;
}

#[tokio::test]
async fn client_authentication_failures_are_401_invalid_client_with_a_challenge() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let public = app.public_client().await;
    let form = [("grant_type", "client_credentials")];
    let wrong_secret = TestClient { id: client.id.clone(), secret: Some("o2u_cs_wrong".into()) };
    let unknown = TestClient { id: "nobody".into(), secret: Some("x".into()) };
    let confidential_without_secret = TestClient { id: client.id.clone(), secret: None };
    let public_with_secret = TestClient { id: public.id.clone(), secret: Some("anything".into()) };
    for who in [wrong_secret, unknown, confidential_without_secret, public_with_secret] {
        let response = app.token(&who, &form).await;
        assert_eq!(response.headers()["www-authenticate"], "Basic realm=\"oauth2u\"");
        assert_error(response, 401, "invalid_client").await;
    }
    let anonymous = app.http.post(app.url("/token")).form(&form).send().await.unwrap();
    assert_error(anonymous, 401, "invalid_client").await;
}

#[tokio::test]
async fn a_malformed_authorization_header_is_invalid_client() {
    let app = TestApp::spawn().await;
    for header in ["Basic", "Basic %%%", "Bearer abc", "Basic Zm9v"] {
        let response = app
            .http
            .post(app.url("/token"))
            .header("authorization", header)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_error(response, 401, "invalid_client").await;
    }
}

#[tokio::test]
async fn two_authentication_methods_in_one_request_are_invalid_request() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let secret = client.secret.clone().unwrap();
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth(&client.id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("client_id", &client.id), ("client_secret", &secret)])
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "invalid_request").await;
}

#[tokio::test]
async fn client_secret_post_is_accepted() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let response = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.id),
            ("client_secret", client.secret.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn unknown_missing_and_switched_off_grant_types() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    assert_error(
        app.token(&client, &[("grant_type", "urn:example:magic")]).await,
        400,
        "unsupported_grant_type",
    )
    .await;
    assert_error(app.token(&client, &[("grant_type", "implicit")]).await, 400, "unsupported_grant_type")
        .await;
    // The password grant is off by default (RFC 9700 §2.4).
    let password = [("grant_type", "password"), ("username", USERNAME), ("password", PASSWORD)];
    assert_error(app.token(&client, &password).await, 400, "unsupported_grant_type").await;
    assert_error(app.token(&client, &[("scope", "read")]).await, 400, "invalid_request").await;
}

#[tokio::test]
async fn a_grant_the_client_is_not_registered_for_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    let web = app.confidential_client().await;
    assert_error(app.token(&web, &[("grant_type", "client_credentials")]).await, 400, "unauthorized_client")
        .await;
    let service = app.service_client().await;
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", "o2u_rt_x")];
    assert_error(app.token(&service, &refresh).await, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn a_wrong_content_type_is_invalid_request() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "invalid_request").await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(|settings| settings.limits.max_body_bytes = 1024).await;
    let client = app.service_client().await;
    let big = "x".repeat(2048);
    let response = app.token(&client, &[("grant_type", "client_credentials"), ("padding", &big)]).await;
    assert_error(response, 413, "invalid_request").await;
}

#[tokio::test]
async fn the_token_endpoint_takes_post_only() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/token")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    assert_error(response, 405, "invalid_request").await;
}

#[tokio::test]
async fn an_empty_parameter_counts_as_absent() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let response = app.token(&client, &[("grant_type", "client_credentials"), ("scope", "")]).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "read write", "the default scope");
}

#[tokio::test]
async fn the_seed_path_access_token_is_an_alias() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let response = app
        .http
        .post(app.url("/access-token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn token_responses_are_never_cached() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let response = app.token(&client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn cors_is_allowed_only_for_registered_origins() {
    let app = TestApp::spawn().await;
    app.register(ClientSpec {
        name: Some("spa".into()),
        public: Some(true),
        redirect_uris: Some(vec!["https://spa.example/cb".into()]),
        allowed_origins: Some(vec!["https://spa.example".into()]),
        grant_types: Some(vec![GrantType::AuthorizationCode]),
        ..ClientSpec::default()
    })
    .await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/token"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("https://spa.example").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://spa.example");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());

    let authorize = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/authorize"))
        .header("origin", "https://spa.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(authorize.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn hostile_input_never_yields_a_server_error() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let long_name = format!("{}=1&grant_type=client_credentials", "n".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"grant_type=%ZZ&code=%".to_vec(),
        b"grant_type=authorization_code&code=\xff\xfe\x00".to_vec(),
        b"&&&===&grant_type".to_vec(),
        b"grant_type=refresh_token&refresh_token=%00%00".to_vec(),
        b"grant_type=password&username=%F0%28%8C%28&password=x".to_vec(),
        long_name.into_bytes(),
    ];
    for body in bodies {
        let response = app
            .http
            .post(app.url("/token"))
            .basic_auth(&client.id, client.secret.as_deref())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().as_u16() < 500, "{}", response.status());
        let json: Value = response.json().await.unwrap();
        assert!(json["error"].is_string() || json["access_token"].is_string());
    }
    for query in [
        "client_id=%ZZ",
        "client_id=\u{0}",
        "response_type=code&client_id=x&client_id",
        "%%%%",
        "state=<script>",
    ] {
        let response = app.http.get(format!("{}?{query}", app.url("/authorize"))).send().await.unwrap();
        assert_eq!(response.status(), 400, "{query}");
    }
}
