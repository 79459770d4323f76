//! Faults the server did not cause: it answers `server_error` the RFC's way and never
//! shows the cause. The fault is real: a table dropped under the running server.

use serde_json::Value;

use crate::helpers::*;

async fn drop_table(app: &TestApp, table: &str) {
    crate::database::execute(&app.database_url, &format!("DROP TABLE {table}")).await;
}

#[tokio::test]
async fn a_fault_after_the_redirect_uri_is_known_redirects_server_error() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    drop_table(&app, "authorization_codes").await;
    let response = app.request_code(&client).await;
    assert_eq!(response.status(), 302);
    let params = redirect_params(&response);
    assert_eq!(params["error"], "server_error");
    assert_eq!(params["state"], "s1");
    assert!(!params["error_description"].contains("authorization_codes"), "the cause is not shown");
}

#[tokio::test]
async fn a_fault_at_the_token_endpoint_is_500_server_error_without_its_cause() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    drop_table(&app, "tokens").await;
    let response = app.token(&client, &[("grant_type", "client_credentials")]).await;
    let body: Value = assert_error(response, 500, "server_error").await;
    assert!(!body["error_description"].as_str().unwrap().contains("tokens"));
}

#[tokio::test]
async fn a_fault_before_the_client_is_known_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    drop_table(&app, "clients").await;
    let response = app.request_code(&client).await;
    assert_eq!(response.status(), 500);
    assert!(response.headers().get("location").is_none());
}
