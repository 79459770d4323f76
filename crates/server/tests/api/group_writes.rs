//! Concurrent token writes share a statement and a commit (group commit on both engines),
//! yet each succeeds or fails alone, and an issuance stands or falls whole.

use std::sync::Arc;

use oauth2u::core::Store;
use oauth2u::core::model::{Issuance, NewToken};
use oauth2u::core::scope::ScopeSet;
use oauth2u::core::secret::{Secret, SecretHash};
use oauth2u::core::store::StoreError;

use crate::helpers::*;

fn issuance(access: SecretHash, refresh: SecretHash) -> Issuance {
    let token = |hash| NewToken {
        hash,
        scope: ScopeSet::empty(),
        audience: Vec::new(),
        expires_at: i64::MAX / 2,
        jwt: None,
        jkt: None,
    };
    Issuance {
        grant_id: "g".into(),
        client_id: "c".into(),
        subject: None,
        issued_at: 0,
        access: token(access),
        refresh: Some((token(refresh), i64::MAX / 2)),
        authentication: None,
        claims: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_conflicting_issuance_fails_alone_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let store: Arc<dyn Store> = app.store.clone();
    let taken = Secret::from_client("taken").hash();
    store.insert_tokens(&issuance(Secret::from_client("first").hash(), taken)).await.unwrap();

    let mut writes = tokio::task::JoinSet::new();
    for i in 0..64 {
        let store = store.clone();
        let access = Secret::from_client(&format!("access-{i}")).hash();
        let refresh = if i == 13 { taken } else { Secret::from_client(&format!("refresh-{i}")).hash() };
        writes.spawn(async move { (i, access, store.insert_tokens(&issuance(access, refresh)).await) });
    }
    for (i, access, result) in writes.join_all().await {
        if i == 13 {
            assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
            assert!(store.token(&access).await.unwrap().is_none(), "half an issuance was stored");
        } else {
            result.unwrap();
            assert!(store.token(&access).await.unwrap().is_some());
        }
    }
}
