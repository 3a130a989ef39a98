//! appframe-server: registers apps, issues short-lived app tokens and stores each app item's
//! data, actions, settings and files behind the Graasp apps API (`/api/app-items/...`).
//!
//! Run the built-in demo (SQLite in `./data`, dev login enabled):
//!
//! ```text
//! cargo run -p appframe-server -- serve                      # demo config, 127.0.0.1:8080
//! cargo run -p appframe-server -- serve --config appframe.toml --addr 127.0.0.1:9000
//! cargo run -p appframe-server -- check-config appframe.toml # OK, or the error with its line
//! cargo run -p appframe-server -- check-config appframe.toml --plan # what a start would change
//! ```
//!
//! `DATABASE_URL=postgres://...` switches to Postgres; `APPFRAME_*` variables override the
//! `[server]` table. OpenAPI is at `/api/openapi.json`, Swagger UI at `/swagger`.
//!
//! In a test, bind port 0 and serve in-process:
//!
//! ```no_run
//! # async fn run() -> Result<(), appframe_server::Error> {
//! let mut config = appframe_server::config::Config::demo();
//! config.server.data_dir = std::env::temp_dir().join("appframe-doc");
//! let state = appframe_server::build_state(config).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! appframe_server::serve(listener, state, std::future::pending()).await
//! # }
//! ```

pub mod access;
pub mod auth;
pub mod cache;
pub mod chat_bot;
pub mod config;
pub mod csp;
mod error;
pub mod extract;
pub mod manifest;
pub mod quota;
pub mod ratelimit;
pub mod reconcile;
pub mod routes;
pub mod secret;
pub mod storage;
pub mod store;
#[cfg(test)]
mod tests;
pub mod ws;

pub use error::{Error, Result};

