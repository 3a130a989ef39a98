//! The system under test, in-process: the real server (API + demo host page) on one ephemeral
//! port, the example app bundles on a second (their own origin, as a CDN would serve them), and
//! the hostile fixture pages on a third.

use crate::{
    demo::{APPS, DemoApp},
    error::{Error, Result},
    journal::Journal,
};
use appframe_server::{AppState, config::Config};
use axum::Router;
use std::path::{Path, PathBuf};
use tokio::{net::TcpListener, task::JoinHandle};
use tower_http::services::{ServeDir, ServeFile};
use uuid::Uuid;

/// Path prefix, on the HOST origin, of the fixture pages that must be same-origin with the host
/// (the benchmark host pages: they log in with the session cookie and ask the server for tokens).
pub const HOST_FIXTURES: &str = "/__e2e/fixtures";
/// Path prefix, on the host origin, of the host bridge's JS package (`dist/host-bridge/`).
pub const HOST_BRIDGE: &str = "/__e2e/host-bridge";
/// Path prefix, on the host AND the apps origin, of a folder a test made
/// ([`Stack::start_serving`]): a host page that must be same-origin with the API, and an app
/// that must be on a registered publisher origin.
pub const PAGES: &str = "/__e2e/pages";

/// The repository root (this crate's parent folder).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The built bundles: `$APPFRAME_DIST_DIR`, else `<repo>/dist`.
pub fn dist_dir() -> PathBuf {
    std::env::var_os("APPFRAME_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("dist"))
}

/// The hostile and benchmark fixture pages (`e2e/fixtures/`).
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Fails with [`Error::MissingDist`] unless `dist/` holds the host page and every example app.
pub fn check_dist(dist: &Path) -> Result<()> {
    let mut needed = vec![(
        "the demo host page".to_owned(),
        dist.join("host/index.html"),
    )];
    for app in APPS {
        needed.push((
            format!("the {} example app", app.name),
            dist.join("apps").join(app.name).join("index.html"),
        ));
    }
    for (what, path) in needed {
        if !path.is_file() {
            return Err(Error::MissingDist { what, path });
        }
    }
    Ok(())
}

/// A running server + apps origin + fixtures origin. Everything stops when it drops.
#[derive(Debug)]
pub struct Stack {
    /// The host origin (`http://127.0.0.1:PORT`): API under `/api`, demo host page at `/`.
    pub host: String,
    /// The apps origin, serving `dist/apps/<name>/`.
    pub apps: String,
    /// A third origin, registered nowhere, serving `e2e/fixtures/`.
    pub fixtures: String,
    /// The server's state (store access for checks that the UI cannot show).
    pub state: AppState,
    /// Every request the host origin received and how it ended (saved when a test fails).
    pub journal: Journal,
    tasks: Vec<JoinHandle<()>>,
    _data_dir: tempfile::TempDir,
}

async fn bind() -> Result<(TcpListener, String)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    Ok((listener, origin))
}

fn spawn(listener: TcpListener, router: Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        // The task is aborted when the stack drops; an accept error ends it early, and the test
        // then fails on the page that cannot load, which names the cause better than we could.
        let _ = axum::serve(listener, router).await;
    })
}

/// The demo config rewritten for this run: fresh data dir, the bound host origin, and the apps
/// registered at the ephemeral apps origin instead of the demo's fixed `127.0.0.1:8081`.
pub fn demo_config(data_dir: &Path, host: &str, apps: &str, dist: &Path) -> Config {
    local_config(Config::demo(), data_dir, host, apps, dist)
}

