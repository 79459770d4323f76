//! One client of one authorization server: the grants and the token management requests,
//! built on the `oauth2` crate. Revocation is sent by hand because the crate refuses plain
//! http even on loopback, where developers run their servers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenType};
use oauth2::{
    AuthUrl, ClientId, ClientSecret, DeviceAuthorizationUrl, EndpointMaybeSet, HttpRequest, HttpResponse,
    IntrospectionUrl, RefreshToken, RevocationUrl, Scope, StandardRevocableToken,
    StandardTokenIntrospectionResponse, TokenUrl,
};
use serde_json::Value;

use crate::ClientError;
use crate::dpop::DpopKey;
use crate::error::excerpt;
use crate::provider::{Endpoint, Provider};
use crate::tokens::{ExtraFields, TokenAnswer, Tokens};

type OAuth = oauth2::Client<
    BasicErrorResponse,
    TokenAnswer,
    StandardTokenIntrospectionResponse<ExtraFields, BasicTokenType>,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The device authorization response (RFC 8628 §3.2), with every field kept.
pub type DeviceAuthorization = oauth2::DeviceAuthorizationResponse<ExtraFields>;

/// What a token request asks for: scope (space separated) and RFC 8707 resources.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub scope: Option<String>,
    pub resources: Vec<String>,
}

impl Request {
    pub(crate) fn scopes(&self) -> Vec<Scope> {
        self.scope
            .iter()
            .flat_map(|scope| scope.split_whitespace())
            .map(|s| Scope::new(s.to_owned()))
            .collect()
    }
}

/// A registered client of one server.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    provider: Provider,
    id: String,
    secret: Option<String>,
    /// RFC 9449: tokens are to be bound to a key of the client's.
    wants_dpop: bool,
    /// The key, once known (the cache entry's, or a fresh one).
    dpop: Option<Arc<DpopKey>>,
}

/// The secret stays out of logs and panics.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("issuer", &self.provider.issuer)
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// An HTTP client fit for talking to an authorization server: it follows no redirects
/// (a token request must not be replayed elsewhere) and gives up in bounded time. It
/// trusts the system's certificate authorities, the web's, and those in `ca_files` (PEM),
/// for servers behind an internal CA.
pub fn http_client(ca_files: &[PathBuf]) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("oauth2u/", env!("CARGO_PKG_VERSION")));
    for path in ca_files {
        let unusable =
            |error: &dyn std::fmt::Display| ClientError::Local(format!("{}: {error}", path.display()));
        let pem = std::fs::read(path).map_err(|error| unusable(&error))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| unusable(&error))?;
        if certificates.is_empty() {
            return Err(unusable(&"no PEM certificate in it"));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|error| ClientError::Local(format!("cannot build the HTTP client: {error}")))
}

impl Client {
    /// A confidential client when `secret` is given, a public one otherwise.
    pub fn new(http: reqwest::Client, provider: Provider, id: String, secret: Option<String>) -> Self {
        Self { http, provider, id, secret, wants_dpop: false, dpop: None }
    }

    /// RFC 9449: ask for tokens bound to a key of this client's. The token cache keeps one
    /// key per entry; without the cache, [`Client::with_dpop_key`] gives the key.
    pub fn dpop(mut self, wanted: bool) -> Self {
        self.wants_dpop = wanted;
        self
    }

    /// Whether tokens are to be DPoP-bound.
    pub fn wants_dpop(&self) -> bool {
        self.wants_dpop
    }

    /// The client with this proof key: every token request carries a proof of it.
    pub fn with_dpop_key(&self, key: DpopKey) -> Self {
        Self { wants_dpop: true, dpop: Some(Arc::new(key)), ..self.clone() }
    }

