//! What the server's benchmark examples share: the real server on SQLite in a temporary data
//! dir, the bare axum route that is the ceiling, and raw hyper connections.
#![allow(dead_code, clippy::expect_used)] // each example uses a part; setup failures abort the run

use appframe_server::config::{Config, DEMO_TOML};
use serde_json::json;
use std::net::SocketAddr;
use tokio::{sync::oneshot, task::JoinHandle};

/// The server under test, stopped by [`BenchServer::stop`] (or with the process).
pub struct BenchServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://<addr>`.
    pub base: String,
    /// `http://<addr>/api`.
    pub api: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

/// Starts the server on loopback with the demo config plus `extra_toml`, dev login on, SQLite in
/// a fresh temporary dir, no host page or app bundles.
pub async fn start_server(extra_toml: &str) -> BenchServer {
    start_server_with(extra_toml, |_| {}).await
}

/// [`start_server`] with the config changed by `tweak` first.
pub async fn start_server_with(extra_toml: &str, tweak: fn(&mut Config)) -> BenchServer {
    start_server_on(extra_toml, None, tweak).await
}

/// [`start_server_with`] on the database `database_url` (`None`: SQLite in the temporary dir).
pub async fn start_server_on(
    extra_toml: &str,
    database_url: Option<String>,
    tweak: fn(&mut Config),
) -> BenchServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let mut config = Config::from_toml_str(&format!("{DEMO_TOML}\n{extra_toml}")).expect("config");
    config.server.addr = addr.to_string();
    config.server.public_url = base.clone();
    config.server.data_dir = dir.path().to_path_buf();
    config.server.database_url = database_url;
    config.server.dev = true;
    config.server.host_dir = None;
    config.server.apps_dir = None;
    config.server.apps_addr = None;
    tweak(&mut config);
    let state = appframe_server::build_state(config)
        .await
        .expect("build_state");
    let (stop, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = appframe_server::serve(listener, state, async move {
            let _ = stop_rx.await;
        })
        .await;
    });
    BenchServer {
        addr,
        api: format!("{base}/api"),
        base,
        stop,
        task,
        _dir: dir,
    }
}

impl BenchServer {
    /// Shuts the server down gracefully (at most 5 s).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.task).await;
    }
}

/// Starts the ceiling: a bare axum route answering `GET /ceiling` with a small JSON object, on
/// the same runtime and its own port.
pub async fn start_ceiling() -> SocketAddr {
    let bare = axum::Router::new().route(
        "/ceiling",
        axum::routing::get(|| async {
            axum::Json(json!({"id": "b0000000-0000-4000-8000-000000000000", "name": "ceiling", "ok": true}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, bare).await });
    addr
}

/// A fresh Postgres database for one benchmark run, dropped by [`BenchDatabase::drop_now`].
pub struct BenchDatabase {
    admin_url: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl BenchDatabase {
    /// Creates `appframe_bench_<random>` on the server of `admin_url`.
    pub async fn create(admin_url: &str) -> BenchDatabase {
        use sqlx::Connection;
        let name = format!("appframe_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("connect to {admin_url}: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create the bench database");
        let _ = conn.close().await;
        let mut url = reqwest::Url::parse(admin_url).expect("a Postgres URL");
        url.set_path(&format!("/{name}"));
        BenchDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        }
    }

    /// Drops the database (the servers on it must be stopped).
    pub async fn drop_now(self) {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

/// The value after `--postgres`: a Postgres URL to run on (a fresh database is created there).
pub fn postgres_arg() -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == "--postgres")?;
    Some(args.get(i + 1).cloned().expect("--postgres takes a URL"))
}

/// The load average (1, 5, 15 min) as `/proc/loadavg` gives it.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// A raw HTTP/1.1 connection (no pool lookup, no per-request client work beyond hyper's).
pub type Sender = hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>;

/// Opens one keep-alive connection to `addr` with `TCP_NODELAY`.
pub async fn connect(addr: SocketAddr) -> Sender {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    send
}

/// The demo counter app's key (`server/demo.toml`); the bench items use the counter app.
pub const COUNTER_KEY: &str = "1d85bd0c-7c60-49cd-9775-9898fcb16668";
/// The registered origin of the demo apps.
pub const APP_ORIGIN: &str = "http://127.0.0.1:8081";

/// A client holding `member`'s host session (dev login).
pub async fn login(api: &str, member: &str) -> reqwest::Client {
    let session = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let r = session
        .post(format!("{api}/login"))
        .json(&json!({"memberId": member}))
        .send()
        .await
        .expect("login");
    assert!(r.status().is_success(), "login: {}", r.status());
    session
}

/// An app token of the counter app for `item`, minted through the `session`'s member.
pub async fn app_token(session: &reqwest::Client, api: &str, item: &str) -> String {
    let v: serde_json::Value = session
        .post(format!("{api}/app-items/{item}/api-access-token"))
        .json(&json!({"key": COUNTER_KEY, "origin": APP_ORIGIN}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    v["token"].as_str().expect("token").to_owned()
}
