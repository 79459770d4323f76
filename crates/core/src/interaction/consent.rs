//! Remembered consent (RFC 6749 §10.2, RFC 8252 §8.6): when a user's earlier "allow" may
//! stand in for asking again, and what is remembered when they tick "remember".

use crate::authorization_request::AuthorizationRequest;
use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::model::{Client, Consent};
use crate::provider::Provider;
use crate::scope::ScopeSet;

/// Whether `remembered` consent answers a request for `scope` from `client`: the client's
/// identity can be assured ([`Client::may_skip_consent`]) and the scope is within it.
pub fn consent_covers(client: &Client, remembered: Option<&Consent>, scope: &ScopeSet) -> bool {
    client.may_skip_consent() && remembered.is_some_and(|consent| scope.is_subset(&consent.scope))
}

/// The consent to store when `subject` allowed `request` and asked to be remembered; none
/// for a client whose consent may not be skipped anyway.
pub fn consent_to_remember(request: &AuthorizationRequest, subject: &str, now: UnixTime) -> Option<Consent> {
    request.client.may_skip_consent().then(|| Consent {
        subject: subject.to_owned(),
        client_id: request.client.consent_key(),
        scope: request.consent_scope(),
        granted_at: now,
    })
}

impl Provider {
    /// Whether `subject` already consented to everything `request` asks, so that the
    /// consent page may be skipped. Device authorizations never ask this (RFC 8628 §5.4).
    pub async fn consent_remembered(
        &self,
        request: &AuthorizationRequest,
        subject: &str,
    ) -> Result<bool, OAuthError> {
        // OpenID Connect Core §3.1.2.1: `prompt=consent` asks again, whatever is remembered;
        // §11: offline_access is granted only by an explicit consent, never a remembered one.
        let offline = request.openid.is_some() && request.scope.contains(crate::openid::OFFLINE_ACCESS);
        if !request.client.may_skip_consent() || request.prompt().consent || offline {
            return Ok(false);
        }
        let remembered = self.store.consent(subject, &request.client.consent_key()).await?;
        Ok(consent_covers(&request.client, remembered.as_ref(), &request.consent_scope()))
    }

    /// Remembers that `subject` allowed `request`, where remembering is allowed at all.
    pub async fn remember_consent(
        &self,
        request: &AuthorizationRequest,
        subject: &str,
    ) -> Result<(), OAuthError> {
        if let Some(consent) = consent_to_remember(request, subject, self.now()) {
            self.store.remember_consent(&consent).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(public: bool, redirect_uri: &str) -> Client {
        Client::example(public, redirect_uri)
    }

    fn consent(scope: &str) -> Consent {
        Consent {
            subject: "alice".into(),
            client_id: "app".into(),
            scope: ScopeSet::parse(scope).unwrap(),
            granted_at: 0,
        }
    }

    fn request(client: Client, scope: &str) -> AuthorizationRequest {
        AuthorizationRequest::example(client, scope)
    }

    #[test]
    fn remembered_consent_covers_a_request_within_its_scope_only() {
        let confidential = client(false, "https://app.example/callback");
        let read = ScopeSet::parse("read").unwrap();
        let both = ScopeSet::parse("read write").unwrap();
        assert!(consent_covers(&confidential, Some(&consent("read write")), &read));
        assert!(consent_covers(&confidential, Some(&consent("read")), &read));
        assert!(!consent_covers(&confidential, Some(&consent("read")), &both), "more than was allowed");
        assert!(!consent_covers(&confidential, None, &read), "nothing remembered");
    }

    #[test]
    fn a_public_client_on_a_loopback_or_private_use_uri_is_always_asked() {
        let all = consent("read write");
        let read = ScopeSet::parse("read").unwrap();
        for uri in ["http://127.0.0.1:9000/callback", "com.example.app:/callback"] {
            let public = client(true, uri);
            assert!(!consent_covers(&public, Some(&all), &read), "{uri}");
            assert!(consent_to_remember(&request(public, "read"), "alice", 5).is_none(), "{uri}");
        }
        // A public client on a claimed https URI (RFC 8252 §7.2) may be remembered.
        let claimed = client(true, "https://app.example/callback");
        assert!(consent_covers(&claimed, Some(&all), &read));
    }

    #[test]
    fn what_is_remembered_is_the_requests_scope_for_its_client_and_user() {
        let remembered =
            consent_to_remember(&request(client(false, "https://app.example/cb"), "read"), "alice", 42)
                .expect("a confidential client's consent is remembered");
        assert_eq!(
            (
                remembered.subject.as_str(),
                remembered.client_id.as_str(),
                remembered.scope.to_string(),
                remembered.granted_at
            ),
            ("alice", "app", "read".to_owned(), 42)
        );
    }
}
