//! OpenID Connect Back-Channel Logout 1.0 §2.5 — delivering Logout Tokens. Ending a
//! session queues a delivery in the database (`logout_deliveries`, in the transaction that
//! ends it), whoever ended it: this server, another instance, or the command line. This
//! task claims due deliveries — one instance per delivery, the database decides — and POSTs
//! each one's `logout_token` to the client's URI:
//! - https only, or http on loopback where `allow_http_loopback` says so;
//! - no redirect followed (§2.5 names one URI; following one would send the token on);
//! - within `timeout`, and on a network error, a timeout, a 3xx or a 5xx again after
//!   `retry_delay` (doubling), `attempts` times at most. A 4xx is the client's answer
//!   (§2.8: 400 for a token it refused) and is not retried.
//!
//! Every outcome is logged, never the token.

use oauth2u_core::Provider;
use oauth2u_core::clock::seconds;
use oauth2u_core::config::BackchannelDelivery;
use oauth2u_core::model::LogoutDelivery;
use oauth2u_core::secret::{random_id, redact_url};
use oauth2u_core::store::StoreError;

/// Deliveries claimed at once; each batch is delivered concurrently.
const BATCH: i64 = 32;

/// Runs until the task is aborted: at once when this instance queues a logout, and every
/// `poll_interval` for the rest.
pub(crate) async fn run(provider: Provider, settings: BackchannelDelivery) {
    let holder = match random_id(16) {
        Ok(holder) => holder,
        Err(error) => return tracing::error!(error = %error.description, "back-channel logout disabled"),
    };
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .build()
    {
        Ok(http) => http,
        Err(error) => return tracing::error!(%error, "back-channel logout disabled"),
    };
    loop {
        tokio::select! {
            () = provider.logouts_queued().notified() => {}
            () = tokio::time::sleep(settings.poll_interval) => {}
        }
        loop {
            match deliver_due(&provider, &http, &settings, &holder).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "back-channel logout: the outbox cannot be read; trying again later");
                    break;
                }
            }
        }
    }
}

/// Claims and delivers one batch; how many were claimed.
async fn deliver_due(
    provider: &Provider,
    http: &reqwest::Client,
    settings: &BackchannelDelivery,
    holder: &str,
) -> Result<usize, StoreError> {
    let now = provider.now();
    // Held long enough for every attempt of the batch to end, so that no other instance
    // delivers the same token meanwhile; a holder that dies frees its claims by then.
    let until = now + 2 * seconds(settings.timeout) + 30;
    let claimed = provider.store().claim_logout_deliveries(holder, now, until, BATCH).await?;
    let count = claimed.len();
    let mut deliveries = tokio::task::JoinSet::new();
    for delivery in claimed {
        let (provider, http, settings) = (provider.clone(), http.clone(), *settings);
        deliveries.spawn(async move { deliver(&provider, &http, &settings, &delivery).await });
    }
    while let Some(done) = deliveries.join_next().await {
        if let Err(error) = done {
            tracing::error!(%error, "back-channel logout: a delivery task failed");
        }
    }
    Ok(count)
}

/// What became of one attempt.
enum Outcome {
    /// Delivered, refused by the client, or impossible: the delivery is over.
    Done,
    /// Worth another attempt.
    Failed(String),
}

async fn deliver(
    provider: &Provider,
    http: &reqwest::Client,
    settings: &BackchannelDelivery,
    delivery: &LogoutDelivery,
) {
    let attempt = delivery.attempts + 1;
    let outcome = attempt_delivery(provider, http, settings, delivery, attempt).await;
    let store = provider.store();
    let stored = match outcome {
        Outcome::Done => store.finish_logout_delivery(delivery.id).await,
        Outcome::Failed(why) if attempt >= i64::from(settings.attempts) => {
            tracing::warn!(client_id = %delivery.client_id, attempt, %why, "back-channel logout given up");
            store.finish_logout_delivery(delivery.id).await
        }
        Outcome::Failed(why) => {
            let wait = seconds(settings.retry_delay).saturating_mul(1 << (attempt - 1).min(16));
            tracing::info!(client_id = %delivery.client_id, attempt, %why, retry_in = wait, "back-channel logout failed; will retry");
            store.retry_logout_delivery(delivery.id, attempt, provider.now() + wait).await
        }
    };
    if let Err(error) = stored {
        tracing::warn!(%error, client_id = %delivery.client_id, "back-channel logout: the outcome cannot be stored");
    }
}

async fn attempt_delivery(
    provider: &Provider,
    http: &reqwest::Client,
    settings: &BackchannelDelivery,
    delivery: &LogoutDelivery,
    attempt: i64,
) -> Outcome {
    let client_id = &delivery.client_id;
    let client = match provider.client(client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Outcome::Done, // removed since: nobody to tell
        Err(error) => return Outcome::Failed(error.to_string()),
    };
    let Some(logout) = &client.backchannel_logout else {
        return Outcome::Done; // its URI was removed since
    };
    let uri = redact_url(&logout.uri);
    if !may_deliver_to(&logout.uri, settings) {
        tracing::warn!(%client_id, %uri, "back-channel logout refused: the URI is not https (allow_http_loopback is off)");
        return Outcome::Done;
    }
    let token = match provider.logout_token(&client, delivery).await {
        Ok(token) => token,
        Err(error) => return Outcome::Failed(error.description.into_owned()),
    };
    match http.post(&logout.uri).form(&[("logout_token", token)]).send().await {
        Ok(response) if response.status().is_success() => {
            tracing::info!(%client_id, %uri, attempt, "back-channel logout delivered");
            Outcome::Done
        }
        Ok(response) if response.status().is_client_error() => {
            let status = response.status().as_u16();
            tracing::warn!(%client_id, %uri, status, "back-channel logout refused by the client");
            Outcome::Done
        }
        Ok(response) => Outcome::Failed(format!("{uri} answered {}", response.status().as_u16())),
        Err(error) if error.is_timeout() => {
            Outcome::Failed(format!("{uri} did not answer within {:?}", settings.timeout))
        }
        Err(error) => Outcome::Failed(format!("{uri}: {}", without_url(&error))),
    }
}

/// https, or http on a loopback address where the settings allow it.
fn may_deliver_to(uri: &str, settings: &BackchannelDelivery) -> bool {
    match url::Url::parse(uri) {
        Ok(url) if url.scheme() == "https" => true,
        Ok(url) if url.scheme() == "http" => {
            settings.allow_http_loopback && oauth2u_core::redirect_uri::is_loopback_url(&url)
        }
        _ => false,
    }
}

/// The error's cause, without the URL reqwest puts in its message (the caller shows it
/// redacted).
fn without_url(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut cause = None;
    while let Some(error) = source {
        cause = Some(error.to_string());
        source = error.source();
    }
    cause.unwrap_or_else(|| "request failed".to_owned())
}
