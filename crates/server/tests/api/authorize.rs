//! RFC 6749 §4.1.1–§4.1.2.1 and §3.1: the authorization endpoint.

use oauth2u::core::admin::ClientSpec;
use oauth2u::core::model::GrantType;

use crate::helpers::*;

async fn assert_error_page(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none(), "an error page never redirects");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(
        response.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'")
    );
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    response.text().await.unwrap()
}

/// Asserts a redirect to `REDIRECT_URI` carrying `error`, the state and `iss`.
pub(crate) async fn assert_redirected_error(response: reqwest::Response, error: &str) {
    assert_eq!(response.status(), 302);
    assert!(response.headers()["location"].to_str().unwrap().starts_with(REDIRECT_URI));
    let params = redirect_params(&response);
    assert_eq!(params["error"], error, "{params:?}");
    assert!(params.contains_key("error_description"));
    assert_eq!(params["state"], "s1");
    assert_eq!(params["iss"], "http://127.0.0.1");
}

#[tokio::test]
async fn unknown_missing_or_repeated_client_id_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let id = client.id.as_str();
    for query in [
        vec![("response_type", "code"), ("client_id", "nobody")],
        vec![("response_type", "code")],
        vec![("response_type", "code"), ("client_id", id), ("client_id", id)],
    ] {
        assert_error_page(app.get_authorize(&query).await).await;
    }
}

#[tokio::test]
async fn a_redirect_uri_that_does_not_match_exactly_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    for uri in [
        "https://client.example/cb/",
        "https://client.example/cb?x=1",
        "https://evil.example/cb",
        "https://client.example:444/cb",
    ] {
        let response = app
            .get_authorize(&[("response_type", "code"), ("client_id", &client.id), ("redirect_uri", uri)])
            .await;
        assert_error_page(response).await;
    }
    let repeated = [
        ("response_type", "code"),
        ("client_id", &client.id),
        ("redirect_uri", REDIRECT_URI),
        ("redirect_uri", REDIRECT_URI),
    ];
    assert_error_page(app.get_authorize(&repeated).await).await;
}

#[tokio::test]
async fn redirect_uri_may_be_omitted_only_when_exactly_one_is_registered() {
    let app = TestApp::spawn().await;
    let one = app.confidential_client().await;
    let code = app.code_with(&one, &[]).await;
    assert!(code.starts_with("o2u_ac_"));

    let two = app
        .register(ClientSpec {
            name: Some("two".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into(), "https://client.example/other".into()]),
            ..ClientSpec::default()
        })
        .await;
    assert_error_page(app.get_authorize(&[("response_type", "code"), ("client_id", &two.id)]).await).await;
}

