//! What each scenario sends, and what it needs provisioned first.

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode, header};

use crate::load::Conn;

/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Client credentials as an `Authorization: Basic` value.
pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// One scenario.
pub enum Scenario {
    /// `GET /health/live`: the bare HTTP stack of the same server.
    Ceiling,
    /// `POST /token`, client credentials.
    ClientCredentials { basic: String },
    /// `POST /introspect` of live tokens, round-robin.
    Introspect { basic: String, tokens: Arc<Vec<String>> },
    /// `POST /token`, refresh with rotation: each worker follows its own chain.
    Refresh { basic: String, seeds: Arc<Mutex<Vec<String>>> },
    /// A signed-in user with remembered consent: `GET /authorize` (302) then `POST /token` (200).
    AuthorizationCode { basic: String, client_id: String, cookie: String },
    /// `POST /revoke` of distinct live tokens.
    Revoke { basic: String, pool: Arc<Mutex<Vec<String>>> },
    /// `POST /token` with a hostile body: 64 KiB of distinct parameter names, refused
    /// (400 `invalid_request`) before anything else; it should cost about what a normal
    /// request does.
    HostileBody { body: Arc<String> },
}

/// Just under 64 KiB (the default body limit) of distinct names: `p0=&p1=&…`.
pub fn hostile_body() -> String {
    let mut body = String::with_capacity(64 * 1024);
    let mut index = 0;
    while body.len() < 64 * 1024 - 64 {
        body.push_str(&format!("p{index}=x&"));
        index += 1;
    }
    body.push_str("grant_type=client_credentials");
    body
}

/// A worker's own state.
#[derive(Default)]
pub struct Worker {
    cursor: usize,
    refresh: Option<String>,
}

pub fn post(path: &str, authorization: &str, body: String) -> Request<Full<Bytes>> {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, "bench")
        .header(header::AUTHORIZATION, authorization)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body)));
    request.unwrap_or_default()
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Full<Bytes>> {
    let mut request = Request::builder().method(Method::GET).uri(path).header(header::HOST, "bench");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Full::new(Bytes::new())).unwrap_or_default()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

pub fn authorize_path(client_id: &str) -> String {
    format!(
        "/authorize?{}",
        form(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("state", "bench"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
    )
}

/// The `code` in a redirect's Location.
pub fn code_of(parts: &hyper::http::response::Parts) -> Option<String> {
    let location = parts.headers.get(header::LOCATION)?.to_str().ok()?;
    let url = url::Url::parse(location).ok()?;
    url.query_pairs().find(|(name, _)| name == "code").map(|(_, value)| value.into_owned())
}

impl Scenario {
    /// One iteration on `conn`.
    pub async fn step(&self, conn: &mut Conn, worker: &mut Worker) {
        match self {
            Self::Ceiling => {
                conn.send(get("/health/live", None), StatusCode::OK).await;
            }
            Self::ClientCredentials { basic } => {
                conn.send(post("/token", basic, "grant_type=client_credentials".into()), StatusCode::OK)
                    .await;
            }
            Self::Introspect { basic, tokens } => {
                let token = &tokens[worker.cursor % tokens.len()];
                worker.cursor += 1;
                let answer =
                    conn.send(post("/introspect", basic, form(&[("token", token)])), StatusCode::OK).await;
                if let Some((_, body)) = answer
                    && !body.starts_with(b"{\"active\":true")
                {
                    conn.error(format!("inactive: {}", String::from_utf8_lossy(&body)));
                }
            }
            Self::Refresh { basic, seeds } => {
                let token = match worker.refresh.take() {
                    Some(token) => token,
                    None => match seeds.lock().ok().and_then(|mut seeds| seeds.pop()) {
                        Some(token) => token,
                        None => return conn.error("no refresh token left to rotate".into()),
                    },
                };
                let body = form(&[("grant_type", "refresh_token"), ("refresh_token", &token)]);
                if let Some((_, body)) = conn.send(post("/token", basic, body), StatusCode::OK).await {
                    worker.refresh = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|json| json["refresh_token"].as_str().map(str::to_owned));
                }
            }
            Self::HostileBody { body } => {
                conn.send(post("/token", "", body.as_str().to_owned()), StatusCode::BAD_REQUEST).await;
            }
            Self::AuthorizationCode { basic, client_id, cookie } => {
                let Some((parts, _)) =
                    conn.send(get(&authorize_path(client_id), Some(cookie)), StatusCode::FOUND).await
                else {
                    return;
                };
                let Some(code) = code_of(&parts) else {
                    return conn.error("no code in the redirect".into());
                };
                let body = form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("code_verifier", VERIFIER),
                ]);
                conn.send(post("/token", basic, body), StatusCode::OK).await;
            }
            Self::Revoke { basic, pool } => {
                let Some(token) = pool.lock().ok().and_then(|mut pool| pool.pop()) else {
                    return conn.error("the pool of tokens to revoke ran out".into());
                };
                conn.send(post("/revoke", basic, form(&[("token", &token)])), StatusCode::OK).await;
            }
        }
    }
}
