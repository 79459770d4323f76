//! Where an authorization request's parameters come from (RFC 6749 §4.1.1): its own query,
//! a pushed request its `request_uri` names (RFC 9126 §4), or a request object the client
//! signed (RFC 9101 §5). Until the client's redirect URI is established, refusals here are
//! for the error page.

use crate::client_id::ClientId;
use crate::error::OAuthError;
use crate::model::{Client, PushedRequest};
use crate::params::Params;
use crate::provider::Provider;

impl Provider {
    /// The client a request names in `client_id`; every failure is for the page.
    pub(crate) async fn requesting_client(&self, params: &Params) -> Result<Client, OAuthError> {
        let client_id = params
            .get("client_id")?
            .ok_or_else(|| OAuthError::invalid_request("missing parameter `client_id`"))?;
        let unknown = || OAuthError::invalid_request("unknown client");
        // A malformed identifier names no client: refused without a lookup.
        let client_id = ClientId::parse(client_id).map_err(|_| unknown())?;
        self.client(client_id.as_str()).await?.ok_or_else(unknown)
    }

    /// RFC 9126 §4 and RFC 9101 §5: the parameters a request stands for, and the pushed
    /// request it names. Refusals go to the page: the redirect URI is not known yet.
    pub(crate) async fn resolve_request(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<(Params, Option<PushedRequest>), OAuthError> {
        if let Some(uri) = params.get("request_uri")? {
            if params.contains("request") {
                return Err(OAuthError::invalid_request("request and request_uri cannot both be sent"));
            }
            // §4: the pushed parameters alone; any others sent beside them are ignored.
            let pushed = self.pushed_request(client, uri).await?;
            return Ok((Params::parse(pushed.parameters.as_bytes()), Some(pushed)));
        }
        // §5: a client (or a server) that requires pushed requests gets no others.
        if self.config.par.required || client.require_pushed_authorization_requests {
            return Err(OAuthError::invalid_request(
                "this client must push its authorization requests first (RFC 9126)",
            ));
        }
        match params.get("request")? {
            Some(object) => Ok((self.with_request_object(client, params, object).await?, None)),
            None => Ok((params.clone(), None)),
        }
    }
}

/// The redirect URI (and `state`) of a request's own parameters, if they name one the
/// client registered, or it registered only one: where an error about its request object
/// may go.
pub(crate) fn outer_redirect<'a>(client: &Client, params: &'a Params) -> Option<(String, Option<&'a str>)> {
    let uri = match (params.get("redirect_uri").ok()?, client.redirect_uris.as_slice()) {
        (Some(uri), registered) if registered.iter().any(|r| r.matches(uri)) => uri.to_owned(),
        (None, [only]) => only.as_str().to_owned(),
        _ => return None,
    };
    let state = params.get("state").ok().flatten().filter(|state| is_vschar(state));
    Some((uri, state))
}

/// RFC 6749 Appendix A: VSCHAR = %x20-7E.
pub(crate) fn is_vschar(value: &str) -> bool {
    value.bytes().all(|byte| (0x20..=0x7e).contains(&byte))
}