    /// The proof key, when there is one.
    pub fn dpop_key(&self) -> Option<&DpopKey> {
        self.dpop.as_deref()
    }

    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The oauth2 crate's client for this server; it authenticates with HTTP Basic
    /// (RFC 6749 §2.3.1), or sends `client_id` alone for a public client.
    pub(crate) fn oauth(&self) -> OAuth {
        let endpoints = &self.provider.endpoints;
        let url = |endpoint| endpoints.get(endpoint).map(|url: &url::Url| url.to_string());
        let client = oauth2::Client::new(ClientId::new(self.id.clone()))
            .set_auth_uri_option(url(Endpoint::Authorization).and_then(|u| AuthUrl::new(u).ok()))
            .set_token_uri_option(url(Endpoint::Token).and_then(|u| TokenUrl::new(u).ok()))
            .set_device_authorization_url_option(
                url(Endpoint::DeviceAuthorization).and_then(|u| DeviceAuthorizationUrl::new(u).ok()),
            )
            .set_introspection_url_option(
                url(Endpoint::Introspection).and_then(|u| IntrospectionUrl::new(u).ok()),
            )
            .set_revocation_url_option(url(Endpoint::Revocation).and_then(|u| RevocationUrl::new(u).ok()));
        match &self.secret {
            Some(secret) => client.set_client_secret(ClientSecret::new(secret.clone())),
            None => client,
        }
    }

    /// RFC 6749 §4.4: a token for the client itself.
    pub async fn client_credentials(&self, request: &Request) -> Result<Tokens, ClientError> {
        let oauth = self.oauth();
        let mut exchange = oauth.exchange_client_credentials().map_err(missing)?.add_scopes(request.scopes());
        for resource in &request.resources {
            exchange = exchange.add_extra_param("resource", resource.clone());
        }
        Ok(Tokens::from_answer(exchange.request_async(&|request| self.send(request)).await?))
    }

    /// RFC 6749 §6: new tokens for a refresh token. A response without a refresh token
    /// keeps the one presented.
    pub async fn refresh(&self, refresh_token: &str, request: &Request) -> Result<Tokens, ClientError> {
        let oauth = self.oauth();
        let token = RefreshToken::new(refresh_token.to_owned());
        let mut exchange =
            oauth.exchange_refresh_token(&token).map_err(missing)?.add_scopes(request.scopes());
        for resource in &request.resources {
            exchange = exchange.add_extra_param("resource", resource.clone());
        }
        let tokens = Tokens::from_answer(exchange.request_async(&|request| self.send(request)).await?);
        Ok(tokens.keeping_refresh_token_of(refresh_token))
    }

    /// RFC 7009 §2.1: revokes a token; `hint` is `access_token` or `refresh_token`.
    pub async fn revoke(&self, token: &str, hint: Option<&str>) -> Result<(), ClientError> {
        let endpoint = self.provider.endpoints.require(Endpoint::Revocation)?;
        let mut form = vec![("token", token)];
        form.extend(hint.map(|hint| ("token_type_hint", hint)));
        let response = self.authenticated_post(endpoint, form).send().await?;
        // §2.2: 200 whether or not the token was valid; §2.2.1: errors as in RFC 6749 §5.2.
        if response.status().is_success() {
            return Ok(());
        }
        Err(error_answer(response).await)
    }

    /// RFC 7662 §2.1: what the server knows of a token, every field kept.
    pub async fn introspect(&self, token: &str, hint: Option<&str>) -> Result<Value, ClientError> {
        let oauth = self.oauth();
        let token = oauth2::AccessToken::new(token.to_owned());
        let mut request = oauth.introspect(&token).map_err(missing)?;
        if let Some(hint) = hint {
            request = request.set_token_type_hint(hint);
        }
        let answer = request.request_async(&|request| self.send(request)).await?;
        serde_json::to_value(answer).map_err(|error| ClientError::Protocol(error.to_string()))
    }

    /// RFC 8628 §3.1: asks for a device code and a user code.
    pub async fn start_device(&self, request: &Request) -> Result<DeviceAuthorization, ClientError> {
        let oauth = self.oauth();
        let mut start = oauth.exchange_device_code().map_err(missing)?.add_scopes(request.scopes());
        for resource in &request.resources {
            start = start.add_extra_param("resource", resource.clone());
        }
        Ok(start.request_async(&|request| self.send(request)).await?)
    }

    /// RFC 8628 §3.4–3.5: polls at the server's interval, 5 seconds slower after each
    /// `slow_down`, until the person decides or the code expires (`access_denied`,
    /// `expired_token`).
    pub async fn poll_device(&self, device: &DeviceAuthorization) -> Result<Tokens, ClientError> {
        let oauth = self.oauth();
        let poll = oauth.exchange_device_access_token(device).map_err(missing)?;
        Ok(Tokens::from_answer(
            poll.request_async(&|request| self.send(request), tokio::time::sleep, None).await?,
        ))
    }

