//! `TestApp`: a server in-process on an ephemeral port, with a fresh database (a SQLite
//! file, or a PostgreSQL schema in `api_postgres`), a manual clock and every log line
//! captured, and helpers that speak the protocol.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use oauth2u::Settings;
use oauth2u::core::admin::{self, ClientSpec};
use oauth2u::core::model::{GrantType, TokenRecord};
use oauth2u::core::secret::Secret;
use oauth2u::core::{Clock, ManualClock, Store};
use reqwest::redirect::Policy;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::database::{self, Engine};

pub const REDIRECT_URI: &str = "https://client.example/cb";
pub const USERNAME: &str = "alice";
pub const PASSWORD: &str = "correct horse battery";
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct TestApp {
    pub base: String,
    /// The admin API's base URL, when `[admin] address` is set.
    pub admin: Option<String>,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
    pub http: reqwest::Client,
    pub database_url: String,
    /// The master key, where the database has no key file beside it (PostgreSQL).
    pub master_key: Option<String>,
    pub subject: String,
    /// The first instance on a database drops it at the end; others leave it.
    owns_database: bool,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

/// The settings every test server starts from: `alice` exists and is auto-approved.
fn test_settings(database_url: String, master_key: Option<String>) -> Settings {
    Settings {
        port: 0,
        auto_approve: Some(USERNAME.into()),
        // On SQLite the master key file goes beside this database.
        database_url,
        master_key,
        // Tests change clients through the store and expect it at once; the cache has its own test.
        client_cache_ttl: std::time::Duration::ZERO,
        signing_key_cache_ttl: std::time::Duration::ZERO,
        issuer: Some("http://127.0.0.1".into()),
        ..Settings::default()
    }
}

pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose settings the test adjusts; `alice` exists and is auto-approved.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_full(configure, |builder| builder).await
    }

    /// A server on a fresh database. `configure` sees the settings before the database
    /// is opened, so it may point `database_url` elsewhere (through a proxy, say).
    pub async fn spawn_full(
        configure: impl FnOnce(&mut Settings),
        build: impl FnOnce(oauth2u::ServerBuilder) -> oauth2u::ServerBuilder,
    ) -> Self {
        capture_logs();
        let dir = tempfile::tempdir().unwrap();
        let database_url = database::fresh_database(dir.path()).await;
        let master_key = (database::engine() == Engine::Postgres)
            .then(|| oauth2u::core::keys::MasterKey::generate().unwrap().to_base64());
        let mut settings = test_settings(database_url, master_key);
        configure(&mut settings);
        let store = oauth2u::database::open(&settings).await.unwrap();
        let clock = Arc::new(ManualClock::new());
        let user = admin::add_user(store.as_ref(), USERNAME, PASSWORD, clock.now()).await.unwrap();
        Self::start(settings, store, clock, user.subject, dir, true, build).await
    }

    /// A second instance on this one's database, with its own connections: what a load
    /// balancer in front of several instances would reach.
    pub async fn spawn_beside(&self, configure: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = test_settings(self.database_url.clone(), self.master_key.clone());
        configure(&mut settings);
        let store = oauth2u::database::open(&settings).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        Self::start(settings, store, self.clock.clone(), self.subject.clone(), dir, false, |builder| builder)
            .await
    }

    async fn start(
        settings: Settings,
        store: Arc<dyn Store>,
        clock: Arc<ManualClock>,
        subject: String,
        dir: tempfile::TempDir,
        owns_database: bool,
        build: impl FnOnce(oauth2u::ServerBuilder) -> oauth2u::ServerBuilder,
    ) -> Self {
        let (database_url, master_key) = (settings.database_url.clone(), settings.master_key.clone());
        let builder = oauth2u::Server::builder().settings(settings).store(store.clone()).clock(clock.clone());
        let bound = build(builder).build().unwrap().bind().await.unwrap();
        let base = format!("http://{}", bound.local_addr());
        let admin = bound.admin_addr().map(|address| format!("http://{address}"));
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(bound.serve(async {
            let _ = stop.await;
        }));
        Self {
            base,
            admin,
            clock,
            store,
            http: reqwest::Client::builder().redirect(Policy::none()).build().unwrap(),
            database_url,
            master_key,
            subject,
            owns_database,
            shutdown: Some(shutdown),
            _dir: dir,
        }
    }

    /// A server with the built-in pages (no auto-approve) and one plugin script, `name`
    /// holding `source`. Keep the directory for as long as the server runs.
    pub async fn spawn_with_plugin(name: &str, source: &str) -> (Self, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), source).unwrap();
        let plugins = dir.path().to_owned();
        let app = Self::spawn_with(move |settings| {
            settings.auto_approve = None;
            settings.plugins_directories = vec![plugins];
        })
        .await;
        (app, dir)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's RFC 8414 metadata document.
    pub async fn metadata(&self) -> serde_json::Value {
        self.http
            .get(self.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Stops the server; in-flight requests finish.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    pub async fn register(&self, spec: ClientSpec) -> TestClient {
        let registered = admin::register_client(self.store.as_ref(), spec, self.clock.now()).await.unwrap();
        TestClient { id: registered.client.id, secret: registered.secret.map(|s| s.expose().to_owned()) }
    }

    /// A confidential client for the code flow with refresh tokens, scopes `read write`.
    pub async fn confidential_client(&self) -> TestClient {
        self.register(ClientSpec {
            name: Some("web app".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            scopes: Some("read write".into()),
            ..ClientSpec::default()
        })
        .await
    }

    /// A public client (PKCE required) with a loopback redirect URI.
    pub async fn public_client(&self) -> TestClient {
        self.register(ClientSpec {
            name: Some("cli".into()),
            public: Some(true),
            redirect_uris: Some(vec!["http://127.0.0.1/callback".into()]),
            scopes: Some("read write".into()),
            ..ClientSpec::default()
        })
        .await
    }

    pub async fn service_client(&self) -> TestClient {
        self.register(ClientSpec {
            name: Some("service".into()),
            grant_types: Some(vec![GrantType::ClientCredentials]),
            scopes: Some("read write".into()),
            ..ClientSpec::default()
        })
        .await
    }

    pub async fn get_authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.http.get(self.url("/authorize")).query(params).send().await.unwrap()
    }

    /// A plain `response_type=code` request with `state=s1`, no PKCE.
    pub async fn request_code(&self, client: &TestClient) -> reqwest::Response {
        self.get_authorize(&[("response_type", "code"), ("client_id", &client.id), ("state", "s1")]).await
    }

    /// A code for `client` with PKCE S256 (the RFC 7636 example verifier).
    pub async fn code(&self, client: &TestClient) -> String {
        self.code_with(client, &[("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]).await
    }

    pub async fn code_with(&self, client: &TestClient, extra: &[(&str, &str)]) -> String {
        let mut params = vec![("response_type", "code"), ("client_id", client.id.as_str()), ("state", "s1")];
        params.extend_from_slice(extra);
        let response = self.get_authorize(&params).await;
        assert_eq!(response.status(), 302, "{:?}", response.text().await);
        let query = redirect_params(&response);
        query.get("code").cloned().unwrap_or_else(|| panic!("no code in {query:?}"))
    }

    /// POST /token with client_secret_basic (or client_id alone for public clients).
    pub async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.post(self.url("/token"));
        let mut form: Vec<(&str, &str)> = form.to_vec();
        match &client.secret {
            Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
            None => form.push(("client_id", &client.id)),
        }
        request.form(&form).send().await.unwrap()
    }

    /// Exchanges a PKCE code for tokens, expecting success.
    pub async fn tokens(&self, client: &TestClient) -> Value {
        let code = self.code(client).await;
        let response = self
            .token(
                client,
                &[("grant_type", "authorization_code"), ("code", &code), ("code_verifier", VERIFIER)],
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn record(&self, token: &str) -> TokenRecord {
        self.store.token(&Secret::from_client(token).hash()).await.unwrap().expect("token is stored")
    }

    pub async fn is_active(&self, token: &str) -> bool {
        self.record(token).await.is_active(self.clock.now())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        if self.owns_database {
            database::drop_database(&self.database_url);
        }
    }
}

/// A browser: keeps the session cookie, reads forms' hidden fields, follows nothing by itself.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
    /// Sent as `X-Forwarded-For`, as a reverse proxy would.
    pub forwarded_for: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookie: None, forwarded_for: None }
    }

    fn remember(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            self.cookie = pair.strip_prefix("oauth2u_session=").filter(|v| !v.is_empty()).map(str::to_owned);
        }
    }

    fn with_cookie(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(address) = &self.forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        match &self.cookie {
            Some(cookie) => request.header("cookie", format!("oauth2u_session={cookie}")),
            None => request,
        }
    }

    pub async fn get(&mut self, path_and_query: &str) -> reqwest::Response {
        let url = if path_and_query.starts_with("http") {
            path_and_query.to_owned()
        } else {
            self.app.url(path_and_query)
        };
        let response = self.with_cookie(self.app.http.get(url)).send().await.unwrap();
        self.remember(&response);
        response
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response =
            self.with_cookie(self.app.http.post(self.app.url(path))).form(form).send().await.unwrap();
        self.remember(&response);
        response
    }

    /// Opens the authorization URL for `client` (code flow, PKCE, state `s1`).
    pub async fn authorize(&mut self, client: &TestClient) -> reqwest::Response {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", client.id.as_str()),
                ("state", "s1"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        self.get(&format!("/authorize?{query}")).await
    }

    /// Submits the login form of `page`; returns the response (a 303 on success).
    pub async fn login(&mut self, page: &str, username: &str, password: &str) -> reqwest::Response {
        // Back to an authorization request, or to a device's user code.
        let continuation = if page.contains("name=\"user_code\"") { "user_code" } else { "request" };
        let form = [
            ("csrf_token", hidden(page, "csrf_token")),
            (continuation, hidden(page, continuation)),
            ("username", username.to_owned()),
            ("password", password.to_owned()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post("/login", &form).await
    }

    /// Submits the consent form of `page` with `decision` (and `remember=yes` if asked).
    pub async fn consent(&mut self, page: &str, decision: &str, remember: bool) -> reqwest::Response {
        let mut form = vec![
            ("csrf_token", hidden(page, "csrf_token")),
            ("request", hidden(page, "request")),
            ("decision", decision.to_owned()),
        ];
        if remember {
            form.push(("remember", "yes".to_owned()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post("/consent", &form).await
    }

    /// Opens the authorization URL, signs in, and returns the consent page.
    pub async fn consent_page(&mut self, client: &TestClient) -> String {
        let login = self.authorize(client).await.text().await.unwrap();
        let after_login = self.login(&login, USERNAME, PASSWORD).await;
        assert_eq!(after_login.status(), 303);
        let location = after_login.headers()["location"].to_str().unwrap().to_owned();
        self.get(&location).await.text().await.unwrap()
    }

    /// Signs in and consents: returns the final redirect to the client.
    pub async fn sign_in_and_allow(&mut self, client: &TestClient) -> reqwest::Response {
        let consent = self.consent_page(client).await;
        self.consent(&consent, "allow", false).await
    }
}

/// The value of a hidden input in a page, unescaped.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no field {name} in {page}")) + marker.len();
    let end = start + page[start..].find('"').unwrap();
    unescape(&page[start..end])
}

pub fn unescape(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// A JWT's payload, unverified (for tests that verified it elsewhere, or need not).
pub fn jwt_payload(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap())
        .unwrap()
}

/// The parameters of a redirect's Location: query, or fragment for implicit responses.
pub fn redirect_params(response: &reqwest::Response) -> HashMap<String, String> {
    let location = response.headers().get("location").expect("a Location header").to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    let pairs = match url.fragment() {
        Some(fragment) => url::form_urlencoded::parse(fragment.as_bytes()).into_owned().collect::<Vec<_>>(),
        None => url.query_pairs().into_owned().collect(),
    };
    let map: HashMap<_, _> = pairs.iter().cloned().collect();
    assert_eq!(map.len(), pairs.len(), "a response parameter is repeated: {location}");
    map
}

/// Asserts an RFC 6749 §5.2 error response: status and the whole JSON body's `error`.
pub async fn assert_error(response: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "only error and error_description: {body}");
    body
}

/// Every log line of this test binary, at TRACE level.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(Default::default)
}

#[derive(Clone)]
struct BufferWriter;

impl Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| BufferWriter)
            .try_init();
    });
}
