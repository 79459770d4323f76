//! Group commit: concurrent writes share a transaction, yet each succeeds or fails alone,
//! and each is durable when answered.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use oauth2u_core::model::{Issuance, NewToken};
use oauth2u_core::scope::ScopeSet;
use oauth2u_core::secret::{Secret, SecretHash};
use oauth2u_core::store::{StoreError, TokenStore};

fn issuance(hash: SecretHash) -> Issuance {
    Issuance {
        grant_id: "g".into(),
        client_id: "c".into(),
        subject: None,
        issued_at: 0,
        access: NewToken {
            hash,
            scope: ScopeSet::empty(),
            audience: Vec::new(),
            expires_at: 4_000_000_000,
            jwt: None,
        },
        refresh: None,
        authentication: None,
        claims: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_write_does_not_fail_the_others_in_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let store = Arc::new(oauth2u_store_sqlite::open(&url).await.unwrap());
    let hashes: Vec<SecretHash> =
        (0..64).map(|i| Secret::from_client(&format!("token-{i}")).hash()).collect();
    let mut writes = tokio::task::JoinSet::new();
    for hash in hashes.iter().copied().chain([hashes[0]]) {
        let store = store.clone();
        writes.spawn(async move { store.insert_tokens(&issuance(hash)).await });
    }
    let results = writes.join_all().await;
    let conflicts = results.iter().filter(|result| matches!(result, Err(StoreError::Conflict(_)))).count();
    assert_eq!(conflicts, 1, "only the duplicate fails: {results:?}");
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 64);

    // Reopened from disk, every acknowledged write is there.
    drop(store);
    let reopened = oauth2u_store_sqlite::open(&url).await.unwrap();
    for hash in &hashes {
        assert!(reopened.token(hash).await.unwrap().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuance_whose_refresh_token_conflicts_stores_neither_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let store = Arc::new(oauth2u_store_sqlite::open(&url).await.unwrap());
    let taken = Secret::from_client("taken").hash();
    store.insert_tokens(&issuance(taken)).await.unwrap();

    let mut writes = tokio::task::JoinSet::new();
    for i in 0..32 {
        let store = store.clone();
        let access = Secret::from_client(&format!("access-{i}")).hash();
        let refresh = if i == 7 { taken } else { Secret::from_client(&format!("refresh-{i}")).hash() };
        let mut with_refresh = issuance(access);
        with_refresh.refresh =
            Some((NewToken { hash: refresh, ..with_refresh.access.clone() }, 4_000_000_000));
        writes.spawn(async move { (i, access, store.insert_tokens(&with_refresh).await) });
    }
    for (i, access, result) in writes.join_all().await {
        if i == 7 {
            assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
            assert!(store.token(&access).await.unwrap().is_none(), "half an issuance was stored");
        } else {
            result.unwrap();
            assert!(store.token(&access).await.unwrap().is_some());
        }
    }
}
