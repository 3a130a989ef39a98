//! WebSocket fan-out benchmark: the release `appframe-server` binary in its own process (or
//! two, on one Postgres database), N websocket subscribers (each its own member) on one item,
//! and a series of item-visible app-data POSTs; the latency of each delivery is measured from
//! sending the POST.
//!
//! ```text
//! cargo xtask bench ws                 # 10,000 subscribers, one instance, SQLite
//! cargo xtask bench ws --postgres      # 10,000 on one instance, then 2 × 5,000 on two
//! cargo run --release -p appframe-server --example ws_bench -- [--subscribers N] [--events M] \
//!     [--instances K --postgres URL] [--gap-ms MS] [--client-read-buffer BYTES]
//! ```
//!
//! The servers run as their own processes, so their RSS (`/proc/<pid>/status`) is theirs alone
//! (memory per connection = RSS growth while the subscribers connect, divided by them), and the
//! client ends (in this process) and the server ends each stay under the open-files limit.
//! Subscriber `i` connects to instance `i mod K`; every POST goes through the first instance,
//! so with two instances half the deliveries cross Postgres `LISTEN/NOTIFY`. POSTs are sent
//! one at a time with a pause between them, so each event's fan-out is measured on its own.
//! It prints a markdown table, and the CPU time the servers and this process (the clients)
//! spent while the events were posted and delivered, so a run shows which side was the bottleneck.
//!
//! Each client socket reads with a 4 KiB buffer (`--client-read-buffer`, tungstenite's default
//! is 128 KiB): tungstenite zero-fills its whole read buffer before every read, so with the
//! default the clients spend their time in `memset` and measure themselves, not the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/process.rs"]
mod process;
#[path = "support/mod.rs"]
mod support;

use appframe_server::config::{Config, DEMO_TOML};
use futures::{SinkExt, StreamExt};
use reqwest::Client;
use serde_json::{Value, json};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio_tungstenite::tungstenite::{
    Message, client::IntoClientRequest, protocol::WebSocketConfig,
};

const ALICE: &str = "dca3c530-eff8-4c46-8172-bd614654a02d";
/// The item every subscriber listens to.
const ITEM: &str = "b0000000-0000-4000-8000-00000000f001";
/// How long deliveries may still arrive after the last POST.
const DRAIN: Duration = Duration::from_secs(10);
/// Shared by the instances, so a session or token of one is valid at the other.
const JWT_SECRET: &str = "ws-bench-secret-ws-bench-secret-0123456789";

fn member_id(i: usize) -> String {
    format!("c0000000-0000-4000-8000-{i:012}")
}

/// The bench item and one reader member per subscriber.
fn bench_toml(subscribers: usize) -> String {
    let mut s = format!(
        "\n[[items]]\nid = \"{ITEM}\"\nname = \"ws bench\"\napp = \"counter\"\n\
         \n[[memberships]]\nmember = \"{ALICE}\"\nitem = \"{ITEM}\"\npermission = \"admin\"\n"
    );
    for i in 0..subscribers {
        let id = member_id(i);
        s.push_str(&format!(
            "\n[[members]]\nid = \"{id}\"\nname = \"Sub {i}\"\n\
             \n[[memberships]]\nmember = \"{id}\"\nitem = \"{ITEM}\"\npermission = \"read\"\n"
        ));
    }
    s
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
        .unwrap_or(default)
}

/// Raises the open-files soft limit to the hard limit: each subscriber costs two sockets here
/// (client and server end).
fn raise_nofile(need: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    let current = lim.current.unwrap_or(u64::MAX);
    if current >= need {
        return;
    }
    let target = lim.maximum.map_or(need, |m| m.min(need.max(current)));
    let raised = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(target),
            maximum: lim.maximum,
        },
    );
    eprintln!("open-files soft limit {current} -> {target} ({raised:?})");
    if target < need {
        eprintln!("warning: the hard limit ({target}) is below the {need} sockets needed");
    }
}