/// [`demo_config`] for any config shaped like the demo's (e.g. the demo config with the apps of
/// `apps/dev.toml` appended, as `cargo xtask serve` runs it).
pub fn local_config(
    mut config: Config,
    data_dir: &Path,
    host: &str,
    apps: &str,
    dist: &Path,
) -> Config {
    let demo_apps_origin = config
        .apps
        .first()
        .and_then(|a| appframe_server::config::origin_of(&a.url))
        .unwrap_or_default();
    config.server.addr = host.trim_start_matches("http://").to_owned();
    config.server.public_url = host.to_owned();
    config.server.data_dir = data_dir.to_path_buf();
    config.server.dev = true;
    config.server.host_dir = Some(dist.join("host"));
    // The stack serves the apps itself, on its own listener; the keys still name that
    // directory and address, so the server reads the app manifests there and finds each app's.
    config.server.apps_dir = Some(dist.join("apps"));
    config.server.apps_addr = Some(apps.trim_start_matches("http://").to_owned());
    for p in &mut config.publishers {
        p.origins = vec![apps.to_owned()];
    }
    for a in &mut config.apps {
        if !demo_apps_origin.is_empty() && a.url.starts_with(&demo_apps_origin) {
            a.url = format!("{apps}{}", &a.url[demo_apps_origin.len()..]);
        }
    }
    config
}

impl Stack {
    /// Checks `dist/`, then starts the three origins on fresh ports with a fresh SQLite file.
    pub async fn start() -> Result<Stack> {
        Self::start_with(|_| {}).await
    }