use crate::{
    auth::Jwt,
    config::Config,
    store::{PgStore, SqliteStore, Store},
};
use axum::{Router, extract::DefaultBodyLimit, http::HeaderName};
use object_store::ObjectStore;
use std::{
    collections::HashSet,
    future::Future,
    path::Path,
    sync::{Arc, RwLock},
};
use tower_http::{
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    services::{ServeDir, ServeFile},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

/// Header carrying the request id (set when absent, echoed in the response and in logs).
pub const REQUEST_ID: &str = "x-request-id";

struct Inner {
    config: Config,
    /// The SQL store behind its read caches.
    store: Arc<cache::CachedStore>,
    jwt: Jwt,
    files: Arc<dyn ObjectStore>,
    /// Registered publisher origins, the CORS allow-list of `/api/app-items/*`; refreshed when
    /// publishers change so CORS never uses a stale static list.
    origins: RwLock<Arc<HashSet<String>>>,
    /// Websocket subscriptions and the fan-out of committed writes.
    ws: Arc<ws::Hub>,
    /// Token minting per (host session, item) and per (API key, item).
    mint_limiter: ratelimit::RateLimiter<auth::MintKey>,
    /// The chat bot's backend, when `[chat_bot]` configures one.
    chat_bot: Option<chat_bot::ChatBot>,
    /// The app manifests of `apps_dir`, read and validated at start.
    manifests: manifest::Manifests,
}

/// Shared state of every handler: config, store, signing keys, file storage.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.inner.store.backend())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The configuration the server started with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The store, behind its read caches.
    pub fn store(&self) -> &cache::CachedStore {
        &self.inner.store
    }

    /// The app manifests of `apps_dir`.
    pub fn manifests(&self) -> &manifest::Manifests {
        &self.inner.manifests
    }

    /// Token signing keys.
    pub fn jwt(&self) -> &Jwt {
        &self.inner.jwt
    }

    /// The rate limit of token minting.
    pub fn mint_limiter(&self) -> &ratelimit::RateLimiter<auth::MintKey> {
        &self.inner.mint_limiter
    }

    /// The chat bot's backend, if one is configured.
    pub fn chat_bot(&self) -> Option<&chat_bot::ChatBot> {
        self.inner.chat_bot.as_ref()
    }

    /// The websocket hub (publish committed writes with [`ws::Hub::publish`]).
    pub fn ws(&self) -> &Arc<ws::Hub> {
        &self.inner.ws
    }

    /// File storage.
    pub fn files(&self) -> &dyn ObjectStore {
        self.inner.files.as_ref()
    }

    /// Whether an origin is registered by a publisher.
    pub fn is_registered_origin(&self, origin: &str) -> bool {
        self.inner
            .origins
            .read()
            .map(|o| o.contains(origin))
            .unwrap_or(false)
    }

    /// The registered publisher origins, sorted (the host page's `frame-src`).
    pub fn publisher_origins(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .inner
            .origins
            .read()
            .map(|o| o.iter().cloned().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Reloads the publisher origins from the store.
    pub async fn refresh_origins(&self) -> Result<()> {
        let set: HashSet<String> = self
            .store()
            .list_publishers()
            .await?
            .into_iter()
            .flat_map(|p| p.origins)
            .collect();
        if let Ok(mut o) = self.inner.origins.write() {
            *o = Arc::new(set);
        }
        Ok(())
    }
}

/// The SQLite database file in `data_dir` when no `database_url` is set.
pub const SQLITE_FILE: &str = "appframe.db";

/// Opens the store named by the config: Postgres for `postgres://` URLs, a SQLite URL, or the
/// SQLite file `data_dir/appframe.db`.
pub(crate) async fn open_store(config: &Config) -> Result<Arc<dyn Store>> {
    let s = &config.server;
    match s.database_url.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStore::connect(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => Ok(Arc::new(SqliteStore::open_url(url).await?)),
        Some(url) => Err(Error::Internal(format!(
            "unsupported database URL scheme in {:?}",
            url.split(':').next().unwrap_or_default()
        ))),
        None => Ok(Arc::new(
            SqliteStore::open(&s.data_dir.join(SQLITE_FILE)).await?,
        )),
    }
}

/// Writes the config's registry into the store and takes back what the file no longer
/// declares (see [`reconcile`]); running it twice changes nothing.
///
/// Instances that start together on one Postgres database would apply the same file at once,
/// and two inserts of one new entry can collide on a unique key its upsert does not arbitrate
/// (seen in the scale-out tests: "an API key with this name already exists"). So one instance
/// applies at a time, under the store's configuration lock (`store/config_lock.rs`): the next
/// reads the registry after the first has committed.
pub async fn apply_config(store: &dyn Store, config: &Config) -> Result<()> {
    let lock = store.lock_configuration().await?;
    let applied = reconcile::apply(store, config).await;
    lock.release().await;
    applied.map(drop)
}

/// Validates the config, opens the store (creating the SQLite file on first run), runs the
/// migrations, applies the config (revoking what it no longer declares, see [`reconcile`]),
/// and loads or generates the token secret.
pub async fn build_state(config: Config) -> Result<AppState> {
    config.validate()?;
    if config.server.dev {
        tracing::warn!("{}", config.dev_login_warning());
    }
    let data_dir = &config.server.data_dir;
    std::fs::create_dir_all(data_dir)?;
    let store = Arc::new(cache::CachedStore::new(
        open_store(&config).await?,
        config.server.data_cache_bytes,
    ));
    store.migrate().await?;
    apply_config(&**store, &config).await?;
    store.purge_sessions(store::now()).await?;
    if config.server.jwt_secret.is_none()
        && (config.server.files_url.is_some() || store.backend() == "postgres")
    {
        // Shared storage suggests several instances; each would generate its own secret in its
        // own data_dir, and a token minted by one would be refused by the others.
        tracing::warn!(
            "server.jwt_secret is not set: this instance signs tokens with a secret of its own \
             data_dir; when several instances share the database, give them all the same \
             jwt_secret (APPFRAME_JWT_SECRET)"
        );
    }
    let secret = auth::load_or_create_secret(config.server.jwt_secret.as_deref(), data_dir)?;
    let jwt = Jwt::new(secret.as_bytes(), config.server.token_ttl_secs);
    let files = storage::open(&config).await?;
    let ws = ws::start(&config, store.clone()).await?;
    let mint_limiter = ratelimit::RateLimiter::new(
        config.server.token_mint_burst,
        config.server.token_mint_per_minute,
    );
    let chat_bot = config
        .chat_bot
        .as_ref()
        .map(chat_bot::ChatBot::new)
        .transpose()?;
    let manifests = manifest::Manifests::of_config(&config)?;
    let state = AppState {
        inner: Arc::new(Inner {
            config,
            store,
            jwt,
            files,
            origins: RwLock::new(Arc::new(HashSet::new())),
            ws,
            mint_limiter,
            chat_bot,
            manifests,
        }),
    };
    state.refresh_origins().await?;
    Ok(state)
}

/// The whole HTTP app: `/api/...`, `/swagger`, what the Graasp client calls at the origin's
/// root (`/ws`, `/app-items/{itemId}/chat-bot`), and the host page at `/` when `host_dir` is set.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    let max_body = state.config().server.max_body_bytes;
    let mut router = Router::new()
        .nest("/api", routes::api_router(state.clone()))
        .merge(routes::root_router(state.clone()))
        .merge(routes::openapi::swagger());
    if let Some(dir) = &state.config().server.host_dir {
        router = router.fallback_service(spa_dir(dir));
    }
    router
        .layer(axum::middleware::from_fn_with_state(state.clone(), csp::layer))
        .layer(axum::middleware::from_fn(cache::note_arrival))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
            },
        ).on_response(DefaultOnResponse::new().level(Level::INFO)))
        .layer(SetRequestIdLayer::new(request_id, RandomRequestId))
}

