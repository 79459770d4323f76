//! RFC 8628 — the device authorization endpoint (§3.1–§3.2) and the user code a person
//! types on another device (§3.3, §6.1).

use serde_json::{Value, json};

use crate::clock::seconds;
use crate::error::OAuthError;
use crate::model::{DeviceAuthorization, DeviceStatus, GrantType};
use crate::params::Params;
use crate::provider::Provider;
use crate::resource::requested_resources;
use crate::secret::{Secret, SecretKind, random_string};

/// §6.1: "BCDFGHJKLMNPQRSTVWXZ" — base-20, no vowels (no words), nothing easily confused.
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// §6.1: 8 characters of base-20 give 20^8 ≈ 2.6 × 10^10 codes.
const USER_CODE_LENGTH: usize = 8;
/// §3.2: the default polling interval.
pub const DEFAULT_INTERVAL: i64 = 5;

impl Provider {
    /// §3.1–§3.2: the device authorization request. `verification_uri` is where the person goes.
    pub async fn device_authorization(
        &self,
        params: &Params,
        authorization: Option<&str>,
        verification_uri: &str,
    ) -> Result<Value, OAuthError> {
        params.reject_repeated()?;
        let client = self.authenticate_client(params, authorization).await?;
        if !self.config.grants.enabled(GrantType::DeviceCode) {
            return Err(OAuthError::unsupported_grant_type("the device authorization grant is switched off"));
        }
        if !client.allows(GrantType::DeviceCode) {
            return Err(OAuthError::unauthorized_client(
                "this client may not use the device authorization grant",
            ));
        }
        let scope = client.requested_scope(params.get("scope")?)?;
        let resources = requested_resources(&client, params)?;
        let now = self.now();
        let device_code = Secret::generate(SecretKind::DeviceCode)?;
        let lifetime = seconds(self.config.lifetimes.device_code);
        let mut device = DeviceAuthorization {
            hash: device_code.hash(),
            user_code: new_user_code()?,
            client_id: client.id.clone(),
            scope,
            resources,
            grant_id: random_string(16)?,
            issued_at: now,
            expires_at: now + lifetime,
            interval: DEFAULT_INTERVAL,
            last_polled_at: None,
            status: DeviceStatus::Pending,
            subject: None,
            consumed_at: None,
        };
        // A user code collision is rare (20^8); draw again.
        let mut attempts = 0;
        loop {
            match self.store.insert_device_authorization(&device).await {
                Ok(()) => break,
                Err(crate::store::StoreError::Conflict(_)) if attempts < 5 => {
                    attempts += 1;
                    device.user_code = new_user_code()?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        let shown = display_user_code(&device.user_code);
        Ok(json!({
            "device_code": device_code.expose(),
            "user_code": shown,
            "verification_uri": verification_uri,
            "verification_uri_complete": format!("{verification_uri}?user_code={shown}"),
            "expires_in": lifetime,
            "interval": DEFAULT_INTERVAL,
        }))
    }

    /// The pending, unexpired authorization a typed user code names.
    pub async fn pending_device_authorization(
        &self,
        typed: &str,
    ) -> Result<Option<DeviceAuthorization>, OAuthError> {
        let Some(user_code) = normalize_user_code(typed) else {
            return Ok(None);
        };
        let device = self.store.device_authorization_by_user_code(&user_code).await?;
        Ok(device.filter(|device| device.status == DeviceStatus::Pending && device.expires_at > self.now()))
    }

    /// Records the person's decision: approved for `subject`, or denied.
    pub async fn decide_device_authorization(
        &self,
        user_code: &str,
        subject: Option<&str>,
    ) -> Result<bool, OAuthError> {
        Ok(self.store.decide_device_authorization(user_code, subject, self.now()).await?)
    }
}

fn new_user_code() -> Result<String, OAuthError> {
    let mut code = String::with_capacity(USER_CODE_LENGTH);
    while code.len() < USER_CODE_LENGTH {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte).map_err(OAuthError::server_error)?;
        // Rejection sampling: 240 is the largest multiple of 20 below 256, so no letter is favoured.
        if byte[0] < 240 {
            code.push(USER_CODE_ALPHABET[usize::from(byte[0] % 20)] as char);
        }
    }
    Ok(code)
}

/// `XXXX-XXXX`, as people read it (§6.1).
pub fn display_user_code(code: &str) -> String {
    let (left, right) = code.split_at(code.len() / 2);
    format!("{left}-{right}")
}

/// §6.1: case-insensitive, with dashes and spaces ignored; anything outside the alphabet is no code.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String =
        typed.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == USER_CODE_LENGTH && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_use_the_base_20_alphabet_and_read_as_two_halves() {
        let code = new_user_code().unwrap();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
        assert_eq!(normalize_user_code(&display_user_code(&code).to_lowercase()), Some(code));
        assert_eq!(normalize_user_code("ABCD-EFGH"), None, "vowels are not in the alphabet");
    }
}
