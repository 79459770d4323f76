//! The tower layer that admits a request, and the extractor that hands its token to a handler.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use serde_json::Value;
use tower::{Layer, Service};

use crate::dpop::Scheme;
use crate::{Guard, GuardError};

/// The validated token's claims, for handlers behind [`Guard::require`].
#[derive(Debug, Clone)]
pub struct AccessToken(pub Value);

impl AccessToken {
    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.0["sub"].as_str()
    }

    /// `client_id`.
    pub fn client_id(&self) -> Option<&str> {
        self.0["client_id"].as_str()
    }

    /// The scope tokens.
    pub fn scopes(&self) -> BTreeSet<&str> {
        self.0["scope"].as_str().unwrap_or_default().split(' ').filter(|s| !s.is_empty()).collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AccessToken {
    type Rejection = GuardError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Only present behind the layer: a route without it has no token to give.
        parts.extensions.get::<AccessToken>().cloned().ok_or(GuardError::Missing)
    }
}

/// Requires a valid token with the given scopes. Made by [`Guard::require`].
#[derive(Clone)]
pub struct RequireLayer {
    guard: Guard,
    scopes: Vec<String>,
}

impl RequireLayer {
    pub(crate) fn new(guard: Guard, scopes: Vec<String>) -> Self {
        Self { guard, scopes }
    }
}

impl<S> Layer<S> for RequireLayer {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireService { inner, guard: self.guard.clone(), scopes: self.scopes.clone() }
    }
}

/// The service [`RequireLayer`] wraps around a router.
#[derive(Clone)]
pub struct RequireService<S> {
    inner: S,
    guard: Guard,
    scopes: Vec<String>,
}

impl<S> Service<Request> for RequireService<S>
where
    S: Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (guard, scopes) = (self.guard.clone(), self.scopes.clone());
        // The clone that was made ready is the one to call (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let dpop_scheme = uses_dpop_scheme(request.headers());
            match admit(&guard, &scopes, request).await {
                Ok(request) => inner.call(request).await,
                Err(error) => Ok(guard.refuse(error, dpop_scheme)),
            }
        })
    }
}

async fn admit(guard: &Guard, scopes: &[String], request: Request) -> Result<Request, GuardError> {
    let (token, scheme, mut request) = match dpop_token(request.headers())? {
        Some((token, scheme)) => (token, scheme, request),
        None => {
            let (token, request) = bearer_token(guard, request).await?;
            (token, Scheme::Bearer, request)
        }
    };
    let claims = guard.check(&token).await?;
    guard.check_binding(&scheme, &claims, &token, request.method().as_str(), request.uri().path())?;
    let token = AccessToken(claims);
    let granted = token.scopes();
    let missing: Vec<&str> =
        scopes.iter().map(String::as_str).filter(|scope| !granted.contains(scope)).collect();
    if !missing.is_empty() {
        return Err(GuardError::InsufficientScope(scopes.join(" ")));
    }
    request.extensions_mut().insert(token);
    Ok(request)
}

/// RFC 6750 §2.1 (header) and, when allowed, §2.2 (form body); never §2.3 (query).
async fn bearer_token(guard: &Guard, request: Request) -> Result<(String, Request), GuardError> {
    let from_header = header_token(request.headers())?;
    if !guard.inner.form_body || !is_form_post(&request) {
        return from_header.map(|token| (token, request)).ok_or(GuardError::Missing);
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| GuardError::InvalidRequest("the body could not be read".into()))?;
    let from_body = access_token_fields(&bytes);
    let request = Request::from_parts(parts, Body::from(bytes));
    match (from_header, from_body.as_slice()) {
        (Some(_), [_, ..]) => {
            Err(GuardError::InvalidRequest("more than one way of sending the token".into()))
        }
        (Some(token), []) => Ok((token, request)),
        (None, [token]) => Ok((token.clone(), request)),
        (None, []) => Err(GuardError::Missing),
        (None, _) => Err(GuardError::InvalidRequest("access_token is repeated".into())),
    }
}

/// Whether the request's `Authorization` header uses the DPoP scheme.
fn uses_dpop_scheme(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("dpop"))
}

/// RFC 9449 §7.1: `Authorization: DPoP <token>`, and the proof of the one `DPoP` header.
fn dpop_token(headers: &HeaderMap) -> Result<Option<(String, Scheme)>, GuardError> {
    if !uses_dpop_scheme(headers) {
        return Ok(None);
    }
    if headers.get_all(header::AUTHORIZATION).iter().count() > 1 {
        return Err(GuardError::InvalidRequest("more than one Authorization header".into()));
    }
    let value = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let token = value.split_once(' ').map(|(_, token)| token.trim()).unwrap_or_default();
    if !is_b64token(token) {
        return Err(GuardError::InvalidRequest("malformed DPoP token".into()));
    }
    let mut proofs = headers.get_all("dpop").iter();
    let proof = match (proofs.next().map(|value| value.to_str()), proofs.next()) {
        (Some(Ok(proof)), None) => Ok(proof.to_owned()),
        (None, _) => Err("the DPoP header is missing"),
        _ => Err("more than one DPoP header, or an unreadable one"),
    };
    Ok(Some((token.to_owned(), Scheme::Dpop(proof))))
}

/// RFC 6750 §2.1's b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

pub(crate) fn header_token(headers: &HeaderMap) -> Result<Option<String>, GuardError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(GuardError::InvalidRequest("more than one Authorization header".into()));
    }
    let value =
        value.to_str().map_err(|_| GuardError::InvalidRequest("unreadable Authorization header".into()))?;
    let Some((scheme, token)) = value.split_once(' ').or(Some((value, ""))) else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme is no bearer token at all.
        return Ok(None);
    }
    let token = token.trim();
    if !is_b64token(token) {
        return Err(GuardError::InvalidRequest("malformed bearer token".into()));
    }
    Ok(Some(token.to_owned()))
}

fn is_form_post(request: &Request) -> bool {
    request.method() != Method::GET
        && request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(
            |value| {
                value
                    .split(';')
                    .next()
                    .is_some_and(|essence| essence.trim() == "application/x-www-form-urlencoded")
            },
        )
}

/// The `access_token` values of an urlencoded body.
fn access_token_fields(body: &[u8]) -> Vec<String> {
    form_urlencoded::parse(body)
        .filter(|(name, _)| name == "access_token")
        .map(|(_, value)| value.into_owned())
        .collect()
}
