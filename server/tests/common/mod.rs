//! Harness of the API test binary: starts the real appframe server on `127.0.0.1:0` with a
//! fresh SQLite file (or a fresh Postgres database) per test and talks to it over HTTP.
//!
//! Every test is written once with [`api_tests!`] and runs once per backend: `sqlite::<name>`
//! always, `postgres::<name>` when `APPFRAME_TEST_DATABASE_URL` names a Postgres server (the
//! harness creates `appframe_t_<random>` on it and drops it when the test ends, pass or fail).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appframe_protocol::ErrorBody;
use appframe_server::config::Config;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode, header};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;

/// The demo config every part of the project shares (fixed ids, keys and origins).
pub const DEMO_TOML: &str = include_str!("../../demo.toml");

/// Alice: admin on every item.
pub const ALICE: &str = "dca3c530-eff8-4c46-8172-bd614654a02d";
/// Bob: write on the three demo items.
pub const BOB: &str = "bc5c25bd-3b16-4465-baba-7abf825cbd90";
/// Carol: read on the three demo items.
pub const CAROL: &str = "d5433604-2bb5-4d68-a876-1a7ad8c13608";
/// Dave: a member with no membership at all (added by [`EXTRA_TOML`]).
pub const DAVE: &str = "0b1d7a4e-53c1-4f0e-9d3c-6f1f2b7a9c01";

/// The counter item (app `counter`).
pub const COUNTER_ITEM: &str = "860336f0-9317-4193-91ad-5d58f6a975d8";
/// The class-notes item (app `sticky-notes`).
pub const NOTES_ITEM: &str = "972072cf-56bb-4c7f-afcb-33f3427a68aa";
/// The js-notes item (app `js-notes`).
pub const JS_ITEM: &str = "79bf18ff-133a-4293-ae63-94768b2ff5c5";
/// An item of an app of another publisher (added by [`EXTRA_TOML`]); only Alice is a member.
pub const FOREIGN_ITEM: &str = "5e0f4c1a-8a3e-4d47-9b6b-2f0c7e9d1a11";

/// Key of the `counter` app.
pub const COUNTER_KEY: &str = "1d85bd0c-7c60-49cd-9775-9898fcb16668";
/// Key of the `sticky-notes` app.
pub const NOTES_KEY: &str = "1f995619-8cad-4d5e-8b1e-5f998eabdb39";
/// Key of the `foreign` app (publisher `elsewhere`).
pub const FOREIGN_KEY: &str = "7c2b9e54-1f0d-4a8e-b3c6-0d9e8f7a6b55";
/// A well-formed key no app is registered with.
pub const UNREGISTERED_KEY: &str = "00000000-1111-4222-8333-444444444444";

/// The demo publisher's first origin: where the demo apps are served.
pub const APP_ORIGIN: &str = "http://127.0.0.1:8081";
/// The demo publisher's second origin.
pub const APP_ORIGIN_2: &str = "http://localhost:8081";
/// The origin of publisher `elsewhere`.
pub const FOREIGN_ORIGIN: &str = "http://127.0.0.1:9999";
/// An origin nobody registered.
pub const EVIL_ORIGIN: &str = "http://evil.example";

/// The demo integration key (scopes read + write).
pub const API_KEY: &str = "demo-integration-key-change-me";
/// An integration key with the read scope only (added by [`EXTRA_TOML`]).
pub const READ_API_KEY: &str = "apitest-read-only-key-0123456789";

/// The JWT secret of the test servers, so tests can craft expired and forged tokens.
pub const JWT_SECRET: &str = "apitest-secret-not-for-production-0123456789abcdef";

/// JSON body limit of the test servers (small, so 413 is cheap to provoke).
pub const MAX_BODY: usize = 64 * 1024;
/// File size limit of the test servers.
pub const MAX_FILE: usize = 256 * 1024;

/// Appended to the demo config: a second publisher with its own app and item, a member
/// without memberships and a read-only integration key.
pub const EXTRA_TOML: &str = r#"
[[publishers]]
name = "elsewhere"
origins = ["http://127.0.0.1:9999"]

