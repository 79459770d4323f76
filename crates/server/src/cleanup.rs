//! The housekeeping job: deletes what expired, in bounded batches so that no statement
//! holds locks for long, on one instance at a time (the `cleanup` lease), so that the
//! tables stay flat under steady load.

use std::time::Duration;

use oauth2u_core::Provider;
use oauth2u_core::secret::random_id;

/// Rows per table per statement.
const BATCH: i64 = 1000;
/// Statements per run at most: the rest waits for the next run.
const MAX_ROUNDS: usize = 100;
/// How long a holder keeps the lease if it dies mid-run.
const LEASE: Duration = Duration::from_secs(300);

/// Runs the job every `interval` until the task is aborted.
pub(crate) async fn run(provider: Provider, interval: Duration) {
    let holder = match random_id(16) {
        Ok(holder) => holder,
        Err(error) => return tracing::error!(error = %error.description, "cleanup disabled"),
    };
    // The first run waits one interval: a start stays light.
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match once(&provider, &holder).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "cleanup deleted expired rows"),
            Err(error) => tracing::warn!(%error, "cleanup failed; trying again next time"),
        }
    }
}

/// One run: takes the lease or leaves the work to its holder.
pub(crate) async fn once(provider: &Provider, holder: &str) -> Result<u64, oauth2u_core::store::StoreError> {
    let store = provider.store();
    let now = provider.now();
    if !store.take_lease("cleanup", holder, now, now + LEASE.as_secs() as i64).await? {
        return Ok(0);
    }
    let mut deleted = 0;
    for _ in 0..MAX_ROUNDS {
        let round = store.purge_expired(provider.now(), BATCH).await?;
        deleted += round;
        if round == 0 {
            break;
        }
    }
    // Clients that registered themselves (RFC 7591) and were issued nothing for
    // `unused_client_lifetime` are removed: open registration must not grow without end.
    let unused_after = provider.config().registration.unused_client_lifetime;
    if !unused_after.is_zero() {
        let cutoff = provider.now().saturating_sub(oauth2u_core::clock::seconds(unused_after));
        let removed = store.remove_unused_dynamic_clients(cutoff, provider.now()).await?;
        if removed > 0 {
            tracing::info!(removed, "cleanup removed unused registered clients");
        }
        deleted += removed;
    }
    store.release_lease("cleanup", holder).await?;
    Ok(deleted)
}
