//! The store contract (STYLE.md #6, #7): what every engine's store must guarantee, tested
//! on the store traits alone — no HTTP — and run on SQLite (`api`) and PostgreSQL
//! (`api_postgres`) alike. Single use of codes, rotation that happens once, family
//! revocation, a device code's tokens issued once, housekeeping that keeps what a late replay needs, the logout outbox's
//! claims, the server secrets, and the batching of concurrent writes: one that fails, fails
//! alone, and every one answered is durable. (`group_writes.rs` checks batching over HTTP.)

use std::sync::Arc;

use oauth2u::Settings;
use oauth2u::core::Store;
use oauth2u::core::model::{
    Authentication, AuthorizationCode, DeviceAuthorization, DeviceStatus, Issuance, NewToken, Session,
    TokenKind,
};
use oauth2u::core::scope::ScopeSet;
use oauth2u::core::secret::{Secret, SecretHash};
use oauth2u::core::store::{Redemption, Rotation, StoreError};

use crate::database;

/// A store on a fresh database of this binary's engine, and what keeps it alive.
async fn fresh_store() -> (Arc<dyn Store>, tempfile::TempDir) {
    let (store, dir, _) = fresh_store_and_settings().await;
    (store, dir)
}

/// The same, with the settings that open the database again.
async fn fresh_store_and_settings() -> (Arc<dyn Store>, tempfile::TempDir, Settings) {
    let dir = tempfile::tempdir().unwrap();
    let settings =
        Settings { database_url: database::fresh_database(dir.path()).await, ..Settings::default() };
    (oauth2u::database::open(&settings).await.unwrap(), dir, settings)
}

fn hash(name: &str) -> SecretHash {
    Secret::from_client(name).hash()
}

const LATER: i64 = 10_000;

fn token(name: &str, expires_at: i64) -> NewToken {
    NewToken {
        hash: hash(name),
        scope: ScopeSet::parse("read").unwrap(),
        audience: Vec::new(),
        expires_at,
        jwt: None,
        jkt: None,
    }
}

/// An issuance of grant `grant`: access token `{name}-at`, refresh token `{name}-rt`.
fn issuance(grant: &str, name: &str, expires_at: i64) -> Issuance {
    Issuance {
        grant_id: grant.into(),
        client_id: "client".into(),
        subject: Some("alice-sub".into()),
        issued_at: 100,
        access: token(&format!("{name}-at"), expires_at),
        refresh: Some((token(&format!("{name}-rt"), expires_at), expires_at)),
        authentication: None,
        claims: None,
    }
}