[[apps]]
name = "foreign"
key = "7c2b9e54-1f0d-4a8e-b3c6-0d9e8f7a6b55"
url = "http://127.0.0.1:9999/foreign/"
publisher = "elsewhere"
description = "An app of another publisher."

[[members]]
id = "0b1d7a4e-53c1-4f0e-9d3c-6f1f2b7a9c01"
name = "Dave"

[[items]]
id = "5e0f4c1a-8a3e-4d47-9b6b-2f0c7e9d1a11"
name = "Foreign"
app = "foreign"

[[memberships]]
member = "dca3c530-eff8-4c46-8172-bd614654a02d"
item = "5e0f4c1a-8a3e-4d47-9b6b-2f0c7e9d1a11"
permission = "admin"

[[api_keys]]
name = "read-only"
key = "apitest-read-only-key-0123456789"
scopes = ["read"]
"#;

/// Which store a test server runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A fresh SQLite file in the test's temporary data dir.
    Sqlite,
    /// A fresh database on the Postgres server at this URL.
    Postgres(String),
}

impl Backend {
    /// Postgres from `APPFRAME_TEST_DATABASE_URL`, or `None` when it is unset.
    pub fn postgres_from_env() -> Option<Backend> {
        std::env::var("APPFRAME_TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(Backend::Postgres)
    }
}

/// A Postgres database created for one test; dropped (with FORCE) when this is dropped, also
/// when the test panics.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create(admin_url: &str) -> (PgDatabase, String) {
        use sqlx::Connection;
        let name = format!("appframe_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("connect to {admin_url}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let mut url = reqwest::Url::parse(admin_url).expect("APPFRAME_TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        (
            PgDatabase {
                admin_url: admin_url.to_owned(),
                name,
            },
            url.to_string(),
        )
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on a future; a thread with its
        // own small runtime does the cleanup (also after a panic).
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// The test config: the demo config plus [`EXTRA_TOML`], with dev mode on, a known JWT secret,
/// small limits and no static directories.
pub fn test_config() -> Config {
    let mut config = Config::from_toml_str(&format!("{DEMO_TOML}\n{EXTRA_TOML}"))
        .expect("demo.toml + test extras parse");
    config.server.dev = true;
    config.server.jwt_secret = Some(JWT_SECRET.to_owned());
    config.server.max_body_bytes = MAX_BODY;
    config.server.max_file_bytes = MAX_FILE;
    config.server.host_dir = None;
    config.server.apps_dir = None;
    config.server.apps_addr = None;
    config
}

/// A running server plus what a test needs to talk to it.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// `base + "/api"`: the `apiHost` apps are given.
    pub api: String,
    /// The config the server runs with.
    pub config: Config,
    /// The backend name, for messages.
    pub backend: &'static str,
    /// A client without cookies or credentials.
    pub http: Client,
    /// The running server's state: `appframe_server::app(state)` is a router on the same
    /// store, for in-process requests (`tower::ServiceExt::oneshot`, no socket).
    pub state: appframe_server::AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    // Order matters: the server stops (field above) before its data dir and database go.
    _pg: Option<PgDatabase>,
    dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on `backend` with the test config changed by `tweak`.
    pub async fn start(backend: Backend, tweak: fn(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let base = format!("http://{addr}");
        let mut config = test_config();
        config.server.addr = addr.to_string();
        config.server.public_url = base.clone();
        config.server.data_dir = dir.path().to_path_buf();
        let (pg, name) = match &backend {
            Backend::Sqlite => {
                config.server.database_url = None;
                (None, "sqlite")
            }
            Backend::Postgres(url) => {
                let (db, url) = PgDatabase::create(url).await;
                config.server.database_url = Some(url);
                (Some(db), "postgres")
            }
        };
        tweak(&mut config);
        let (task, tx, state) = launch(listener, &config, name).await;
        TestServer {
            api: format!("{base}/api"),
            base,
            config,
            backend: name,
            http: plain_client(),
            state,
            shutdown: Some(tx),
            task: Some(task),
            _pg: pg,
            dir,
        }
    }

    /// Stops the server and starts it again on the same data dir and database with its config
    /// changed by `change`: an operator editing `appframe.toml` and restarting. The server gets
    /// a new port, so app clients made before must be made again.
    pub async fn restart(&mut self, change: impl FnOnce(&mut Config)) {
        self.stop_in_place().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let base = format!("http://{addr}");
        let mut config = self.config.clone();
        config.server.addr = addr.to_string();
        config.server.public_url = base.clone();
        change(&mut config);
        let (task, tx, state) = launch(listener, &config, self.backend).await;
        self.state = state;
        self.api = format!("{base}/api");
        self.base = base;
        self.config = config;
        self.shutdown = Some(tx);
        self.task = Some(task);
    }

    /// Another server on this one's database (Postgres: a second instance of a scale-out
    /// deployment, with its own store, caches and listeners), in a data dir of its own. It
    /// must be dropped before this one (which drops the database).
    pub async fn second_instance(&self) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let base = format!("http://{addr}");
        let mut config = self.config.clone();
        config.server.addr = addr.to_string();
        config.server.public_url = base.clone();
        config.server.data_dir = dir.path().to_path_buf();
        let (task, tx, state) = launch(listener, &config, self.backend).await;
        TestServer {
            api: format!("{base}/api"),
            base,
            config,
            backend: self.backend,
            http: plain_client(),
            state,
            shutdown: Some(tx),
            task: Some(task),
            _pg: None,
            dir,
        }
    }

    async fn stop_in_place(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
        }
    }