#[tokio::test]
async fn a_registered_loopback_redirect_uri_matches_any_port() {
    let app = TestApp::spawn().await;
    let client = app.public_client().await;
    let uri = "http://127.0.0.1:53124/callback";
    let response = app
        .get_authorize(&[
            ("response_type", "code"),
            ("client_id", &client.id),
            ("redirect_uri", uri),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(response.status(), 302);
    assert!(response.headers()["location"].to_str().unwrap().starts_with(&format!("{uri}?code=")));
    let other_path = [
        ("response_type", "code"),
        ("client_id", &client.id),
        ("redirect_uri", "http://127.0.0.1:53124/other"),
    ];
    assert_error_page(app.get_authorize(&other_path).await).await;
}

#[tokio::test]
async fn errors_after_the_redirect_uri_is_known_go_back_to_the_client() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let id = client.id.as_str();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "invalid_request"),
        (vec![("response_type", "code"), ("response_type", "code")], "invalid_request"),
        (vec![("response_type", "code"), ("scope", "read"), ("scope", "write")], "invalid_request"),
        (vec![("response_type", "id_token")], "unsupported_response_type"),
        (vec![("response_type", "code"), ("scope", "admin")], "invalid_scope"),
        (vec![("response_type", "code"), ("scope", "read\"")], "invalid_scope"),
        (
            vec![("response_type", "code"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S512")],
            "invalid_request",
        ),
        (vec![("response_type", "code"), ("code_challenge", "too-short")], "invalid_request"),
        (vec![("response_type", "code"), ("code_challenge_method", "S256")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let mut query = vec![("client_id", id), ("state", "s1")];
        query.extend(extra);
        assert_redirected_error(app.get_authorize(&query).await, error).await;
    }
}

#[tokio::test]
async fn implicit_is_unsupported_unless_switched_on() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let query = [("response_type", "token"), ("client_id", &client.id), ("state", "s1")];
    let response = app.get_authorize(&query).await;
    // The error of a token request goes in the fragment (§4.2.2.1).
    assert_eq!(response.status(), 302);
    let params = redirect_params(&response);
    assert_eq!(params["error"], "unsupported_response_type");
    assert!(response.headers()["location"].to_str().unwrap().contains('#'));
}

#[tokio::test]
async fn a_response_type_the_client_is_not_registered_for_is_unauthorized_client() {
    let app = TestApp::spawn_with(|settings| settings.grants.implicit = true).await;
    let client = app
        .register(ClientSpec {
            name: Some("implicit only".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            grant_types: Some(vec![GrantType::Implicit]),
            ..ClientSpec::default()
        })
        .await;
    let response = app.request_code(&client).await;
    assert_redirected_error(response, "unauthorized_client").await;
}

#[tokio::test]
async fn public_clients_must_use_pkce() {
    let app = TestApp::spawn().await;
    let client = app.public_client().await;
    let response = app.request_code(&client).await;
    assert_eq!(redirect_params(&response)["error"], "invalid_request");
    assert!(app.code(&client).await.starts_with("o2u_ac_"));
}

#[tokio::test]
async fn pkce_can_be_required_for_every_client_and_plain_refused() {
    let app = TestApp::spawn_with(|settings| {
        settings.pkce_required = true;
        settings.pkce_plain_allowed = false;
    })
    .await;
    let client = app.confidential_client().await;
    let response = app.request_code(&client).await;
    assert_redirected_error(response, "invalid_request").await;
    let plain =
        [("response_type", "code"), ("client_id", &client.id), ("state", "s1"), ("code_challenge", VERIFIER)];
    assert_redirected_error(app.get_authorize(&plain).await, "invalid_request").await;
    app.code(&client).await;
}

#[tokio::test]
async fn state_comes_back_exactly_as_given_with_iss() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    // Every VSCHAR (RFC 6749 Appendix A.5) that needs escaping in a query.
    let state = "a b&c=d/~+%20#?\"'<>";
    let response =
        app.get_authorize(&[("response_type", "code"), ("client_id", &client.id), ("state", state)]).await;
    let params = redirect_params(&response);
    assert_eq!(params["state"], state);
    assert_eq!(params["iss"], "http://127.0.0.1");
    assert!(params["code"].starts_with("o2u_ac_"));
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_state_that_is_not_vschar_is_refused_and_never_echoed() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    // %FF is not UTF-8, é and a tab are not VSCHAR (RFC 6749 §4.1.2, Appendix A.5).
    for state in ["%FF", "caf%C3%A9", "a%09b", "%EF%BF%BD"] {
        let url =
            format!("{}?response_type=code&client_id={}&state={state}", app.url("/authorize"), client.id);
        let response = app.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 302, "{state}");
        let params = redirect_params(&response);
        assert_eq!(params["error"], "invalid_request", "{state}");
        assert!(!params.contains_key("state"), "{state}: {params:?}");
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn too_many_parameters_at_authorize_get_an_error_page_never_a_redirect() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let names: Vec<String> = (0..100).map(|i| format!("x{i}")).collect();
    let mut params = vec![("response_type", "code"), ("client_id", client.id.as_str())];
    params.extend(names.iter().map(|name| (name.as_str(), "1")));
    assert_error_page(app.get_authorize(&params).await).await;
}

#[tokio::test]
async fn a_redirect_uri_query_is_kept() {
    let app = TestApp::spawn().await;
    let client = app
        .register(ClientSpec {
            name: Some("q".into()),
            redirect_uris: Some(vec!["https://client.example/cb?tenant=7".into()]),
            ..ClientSpec::default()
        })
        .await;
    let response = app.get_authorize(&[("response_type", "code"), ("client_id", &client.id)]).await;
    let params = redirect_params(&response);
    assert_eq!(params["tenant"], "7");
    assert!(params.contains_key("code"));
}

#[tokio::test]
async fn post_to_authorize_is_an_authorization_request_answered_with_303() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let response = app
        .http
        .post(app.url("/authorize"))
        .form(&[("response_type", "code"), ("client_id", &client.id), ("state", "s1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(redirect_params(&response).contains_key("code"));

    let bad_type = app.http.post(app.url("/authorize")).body("x").send().await.unwrap();
    assert_error_page(bad_type).await;
}

#[tokio::test]
async fn a_disabled_auto_approve_user_is_denied() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    oauth2u::core::admin::disable_user(app.store.as_ref(), USERNAME, 0).await.unwrap();
    let response = app.request_code(&client).await;
    assert_redirected_error(response, "access_denied").await;
}
