//! Soak benchmark: the release `appframe-server` binary in its own process under a steady mixed
//! load, to show that it serves without errors and that its memory stays flat.
//!
//! ```text
//! cargo xtask bench soak [--secs 60]
//! # or, by hand:
//! cargo build --release -p appframe-server --bin appframe-server
//! cargo run --release -p appframe-server --example soak -- --secs 60
//! ```
//!
//! Load, with the default quotas and SQLite in a temporary data dir: 64 keep-alive HTTP
//! connections, each cycling through reads (list app data, get the context, list settings) and
//! writes (post, patch and delete its own app-data rows, at most 4 alive at once, and post
//! actions), spread over 4 items with 2 read members each; and 16 websocket subscribers (host
//! sessions, 4 per item) on `app-data`, which must receive one event per app-data write on
//! their item. One token per (member, item) pair, shared by that pair's connections, so only 8
//! tokens are minted (minting is rate limited).
//!
//! It prints requests by kind with p50/p99 latency and errors, websocket events received vs
//! expected, and the server's RSS (VmRSS from `/proc`) before the load, every 10 s and at the
//! end. **RSS flat** means: the end RSS is at most the RSS after the warm-up (the first 10 s,
//! or a third of a shorter run) plus 20 % of it or 32 MB, whichever is larger. The exit status
//! is non-zero on any error, any missing event, or RSS that is not flat.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/process.rs"]
mod process;
#[path = "support/mod.rs"]
mod support;

use appframe_server::config::{Config, DEMO_TOML};
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::{Method, StatusCode, header};
use process::{mb, rss};
use serde_json::{Value, json};
use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use support::{APP_ORIGIN, COUNTER_KEY, Sender, connect};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

/// HTTP connections.
const CONNECTIONS: usize = 64;
/// Websocket subscribers.
const SUBSCRIBERS: usize = 16;
/// Items the load is spread over.
const ITEMS: usize = 4;
/// Read members per item (one token each per item).
const MEMBERS_PER_ITEM: usize = 2;
/// App-data rows a connection keeps alive at most.
const LIVE_ROWS: usize = 4;
/// Seconds between RSS samples (and the warm-up).
const SAMPLE_SECS: u64 = 10;

fn item_id(i: usize) -> String {
    format!("b0000000-0000-4000-8000-0000000050{i:02x}")
}

fn member_id(i: usize) -> String {
    format!("b0000000-0000-4000-8000-0000005e{i:04x}")
}

/// The demo config plus the soak items and their read members, with default quotas.
fn config(dir: &std::path::Path, addr: &str) -> Config {
    let mut extra = String::new();
    for i in 0..ITEMS {
        let item = item_id(i);
        extra.push_str(&format!(
            "\n[[items]]\nid = \"{item}\"\nname = \"soak {i}\"\napp = \"counter\"\n"
        ));
        for m in 0..MEMBERS_PER_ITEM {
            let member = member_id(i * MEMBERS_PER_ITEM + m);
            extra.push_str(&format!(
                "\n[[members]]\nid = \"{member}\"\nname = \"Soak {i}.{m}\"\n\
                 \n[[memberships]]\nmember = \"{member}\"\nitem = \"{item}\"\npermission = \"read\"\n"
            ));
        }
    }
    let mut c = Config::from_toml_str(&format!("{DEMO_TOML}\n{extra}")).expect("config");
    c.server.addr = addr.to_owned();
    c.server.public_url = format!("http://{addr}");
    c.server.data_dir = dir.to_path_buf();
    c.server.database_url = None;
    c.server.dev = true;
    c.server.host_dir = None;
    c.server.apps_dir = None;
    c.server.apps_addr = None;
    // Actions cannot be deleted, so a long run fills their quotas: allow each item and member
    // the most an item may hold (one unpaged list). At the ~500 actions/s measured here, 60 s
    // put ~7,500 actions in each of the 4 items; a run that stores more sees AFERR030 refusals
    // as errors, which is a true answer of the server, not a bug of the soak.
    c.server.item_action_rows = 10_000;
    c.server.member_action_rows = 10_000;
    c.server.member_action_bytes = c.server.item_action_bytes;
    c
}

/// The kinds of request, in the table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ListData,
    Context,
    ListSettings,
    PostData,
    PatchData,
    DeleteData,
    PostAction,
}