    /// The first column of every row `sql` selects, as text, read straight from the server's
    /// database (to look at what is stored at rest).
    pub async fn db_texts(&self, sql: &str) -> Vec<String> {
        use sqlx::Connection;
        match &self.config.server.database_url {
            Some(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut c).await.unwrap();
                rows.into_iter().map(|r| r.0).collect()
            }
            None => {
                let file = self.dir.path().join("appframe.db");
                let mut c =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                        .await
                        .unwrap();
                let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut c).await.unwrap();
                rows.into_iter().map(|r| r.0).collect()
            }
        }
    }
}

/// Builds the state for `config`, serves it on `listener` and waits until it answers.
async fn launch(
    listener: tokio::net::TcpListener,
    config: &Config,
    name: &str,
) -> (
    tokio::task::JoinHandle<()>,
    oneshot::Sender<()>,
    appframe_server::AppState,
) {
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let state = appframe_server::build_state(config.clone())
        .await
        .unwrap_or_else(|e| panic!("build_state on {name}: {e}"));
    let served = state.clone();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.await;
        };
        if let Err(e) = appframe_server::serve(listener, served, shutdown).await {
            eprintln!("server stopped with error: {e}");
        }
    });
    // Wait until it answers, and report a server that died while starting (e.g. a router
    // that panics) instead of letting every request fail with "connection reset".
    let probe = plain_client();
    let mut task = task;
    for attempt in 0.. {
        if task.is_finished() {
            match (&mut task).await {
                Err(e) if e.is_panic() => {
                    std::panic::resume_unwind(e.into_panic());
                }
                other => panic!("the {name} server stopped while starting: {other:?}"),
            }
        }
        match probe.get(format!("{base}/api/app-items/list")).send().await {
            Ok(_) => break,
            Err(e) if attempt > 200 => panic!("the {name} server does not answer: {e}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
    (task, tx, state)
}

impl TestServer {
    /// Stops the server gracefully and waits for it (the database is dropped afterwards).
    pub async fn stop(mut self) {
        self.stop_in_place().await;
    }

    /// The data dir of this server.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `base + path` (`path` starts with `/api/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A cookie-carrying client logged in (dev login) as `member`.
    pub async fn login(&self, member: &str) -> Client {
        let c = cookie_client();
        let r = c
            .post(self.url("/api/login"))
            .json(&json!({ "memberId": member }))
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "dev login of {member} failed: {}",
            r.status()
        );
        c
    }

    /// Asks for an app token through a logged-in session, with the item's app key and origin.
    pub async fn token_for(&self, member: &str, item: &str) -> String {
        let key = key_of(item);
        let origin = if item == FOREIGN_ITEM {
            FOREIGN_ORIGIN
        } else {
            APP_ORIGIN
        };
        let session = self.login(member).await;
        self.token_with(&session, item, key, origin).await
    }

    /// Asks for a token with an explicit key and origin; panics unless it is granted.
    pub async fn token_with(
        &self,
        session: &Client,
        item: &str,
        key: &str,
        origin: &str,
    ) -> String {
        let r = session
            .post(self.url(&format!("/api/app-items/{item}/api-access-token")))
            .json(&json!({ "key": key, "origin": origin }))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "token for {item}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["token"].as_str().expect("token is a string").to_owned()
    }

    /// An app client: Bearer `token`, `Origin` of the demo apps, no cookies.
    pub fn app(&self, token: &str) -> AppClient {
        AppClient {
            http: self.http.clone(),
            api: self.api.clone(),
            token: token.to_owned(),
            origin: APP_ORIGIN.to_owned(),
        }
    }

    /// App client for `member` on `item` (login + token).
    pub async fn app_for(&self, member: &str, item: &str) -> AppClient {
        let token = self.token_for(member, item).await;
        let mut app = self.app(&token);
        if item == FOREIGN_ITEM {
            app.origin = FOREIGN_ORIGIN.to_owned();
        }
        app
    }

    /// Files currently stored under the data dir's `files/` (for "delete removes the file").
    pub fn stored_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.path().join("files"), &mut out);
        out
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The app key registered for the app of `item`.
pub fn key_of(item: &str) -> &'static str {
    match item {
        COUNTER_ITEM => COUNTER_KEY,
        NOTES_ITEM => NOTES_KEY,
        JS_ITEM => "106aa844-b6ec-4851-8685-9ca7d0be6238",
        FOREIGN_ITEM => FOREIGN_KEY,
        other => panic!("no app key known for item {other}"),
    }
}

