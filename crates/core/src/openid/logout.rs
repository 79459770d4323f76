//! OpenID Connect RP-Initiated Logout 1.0 — the `end_session_endpoint` (`/logout`): a
//! client sends the browser here to sign the user out, and may ask to have it sent back.
//!
//! What is decided here:
//! - §2: `id_token_hint` must be an ID token of ours (our key, our issuer); an expired one
//!   is accepted, since the client sends back what it got. With `client_id` as well, the
//!   two must agree (the hint's `aud`), or the request is refused;
//! - §3: the browser goes back only to a `post_logout_redirect_uri` registered for the
//!   client, compared exactly, with `state` as sent. Any other URI, or one without a
//!   client to match it against, gets the "signed out" page instead: never a redirect;
//! - `logout_hint` and `ui_locales` are accepted and not needed: a browser has one
//!   session here, and the pages one language;
//! - the page asks the user to confirm (§2 SHOULD), so that no site can sign them out
//!   with a link; logging out then ends the session on the server ([`Provider::log_out`]).
//!   The page shows who is signed in; a hint naming someone else does not stop the user
//!   from signing out of the session they have.

use crate::client_id::ClientId;
use crate::error::OAuthError;
use crate::model::{Client, Session};
use crate::params::Params;
use crate::provider::Provider;

use super::id_token_hint::IdTokenHint;

/// The longest `state` carried back; the value is echoed in a URL.
const MAX_STATE_LENGTH: usize = 2048;

/// A validated logout request.
#[derive(Debug, Clone)]
pub struct LogoutRequest {
    /// The client asking: named by `client_id`, or the audience of `id_token_hint`.
    pub client: Option<Client>,
    /// The `post_logout_redirect_uri`, when it is one of the client's own.
    pub post_logout_redirect_uri: Option<String>,
    /// `state`, exactly as sent.
    pub state: Option<String>,
    /// The valid `id_token_hint`'s claims.
    pub hint: Option<IdTokenHint>,
}

impl LogoutRequest {
    /// Where the browser goes once the user is signed out: the registered URI with
    /// `state` added to its query; `None` for the "signed out" page.
    pub fn redirect(&self) -> Option<String> {
        let mut url = url::Url::parse(self.post_logout_redirect_uri.as_deref()?).ok()?;
        if let Some(state) = &self.state {
            url.query_pairs_mut().append_pair("state", state);
        }
        Some(url.into())
    }
}

impl Provider {
    /// §2: checks a logout request. What cannot be trusted is refused (`invalid_request`,
    /// shown on a page); a redirect URI that does not match is dropped, not an error.
    pub async fn validate_logout(&self, params: &Params) -> Result<LogoutRequest, OAuthError> {
        params.reject_repeated()?;
        let hint = match params.get("id_token_hint")? {
            Some(hint) => Some(self.id_token_hint(hint).await?),
            None => None,
        };
        let sent_client = params.get("client_id")?;
        // §2: "the OP MUST verify that the Client Identifier matches the one used when
        // issuing the ID Token".
        if let (Some(id), Some(hint)) = (sent_client, &hint)
            && !hint.aud.iter().any(|audience| audience == id)
        {
            return Err(OAuthError::invalid_request("client_id is not the audience of id_token_hint"));
        }
        let client_id = match (sent_client, &hint) {
            (Some(id), _) => Some(id.to_owned()),
            (None, Some(hint)) if hint.aud.len() == 1 => Some(hint.aud[0].clone()),
            (None, _) => None,
        };
        let client = match client_id {
            Some(id) => {
                let unknown = || OAuthError::invalid_request("unknown client");
                let id = ClientId::parse(&id).map_err(|_| unknown())?;
                Some(self.client(id.as_str()).await?.ok_or_else(unknown)?)
            }
            None => None,
        };
        let state = params.get("state")?;
        if state.is_some_and(|state| state.len() > MAX_STATE_LENGTH) {
            return Err(OAuthError::invalid_request(format!(
                "state is longer than {MAX_STATE_LENGTH} bytes"
            )));
        }
        let sent_uri = params.get("post_logout_redirect_uri")?;
        let registered =
            |client: &Client, uri: &str| client.post_logout_redirect_uris.iter().any(|r| r == uri);
        let post_logout_redirect_uri = match (sent_uri, &client) {
            (Some(uri), Some(client)) if registered(client, uri) => Some(uri.to_owned()),
            (Some(_), _) => {
                tracing::info!("post_logout_redirect_uri is not registered for the client; no redirect");
                None
            }
            (None, _) => None,
        };
        Ok(LogoutRequest { client, post_logout_redirect_uri, state: state.map(str::to_owned), hint })
    }

    /// Logs the session out everywhere it counts: every cookie of it ends, the tokens of
    /// its grants without `offline_access` are revoked, and the clients it signed into
    /// that asked for it are sent a Logout Token (Back-Channel Logout §2.5, §2.7).
    pub async fn log_out(&self, session: &Session) -> Result<(), OAuthError> {
        let queued = self.store.log_out_session(&session.sid, self.now()).await?;
        // A session from before schema 9 has no stored sid: its own row goes by hash.
        self.store.delete_session(&session.hash).await?;
        if queued > 0 {
            self.logouts_queued.notify_one();
        }
        Ok(())
    }

    /// Ends the session `sid` as an administrator asks: its tokens are revoked and its
    /// clients told (Back-Channel Logout), as at a logout.
    pub async fn log_out_sid(&self, sid: &str) -> Result<(), OAuthError> {
        if self.store.log_out_session(sid, self.now()).await? > 0 {
            self.logouts_queued.notify_one();
        }
        Ok(())
    }

    /// Woken when this instance queues a Logout Token, so that delivery starts at once.
    pub fn logouts_queued(&self) -> &tokio::sync::Notify {
        &self.logouts_queued
    }
}
