//! The authorization code grant (RFC 6749 §4.1) for a native app (RFC 8252): PKCE S256
//! (RFC 7636), a redirect to a loopback listener on a free port (RFC 8252 §7.3), and the
//! callback checked — `state` (RFC 6749 §10.12) and `iss` (RFC 9207 §2.4) — before the
//! code is exchanged. A refused callback exchanges nothing. With `openid` in the scope it
//! is an OpenID Connect sign-in: a `nonce` goes with the request, and the ID token is
//! verified (Core §3.1.3.7) before the tokens are returned to be printed or cached.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::RawQuery;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, RedirectUrl};
use tokio::sync::oneshot;
use url::Url;

use crate::ClientError;
use crate::client::{Client, Request};
use crate::id_token;
use crate::tokens::Tokens;

/// How a login runs.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    pub request: Request,
    /// The loopback port; 0 picks a free one.
    pub port: u16,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self { request: Request::default(), port: 0, timeout: Duration::from_secs(300) }
    }
}

/// Runs the whole flow: `open` receives the authorization URL (to launch a browser or
/// print it); the tokens come back once the browser reaches the loopback listener.
pub async fn login(
    client: &Client,
    options: &LoginOptions,
    open: impl FnOnce(&Url),
) -> Result<Tokens, ClientError> {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, options.port))).await.map_err(
            |error| ClientError::Local(format!("cannot listen on 127.0.0.1:{}: {error}", options.port)),
        )?;
    let port = listener.local_addr().map_err(|error| ClientError::Local(error.to_string()))?.port();
    // RFC 8252 §7.3: the IP literal, not `localhost`, which may resolve elsewhere (§8.3).
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let oauth = client
        .oauth()
        .set_redirect_uri(RedirectUrl::new(redirect_uri).map_err(|e| ClientError::Url(e.to_string()))?);
    let mut authorize = oauth
        .authorize_url(CsrfToken::new_random)
        .map_err(|error| ClientError::Url(error.to_string()))?
        .set_pkce_challenge(challenge)
        .add_scopes(options.request.scopes());
    for resource in &options.request.resources {
        authorize = authorize.add_extra_param("resource", resource.clone());
    }
    // Core §3.1.2.1: a fresh random nonce binds the ID token to this login (§15.5.2).
    let openid = options.request.scopes().iter().any(|scope| scope.as_str() == "openid");
    let nonce = openid.then(|| CsrfToken::new_random().secret().clone());
    if let Some(nonce) = &nonce {
        authorize = authorize.add_extra_param("nonce", nonce.clone());
    }
    let (url, state) = authorize.url();

    let expected = Expected {
        state: state.secret().clone(),
        issuer: client.provider().issuer.clone(),
        sends_iss: client.provider().sends_iss,
    };
    let (sender, receiver) = oneshot::channel();
    let callback = Arc::new(Mutex::new(Some(sender)));
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(move |RawQuery(query): RawQuery| answer(query, expected, callback)),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    open(&url);

    let outcome = tokio::time::timeout(options.timeout, receiver).await;
    // Stop listening, but let the page reach the browser before going on (and exiting).
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    let code = match outcome {
        Ok(Ok(result)) => result?,
        Ok(Err(_)) => return Err(ClientError::Local("the loopback listener stopped".into())),
        Err(_) => {
            return Err(ClientError::Local(format!(
                "no answer from the browser within {}s",
                options.timeout.as_secs()
            )));
        }
    };
    let exchange =
        oauth.exchange_code(AuthorizationCode::new(code)).map_err(|e| ClientError::Url(e.to_string()))?;
    let response =
        exchange.set_pkce_verifier(verifier).request_async(&|request| client.send(request)).await?;
    let mut tokens = Tokens::from_answer(response);
    if let Some(nonce) = &nonce {
        tokens.id_token_claims = Some(verify_id_token(client, &tokens, nonce).await?);
    }
    Ok(tokens)
}

