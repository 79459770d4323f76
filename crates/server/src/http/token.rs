//! `POST /token` (and the seed's `/access-token`): RFC 6749 §3.2. The steps are in
//! [`oauth2u_core::Provider::token`]; this turns HTTP into its inputs and its result into JSON.

use axum::Extension;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;

use super::dpop::{proof_of, with_nonce};
use crate::form::{Form, client_request};
use crate::respond::{JsonError, json_or_error};
use crate::state::{AppState, ClientAddr};

pub(crate) async fn post_token(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddr>>,
    method: Method,
    path: MatchedPath,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let provider = &state.provider;
    let metrics = &state.metrics;
    let dpop = proof_of(&state, &headers, &method, &path);
    let dpop = dpop.as_ref();
    let result = client_request(&headers, form, |params, authorization| async move {
        let address = address.map(|Extension(ClientAddr(address))| address);
        let response = provider.token(&params, authorization.as_deref(), dpop, address).await?;
        // A success means the grant type was valid: a bounded label.
        if let Ok(Some(grant_type)) = params.get("grant_type") {
            metrics.token_issued(grant_type);
        }
        Ok(response.into_json())
    });
    let response = json_or_error(result.await);
    with_nonce(&state, response).await
}