    /// [`Stack::start`] with the server's config changed by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Result<Stack> {
        Self::start_inner(Config::demo(), tweak, None).await
    }

    /// [`Stack::start_with`] on another config shaped like the demo's (its apps served from
    /// `dist/apps/`, moved to the stack's apps origin).
    pub async fn start_from(base: Config, tweak: impl FnOnce(&mut Config)) -> Result<Stack> {
        Self::start_inner(base, tweak, None).await
    }

    /// [`Stack::start`] that also serves `pages` under [`PAGES`] on the host and the apps origin.
    pub async fn start_serving(pages: &Path) -> Result<Stack> {
        Self::start_inner(Config::demo(), |_| {}, Some(pages)).await
    }

    async fn start_inner(
        base: Config,
        tweak: impl FnOnce(&mut Config),
        pages: Option<&Path>,
    ) -> Result<Stack> {
        let dist = dist_dir();
        check_dist(&dist)?;
        let data_dir = tempfile::Builder::new().prefix("appframe-e2e-").tempdir()?;
        let (host_listener, host) = bind().await?;
        let (apps_listener, apps) = bind().await?;
        let (fixtures_listener, fixtures) = bind().await?;
        let mut config = local_config(base, data_dir.path(), &host, &apps, &dist);
        // The hostile fixtures frame the host page and the apps, as another host page would.
        config.server.frame_ancestors = vec![fixtures.clone()];
        tweak(&mut config);
        let mut apps_router = appframe_server::static_apps_router(&dist.join("apps"), &config)?;
        let state = appframe_server::build_state(config).await?;
        let journal = Journal::default();
        let j = journal.clone();
        let mut host_router = Router::new();
        if let Some(pages) = pages {
            host_router = host_router.nest_service(PAGES, ServeDir::new(pages));
            apps_router = Router::new()
                .nest_service(PAGES, ServeDir::new(pages))
                .merge(apps_router);
        }
        let host_router = host_router
            .nest_service(HOST_FIXTURES, ServeDir::new(fixtures_dir()))
            .nest_service(HOST_BRIDGE, ServeDir::new(dist.join("host-bridge")))
            .merge(appframe_server::app(state.clone()))
            .layer(axum::middleware::from_fn(move |req, next| {
                j.clone().record(req, next)
            }));
        let tasks = vec![
            spawn(host_listener, host_router),
            spawn(apps_listener, apps_router),
            spawn(
                fixtures_listener,
                Router::new()
                    // The boot script's source, for fixture pages that test it without an SDK.
                    .route_service(
                        "/boot.js",
                        ServeFile::new(repo_root().join("app-sdk/js/boot.js")),
                    )
                    .fallback_service(ServeDir::new(fixtures_dir())),
            ),
        ];
        Ok(Stack {
            host,
            apps,
            fixtures,
            state,
            journal,
            tasks,
            _data_dir: data_dir,
        })
    }

    /// The host page of `item` in `view` (builder, player, analytics), logged in as `member`.
    pub fn item_page(&self, item: Uuid, view: &str, member: Uuid) -> String {
        format!("{}/items/{item}?view={view}&as={member}", self.host)
    }

    /// The app's page on the apps origin (opened alone, it runs in standalone mode).
    pub fn app_page(&self, app: DemoApp) -> String {
        format!("{}/{}/", self.apps, app.name)
    }

    /// The API base the host sends as `apiHost`.
    pub fn api_host(&self) -> String {
        format!("{}/api", self.host)
    }

    /// Points `app` at the page `url`, as a platform re-registering the app would: the host then
    /// frames that page for the app's items. The page's origin joins the app's publisher when it
    /// is not one of its origins yet.
    pub async fn serve_app_from(&self, app: DemoApp, url: String) -> Result<()> {
        let store = self.state.store();
        let mut record = store
            .get_app(app.name)
            .await?
            .ok_or_else(|| Error::Check(format!("no app {}", app.name)))?;
        let origin = appframe_server::config::origin_of(&url).unwrap_or_default();
        record.url = url;
        if let Some(mut publisher) = store
            .list_publishers()
            .await?
            .into_iter()
            .find(|p| p.name == record.publisher && !p.origins.contains(&origin))
        {
            publisher.origins.push(origin);
            store.upsert_publisher(&publisher).await?;
        }
        store.upsert_app(&record).await?;
        self.state.refresh_origins().await?;
        Ok(())
    }

    /// A fixture page on the third origin, with a query string.
    pub fn fixture(&self, page: &str, query: &[(&str, &str)]) -> String {
        with_query(&format!("{}/{page}", self.fixtures), query)
    }

    /// A page of [`Stack::start_serving`]'s folder on the host origin, with a query string.
    pub fn page_on_host(&self, page: &str, query: &[(&str, &str)]) -> String {
        with_query(&format!("{}{PAGES}/{page}", self.host), query)
    }

    /// A page of [`Stack::start_serving`]'s folder on the apps origin, with a query string.
    pub fn page_on_apps(&self, page: &str, query: &[(&str, &str)]) -> String {
        with_query(&format!("{}{PAGES}/{page}", self.apps), query)
    }

    /// A fixture page served on the HOST origin, with a query string.
    pub fn host_fixture(&self, page: &str, query: &[(&str, &str)]) -> String {
        with_query(&format!("{}{HOST_FIXTURES}/{page}", self.host), query)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// `url?k=v&...` with each value percent-encoded.
pub fn with_query(url: &str, query: &[(&str, &str)]) -> String {
    let mut out = url.to_owned();
    for (i, (k, v)) in query.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn demo_config_moves_every_app_and_publisher_to_the_ephemeral_apps_origin() {
        let c = demo_config(
            Path::new("/tmp/x"),
            "http://127.0.0.1:4000",
            "http://127.0.0.1:4001",
            Path::new("/d"),
        );
        assert_eq!(c.server.public_url, "http://127.0.0.1:4000");
        assert_eq!(c.server.addr, "127.0.0.1:4000");
        assert_eq!(c.server.host_dir.as_deref(), Some(Path::new("/d/host")));
        assert_eq!(c.server.apps_addr.as_deref(), Some("127.0.0.1:4001"));
        assert_eq!(c.server.apps_dir.as_deref(), Some(Path::new("/d/apps")));
        for p in &c.publishers {
            assert_eq!(p.origins, vec!["http://127.0.0.1:4001".to_owned()]);
        }
        for app in APPS {
            let a = c.apps.iter().find(|a| a.name == app.name).unwrap();
            assert_eq!(a.url, format!("http://127.0.0.1:4001/{}/", app.name));
        }
        c.validate().unwrap();
    }

    #[test]
    fn with_query_encodes_values() {
        assert_eq!(
            with_query("http://h/p", &[("a", "x y"), ("u", "http://h:1/?q=1")]),
            "http://h/p?a=x%20y&u=http%3A%2F%2Fh%3A1%2F%3Fq%3D1"
        );
        assert_eq!(with_query("http://h/p", &[]), "http://h/p");
    }

    #[test]
    fn check_dist_names_the_missing_bundle_and_the_build_command() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_dist(dir.path()).unwrap_err().to_string();
        assert!(err.contains("demo host page"), "{err}");
        assert!(err.contains("cargo xtask build"), "{err}");
    }
}
