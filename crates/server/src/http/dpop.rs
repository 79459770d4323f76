//! RFC 9449 at the HTTP edge: the `DPoP` header of a request at the token and PAR
//! endpoints, handed to the protocol with the URL the proof must name, and the
//! `DPoP-Nonce` header (§8) on every answer of those endpoints while nonces are on.

use axum::extract::MatchedPath;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::Response;
use oauth2u_core::dpop::DpopHeader;

use crate::state::AppState;

/// §4.1: the header a proof comes in.
pub(crate) static DPOP: HeaderName = HeaderName::from_static("dpop");

/// §8.1: the header a nonce goes out in.
pub(crate) static DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// The request's proof, if it sent one. `htu` is the endpoint's URL as built from the
/// issuer and the route, never from the `Host` header (§4.3 check 9).
pub(crate) fn proof_of<'a>(
    state: &AppState,
    headers: &'a HeaderMap,
    method: &'a Method,
    path: &MatchedPath,
) -> Option<DpopHeader<'a>> {
    let mut values = headers.get_all(&DPOP).iter();
    let first = values.next()?;
    // §4.3 check 1: exactly one header, and one that is text.
    let proof = match (first.to_str(), values.next()) {
        (Ok(proof), None) => Ok(proof),
        _ => Err(()),
    };
    Some(DpopHeader {
        proof,
        method: method.as_str(),
        url: state.provider.config().endpoint_url(path.as_str()),
    })
}

/// §8: every answer carries the current nonce while nonces are on, so that a client
/// learns it from its first request and a refusal (`use_dpop_nonce`) tells it what to send.
pub(crate) async fn with_nonce(state: &AppState, mut response: Response) -> Response {
    match state.provider.dpop_nonce().await {
        Ok(Some(nonce)) => {
            if let Ok(value) = HeaderValue::from_str(&nonce) {
                response.headers_mut().insert(DPOP_NONCE.clone(), value);
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "no DPoP nonce could be made"),
    }
    response
}
