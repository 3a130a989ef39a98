//! Load-balanced benchmark: app-data GET (100 rows) and durable POST through HAProxy
//! (`deploy/haproxy.cfg`) in front of one and then two release server processes on one
//! PostgreSQL database, beside the same load sent to one instance directly. Prints a markdown
//! table with the ratio two/one.
//!
//! ```text
//! cargo xtask bench server-lb      # installs HAProxy if missing, builds, runs (~1 min)
//! APPFRAME_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//! APPFRAME_BENCH_HAPROXY=/usr/sbin/haproxy \
//!   cargo run --release -p appframe-server --example lb_bench [-- --quick]
//! ```
//!
//! A fresh database is created on that server and dropped at the end. Every process (load
//! client, HAProxy, instances, PostgreSQL) shares this machine's cores, so the ratio says how
//! much a second instance adds when they are the limit, not what N machines would give.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/process.rs"]
mod process;
#[path = "support/mod.rs"]
mod support;

use appframe_server::config::{Config, DEMO_TOML};
use http_body_util::BodyExt;
use hyper::{Method, StatusCode, header};
use serde_json::json;
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use support::APP_ORIGIN;

/// Concurrent connections (and client tasks).
const CONNECTIONS: usize = 64;
const ALICE: &str = "dca3c530-eff8-4c46-8172-bd614654a02d";
const BOB: &str = "bc5c25bd-3b16-4465-baba-7abf825cbd90";
/// 100 rows, read by the GET scenario.
const GET_ITEM: &str = "c0000000-0000-4000-8000-000000000100";
/// Items the POST scenarios write, per run (an item holds at most 10,000 rows).
const POST_ITEMS: usize = 16;
/// POST runs: direct, one instance behind the balancer, two behind it.
const RUNS: usize = 3;
const JWT_SECRET: &str = "lb-bench-secret-0123456789abcdef0123456789abcdef";
const HAPROXY_TEMPLATE: &str = include_str!("../../deploy/haproxy.cfg");

fn post_item(run: usize, i: usize) -> String {
    format!("c0000000-0000-4000-8000-0000000c{run:02x}{i:02x}")
}