/// Core §3.1.3.3: an OpenID request's token response carries an ID token; it is verified
/// against the issuer's keys, this client, the login's nonce and the access token.
async fn verify_id_token(
    client: &Client,
    tokens: &Tokens,
    nonce: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, ClientError> {
    let id_token = tokens.id_token().ok_or_else(|| {
        ClientError::Protocol(
            "the token response to an OpenID request has no id_token (Core §3.1.3.3)".into(),
        )
    })?;
    let jwks_uri = client.provider().metadata.as_ref().and_then(|metadata| metadata.jwks_uri.as_deref());
    let jwks_uri = jwks_uri.ok_or_else(|| {
        ClientError::Protocol("the server publishes no jwks_uri, so its ID token cannot be verified".into())
    })?;
    let expected = id_token::Expected {
        issuer: &client.provider().issuer,
        client_id: client.id(),
        nonce: Some(nonce),
        access_token: Some(tokens.access_token()),
    };
    id_token::verify(client.http(), jwks_uri, id_token, &expected).await
}

/// What the callback must carry.
#[derive(Clone)]
pub(crate) struct Expected {
    pub(crate) state: String,
    pub(crate) issuer: String,
    pub(crate) sends_iss: bool,
}

type Outcome = oneshot::Sender<Result<String, ClientError>>;

/// The loopback listener's one page: the first callback decides the login.
async fn answer(
    query: Option<String>,
    expected: Expected,
    callback: Arc<Mutex<Option<Outcome>>>,
) -> Response {
    let Some(sender) = callback.lock().ok().and_then(|mut slot| slot.take()) else {
        return page(StatusCode::GONE, "This login is already finished.");
    };
    let result = check_callback(query.as_deref().unwrap_or_default(), &expected);
    let response = match &result {
        Ok(_) => {
            page(StatusCode::OK, "You are signed in. You can close this tab and return to the terminal.")
        }
        Err(error) => page(StatusCode::BAD_REQUEST, &format!("The sign-in did not complete: {error}")),
    };
    let _ = sender.send(result);
    response
}

/// RFC 6749 §4.1.2 / §4.1.2.1 and RFC 9207 §2.4: the code, or why the callback is refused.
pub(crate) fn check_callback(query: &str, expected: &Expected) -> Result<String, ClientError> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if params.insert(name.clone().into_owned(), value.into_owned()).is_some() {
            return Err(ClientError::Protocol(format!("the callback repeats `{name}`; refused")));
        }
    }
    // §10.12: a response to a request this login did not make is a CSRF attempt.
    if params.get("state") != Some(&expected.state) {
        return Err(ClientError::Protocol(
            "the callback's state does not match this login; refused, nothing exchanged (RFC 6749 §10.12)"
                .into(),
        ));
    }
    // RFC 9207 §2.4: a mix-up defence; checked on error responses too.
    match params.get("iss") {
        Some(iss) if *iss != expected.issuer => {
            return Err(ClientError::Protocol(format!(
                "the callback comes from issuer {iss}, not {}; refused, nothing exchanged (RFC 9207 §2.4)",
                expected.issuer
            )));
        }
        None if expected.sends_iss => {
            return Err(ClientError::Protocol(
                "the callback lacks the `iss` the server announces; refused, nothing exchanged (RFC 9207 §2.4)".into(),
            ));
        }
        _ => {}
    }
    if let Some(error) = params.get("error") {
        return Err(ClientError::OAuth {
            error: error.clone(),
            description: params.get("error_description").cloned(),
        });
    }
    params
        .remove("code")
        .ok_or_else(|| ClientError::Protocol("the callback carries neither code nor error".into()))
}

/// A small page that loads nothing and cannot be framed.
fn page(status: StatusCode, message: &str) -> Response {
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>oauth2u</title></head>\
         <body><p>{escaped}</p></body></html>"
    );
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(sends_iss: bool) -> Expected {
        Expected { state: "s1".into(), issuer: "https://as.example".into(), sends_iss }
    }

    #[test]
    fn a_matching_callback_yields_the_code() {
        let code = check_callback("code=c1&state=s1&iss=https%3A%2F%2Fas.example", &expected(true)).unwrap();
        assert_eq!(code, "c1");
        assert_eq!(check_callback("code=c1&state=s1", &expected(false)).unwrap(), "c1");
    }

    #[test]
    fn state_and_iss_are_checked_before_anything_else() {
        let refused =
            |query: &str, sends_iss| check_callback(query, &expected(sends_iss)).unwrap_err().to_string();
        assert!(refused("code=c1&state=other", false).contains("state"));
        assert!(refused("code=c1", false).contains("state"));
        assert!(refused("error=access_denied&state=other", false).contains("state"));
        assert!(refused("code=c1&state=s1&iss=https%3A%2F%2Fevil.example", false).contains("9207"));
        assert!(refused("code=c1&state=s1", true).contains("9207"));
        assert!(refused("code=c1&code=c2&state=s1", false).contains("repeats"));
        let denied = check_callback("error=access_denied&error_description=no&state=s1", &expected(false))
            .unwrap_err();
        assert!(denied.is_oauth("access_denied"));
    }
}
