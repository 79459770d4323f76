//! The WAL is copied back into the database file by the checkpoint thread, while the writer
//! only appends: the file grows with what was written, without anyone asking for a
//! checkpoint (the writer's own is set far beyond what this test writes).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use oauth2u_core::model::{Issuance, NewToken};
use oauth2u_core::scope::ScopeSet;
use oauth2u_core::secret::Secret;
use oauth2u_core::store::TokenStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_writer_appends_to_the_wal_reaches_the_database_file_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let store = oauth2u_store_sqlite::open(&format!("sqlite://{}", path.display())).await.unwrap();
    let migrated = std::fs::metadata(&path).unwrap().len();
    for i in 0..2_000 {
        let access = NewToken {
            hash: Secret::from_client(&format!("token-{i}")).hash(),
            scope: ScopeSet::empty(),
            audience: Vec::new(),
            expires_at: 4_000_000_000,
            jwt: None,
            jkt: None,
        };
        let issuance = Issuance {
            grant_id: format!("grant-{i}"),
            client_id: "c".into(),
            subject: None,
            issued_at: 0,
            access,
            refresh: None,
            authentication: None,
            claims: None,
        };
        store.insert_tokens(&issuance).await.unwrap();
    }
    // Bounded wait for the thread's next rounds; no timing is asserted.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&path).unwrap().len() <= migrated && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let checkpointed = std::fs::metadata(&path).unwrap().len();
    assert!(
        checkpointed > migrated,
        "the database file stayed at {migrated} bytes: nothing was checkpointed"
    );
}
