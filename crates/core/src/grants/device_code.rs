//! RFC 8628 §3.4–§3.5 — the device polls the token endpoint until the person decides.

use crate::error::OAuthError;
use crate::model::{Client, DeviceStatus, GrantType};
use crate::params::Params;
use crate::provider::Provider;
use crate::resource::narrowed_resources;
use crate::secret::Secret;
use crate::store::Redemption;

use super::Granted;
use crate::tokens::{Mint, RefreshMint};

/// §3.5: after `slow_down`, "the interval MUST be increased by 5 seconds for this and all subsequent requests".
const SLOW_DOWN_STEP: i64 = 5;

impl Provider {
    pub(super) async fn poll_device(
        &self,
        client: &Client,
        params: &Params,
        jkt: Option<&str>,
        device_code: &str,
    ) -> Result<Granted, OAuthError> {
        let hash = Secret::from_client(device_code).hash();
        let now = self.now();
        let device = match self.store.device_authorization(&hash).await? {
            Some(device) if device.client_id == client.id => device,
            _ => return Err(OAuthError::invalid_grant("unknown device_code")),
        };
        if device.consumed_at.is_some() {
            return Err(OAuthError::invalid_grant("the device_code was already used"));
        }
        if device.expires_at <= now {
            return Err(OAuthError::expired_token("the device_code has expired; start again"));
        }
        // §3.5 slow_down: polled sooner than the interval allows.
        if device.last_polled_at.is_some_and(|last| now < last + device.interval) {
            self.store.record_device_poll(&hash, now, device.interval + SLOW_DOWN_STEP).await?;
            return Err(OAuthError::slow_down(format!(
                "poll at most every {} seconds",
                device.interval + SLOW_DOWN_STEP
            )));
        }
        self.store.record_device_poll(&hash, now, device.interval).await?;
        let subject = match (device.status, &device.subject) {
            (DeviceStatus::Pending, _) => {
                return Err(OAuthError::authorization_pending("the user has not decided yet"));
            }
            (DeviceStatus::Denied, _) => {
                return Err(OAuthError::access_denied("the user denied the request"));
            }
            (DeviceStatus::Approved, Some(subject)) => subject.clone(),
            (DeviceStatus::Approved, None) => {
                return Err(OAuthError::server_error("approved without a subject"));
            }
        };
        // Disabled after approving: the person's decision no longer stands (§3.5 access_denied).
        if !self.user_still_enabled(&subject).await? {
            return Err(OAuthError::access_denied("the user denied the request"));
        }
        let audience = narrowed_resources(params, &device.resources)?;
        self.validate_with_hooks(client, GrantType::DeviceCode, Some(&subject), &device.scope, params)
            .await?;
        let refresh = self.issues_refresh_token(client).then(|| RefreshMint {
            scope: device.scope.clone(),
            audience: device.resources.clone(),
            family_end: self.new_family_end(),
        });
        let minted = self
            .mint(Mint {
                client,
                subject: Some(&subject),
                grant_id: device.grant_id.clone(),
                scope: device.scope.clone(),
                audience,
                refresh,
                authentication: None,
                claims: None,
                jkt: jkt.map(str::to_owned),
            })
            .await?;
        match self.store.redeem_device_authorization(&hash, now, &minted.issuance).await? {
            Redemption::Fresh => {
                Ok(Granted { response: minted.response, subject: Some(subject), scope: device.scope })
            }
            // Exactly once: a concurrent poll got the tokens.
            Redemption::Replayed { .. } | Redemption::Unknown => {
                Err(OAuthError::invalid_grant("the device_code was already used"))
            }
        }
    }
}