/// The `seq` of an update, read without parsing the whole (identical) message.
fn seq_of(text: &str) -> Option<usize> {
    let at = text.find("\"seq\":")? + 6;
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// CPU time (user + system) of every live thread of process `pid`, from the scheduler's
/// per-thread nanosecond counters.
fn cpu_time(pid: u32) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// `(busy, total)` jiffies of the whole machine (`/proc/stat`); idle and iowait are not busy.
fn cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

/// CPU time the whole machine spent busy since `before`, over `wall`: the busy share of its
/// jiffies times the cores times the wall time (no tick length needed).
fn machine_busy(before: &(u64, u64), wall: Duration) -> Duration {
    let (busy, total) = cpu_ticks();
    let (busy, total) = (
        busy.saturating_sub(before.0),
        total.saturating_sub(before.1),
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    if total == 0 {
        return Duration::ZERO;
    }
    wall.mul_f64(cores * busy as f64 / total as f64)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The config of instance `i`.
fn instance_config(
    subscribers: usize,
    dir: &std::path::Path,
    database_url: Option<&str>,
) -> Config {
    let mut c = Config::from_toml_str(&format!("{DEMO_TOML}\n{}", bench_toml(subscribers)))
        .expect("config");
    let addr = format!("127.0.0.1:{}", free_port());
    c.server.public_url = format!("http://{addr}");
    c.server.addr = addr;
    c.server.data_dir = dir.to_path_buf();
    c.server.database_url = database_url.map(str::to_owned);
    c.server.dev = true;
    c.server.jwt_secret = Some(JWT_SECRET.into());
    c.server.host_dir = None;
    c.server.apps_dir = None;
    c.server.apps_addr = None;
    c
}

#[tokio::main]
async fn main() {
    let subscribers = arg("--subscribers", 10_000);
    let events = arg("--events", 100);
    let instances = arg("--instances", 1).max(1);
    let client_read_buffer = arg("--client-read-buffer", 4096);
    // Pause between two POSTs: 100 ms is 100,000 deliveries/s with 10,000 subscribers; a
    // longer one measures one event's fan-out on its own.
    let gap = Duration::from_millis(arg("--gap-ms", 100) as u64);
    let postgres = support::postgres_arg();
    assert!(
        instances == 1 || postgres.is_some(),
        "several instances share a Postgres database: add --postgres URL"
    );
    // This process holds one socket per subscriber; each server process inherits the limit
    // and holds its share.
    raise_nofile(subscribers as u64 + 1024);
    let load_before = support::loadavg();

    let db = match &postgres {
        Some(url) => Some(support::BenchDatabase::create(url).await),
        None => None,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut servers = Vec::new();
    let mut apis = Vec::new();
    let t0 = Instant::now();
    for i in 0..instances {
        let d = dir.path().join(format!("instance-{i}"));
        std::fs::create_dir_all(&d).expect("instance dir");
        let cfg = instance_config(subscribers, &d, db.as_ref().map(|d| d.url.as_str()));
        apis.push(format!("http://{}/api", cfg.server.addr));
        // One after the other: the first migrates the database and writes the registry.
        servers.push(process::start(&cfg, &d).await);
    }
    eprintln!(
        "{instances} instance(s) up in {:.1} s (registry of {subscribers} members)",
        t0.elapsed().as_secs_f64()
    );
    let rss_before: Vec<u64> = servers.iter().map(|s| process::rss(s.pid()).0).collect();
    let http = Client::new();

    eprintln!("connecting {subscribers} subscribers...");
    let start = Arc::new(tokio::sync::Barrier::new(subscribers + 1));
    let mut readers = Vec::with_capacity(subscribers);
    let connect_limit = Arc::new(tokio::sync::Semaphore::new(64));
    // Arrival time of each event's delivery, by seq, one slot per reader (its own lock, never
    // contended while it reads: a stop signal shared by every reader and registered at each
    // message cost the clients a shared lock per delivery).
    let mut slots = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let http = http.clone();
        let api = apis[i % instances].clone();
        let start = start.clone();
        let limit = connect_limit.clone();
        let slot = Arc::new(std::sync::Mutex::new(vec![None::<Instant>; events]));
        slots.push(slot.clone());
        let ws_config = WebSocketConfig::default().read_buffer_size(client_read_buffer);
        readers.push(tokio::spawn(async move {
            let permit = limit.acquire_owned().await.expect("semaphore");
            let r = http
                .post(format!("{api}/login"))
                .json(&json!({"memberId": member_id(i)}))
                .send()
                .await
                .expect("login");
            assert!(r.status().is_success(), "login: {}", r.status());
            let cookie = r
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .expect("session cookie")
                .to_owned();
            let ws_url = format!("{}/ws", api.replacen("http://", "ws://", 1));
            let mut req = ws_url.into_client_request().expect("request");
            req.headers_mut()
                .insert("cookie", cookie.parse().expect("cookie header"));
            let (mut ws, _) =
                tokio_tungstenite::connect_async_with_config(req, Some(ws_config), false)
                    .await
                    .expect("websocket connect");
            ws.send(Message::Text(
                json!({"realm": "notif", "action": "subscribe", "topic": "app-data", "channel": ITEM})
                    .to_string()
                    .into(),
            ))
            .await
            .expect("subscribe");
            let ack = ws.next().await.expect("response").expect("response");
            let ack: Value = serde_json::from_str(ack.to_text().expect("text")).expect("JSON");
            assert_eq!(ack["status"], "success", "subscribe: {ack}");
            drop(permit);
            start.wait().await;
            let mut count = 0;
            while count < events {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => {
                        let now = Instant::now();
                        if let Some(s) = seq_of(t.as_str()).filter(|s| *s < events) {
                            let mut got = slot.lock().expect("slot");
                            if got[s].is_none() {
                                got[s] = Some(now);
                                count += 1;
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                }
            }
        }));
    }
    start.wait().await;
    // Let the servers' allocators settle before reading what the connections cost.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after: Vec<u64> = servers.iter().map(|s| process::rss(s.pid()).0).collect();
    let per_instance = subscribers.div_ceil(instances);
    let per_conn: Vec<String> = rss_before
        .iter()
        .zip(&rss_after)
        .map(|(b, a)| {
            format!(
                "{:.1} KB",
                a.saturating_sub(*b) as f64 / per_instance as f64 / 1e3
            )
        })
        .collect();
    eprintln!(
        "all subscribed; posting {events} events, {} ms apart...",
        gap.as_millis()
    );

    // Alice posts through her app token at the first instance, one event at a time.
    let session = support::login(&apis[0], ALICE).await;
    let token = support::app_token(&session, &apis[0], ITEM).await;
    let mut sent = Vec::with_capacity(events);
    let cpu = |pids: &[u32]| pids.iter().map(|p| cpu_time(*p)).collect::<Vec<_>>();
    let server_pids: Vec<u32> = servers.iter().map(process::Server::pid).collect();
    let cpu_servers_before = cpu(&server_pids);
    let cpu_clients_before = cpu_time(std::process::id());
    let wall_before = Instant::now();
    let machine_before = cpu_ticks();
    for seq in 0..events {
        let t0 = Instant::now();
        let r = http
            .post(format!("{}/app-items/{ITEM}/app-data", apis[0]))
            .bearer_auth(&token)
            .json(&json!({"type": "bench", "data": {"seq": seq}, "visibility": "item"}))
            .send()
            .await
            .expect("post");
        assert!(r.status().is_success(), "post: {}", r.status());
        sent.push(t0);
        tokio::time::sleep(gap).await;
    }

    // Readers end when they have every event, or DRAIN after the last POST (what has not
    // arrived by then counts as missing).
    let drained = tokio::time::Instant::now() + DRAIN;
    for mut r in readers {
        if tokio::time::timeout_at(drained, &mut r).await.is_err() {
            r.abort();
        }
    }
    let mut latencies = Vec::with_capacity(subscribers * events);
    let mut missing = 0usize;
    for slot in slots {
        let got = std::mem::take(&mut *slot.lock().expect("slot"));
        for (seq, at) in got.into_iter().enumerate() {
            match at {
                Some(at) => latencies.push(at.saturating_duration_since(sent[seq])),
                None => missing += 1,
            }
        }
    }
    let wall = wall_before.elapsed();
    let machine = machine_busy(&machine_before, wall);
    let cpu_servers: Vec<Duration> = cpu(&server_pids)
        .into_iter()
        .zip(&cpu_servers_before)
        .map(|(a, b)| a.saturating_sub(*b))
        .collect();
    let cpu_clients = cpu_time(std::process::id()).saturating_sub(cpu_clients_before);
    latencies.sort();
    let load_after = support::loadavg();
    drop(servers);
    if let Some(db) = db {
        db.drop_now().await;
    }

    let backend = if postgres.is_some() {
        "Postgres"
    } else {
        "SQLite"
    };
    let p99 = pct(&latencies, 0.99);
    println!();
    println!(
        "WebSocket fan-out: {subscribers} subscribers (one member each) on one item over {instances} server process(es), {events} item-visible app-data POSTs {} ms apart, {backend}, on {} cores shared with the clients",
        gap.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("load average before: {load_before}; after: {load_after}");
    println!(
        "client read buffer {client_read_buffer} B; CPU while posting and delivering ({:.1} s wall): servers {} s, clients (this process) {:.2} s; per event: servers {}, clients {:.1} ms",
        wall.as_secs_f64(),
        cpu_servers
            .iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" + "),
        cpu_clients.as_secs_f64(),
        cpu_servers
            .iter()
            .map(|d| ms(*d / events.max(1) as u32))
            .collect::<Vec<_>>()
            .join(" + "),
        cpu_clients.as_secs_f64() * 1000.0 / events.max(1) as f64,
    );
    let ours = cpu_servers.iter().sum::<Duration>() + cpu_clients;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "machine busy {:.2} s of {:.2} s ({cores} cores x wall); other processes and the kernel's own threads {:.2} s",
        machine.as_secs_f64(),
        wall.as_secs_f64() * cores as f64,
        machine.saturating_sub(ours).as_secs_f64(),
    );
    println!();
    println!(
        "| backend | instances | subscribers | events | deliveries | p50 | p99 | max | missing | server RSS per connection |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    println!(
        "| {backend} | {instances} | {subscribers} | {events} | {} | {} | {} | {} | {missing} | {} |",
        latencies.len(),
        ms(pct(&latencies, 0.50)),
        ms(p99),
        ms(latencies.last().copied().unwrap_or_default()),
        per_conn.join(" / "),
    );
    println!();
    println!(
        "| target | measured | result |\n|---|---:|---|\n| p99 delivery ≤ 100 ms, nothing missing | {} | {} |",
        ms(p99),
        if p99 <= Duration::from_millis(100) && missing == 0 {
            "PASS"
        } else {
            "MISS"
        }
    );
}
