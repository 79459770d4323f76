//! The housekeeping job deletes what expired, and keeps what replay detection needs: the
//! marker of a used code lives as long as a token of its family does.

use std::time::Duration;

use oauth2u::core::Clock;

use crate::database::count;
use crate::helpers::*;

const DAY: u64 = 24 * 3600;

/// Waits (polling) until `query` counts `expected`; the job runs every 50 ms.
async fn until_count(app: &TestApp, query: &str, expected: i64) {
    let mut last = -1;
    for _ in 0..200 {
        last = count(&app.database_url, query).await;
        if last == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{query}: {last}, expected {expected}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_rows_go_and_a_used_codes_marker_outlives_its_family() {
    let app = TestApp::spawn_with(|settings| settings.cleanup_interval = Duration::from_millis(50)).await;
    let service = app.service_client().await;
    let web = app.confidential_client().await;
    assert_eq!(app.token(&service, &[("grant_type", "client_credentials")]).await.status(), 200);
    app.code(&web).await; // never used
    let used = app.code(&web).await;
    let form = [("grant_type", "authorization_code"), ("code", used.as_str()), ("code_verifier", VERIFIER)];
    let response = app.token(&web, &form).await;
    assert_eq!(response.status(), 200);
    let refresh =
        response.json::<serde_json::Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(count(&app.database_url, "SELECT COUNT(*) FROM tokens").await, 3);

    // Two hours on: the access tokens and the unused code expired; the refresh token lives.
    app.clock.advance(Duration::from_secs(2 * 3600));
    until_count(&app, "SELECT COUNT(*) FROM authorization_codes", 1).await;
    until_count(
        &app,
        "SELECT COUNT(*) FROM tokens WHERE kind = 'access' AND grant_id IN
        (SELECT grant_id FROM tokens WHERE kind = 'refresh')",
        1,
    )
    .await;
    until_count(&app, "SELECT COUNT(*) FROM tokens", 2).await; // the client-credentials token went

    // A late replay of the used code is still recognised, and still revokes the family.
    assert_error(app.token(&web, &form).await, 400, "invalid_grant").await;
    assert!(!app.is_active(&refresh).await, "the replay revoked the refresh token");

    // Once the family's last token has expired, nothing of it is kept.
    app.clock.advance(Duration::from_secs(31 * DAY));
    until_count(&app, "SELECT COUNT(*) FROM tokens", 0).await;
    until_count(&app, "SELECT COUNT(*) FROM authorization_codes", 0).await;
}

#[tokio::test]
async fn each_purge_deletes_a_bounded_batch() {
    let app = TestApp::spawn().await;
    let service = app.service_client().await;
    for _ in 0..5 {
        assert_eq!(app.token(&service, &[("grant_type", "client_credentials")]).await.status(), 200);
    }
    let later = app.clock.now() + 2 * 3600;
    assert_eq!(app.store.purge_expired(later, 2).await.unwrap(), 2);
    assert_eq!(app.store.purge_expired(later, 2).await.unwrap(), 2);
    assert_eq!(app.store.purge_expired(later, 2).await.unwrap(), 1);
    assert_eq!(app.store.purge_expired(later, 2).await.unwrap(), 0);
}

#[tokio::test]
async fn a_lease_is_held_by_one_holder_until_released_or_expired() {
    let app = TestApp::spawn().await;
    let store = &app.store;
    let now = app.clock.now();
    assert!(store.take_lease("job", "a", now, now + 60).await.unwrap());
    assert!(!store.take_lease("job", "b", now, now + 60).await.unwrap(), "held by a");
    assert!(store.take_lease("job", "a", now, now + 120).await.unwrap(), "a renews");
    assert!(store.take_lease("job", "b", now + 121, now + 200).await.unwrap(), "expired: b takes it");
    store.release_lease("job", "a").await.unwrap(); // not a's any more: no effect
    assert!(!store.take_lease("job", "a", now + 122, now + 200).await.unwrap());
    store.release_lease("job", "b").await.unwrap();
    assert!(store.take_lease("job", "a", now + 122, now + 200).await.unwrap());
}

/// What may be used once (RFC 7523 and RFC 9449 `jti`s) and pushed requests (RFC 9126) are
/// kept only while they could still be accepted.
#[tokio::test]
async fn seen_jtis_and_pushed_requests_are_swept_once_expired() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let service = app.service_client().await;
    let key = super::jose_peer::PeerKey::generate("dpop");
    let proof = key.proof("POST", "http://127.0.0.1/token", app.clock.now(), None, None);
    let form = [("grant_type", "client_credentials")];
    let request = app.http.post(app.url("/token")).basic_auth(&service.id, service.secret.as_deref());
    assert_eq!(request.header("DPoP", proof).form(&form).send().await.unwrap().status(), 200);
    super::par::pushed_uri(&app, &client).await;
    assert_eq!(count(&app.database_url, "SELECT COUNT(*) FROM single_use").await, 1);
    assert_eq!(count(&app.database_url, "SELECT COUNT(*) FROM pushed_requests").await, 1);
    app.store.purge_expired(app.clock.now(), 100).await.unwrap();
    assert_eq!(count(&app.database_url, "SELECT COUNT(*) FROM single_use").await, 1, "still fresh");
    app.store.purge_expired(app.clock.now() + 3600, 100).await.unwrap();
    assert_eq!(count(&app.database_url, "SELECT COUNT(*) FROM single_use").await, 0);
    assert_eq!(count(&app.database_url, "SELECT COUNT(*) FROM pushed_requests").await, 0);
}
