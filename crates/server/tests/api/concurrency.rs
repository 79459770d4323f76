//! Single use under races: the store decides, in one conditional update.

use futures::future::join_all;
use serde_json::Value;

use crate::helpers::*;

async fn statuses(responses: Vec<reqwest::Response>) -> (usize, usize) {
    let mut ok = 0;
    let mut invalid_grant = 0;
    for response in responses {
        match response.status().as_u16() {
            200 => ok += 1,
            400 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"], "invalid_grant");
                invalid_grant += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    (ok, invalid_grant)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_32_parallel_exchanges_of_one_code_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let code = app.code(&client).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let responses = join_all((0..32).map(|_| app.token(&client, &form))).await;
    assert_eq!(statuses(responses).await, (1, 31));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_32_parallel_uses_of_one_refresh_token_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let responses = join_all((0..32).map(|_| app.token(&client, &form))).await;
    assert_eq!(statuses(responses).await, (1, 31));
}