/// A client with no cookie store (apps, integrations, credential-less file fetches).
pub fn plain_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client with a cookie store (a host page in a browser).
pub fn cookie_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Talks to the app routes as an app would: Bearer token, app `Origin`, no cookies.
#[derive(Clone)]
pub struct AppClient {
    /// The client.
    pub http: Client,
    /// `apiHost`.
    pub api: String,
    /// The Bearer token.
    pub token: String,
    /// The `Origin` header sent.
    pub origin: String,
}

impl AppClient {
    /// A request to `apiHost + path` with the app headers.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(&self.token)
            .header(header::ORIGIN, &self.origin)
    }

    /// GET and parse a JSON array, asserting 200.
    pub async fn list(&self, path: &str) -> Vec<Value> {
        let r = self.req(Method::GET, path).send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
        serde_json::from_str::<Vec<Value>>(&text)
            .unwrap_or_else(|e| panic!("GET {path} is not a JSON array ({e}): {text}"))
    }

    /// All app data of `item` visible to this token.
    pub async fn app_data(&self, item: &str) -> Vec<Value> {
        self.list(&format!("/app-items/{item}/app-data")).await
    }

    /// POST app data, asserting 200, returning the entity.
    pub async fn post_data(&self, item: &str, body: Value) -> Value {
        let r = self
            .req(Method::POST, &format!("/app-items/{item}/app-data"))
            .json(&body)
            .send()
            .await
            .unwrap();
        json_ok(r).await
    }

    /// POST an app action, asserting 204.
    pub async fn post_action(&self, item: &str, body: Value) {
        let r = self
            .req(Method::POST, &format!("/app-items/{item}/app-action"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, StatusCode::NO_CONTENT, "POST app-action: {text}");
        assert!(text.is_empty(), "204 has an empty body, got {text:?}");
    }

    /// POST an app setting, asserting 200.
    pub async fn post_setting(&self, item: &str, body: Value) -> Value {
        let r = self
            .req(Method::POST, &format!("/app-items/{item}/app-settings"))
            .json(&body)
            .send()
            .await
            .unwrap();
        json_ok(r).await
    }
}