fn code(name: &str, grant: &str, expires_at: i64) -> AuthorizationCode {
    AuthorizationCode {
        hash: hash(name),
        grant_id: grant.into(),
        client_id: "client".into(),
        subject: "alice-sub".into(),
        redirect_uri: None,
        scope: ScopeSet::parse("read").unwrap(),
        challenge: None,
        resources: Vec::new(),
        issued_at: 100,
        expires_at,
        consumed_at: None,
        openid: None,
        dpop_jkt: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_redeemed_once_however_many_redemptions_race() {
    let (store, _dir) = fresh_store().await;
    store.insert_code(&code("the-code", "g1", LATER)).await.unwrap();
    let mut racing = tokio::task::JoinSet::new();
    for i in 0..16 {
        let store = store.clone();
        racing.spawn(async move {
            store.redeem_code(&hash("the-code"), 200, &issuance("g1", &format!("r{i}"), LATER)).await
        });
    }
    let mut outcomes = Vec::new();
    while let Some(outcome) = racing.join_next().await {
        outcomes.push(outcome.unwrap().unwrap());
    }
    assert_eq!(outcomes.iter().filter(|outcome| **outcome == Redemption::Fresh).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|outcome| matches!(outcome, Redemption::Fresh)
        || *outcome == Redemption::Replayed { grant_id: "g1".into() }));
    let stored = store.code(&hash("the-code")).await.unwrap().unwrap();
    assert!(stored.consumed_at.is_some());
    // Only the winner's tokens were stored.
    let mut stored_tokens = 0;
    for i in 0..16 {
        stored_tokens += usize::from(store.token(&hash(&format!("r{i}-at"))).await.unwrap().is_some());
    }
    assert_eq!(stored_tokens, 1);
    assert_eq!(
        store.redeem_code(&hash("no-such-code"), 200, &issuance("g2", "x", LATER)).await.unwrap(),
        Redemption::Unknown
    );
}

/// RFC 8628 §3.5: an approved device code yields its tokens to one poll only, however many
/// race; a pending one yields nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_code_yields_tokens_once_however_many_polls_race() {
    let (store, _dir) = fresh_store().await;
    let device = |name: &str, user_code: &str| DeviceAuthorization {
        hash: hash(name),
        user_code: user_code.into(),
        client_id: "client".into(),
        scope: ScopeSet::parse("read").unwrap(),
        resources: Vec::new(),
        grant_id: format!("grant-{name}"),
        issued_at: 100,
        expires_at: LATER,
        interval: 5,
        last_polled_at: None,
        status: DeviceStatus::Pending,
        subject: None,
        consumed_at: None,
    };
    store.insert_device_authorization(&device("pending", "PENDINGX")).await.unwrap();
    store.insert_device_authorization(&device("approved", "APPROVED")).await.unwrap();
    assert!(store.decide_device_authorization("APPROVED", Some("alice-sub"), 150).await.unwrap());
    let unapproved = issuance("grant-pending", "early", LATER);
    assert_eq!(
        store.redeem_device_authorization(&hash("pending"), 200, &unapproved).await.unwrap(),
        Redemption::Unknown
    );
    assert!(store.token(&hash("early-at")).await.unwrap().is_none());

    let mut racing = tokio::task::JoinSet::new();
    for i in 0..16 {
        let store = store.clone();
        racing.spawn(async move {
            let issuance = issuance("grant-approved", &format!("poll{i}"), LATER);
            store.redeem_device_authorization(&hash("approved"), 200, &issuance).await
        });
    }
    let mut fresh = 0;
    while let Some(outcome) = racing.join_next().await {
        match outcome.unwrap().unwrap() {
            Redemption::Fresh => fresh += 1,
            other => assert_eq!(other, Redemption::Unknown),
        }
    }
    assert_eq!(fresh, 1, "one poll wins");
    let mut stored_tokens = 0;
    for i in 0..16 {
        stored_tokens += usize::from(store.token(&hash(&format!("poll{i}-at"))).await.unwrap().is_some());
    }
    assert_eq!(stored_tokens, 1, "only the winner's tokens were stored");
    let stored = store.device_authorization(&hash("approved")).await.unwrap().unwrap();
    assert_eq!(stored.consumed_at, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_rotates_once_however_many_rotations_race() {
    let (store, _dir) = fresh_store().await;
    store.insert_tokens(&issuance("g1", "first", LATER)).await.unwrap();
    let mut racing = tokio::task::JoinSet::new();
    for i in 0..16 {
        let store = store.clone();
        racing.spawn(async move {
            store
                .rotate_refresh_token(&hash("first-rt"), 200, &issuance("g1", &format!("next{i}"), LATER))
                .await
        });
    }
    let mut rotated = 0;
    while let Some(outcome) = racing.join_next().await {
        rotated += usize::from(outcome.unwrap().unwrap() == Rotation::Rotated);
    }
    assert_eq!(rotated, 1, "one rotation wins; the others are stale");
    let old = store.token(&hash("first-rt")).await.unwrap().unwrap();
    assert_eq!(old.rotated_at, Some(200));
    let successor = old.successor.expect("the old token names its successor");
    let new = store.token(&successor).await.unwrap().unwrap();
    assert!(new.is_active(200) && new.kind == TokenKind::Refresh);
}

#[tokio::test]
async fn revoking_a_grant_revokes_its_whole_family_and_nothing_else() {
    let (store, _dir) = fresh_store().await;
    store.insert_tokens(&issuance("family", "one", LATER)).await.unwrap();
    store.rotate_refresh_token(&hash("one-rt"), 150, &issuance("family", "two", LATER)).await.unwrap();
    store.insert_tokens(&issuance("stranger", "other", LATER)).await.unwrap();

    let revoked = store.revoke_grant("family", 300).await.unwrap();
    assert_eq!(revoked, 4, "every token of the family not revoked yet, the rotated one too");
    for name in ["one-at", "one-rt", "two-at", "two-rt"] {
        assert_eq!(store.token(&hash(name)).await.unwrap().unwrap().revoked_at, Some(300), "{name}");
    }
    for name in ["other-at", "other-rt"] {
        assert!(store.token(&hash(name)).await.unwrap().unwrap().is_active(300), "{name}");
    }
    assert_eq!(store.revoke_grant("family", 400).await.unwrap(), 0, "nothing is left to revoke");
}

#[tokio::test]
async fn housekeeping_deletes_what_expired_and_keeps_what_a_late_replay_needs() {
    let (store, _dir) = fresh_store().await;
    // A finished family: everything expired at 500.
    store.insert_code(&code("old-code", "done", 500)).await.unwrap();
    store.redeem_code(&hash("old-code"), 200, &issuance("done", "done", 500)).await.unwrap();
    // A live family whose used code and rotated refresh token expired, but not its tokens.
    store.insert_code(&code("used-code", "live", 500)).await.unwrap();
    store.redeem_code(&hash("used-code"), 200, &issuance("live", "a", 500)).await.unwrap();
    store.rotate_refresh_token(&hash("a-rt"), 300, &issuance("live", "b", LATER)).await.unwrap();

    let deleted = store.purge_expired(1000, 1000).await.unwrap();
    assert!(deleted >= 3, "the finished family's code and tokens: {deleted}");
    assert!(store.code(&hash("old-code")).await.unwrap().is_none());
    assert!(store.token(&hash("done-at")).await.unwrap().is_none());
    // Kept while the family lives: a replay of the code or the old refresh token is still
    // recognised (and revokes the family).
    assert!(store.code(&hash("used-code")).await.unwrap().is_some());
    assert!(store.token(&hash("a-rt")).await.unwrap().is_some());
    assert!(store.token(&hash("b-rt")).await.unwrap().unwrap().is_active(1000));
    assert_eq!(store.purge_expired(1000, 1000).await.unwrap(), 0, "a second run finds nothing");
}

#[tokio::test]
async fn ending_a_session_revokes_its_grants_without_offline_access_and_queues_its_logouts() {
    let (store, _dir) = fresh_store().await;
    let session = Session {
        hash: hash("cookie"),
        subject: Some("alice-sub".into()),
        sid: "sid-1".into(),
        auth_time: 100,
        amr: vec!["pwd".into()],
        created_at: 100,
        last_seen_at: 100,
        expires_at: LATER,
    };
    store.insert_session(&session).await.unwrap();
    let signed_in =
        Authentication { time: 100, methods: vec!["pwd".into()], session_id: Some("sid-1".into()) };
    let online = Issuance { authentication: Some(signed_in.clone()), ..issuance("online", "on", LATER) };
    let mut offline = Issuance { authentication: Some(signed_in), ..issuance("offline", "off", LATER) };
    if let Some((refresh, _)) = &mut offline.refresh {
        refresh.scope = ScopeSet::parse("openid offline_access").unwrap();
    }
    store.insert_tokens(&online).await.unwrap();
    store.insert_tokens(&offline).await.unwrap();
    store.record_session_client("sid-1", "client", 100).await.unwrap();
    // No client has a back-channel URI here: nothing is queued, the rest still happens.
    assert_eq!(store.log_out_session("sid-1", 300).await.unwrap(), 0);

    assert!(store.session(&hash("cookie")).await.unwrap().is_none(), "the session is over");
    assert!(store.session_clients("sid-1").await.unwrap().is_empty());
    for name in ["on-at", "on-rt"] {
        assert_eq!(store.token(&hash(name)).await.unwrap().unwrap().revoked_at, Some(300), "{name}");
    }
    for name in ["off-at", "off-rt"] {
        assert!(
            store.token(&hash(name)).await.unwrap().unwrap().is_active(300),
            "{name}: offline_access stays"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_logout_is_claimed_by_one_holder_until_its_claim_lapses() {
    let (store, _dir) = fresh_store().await;
    let client = oauth2u::core::admin::ClientSpec {
        name: Some("listening".into()),
        redirect_uris: Some(vec!["https://rp.example/cb".into()]),
        backchannel_logout_uri: Some("https://rp.example/logout".into()),
        ..Default::default()
    };
    let client = oauth2u::core::admin::register_client(store.as_ref(), client, 100).await.unwrap().client;
    for n in 0..4 {
        let sid = format!("sid-{n}");
        let session = Session {
            hash: hash(&sid),
            subject: Some("alice-sub".into()),
            sid: sid.clone(),
            auth_time: 100,
            amr: Vec::new(),
            created_at: 100,
            last_seen_at: 100,
            expires_at: LATER,
        };
        store.insert_session(&session).await.unwrap();
        store.record_session_client(&sid, &client.id, 100).await.unwrap();
        assert_eq!(store.log_out_session(&sid, 200).await.unwrap(), 1);
    }
    // Eight holders claim at once: every delivery goes to exactly one of them.
    let mut claiming = tokio::task::JoinSet::new();
    for holder in 0..8 {
        let store = store.clone();
        claiming
            .spawn(async move { store.claim_logout_deliveries(&format!("h{holder}"), 200, 260, 10).await });
    }
    let mut ids = Vec::new();
    while let Some(claimed) = claiming.join_next().await {
        ids.extend(claimed.unwrap().unwrap().into_iter().map(|delivery| delivery.id));
    }
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!((before, ids.len()), (4, 4), "four deliveries, each claimed once");
    assert!(
        store.claim_logout_deliveries("late", 250, 300, 10).await.unwrap().is_empty(),
        "claimed until 260"
    );

    // A retry is due again later; a lapsed claim is free again; a finished one is gone.
    store.retry_logout_delivery(ids[0], 1, 400).await.unwrap();
    store.finish_logout_delivery(ids[1]).await.unwrap();
    let lapsed = store.claim_logout_deliveries("next", 300, 500, 10).await.unwrap();
    assert_eq!(lapsed.iter().map(|delivery| delivery.id).collect::<Vec<_>>(), vec![ids[2], ids[3]]);
    let retried = store.claim_logout_deliveries("next", 400, 460, 10).await.unwrap();
    assert_eq!((retried.len(), retried[0].id, retried[0].attempts), (1, ids[0], 1));
    assert_eq!(retried[0].sid.as_deref(), Some("sid-0"));
}

#[tokio::test]
async fn the_first_server_secret_stored_stays() {
    let (store, _dir) = fresh_store().await;
    assert_eq!(store.server_secret("s").await.unwrap(), None);
    store.insert_server_secret("s", b"first", 1).await.unwrap();
    store.insert_server_secret("s", b"second", 2).await.unwrap();
    assert_eq!(store.server_secret("s").await.unwrap().as_deref(), Some(&b"first"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_writes_one_that_fails_fails_alone_and_every_one_answered_is_durable() {
    let (store, _dir, settings) = fresh_store_and_settings().await;
    let mut writes = tokio::task::JoinSet::new();
    // Issuances and single-statement writes (codes) race, each with one duplicate among them.
    for i in (0..32).chain([0]) {
        let issuer = store.clone();
        writes.spawn(async move {
            issuer.insert_tokens(&issuance(&format!("g{i}"), &format!("t{i}"), LATER)).await
        });
        let coder = store.clone();
        writes
            .spawn(async move { coder.insert_code(&code(&format!("c{i}"), &format!("g{i}"), LATER)).await });
    }
    let results = writes.join_all().await;
    let conflicts = results.iter().filter(|result| matches!(result, Err(StoreError::Conflict(_)))).count();
    assert_eq!(conflicts, 2, "only the two duplicates fail: {results:?}");
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 64);

    // Opened again, every write that was answered is there.
    drop(store);
    let reopened = oauth2u::database::open(&settings).await.unwrap();
    for i in 0..32 {
        assert!(reopened.token(&hash(&format!("t{i}-rt"))).await.unwrap().is_some(), "t{i}");
        assert!(reopened.code(&hash(&format!("c{i}"))).await.unwrap().is_some(), "c{i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_second_statement_fails_leaves_nothing_of_itself_behind() {
    let (store, _dir) = fresh_store().await;
    store.insert_tokens(&issuance("g0", "taken", LATER)).await.unwrap();
    store.insert_tokens(&issuance("g1", "old", LATER)).await.unwrap();
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..16 {
        let store = store.clone();
        writes.spawn(async move {
            let mut next = issuance(&format!("n{i}"), &format!("n{i}"), LATER);
            if i == 7 {
                // Its access token is new, its refresh token is taken: the row inserted
                // first must go too.
                next.refresh = Some((token("taken-rt", LATER), LATER));
                return (i, store.insert_tokens(&next).await.map(|()| None));
            }
            if i == 9 {
                // A rotation whose successor is taken: the old token must stay unrotated.
                next.refresh = Some((token("taken-rt", LATER), LATER));
                return (i, store.rotate_refresh_token(&hash("old-rt"), 200, &next).await.map(Some));
            }
            (i, store.insert_tokens(&next).await.map(|()| None))
        });
    }
    for (i, result) in writes.join_all().await {
        if i == 7 || i == 9 {
            assert!(matches!(result, Err(StoreError::Conflict(_))), "{i}: {result:?}");
        } else {
            result.unwrap();
        }
        let access = store.token(&hash(&format!("n{i}-at"))).await.unwrap();
        assert_eq!(access.is_some(), i != 7 && i != 9, "n{i}: half a write was kept");
    }
    let old = store.token(&hash("old-rt")).await.unwrap().unwrap();
    assert_eq!((old.rotated_at, old.successor.is_none()), (None, true), "the failed rotation was undone");
}

#[tokio::test]
async fn users_are_listed_by_username_in_pages_that_a_cursor_continues() {
    let (store, _dir) = fresh_store().await;
    for name in ["dave", "bob", "erin", "carol", "alice"] {
        oauth2u::core::admin::add_user(store.as_ref(), name, "a long enough password", 100).await.unwrap();
    }
    let names = |users: Vec<oauth2u::core::model::User>| {
        users.into_iter().map(|user| user.username).collect::<Vec<_>>()
    };
    assert_eq!(names(store.users(None, 2).await.unwrap()), ["alice", "bob"]);
    assert_eq!(names(store.users(Some("bob"), 2).await.unwrap()), ["carol", "dave"]);
    assert_eq!(names(store.users(Some("dave"), 2).await.unwrap()), ["erin"]);
    assert!(store.users(Some("erin"), 2).await.unwrap().is_empty());
}
