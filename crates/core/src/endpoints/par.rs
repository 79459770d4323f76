//! RFC 9126 — Pushed Authorization Requests. The client sends its authorization request
//! to `/par`, authenticated, and gets a `request_uri` to send the browser to `/authorize`
//! with. The request is checked here exactly as `/authorize` would check it, and refused in
//! JSON (§2.3) — nothing of it travels through the browser.

use crate::client_auth::CLIENT_AUTHENTICATION_PARAMETERS;
use crate::clock::seconds;
use crate::dpop::DpopHeader;
use crate::dpop::check_jkt;
use crate::error::OAuthError;
use crate::model::{Client, PushedRequest};
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::{Secret, random_string};

/// §2.2: the prefix of every `request_uri` this server makes.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// §2.2: the answer to a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedAnswer {
    /// The URN the browser brings to `/authorize`.
    pub request_uri: String,
    /// Seconds it stays usable.
    pub expires_in: i64,
}

impl Provider {
    /// §2.1: stores an authorization request a client pushed. `dpop` is the request's DPoP
    /// header, whose key (RFC 9449 §10.1) the code will be bound to.
    pub async fn push_authorization_request(
        &self,
        params: &Params,
        authorization: Option<&str>,
        dpop: Option<&DpopHeader<'_>>,
    ) -> Result<PushedAnswer, OAuthError> {
        params.reject_repeated()?;
        // RFC 9449 §4.3 before anything is written (a nonce refusal leaves the assertion unused).
        let proof = self.check_dpop_proof(dpop).await?;
        let client = self.authenticate_client(params, authorization).await?;
        // §2.1: "The request_uri authorization request parameter is one exception, and it
        // MUST NOT be provided."
        if params.contains("request_uri") {
            return Err(OAuthError::invalid_request("request_uri cannot be pushed"));
        }
        let proof_jkt = match &proof {
            Some(proof) => {
                self.record_dpop_proof(proof).await?;
                Some(proof.jkt.clone())
            }
            None => None,
        };
        let sent = authorization_parameters(&client, params)?;
        let effective = match sent.get("request")? {
            Some(object) => self.with_request_object(&client, &sent, object).await?,
            None => sent,
        };
        // RFC 9449 §10.1: a proof and a `dpop_jkt` must name the same key.
        let dpop_jkt = match (proof_jkt, effective.get("dpop_jkt")?) {
            (Some(proved), Some(named)) if proved != named => {
                return Err(OAuthError::invalid_dpop_proof("dpop_jkt is not the key of the DPoP proof"));
            }
            (Some(proved), _) => Some(proved),
            (None, Some(named)) => Some(check_jkt(named)?),
            (None, None) => None,
        };
        // Every refusal is JSON here, whatever the authorization endpoint would have done.
        self.check_authorization(client.clone(), &effective).await.map_err(|refusal| refusal.into_error())?;
        let secret = random_string(32)?;
        let request_uri = format!("{REQUEST_URI_PREFIX}{secret}");
        let now = self.now();
        let lifetime = seconds(self.config.par.lifetime);
        self.store
            .insert_pushed_request(&PushedRequest {
                hash: Secret::from_client(&request_uri).hash(),
                client_id: client.id.clone(),
                parameters: effective.to_query(),
                dpop_jkt,
                created_at: now,
                expires_at: now + lifetime,
            })
            .await?;
        Ok(PushedAnswer { request_uri, expires_in: lifetime })
    }

    /// §4: the live pushed request `request_uri` names, if it is `client`'s. Anything else
    /// — a URI of another kind, unknown, expired, used, another client's — is refused.
    pub(crate) async fn pushed_request(
        &self,
        client: &Client,
        request_uri: &str,
    ) -> Result<PushedRequest, OAuthError> {
        if !request_uri.starts_with(REQUEST_URI_PREFIX) {
            return Err(OAuthError::request_uri_not_supported(
                "only request_uri values from the pushed authorization request endpoint are accepted",
            ));
        }
        let invalid =
            || OAuthError::invalid_request_uri("the request_uri is unknown, expired or already used");
        let pushed = self.store.pushed_request(&Secret::from_client(request_uri).hash(), self.now()).await?;
        match pushed {
            Some(pushed) if pushed.client_id == client.id => Ok(pushed),
            _ => Err(invalid()),
        }
    }
}

/// The authorization request in a push: its parameters without those that authenticated
/// the client, and with the client's `client_id` (basic authentication sends none).
fn authorization_parameters(client: &Client, params: &Params) -> Result<Params, OAuthError> {
    if params.get("client_id")?.is_some_and(|id| id != client.id) {
        return Err(OAuthError::invalid_request("client_id does not match the authenticated client"));
    }
    let pairs = params
        .iter()
        .filter(|(name, _)| *name != "client_id" && !CLIENT_AUTHENTICATION_PARAMETERS.contains(name))
        .map(|(name, value)| (name.to_owned(), value.to_owned()));
    Ok(Params::from_pairs(std::iter::once(("client_id".to_owned(), client.id.clone())).chain(pairs)))
}