const KINDS: [Kind; 7] = [
    Kind::ListData,
    Kind::Context,
    Kind::ListSettings,
    Kind::PostData,
    Kind::PatchData,
    Kind::DeleteData,
    Kind::PostAction,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ListData => "read: list app data",
            Kind::Context => "read: get context",
            Kind::ListSettings => "read: list settings",
            Kind::PostData => "write: post app data",
            Kind::PatchData => "write: patch app data",
            Kind::DeleteData => "write: delete app data",
            Kind::PostAction => "write: post action",
        }
    }

    fn index(self) -> usize {
        KINDS.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// What one connection did.
#[derive(Default)]
struct Stats {
    lat: [Vec<Duration>; 7],
    errors: [u64; 7],
    /// The first few errors, for the report.
    samples: Vec<String>,
    /// Successful app-data writes (each one event per subscriber of the item).
    data_writes: u64,
}

/// 6 reads and 4 writes in 10; the writes alternate post, patch, action and delete.
const CYCLE: [Kind; 10] = [
    Kind::ListData,
    Kind::Context,
    Kind::PostData,
    Kind::ListSettings,
    Kind::PatchData,
    Kind::ListData,
    Kind::PostAction,
    Kind::Context,
    Kind::DeleteData,
    Kind::ListSettings,
];

/// One connection's load until `end`.
async fn connection(
    addr: SocketAddr,
    token: String,
    item: String,
    end: Instant,
    w: usize,
) -> Stats {
    let mut send: Sender = connect(addr).await;
    let mut stats = Stats::default();
    let mut rows: VecDeque<String> = VecDeque::new();
    let auth = format!("Bearer {token}");
    let base = format!("/api/app-items/{item}");
    for n in 0u64.. {
        if Instant::now() >= end {
            break;
        }
        let mut kind = CYCLE[(n as usize + w) % CYCLE.len()];
        // Stay within the quotas: a connection keeps at most LIVE_ROWS rows alive.
        kind = match kind {
            Kind::PostData if rows.len() >= LIVE_ROWS => Kind::DeleteData,
            Kind::PatchData | Kind::DeleteData if rows.is_empty() => Kind::PostData,
            k => k,
        };
        let (method, path, body) = match kind {
            Kind::ListData => (Method::GET, format!("{base}/app-data"), None),
            Kind::Context => (Method::GET, format!("{base}/context"), None),
            Kind::ListSettings => (Method::GET, format!("{base}/app-settings"), None),
            Kind::PostData => (
                Method::POST,
                format!("{base}/app-data"),
                Some(json!({"type": "soak", "visibility": "item", "data": {"w": w, "n": n}})),
            ),
            Kind::PatchData => (
                Method::PATCH,
                format!("{base}/app-data/{}", rows[0]),
                Some(json!({"data": {"w": w, "n": n, "patched": true}})),
            ),
            Kind::DeleteData => {
                let id = rows.pop_front().unwrap_or_default();
                (Method::DELETE, format!("{base}/app-data/{id}"), None)
            }
            Kind::PostAction => (
                Method::POST,
                format!("{base}/app-action"),
                Some(json!({"type": "soak", "data": {"w": w, "n": n}})),
            ),
        };
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(&path)
            .header(header::HOST, addr.to_string())
            .header(header::AUTHORIZATION, &auth)
            .header(header::ORIGIN, APP_ORIGIN);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(bytes::Bytes::from(
                body.map(|b| b.to_string()).unwrap_or_default(),
            )))
            .expect("request");
        let t0 = Instant::now();
        let outcome = match send.send_request(req).await {
            Ok(r) => {
                let status = r.status();
                match r.into_body().collect().await {
                    Ok(b) => Ok((status, b.to_bytes())),
                    Err(e) => Err(format!("reading the body: {e}")),
                }
            }
            Err(e) => Err(format!("transport: {e}")),
        };
        let took = t0.elapsed();
        let i = kind.index();
        stats.lat[i].push(took);
        let want = if kind == Kind::PostAction {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::OK
        };
        match outcome {
            Ok((status, body)) if status == want => {
                if matches!(kind, Kind::PostData | Kind::PatchData | Kind::DeleteData) {
                    stats.data_writes += 1;
                }
                if kind == Kind::PostData
                    && let Some(id) = serde_json::from_slice::<Value>(&body)
                        .ok()
                        .and_then(|v| v["id"].as_str().map(str::to_owned))
                {
                    rows.push_back(id);
                }
            }
            other => {
                stats.errors[i] += 1;
                if stats.samples.len() < 3 {
                    let what = match other {
                        Ok((status, body)) => {
                            format!("{status}: {}", String::from_utf8_lossy(&body))
                        }
                        Err(e) => e,
                    };
                    stats
                        .samples
                        .push(format!("{} {path}: {what}", kind.name()));
                }
                if send.is_closed() {
                    send = connect(addr).await;
                }
            }
        }
    }
    stats
}

