//! `GET` and `POST /userinfo`: OpenID Connect Core §5.3, behind an RFC 6750 bearer token.
//! The token comes in the `Authorization` header (§2.1) or, for POST, in the form body
//! (§2.2); the claims are [`oauth2u_core::Provider::userinfo`]'s, the refusals §3.1's.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oauth2u_core::ErrorCode;
use oauth2u_core::dpop::DpopHeader;
use oauth2u_core::openid::userinfo::BearerError;
use serde_json::json;

use super::dpop::DPOP;
use crate::form::Form;
use crate::paths::Route;
use crate::respond::{JsonError, no_store};
use crate::state::AppState;

pub(crate) async fn get_userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match bearer_header(&headers) {
        Ok(token) => answer(&state, &headers, Method::GET, token).await,
        Err(error) => refuse(error),
    }
}

pub(crate) async fn post_userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form, JsonError>,
) -> Response {
    let from_body = match form {
        Ok(Form(params)) => match params.get("access_token") {
            Ok(token) => token.map(str::to_owned),
            Err(_) => return refuse(BearerError::InvalidRequest("access_token is repeated")),
        },
        // An oversized body is refused as such; any other body simply carries no token.
        Err(JsonError(error)) if error.code == ErrorCode::RequestTooLarge => {
            return JsonError(error).into_response();
        }
        Err(_) => None,
    };
    let from_header = match bearer_header(&headers) {
        Ok(token) => token,
        Err(error) => return refuse(error),
    };
    match (from_header, from_body) {
        // §2: "Clients MUST NOT use more than one method to transmit the token".
        (Some(_), Some(_)) => refuse(BearerError::InvalidRequest("the token is sent in two ways")),
        (Some(token), None) => answer(&state, &headers, Method::POST, Some(token)).await,
        (None, Some(token)) => answer(&state, &headers, Method::POST, Some((token, false))).await,
        (None, None) => refuse(BearerError::Missing),
    }
}

/// The claims for `token`; `dpop` when it came with the DPoP scheme (RFC 9449 §7.1), whose
/// proof must name this endpoint's URL as built from the issuer.
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    method: Method,
    token: Option<(String, bool)>,
) -> Response {
    let Some((token, dpop)) = token else {
        return refuse(BearerError::Missing);
    };
    let url = state.provider.config().endpoint_url(Route::Userinfo.path());
    let proof = dpop.then(|| {
        let mut values = headers.get_all(&DPOP).iter();
        let proof = match (values.next().map(HeaderValue::to_str), values.next()) {
            (Some(Ok(proof)), None) => Ok(proof),
            _ => Err(()),
        };
        DpopHeader { proof, method: method.as_str(), url: url.clone() }
    });
    match state.provider.userinfo(&token, &url, proof.as_ref()).await {
        Ok(claims) => (no_store(), Json(claims)).into_response(),
        Err(error) => refuse(error),
    }
}

/// §2.1: the `Bearer` credentials of the `Authorization` header, or RFC 9449 §7.1's `DPoP`
/// ones (then `true`); none for another scheme.
fn bearer_header(headers: &HeaderMap) -> Result<Option<(String, bool)>, BearerError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(BearerError::InvalidRequest("more than one Authorization header"));
    }
    let value = value.to_str().map_err(|_| BearerError::InvalidRequest("malformed Authorization header"))?;
    let Some((scheme, token)) = value.split_once(' ') else {
        return Ok(None);
    };
    let dpop = scheme.eq_ignore_ascii_case("dpop");
    if !dpop && !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(BearerError::InvalidToken("the bearer token is empty"));
    }
    Ok(Some((token.to_owned(), dpop)))
}

/// §3: the status and the `WWW-Authenticate` challenge of each refusal.
fn refuse(error: BearerError) -> Response {
    let (status, challenge, body) = match error {
        // §3.1: no error code when the request carried no authentication at all.
        BearerError::Missing => (StatusCode::UNAUTHORIZED, "Bearer".to_owned(), None),
        BearerError::InvalidRequest(description) => (
            StatusCode::BAD_REQUEST,
            challenge("invalid_request", description),
            Some(("invalid_request", description)),
        ),
        BearerError::InvalidToken(description) => (
            StatusCode::UNAUTHORIZED,
            challenge("invalid_token", description),
            Some(("invalid_token", description)),
        ),
        BearerError::InsufficientScope => {
            let description = "the access token does not carry the openid scope";
            let value = format!("{}, scope=\"openid\"", challenge("insufficient_scope", description));
            (StatusCode::FORBIDDEN, value, Some(("insufficient_scope", description)))
        }
        BearerError::InvalidDpopProof(description) => {
            let algs = oauth2u_core::dpop::algorithm_names().join(" ");
            let quoted = description.replace(['"', '\\'], "");
            let value =
                format!("DPoP algs=\"{algs}\", error=\"invalid_dpop_proof\", error_description=\"{quoted}\"");
            let mut headers = no_store();
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("DPoP")),
            );
            let body = json!({ "error": "invalid_dpop_proof", "error_description": description });
            return (StatusCode::UNAUTHORIZED, headers, Json(body)).into_response();
        }
        BearerError::Server(error) => return JsonError(error).into_response(),
    };
    let mut headers = no_store();
    let challenge = HeaderValue::from_str(&challenge).unwrap_or_else(|_| HeaderValue::from_static("Bearer"));
    headers.insert(header::WWW_AUTHENTICATE, challenge);
    match body {
        Some((error, description)) => {
            (status, headers, Json(json!({ "error": error, "error_description": description })))
                .into_response()
        }
        None => (status, headers).into_response(),
    }
}

fn challenge(error: &str, description: &str) -> String {
    format!("Bearer error=\"{error}\", error_description=\"{description}\"")
}