/// Asserts 200 or 201 with a JSON body and returns it (creations in the integration API).
pub async fn json_created(r: Response) -> Value {
    let status = r.status();
    let url = r.url().to_string();
    let text = r.text().await.unwrap();
    assert!(
        status == StatusCode::OK || status == StatusCode::CREATED,
        "{url}: {status}: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {text}"))
}

/// Asserts 200 with a JSON body and returns it.
pub async fn json_ok(r: Response) -> Value {
    let status = r.status();
    let url = r.url().to_string();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{url}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {text}"))
}

/// Asserts a Graasp error: this status, a JSON body `{name, code, message, statusCode}` with
/// `statusCode` equal to the status, and (when given) this code. Returns the body.
pub async fn expect_error(r: Response, status: u16, code: Option<&str>) -> ErrorBody {
    let got = r.status().as_u16();
    let url = r.url().to_string();
    let ct = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{url}: expected {status}, got {got}: {text}");
    assert!(
        ct.starts_with("application/json"),
        "{url}: error content-type is {ct:?}, body {text:?}"
    );
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{url}: error body is not JSON ({e}): {text}"));
    for field in ["name", "code", "message", "statusCode"] {
        assert!(
            v.get(field).is_some(),
            "{url}: error body lacks {field}: {text}"
        );
    }
    let body: ErrorBody = serde_json::from_value(v)
        .unwrap_or_else(|e| panic!("{url}: error body has wrong types ({e}): {text}"));
    assert_eq!(body.status_code, status, "{url}: statusCode field: {text}");
    assert!(!body.name.is_empty() && !body.code.is_empty() && !body.message.is_empty());
    if let Some(code) = code {
        assert_eq!(body.code, code, "{url}: error code: {text}");
    }
    body
}

/// Signs `claims` as an HS256 JWT with `secret` (crafted tokens: expired, forged, other item).
pub fn sign_token(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Decodes a token's claims without checking anything (to look at what the server put in).
pub fn token_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .expect("JWT payload is base64url");
    serde_json::from_slice(&bytes).expect("JWT payload is JSON")
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The `rel="next"` target of a `Link` header, made absolute against `base`.
pub fn next_link(r: &Response, base: &str) -> Option<String> {
    let link = r.headers().get(header::LINK)?.to_str().ok()?;
    for part in link.split(',') {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        if is_next {
            let target = target.trim_start_matches('<').trim_end_matches('>');
            return Some(if target.starts_with("http") {
                target.to_owned()
            } else {
                format!("{base}{target}")
            });
        }
    }
    None
}

/// A header value as a string ("" when absent).
pub fn header_str(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Writes each test once and runs it on SQLite (`sqlite::<name>`) and Postgres
/// (`postgres::<name>`, which reports itself skipped without `APPFRAME_TEST_DATABASE_URL`).
/// `with(|c| ...)` before a test changes its server's config. A test gets its server mutably, so
/// it can [`TestServer::restart`] it.
#[macro_export]
macro_rules! api_tests {
    ($( $(#[doc = $doc:literal])* $(with($tweak:expr))? async fn $name:ident($t:ident) $body:block )*) => {
        $(
            $(#[doc = $doc])*
            async fn $name($t: &mut $crate::common::TestServer) $body
        )*

        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let mut t = $crate::common::TestServer::start(
                        $crate::common::Backend::Sqlite,
                        $crate::api_tests!(@tweak $($tweak)?),
                    ).await;
                    super::$name(&mut t).await;
                    t.stop().await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(backend) = $crate::common::Backend::postgres_from_env() else {
                        eprintln!("skipped: set APPFRAME_TEST_DATABASE_URL to run on Postgres");
                        return;
                    };
                    let mut t = $crate::common::TestServer::start(
                        backend,
                        $crate::api_tests!(@tweak $($tweak)?),
                    ).await;
                    super::$name(&mut t).await;
                    t.stop().await;
                }
            )*
        }
    };
    (@tweak) => { |_| {} };
    (@tweak $tweak:expr) => { $tweak };
}