/// A host session cookie (`appframe_session=...`) of a dev login.
async fn session_cookie(api: &str, member: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{api}/login"))
        .json(&json!({"memberId": member}))
        .send()
        .await
        .expect("login");
    assert!(r.status().is_success(), "login: {}", r.status());
    r.headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned()
}

/// An app token for `item`, minted through the host session `cookie`.
async fn mint(api: &str, cookie: &str, item: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{api}/app-items/{item}/api-access-token"))
        .header(header::COOKIE, cookie)
        .json(&json!({"key": COUNTER_KEY, "origin": APP_ORIGIN}))
        .send()
        .await
        .expect("token");
    let status = r.status();
    let v: Value = r.json().await.expect("token JSON");
    assert_eq!(status, StatusCode::OK, "token: {v}");
    v["token"].as_str().expect("token").to_owned()
}

/// What one subscriber saw.
#[derive(Default)]
struct Seen {
    /// Its subscription was acknowledged.
    acked: AtomicBool,
    /// It received the sync write's event (so every earlier event too: delivery is in commit
    /// order).
    synced: AtomicBool,
    /// Updates received.
    updates: AtomicU64,
}

/// A subscriber of `app-data` on `item`.
async fn subscriber(addr: SocketAddr, cookie: String, item: String, seen: Arc<Seen>) {
    let mut req = format!("ws://{addr}/api/ws")
        .into_client_request()
        .expect("ws url");
    req.headers_mut()
        .insert(header::COOKIE, cookie.parse().expect("cookie header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket connect");
    let sub =
        json!({"realm": "notif", "action": "subscribe", "topic": "app-data", "channel": item});
    ws.send(Message::Text(sub.to_string().into()))
        .await
        .expect("subscribe");
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
            match v["type"].as_str() {
                Some("update") => {
                    seen.updates.fetch_add(1, Ordering::Relaxed);
                    if v["body"]["appData"]["data"]["sync"] == true {
                        seen.synced.store(true, Ordering::Relaxed);
                    }
                }
                Some("response") if v["status"] == "success" => {
                    seen.acked.store(true, Ordering::Relaxed);
                }
                Some("response") => panic!("subscription refused: {v}"),
                _ => {}
            }
        }
    }
}

