//! RFC 8628 polling against a fake server that answers as the test needs: `slow_down`
//! must lengthen the interval by 5 seconds (§3.5); `expired_token` ends the wait.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Json;
use axum::http::StatusCode;
use oauth2u_client::{Client, Endpoints, Provider, Request};
use serde_json::json;

/// A server whose token endpoint answers the polls with `answers` in turn; returns the
/// client and the moments the polls arrived.
async fn server(answers: Vec<(StatusCode, serde_json::Value)>) -> (Client, Arc<Mutex<Vec<Instant>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let polls = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(answers.into_iter()));
    let seen = polls.clone();
    let verification = format!("{base}/device");
    let app = axum::Router::new()
        .route(
            "/device_authorization",
            axum::routing::post(move || async move {
                Json(json!({
                    "device_code": "dc", "user_code": "ABCD-EFGH", "verification_uri": verification,
                    "expires_in": 60, "interval": 1
                }))
            }),
        )
        .route(
            "/token",
            axum::routing::post(move || async move {
                seen.lock().unwrap().push(Instant::now());
                let (status, body) = answers.lock().unwrap().next().unwrap();
                (status, Json(body))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let endpoints = Endpoints {
        device_authorization: Some(format!("{base}/device_authorization").parse().unwrap()),
        token: Some(format!("{base}/token").parse().unwrap()),
        ..Endpoints::default()
    };
    let provider = Provider { issuer: base, endpoints, sends_iss: false, metadata: None };
    (Client::new(oauth2u_client::http_client(&[]).unwrap(), provider, "tv".into(), None), polls)
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_the_interval() {
    let (client, polls) = server(vec![
        (StatusCode::BAD_REQUEST, json!({"error": "slow_down"})),
        (StatusCode::OK, json!({"access_token": "at", "token_type": "Bearer"})),
    ])
    .await;
    let device = client.start_device(&Request::default()).await.unwrap();
    let tokens = client.poll_device(&device).await.unwrap();
    assert_eq!(tokens.access_token(), "at");
    let polls = polls.lock().unwrap();
    assert_eq!(polls.len(), 2);
    // Interval 1 s, plus 5 s after slow_down: the second poll waits at least 6 s.
    assert!(polls[1] - polls[0] >= std::time::Duration::from_secs(6), "{:?}", polls[1] - polls[0]);
}

#[tokio::test]
async fn expired_token_ends_the_wait() {
    let (client, polls) = server(vec![
        (StatusCode::BAD_REQUEST, json!({"error": "authorization_pending"})),
        (StatusCode::BAD_REQUEST, json!({"error": "expired_token", "error_description": "too late"})),
    ])
    .await;
    let device = client.start_device(&Request::default()).await.unwrap();
    let error = client.poll_device(&device).await.unwrap_err();
    assert!(error.is_oauth("expired_token"), "{error}");
    assert_eq!(error.to_string(), "expired_token — too late");
    assert_eq!(polls.lock().unwrap().len(), 2);
}