/// Request ids: random UUIDs (v4) like tower-http's `MakeRequestUuid`, but drawn from the
/// thread's seeded generator instead of one `getrandom` system call per request.
#[derive(Debug, Clone, Copy, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut buf = uuid::Uuid::encode_buffer();
        axum::http::HeaderValue::from_str(id.hyphenated().encode_lower(&mut buf))
            .ok()
            .map(RequestId::new)
    }
}

/// Serves a directory with SPA fallback: unknown paths get `index.html` (client routes).
fn spa_dir(dir: &Path) -> ServeDir<ServeFile> {
    ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))
}

/// Serves app bundles from a directory (the binary runs it on `apps_addr`, a second origin,
/// as a CDN would). `/name` redirects to `/name/` so relative asset URLs resolve. Only the host
/// page and `frame_ancestors` may frame them ([`csp::apps`]).
/// Each bundle with a manifest (`<dir>/<name>/appframe.toml`) gets its own policy
/// ([`csp::app_bundle`]); a manifest that does not validate is an error.
pub fn static_apps_router(dir: &Path, config: &Config) -> Result<Router> {
    let manifests = manifest::Manifests::load(Some(dir))?;
    let router =
        Router::new().fallback_service(ServeDir::new(dir).append_index_html_on_directories(true));
    Ok(csp::apps_layer(router, config, &manifests).layer(TraceLayer::new_for_http()))
}

/// How long shutdown waits for websockets to send their close frames.
const WS_DRAIN: std::time::Duration = std::time::Duration::from_secs(3);

/// Serves [`app`] on a bound listener until `shutdown` resolves, then drains connections and
/// closes websockets with 1001 (upgraded connections are not tracked by the HTTP server).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let hub = state.ws().clone();
    let signal = hub.clone();
    let result = axum::serve(listener, app(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            signal.shutdown();
        })
        .await;
    hub.shutdown();
    let deadline = tokio::time::Instant::now() + WS_DRAIN;
    while hub.live() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    result?;
    Ok(())
}