/// Waits (at most 30 s) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args
        .iter()
        .position(|a| a == "--secs")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse().expect("--secs takes a whole number of seconds"))
        .unwrap_or(60)
        .max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let addr: SocketAddr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let cfg = config(dir.path(), &addr.to_string());
    let server = process::start(&cfg, dir.path()).await;
    let pid = server.pid();
    let api = format!("http://{addr}/api");

    // One session per member, one token per (member, item) pair.
    let mut pairs = Vec::new();
    for i in 0..ITEMS {
        for m in 0..MEMBERS_PER_ITEM {
            let cookie = session_cookie(&api, &member_id(i * MEMBERS_PER_ITEM + m)).await;
            let token = mint(&api, &cookie, &item_id(i)).await;
            pairs.push((i, cookie, token));
        }
    }

    // Subscribers first, each acknowledged before the load starts; then one write per item
    // that every subscriber must see, after which each counts only the load's events.
    let seen: Vec<Arc<Seen>> = (0..SUBSCRIBERS).map(|_| Arc::default()).collect();
    let mut subs = Vec::new();
    for (s, sub) in seen.iter().enumerate() {
        let (i, cookie, _) = &pairs[s % pairs.len()];
        subs.push((
            *i,
            tokio::spawn(subscriber(addr, cookie.clone(), item_id(*i), sub.clone())),
        ));
    }
    until("the subscriptions", || {
        seen.iter().all(|s| s.acked.load(Ordering::Relaxed))
    })
    .await;
    for (i, _, token) in pairs.iter().step_by(MEMBERS_PER_ITEM) {
        let r = reqwest::Client::new()
            .post(format!("{api}/app-items/{}/app-data", item_id(*i)))
            .bearer_auth(token)
            .header(header::ORIGIN, APP_ORIGIN)
            .json(&json!({"type": "soak", "visibility": "item", "data": {"sync": true}}))
            .send()
            .await
            .expect("sync write");
        assert_eq!(r.status(), StatusCode::OK, "sync write");
    }
    until("the sync events", || {
        seen.iter().all(|s| s.synced.load(Ordering::Relaxed))
    })
    .await;
    let baseline: Vec<u64> = seen
        .iter()
        .map(|s| s.updates.load(Ordering::Relaxed))
        .collect();

    // The load, with an RSS sample every SAMPLE_SECS.
    let rss_start = rss(pid).0;
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut workers = Vec::new();
    for w in 0..CONNECTIONS {
        let (i, _, token) = &pairs[w % pairs.len()];
        workers.push((
            *i,
            tokio::spawn(connection(addr, token.clone(), item_id(*i), end, w)),
        ));
    }
    let warmup = if secs >= 3 * SAMPLE_SECS {
        SAMPLE_SECS
    } else {
        secs.div_ceil(3)
    };
    let mut samples = Vec::new();
    let mut next = warmup.min(SAMPLE_SECS);
    while next < secs {
        tokio::time::sleep_until((start + Duration::from_secs(next)).into()).await;
        samples.push((next, rss(pid).0));
        next += if next < warmup {
            warmup - next
        } else {
            SAMPLE_SECS
        };
    }
    let mut by_item = [0u64; ITEMS];
    let mut all = Stats::default();
    for (i, w) in workers {
        let s = w.await.expect("load task");
        by_item[i] += s.data_writes;
        for k in 0..KINDS.len() {
            all.lat[k].extend(&s.lat[k]);
            all.errors[k] += s.errors[k];
        }
        all.samples.extend(s.samples);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let rss_end = rss(pid).0;

    // Every write's events, delivered: wait for them (bounded), then count.
    let expected: Vec<u64> = subs.iter().map(|(i, _)| by_item[*i]).collect();
    let received = |s: usize| seen[s].updates.load(Ordering::Relaxed) - baseline[s];
    let wait = Instant::now();
    while (0..SUBSCRIBERS).any(|s| received(s) < expected[s])
        && wait.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events_expected: u64 = expected.iter().sum();
    let events_received: u64 = (0..SUBSCRIBERS).map(received).sum();
    let subscribers_alive = subs.iter().filter(|(_, h)| !h.is_finished()).count();

    println!(
        "\n== soak: {secs} s, {CONNECTIONS} HTTP connections, {SUBSCRIBERS} websocket subscribers, \
         {ITEMS} items (SQLite, default quotas, release server process) ==\n"
    );
    println!("| request | count | per s | errors | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut total = 0usize;
    let mut errors = 0u64;
    let mut every = Vec::new();
    for k in KINDS {
        let lat = &mut all.lat[k.index()];
        lat.sort_unstable();
        total += lat.len();
        errors += all.errors[k.index()];
        every.extend_from_slice(lat);
        println!(
            "| {} | {} | {:.0} | {} | {} | {} |",
            k.name(),
            lat.len(),
            lat.len() as f64 / elapsed,
            all.errors[k.index()],
            ms(pct(lat, 0.5)),
            ms(pct(lat, 0.99))
        );
    }
    every.sort_unstable();
    println!(
        "| **all** | {total} | {:.0} | {errors} | {} | {} |",
        total as f64 / elapsed,
        ms(pct(&every, 0.5)),
        ms(pct(&every, 0.99))
    );
    println!("\n| websocket | value |\n|---|---:|");
    println!("| subscribers (app-data, 4 per item) | {SUBSCRIBERS} |");
    println!("| subscribers still connected at the end | {subscribers_alive} |");
    println!("| events expected (app-data writes × subscribers of the item) | {events_expected} |");
    println!("| events received | {events_received} |");
    println!("\n| server RSS | MB |\n|---|---:|");
    println!("| before the load | {:.1} |", mb(rss_start));
    for (t, r) in &samples {
        println!("| {t} s | {:.1} |", mb(*r));
    }
    println!("| end ({elapsed:.0} s) | {:.1} |", mb(rss_end));
    let (hwm_mb, warm) = (
        mb(rss(pid).1),
        samples
            .iter()
            .find(|(t, _)| *t == warmup)
            .map_or(rss_start, |(_, r)| *r),
    );
    let limit = warm + (warm / 5).max(32_000_000);
    let flat = rss_end <= limit;
    println!("| peak (VmHWM) | {hwm_mb:.1} |");
    println!(
        "\nRSS flat: end {:.1} MB vs {:.1} MB after the {warmup} s warm-up, limit {:.1} MB \
         (+20 % or +32 MB, whichever is larger): {}",
        mb(rss_end),
        mb(warm),
        mb(limit),
        if flat { "FLAT" } else { "GROWING" }
    );
    for s in &all.samples {
        println!("error: {s}");
    }
    let events_ok = events_received == events_expected && subscribers_alive == SUBSCRIBERS;
    let pass = errors == 0 && events_ok && flat;
    println!(
        "verdict: {} ({errors} errors, events {events_received}/{events_expected}, RSS {})",
        if pass { "PASS" } else { "FAIL" },
        if flat { "flat" } else { "growing" }
    );
    drop(server);
    if !pass {
        std::process::exit(1);
    }
}
