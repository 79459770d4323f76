//! `response_mode` (OAuth 2.0 Multiple Response Type Encoding Practices §2.1) and the
//! OAuth 2.0 Form Post Response Mode: the page that posts the response to the client.

use std::collections::HashMap;

use super::authorize::assert_redirected_error;
use super::openid::{app, openid_request, relying_party};
use crate::helpers::*;

/// The fields of a form post page, unescaped, and its action.
fn posted_fields(page: &str) -> (String, HashMap<String, String>) {
    let action_marker = "action=\"";
    let start = page.find(action_marker).expect("a form") + action_marker.len();
    let action = unescape(&page[start..start + page[start..].find('"').unwrap()]);
    let mut fields = HashMap::new();
    for input in page.split("<input type=\"hidden\" name=\"").skip(1) {
        let name = &input[..input.find('"').unwrap()];
        fields.insert(name.to_owned(), hidden(page, name));
    }
    (action, fields)
}

#[tokio::test]
async fn form_post_answers_with_a_page_that_posts_the_code_to_the_redirect_uri() {
    let app = TestApp::spawn().await; // approves for alice at once
    let client = relying_party(&app).await;
    let response = app
        .http
        .get(app.url(&openid_request(&client, &[("response_mode", "form_post")])))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "a page, not a redirect");
    assert!(response.headers().get("location").is_none());
    let headers = response.headers().clone();
    let page = response.text().await.unwrap();
    let (action, fields) = posted_fields(&page);
    assert_eq!(action, REDIRECT_URI);
    assert_eq!(fields["state"], "s1");
    assert_eq!(fields["iss"], "http://127.0.0.1");
    assert!(page.contains("<button type=\"submit\""), "a button for when scripts are off");

    // Its script, and nothing else, by hash; the form may go to the redirect URI alone.
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("script-src 'sha256-"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(policy.contains(&format!("form-action {REDIRECT_URI}")), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");

    let form = [
        ("grant_type", "authorization_code"),
        ("code", fields["code"].as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    assert_eq!(app.token(&client, &form).await.status(), 200, "the posted code is a working code");
}

#[tokio::test]
async fn a_form_post_requests_errors_are_posted_too() {
    let app = app().await;
    let client = relying_party(&app).await;
    let request = openid_request(&client, &[("response_mode", "form_post"), ("prompt", "none")]);
    let response = app.http.get(app.url(&request)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let (action, fields) = posted_fields(&response.text().await.unwrap());
    assert_eq!(action, REDIRECT_URI);
    assert_eq!(fields["error"], "login_required");
    assert_eq!(fields["state"], "s1");
}

#[tokio::test]
async fn every_other_page_allows_no_script() {
    let app = app().await;
    let client = relying_party(&app).await;
    let login = app.http.get(app.url(&openid_request(&client, &[]))).send().await.unwrap();
    let policy = login.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.starts_with("default-src 'none'") && !policy.contains("script-src"), "{policy}");
}

#[tokio::test]
async fn response_mode_fragment_puts_the_code_in_the_fragment() {
    let app = TestApp::spawn().await;
    let client = relying_party(&app).await;
    let response = app
        .http
        .get(app.url(&openid_request(&client, &[("response_mode", "fragment")])))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.query().is_none(), "{location}");
    assert!(redirect_params(&response).contains_key("code"));
}

#[tokio::test]
async fn an_unknown_response_mode_is_invalid_request_in_the_default_mode() {
    let app = TestApp::spawn().await;
    let client = relying_party(&app).await;
    for mode in ["web_message", "query.jwt", "Form_Post"] {
        let response =
            app.http.get(app.url(&openid_request(&client, &[("response_mode", mode)]))).send().await.unwrap();
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.contains('?') && !location.contains('#'), "{mode}: in the query: {location}");
        assert_redirected_error(response, "invalid_request").await;
    }
}

#[tokio::test]
async fn a_token_response_never_goes_in_the_query() {
    let app = TestApp::spawn_with(|settings| settings.grants.implicit = true).await;
    let client = super::implicit::implicit_client_for(&app, "read").await;
    let params = [
        ("response_type", "token"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("state", "s1"),
        ("response_mode", "query"),
    ];
    let response = app.get_authorize(&params).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains('#') && !location.contains("access_token"), "{location}");
    assert_redirected_error(response, "invalid_request").await;
}