    /// OpenID Connect Core §5.3: the claims the userinfo endpoint gives for `access_token`.
    pub async fn userinfo(&self, access_token: &str) -> Result<Value, ClientError> {
        let endpoint = self.provider.endpoints.require(crate::Endpoint::Userinfo)?;
        let response = self
            .http
            .get(endpoint.clone())
            .header("accept", "application/json")
            .bearer_auth(access_token)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(bearer_refusal(response).await);
        }
        response
            .json()
            .await
            .map_err(|error| ClientError::Protocol(format!("the userinfo answer is not JSON: {error}")))
    }

    /// Sends a request the oauth2 crate built, with a DPoP proof when this client has a
    /// key, and once more with the server's nonce if it asks for one (§8.1).
    pub(crate) async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ClientError> {
        let url = url::Url::parse(&request.uri().to_string())
            .map_err(|error| ClientError::Url(error.to_string()))?;
        let mut retried = false;
        loop {
            let mut outgoing =
                self.http().request(request.method().clone(), url.clone()).body(request.body().clone());
            for (name, value) in request.headers() {
                outgoing = outgoing.header(name, value);
            }
            if let Some(key) = self.dpop_key() {
                outgoing = outgoing.header("DPoP", key.proof(request.method().as_str(), &url, None)?);
            }
            let response = outgoing.send().await?;
            let status = response.status();
            let asks_for_nonce = self.dpop_key().is_some()
                && response.headers().contains_key("dpop-nonce")
                && (status == 400 || status == 401);
            if let Some(key) = self.dpop_key() {
                key.remember_nonce(&response);
            }
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            if asks_for_nonce && !retried && String::from_utf8_lossy(&body).contains("use_dpop_nonce") {
                retried = true;
                continue;
            }
            let mut answer = HttpResponse::new(body);
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            return Ok(answer);
        }
    }

    /// A POST with this client's credentials: HTTP Basic with form-encoded parts (RFC 6749
    /// §2.3.1), or `client_id` in the body for a public client (§2.3, RFC 7009 §2.1).
    fn authenticated_post<'a>(
        &'a self,
        endpoint: &url::Url,
        mut form: Vec<(&'a str, &'a str)>,
    ) -> reqwest::RequestBuilder {
        let request = self.http.post(endpoint.clone()).header("accept", "application/json");
        match &self.secret {
            Some(secret) => {
                let encode =
                    |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
                request.basic_auth(encode(&self.id), Some(encode(secret))).form(&form)
            }
            None => {
                form.push(("client_id", &self.id));
                request.form(&form)
            }
        }
    }
}

/// A needed endpoint is not configured; `Provider::resolve` normally reports it first.
fn missing(error: oauth2::ConfigurationError) -> ClientError {
    ClientError::Url(error.to_string())
}

/// RFC 6750 §3: a protected resource says why in `WWW-Authenticate`; a 401 with no error
/// code means no usable credentials were sent.
async fn bearer_refusal(response: reqwest::Response) -> ClientError {
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let code = challenge.as_deref().and_then(|challenge| {
        let start = challenge.find("error=\"")? + "error=\"".len();
        Some(challenge[start..start + challenge[start..].find('"')?].to_owned())
    });
    match code {
        Some(error) => ClientError::OAuth { error, description: challenge },
        None => error_answer(response).await,
    }
}

/// An error answer: the RFC 6749 §5.2 JSON, or a description of what came instead.
pub(crate) async fn error_answer(response: reqwest::Response) -> ClientError {
    let status = response.status();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(error) => return error.into(),
    };
    match serde_json::from_slice::<Value>(&body) {
        Ok(json) if json.get("error").and_then(Value::as_str).is_some() => ClientError::OAuth {
            error: json["error"].as_str().unwrap_or_default().to_owned(),
            description: json.get("error_description").and_then(Value::as_str).map(str::to_owned),
        },
        _ => ClientError::Protocol(format!(
            "the server answered {status} without an OAuth error: {}",
            excerpt(&body)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Endpoints;

    #[test]
    fn debug_output_hides_the_secret() {
        let provider = Provider {
            issuer: "https://as.example".into(),
            endpoints: Endpoints::default(),
            sends_iss: false,
            metadata: None,
        };
        let client = Client::new(reqwest::Client::new(), provider, "c1".into(), Some("s3cr3t".into()));
        let printed = format!("{client:?}");
        assert!(
            printed.contains("c1") && printed.contains("[redacted]") && !printed.contains("s3cr3t"),
            "{printed}"
        );
    }
}