/// The bench items, Bob writing, Alice admin.
fn bench_toml() -> String {
    let mut ids = vec![GET_ITEM.to_owned()];
    for run in 0..RUNS {
        ids.extend((0..POST_ITEMS).map(|i| post_item(run, i)));
    }
    ids.iter()
        .map(|id| {
            format!(
                "\n[[items]]\nid = \"{id}\"\nname = \"lb bench {id}\"\napp = \"counter\"\n\
                 \n[[memberships]]\nmember = \"{BOB}\"\nitem = \"{id}\"\npermission = \"write\"\n\
                 \n[[memberships]]\nmember = \"{ALICE}\"\nitem = \"{id}\"\npermission = \"admin\"\n"
            )
        })
        .collect()
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// HAProxy on `port` in front of `instances`; killed when dropped.
struct Haproxy {
    child: Child,
    /// Holds the rendered config until HAProxy stops.
    _dir: tempfile::TempDir,
}

impl Haproxy {
    async fn start(bin: &str, port: u16, instances: &[&str]) -> Haproxy {
        let dir = tempfile::tempdir().expect("tempdir");
        let servers: Vec<String> = instances
            .iter()
            .enumerate()
            .map(|(i, a)| format!("    server app{} {a}", i + 1))
            .collect();
        let cfg = HAPROXY_TEMPLATE
            .replace("{{bind}}", &format!("127.0.0.1:{port}"))
            .replace("    {{servers}}", &servers.join("\n"));
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, cfg).expect("write haproxy.cfg");
        let child = Command::new(bin)
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy");
        let lb = Haproxy { child, _dir: dir };
        // Ready when every instance has answered through it.
        let client = reqwest::Client::new();
        let mut seen = std::collections::BTreeSet::new();
        let t0 = Instant::now();
        while seen.len() < instances.len() {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "haproxy is not ready"
            );
            if let Ok(r) = client
                .get(format!("http://127.0.0.1:{port}/api/health"))
                .send()
                .await
                && let Some(v) = r.headers().get("x-appframe-instance")
            {
                seen.insert(v.to_str().unwrap_or_default().to_owned());
            } else {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        lb
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Outcome {
    requests: usize,
    errors: usize,
    secs: f64,
    p50: Duration,
    p99: Duration,
}

impl Outcome {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.secs
    }
}

/// `CONNECTIONS` tasks, each on its own keep-alive connection to `addr`; connection `c` sends
/// `method` to `targets[c % len]` (path, token) with `body`. Counts requests started after the
/// warm-up; a request is served when its whole body arrived with 200.
async fn run(
    addr: std::net::SocketAddr,
    method: Method,
    targets: &[(String, String)],
    body: Option<serde_json::Value>,
    warmup: Duration,
    measure: Duration,
) -> Outcome {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + measure;
    let body = body.map(|b| bytes::Bytes::from(serde_json::to_vec(&b).expect("body")));
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let (path, token) = targets[c % targets.len()].clone();
        let method = method.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut send = support::connect(addr).await;
            let auth = format!("Bearer {token}");
            let mut lat = Vec::with_capacity(1 << 14);
            let mut errors = 0usize;
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let mut req = hyper::Request::builder()
                    .method(method.clone())
                    .uri(path.as_str())
                    .header(header::HOST, addr.to_string())
                    .header(header::AUTHORIZATION, auth.as_str())
                    .header(header::ORIGIN, APP_ORIGIN);
                if body.is_some() {
                    req = req.header(header::CONTENT_TYPE, "application/json");
                }
                let req = req
                    .body(http_body_util::Full::new(body.clone().unwrap_or_default()))
                    .expect("request");
                let ok = match send.send_request(req).await {
                    Ok(r) => {
                        let status = r.status();
                        r.into_body().collect().await.is_ok() && status == StatusCode::OK
                    }
                    Err(_) => false,
                };
                if !ok && send.is_closed() {
                    send = support::connect(addr).await;
                }
                if t0 >= measure_from {
                    lat.push(t0.elapsed());
                    errors += usize::from(!ok);
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("load task");
        all.extend(lat);
        errors += e;
    }
    let secs = (Instant::now() - measure_from).as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Outcome {
        requests: all.len(),
        errors,
        secs,
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// A database of its own on the server of `admin_url`, dropped at the end of the run.
async fn create_database(admin_url: &str) -> (String, String) {
    use sqlx::Connection;
    let name = format!("appframe_lb_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create the bench database");
    let mut url = url::Url::parse(admin_url).expect("database URL");
    url.set_path(&format!("/{name}"));
    (name, url.to_string())
}

async fn drop_database(admin_url: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (warmup, measure) = if quick {
        (Duration::from_millis(300), Duration::from_millis(1500))
    } else {
        (Duration::from_secs(1), Duration::from_secs(5))
    };
    let admin_url = std::env::var("APPFRAME_BENCH_DATABASE_URL")
        .expect("APPFRAME_BENCH_DATABASE_URL names a PostgreSQL server (cargo xtask bench server-lb sets it)");
    let haproxy = std::env::var("APPFRAME_BENCH_HAPROXY")
        .expect("APPFRAME_BENCH_HAPROXY names haproxy (cargo xtask bench server-lb sets it)");
    let (db_name, db_url) = create_database(&admin_url).await;

    let lb_port = free_port();
    let public = format!("http://127.0.0.1:{lb_port}");
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let config = |port: u16, dir: &std::path::Path| {
        let mut c = Config::from_toml_str(&format!("{DEMO_TOML}\n{}", bench_toml())).unwrap();
        let s = &mut c.server;
        s.addr = format!("127.0.0.1:{port}");
        s.public_url = public.clone();
        s.data_dir = dir.to_path_buf();
        s.database_url = Some(db_url.clone());
        s.jwt_secret = Some(JWT_SECRET.into());
        s.dev = true;
        s.host_dir = None;
        s.apps_dir = None;
        s.apps_addr = None;
        s.item_data_rows = 10_000;
        s.member_data_rows = 10_000;
        s.item_data_bytes = 1 << 30;
        s.member_data_bytes = 1 << 30;
        c
    };
    let ports = [free_port(), free_port()];
    eprintln!("starting two release server processes on PostgreSQL ({db_name})...");
    let a = process::start(&config(ports[0], dirs[0].path()), dirs[0].path()).await;
    let b = process::start(&config(ports[1], dirs[1].path()), dirs[1].path()).await;
    let addr_a = format!("127.0.0.1:{}", ports[0]);
    let addr_b = format!("127.0.0.1:{}", ports[1]);

    let api_a = format!("http://{addr_a}/api");
    let session = support::login(&api_a, BOB).await;
    let get_token = support::app_token(&session, &api_a, GET_ITEM).await;
    let client = reqwest::Client::new();
    for n in 0..100 {
        let r = client
            .post(format!("{api_a}/app-items/{GET_ITEM}/app-data"))
            .bearer_auth(&get_token)
            .json(&json!({"type": "seed", "visibility": "item", "data": {"text": "a sticky note of ordinary length", "n": n}}))
            .send()
            .await
            .expect("seed");
        assert_eq!(r.status(), StatusCode::OK, "seed POST");
    }
    let get_targets = vec![(
        format!("/api/app-items/{GET_ITEM}/app-data"),
        get_token.clone(),
    )];
    let mut post_targets = Vec::new();
    for run in 0..RUNS {
        let mut t = Vec::new();
        for i in 0..POST_ITEMS {
            let item = post_item(run, i);
            let token = support::app_token(&session, &api_a, &item).await;
            t.push((format!("/api/app-items/{item}/app-data"), token));
        }
        post_targets.push(t);
    }
    let post_body = json!({"type": "bench", "visibility": "item", "data": {"text": "a sticky note of ordinary length", "x": 12, "y": 34}});

    let mut rows: Vec<(&str, &str, Outcome)> = Vec::new();
    eprintln!(
        "measuring: warm-up {warmup:?}, {measure:?} per scenario, {CONNECTIONS} connections..."
    );
    let direct: std::net::SocketAddr = addr_a.parse().unwrap();
    rows.push((
        "GET 100 rows",
        "1 instance, direct",
        run(direct, Method::GET, &get_targets, None, warmup, measure).await,
    ));
    rows.push((
        "POST (durable)",
        "1 instance, direct",
        run(
            direct,
            Method::POST,
            &post_targets[0],
            Some(post_body.clone()),
            warmup,
            measure,
        )
        .await,
    ));
    let lb_addr: std::net::SocketAddr = format!("127.0.0.1:{lb_port}").parse().unwrap();
    {
        let _lb = Haproxy::start(&haproxy, lb_port, &[&addr_a]).await;
        rows.push((
            "GET 100 rows",
            "HAProxy + 1 instance",
            run(lb_addr, Method::GET, &get_targets, None, warmup, measure).await,
        ));
        rows.push((
            "POST (durable)",
            "HAProxy + 1 instance",
            run(
                lb_addr,
                Method::POST,
                &post_targets[1],
                Some(post_body.clone()),
                warmup,
                measure,
            )
            .await,
        ));
    }
    {
        let _lb = Haproxy::start(&haproxy, lb_port, &[&addr_a, &addr_b]).await;
        rows.push((
            "GET 100 rows",
            "HAProxy + 2 instances",
            run(lb_addr, Method::GET, &get_targets, None, warmup, measure).await,
        ));
        rows.push((
            "POST (durable)",
            "HAProxy + 2 instances",
            run(
                lb_addr,
                Method::POST,
                &post_targets[2],
                Some(post_body.clone()),
                warmup,
                measure,
            )
            .await,
        ));
    }
    drop((a, b));
    drop_database(&admin_url, &db_name).await;

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "### Load-balanced app data on PostgreSQL ({CONNECTIONS} connections, {:.0} s per row, {cores} cores shared by client, HAProxy, instances and PostgreSQL)",
        measure.as_secs_f64()
    );
    println!();
    println!("| scenario | path | req/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---:|---:|---:|---:|");
    for (what, path, o) in &rows {
        println!(
            "| {what} | {path} | {:.0} | {} | {} | {} |",
            o.rps(),
            ms(o.p50),
            ms(o.p99),
            o.errors
        );
    }
    println!();
    println!("| scenario | two instances / one (through HAProxy) | HAProxy + 1 / direct |");
    println!("|---|---:|---:|");
    for what in ["GET 100 rows", "POST (durable)"] {
        let find = |p: &str| {
            rows.iter()
                .find(|(w, path, _)| *w == what && *path == p)
                .map_or(0.0, |(_, _, o)| o.rps())
        };
        let one = find("HAProxy + 1 instance");
        println!(
            "| {what} | {:.2} | {:.2} |",
            find("HAProxy + 2 instances") / one.max(1.0),
            one / find("1 instance, direct").max(1.0)
        );
    }
    let errors: usize = rows.iter().map(|(_, _, o)| o.errors).sum();
    if errors > 0 {
        eprintln!("{errors} requests failed");
        std::process::exit(1);
    }
}
