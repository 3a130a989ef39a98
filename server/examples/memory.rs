//! Memory benchmark: the hostile-reads scenario of DESIGN.md ("RSS ≤ 256 MB: an item filled to
//! quota, 4 viewers"), against the real `appframe-server` binary in its own process, so the RSS
//! read from `/proc/<pid>/status` is the server's alone.
//!
//! ```text
//! cargo xtask bench memory
//! # or, by hand:
//! cargo build --release -p appframe-server --bin appframe-server
//! cargo run --release -p appframe-server --example memory
//! ```
//!
//! Scenario, with the default quotas of `[server]` and SQLite in a temporary data dir:
//! 1. fill: members with **read** permission post rows of ~1 MB to one item, each until refused
//!    (their member quota), until the item itself refuses (its quota);
//! 2. list: 4 members GET the unpaged list at once and read it whole; 3 rounds;
//! 3. actions: the same members post ~1 MB app actions until refused (action quotas), then 4
//!    requests of the item's admin list every action at once (unpaged), 3 rounds.
//!
//! It prints start / peak / end RSS of each phase (peak = the largest VmRSS sampled every 10 ms
//! and the kernel's VmHWM), the rows stored and the refusals. `APPFRAME_SERVER_BIN` overrides
//! where the server binary is looked for (default: next to this example's directory).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/process.rs"]
mod process;
#[path = "support/mod.rs"]
mod support;

use appframe_server::config::{Config, DEMO_TOML};
use process::{mb, rss};
use reqwest::StatusCode;
use serde_json::json;
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};
use support::{app_token, login};

/// The bench item (app `counter`).
const ITEM: &str = "b0000000-0000-4000-8000-00000000fe11";
/// Read members filling the item; more than item quota / member quota, so the item fills.
const FILLERS: usize = 8;
/// Concurrent viewers per round.
const VIEWERS: usize = 4;
/// Rounds of concurrent lists.
const ROUNDS: usize = 3;
/// Bytes of data per row (the JSON body stays under `max_body_bytes`, 1 MiB).
const ROW_BYTES: usize = 1_000_000;
/// DESIGN.md target.
const TARGET_MB: f64 = 256.0;

/// The item's admin, who lists every member's actions (index after the readers).
const ADMIN: usize = 64;

fn member_id(i: usize) -> String {
    format!("b0000000-0000-4000-8000-0000000f{i:04x}")
}

/// The demo config plus the bench item and its read members, with default quotas.
fn config(dir: &std::path::Path, addr: &str) -> Config {
    let mut extra =
        format!("\n[[items]]\nid = \"{ITEM}\"\nname = \"memory bench\"\napp = \"counter\"\n");
    for i in 0..FILLERS.max(VIEWERS) {
        let id = member_id(i);
        extra.push_str(&format!(
            "\n[[members]]\nid = \"{id}\"\nname = \"Reader {i}\"\n\
             \n[[memberships]]\nmember = \"{id}\"\nitem = \"{ITEM}\"\npermission = \"read\"\n"
        ));
    }
    let admin = member_id(ADMIN);
    extra.push_str(&format!(
        "\n[[members]]\nid = \"{admin}\"\nname = \"Admin\"\n\
         \n[[memberships]]\nmember = \"{admin}\"\nitem = \"{ITEM}\"\npermission = \"admin\"\n"
    ));
    let mut c = Config::from_toml_str(&format!("{DEMO_TOML}\n{extra}")).expect("config");
    c.server.addr = addr.to_owned();
    c.server.public_url = format!("http://{addr}");
    c.server.data_dir = dir.to_path_buf();
    c.server.database_url = None;
    c.server.dev = true;
    c.server.host_dir = None;
    c.server.apps_dir = None;
    c.server.apps_addr = None;
    c
}

/// Samples VmRSS every 10 ms while a phase runs; the largest sample.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(rss(pid).0));
        let (s, p) = (stop.clone(), peak.clone());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss(pid).0, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        Sampler { stop, peak, task }
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed)
    }
}

struct Phase {
    name: String,
    start: u64,
    peak: u64,
    end: u64,
    note: String,
}

/// Posts `body` with each token until the server refuses it (the member's quota, then the
/// item's); returns how many were stored and the refusals by code.
async fn fill(
    client: &reqwest::Client,
    url: &str,
    tokens: &[String],
    body: &serde_json::Value,
    stored_status: StatusCode,
) -> (usize, BTreeMap<String, usize>) {
    let (mut stored, mut codes) = (0, BTreeMap::new());
    for token in tokens {
        loop {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("origin", support::APP_ORIGIN)
                .json(body)
                .send()
                .await
                .expect("POST");
            if r.status() == stored_status {
                stored += 1;
                continue;
            }
            let status = r.status();
            let body: serde_json::Value = r.json().await.expect("error body");
            assert_eq!(status, StatusCode::FORBIDDEN, "refusal: {body}");
            *codes
                .entry(body["code"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
            break;
        }
    }
    (stored, codes)
}

/// Every token GETs the unpaged list at once and reads it whole: (entries, bytes) of each.
async fn list_at_once(
    client: &reqwest::Client,
    url: &str,
    tokens: &[String],
) -> Vec<(usize, usize)> {
    let mut tasks = Vec::new();
    for token in tokens {
        let (client, url, token) = (client.clone(), url.to_owned(), token.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .get(&url)
                .bearer_auth(&token)
                .header("origin", support::APP_ORIGIN)
                .send()
                .await
                .expect("GET");
            assert_eq!(r.status(), StatusCode::OK);
            let body = r.bytes().await.expect("list body");
            let rows: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("list JSON");
            (rows.len(), body.len())
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.expect("viewer"));
    }
    seen
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").to_string()
    };
    let cfg = config(dir.path(), &addr);
    let server = process::start(&cfg, dir.path()).await;
    let pid = server.pid();
    let api = format!("http://{addr}/api");
    let s = &cfg.server;
    eprintln!(
        "server pid {pid}; quotas: item {} rows / {} MiB, member {} rows / {} MiB; list cache {} MiB",
        s.item_data_rows,
        s.item_data_bytes >> 20,
        s.member_data_rows,
        s.member_data_bytes >> 20,
        s.data_cache_bytes >> 20
    );
    let mut tokens = Vec::new();
    for i in 0..FILLERS.max(VIEWERS) {
        let session = login(&api, &member_id(i)).await;
        tokens.push(app_token(&session, &api, ITEM).await);
    }
    let admin_token = app_token(&login(&api, &member_id(ADMIN)).await, &api, ITEM).await;
    let client = reqwest::Client::new();
    let url = format!("{api}/app-items/{ITEM}/app-data");
    let mut phases = Vec::new();

    let text = "m".repeat(ROW_BYTES);
    let fillers = &tokens[..FILLERS];
    let viewers = &tokens[..VIEWERS];
    let mut refused = 0;

    // 1. Fill the item with ~1 MB rows, each read member until refused; 2. four viewers list
    // the whole item at once, three times. 3. The same with app actions: fill to the action
    // quotas, then four requests of the item's admin list them all at once.
    let data = json!({"type": "blob", "visibility": "item", "data": {"text": text}});
    let actions = json!({"type": "blob", "data": {"text": text}});
    let admin = vec![admin_token; VIEWERS];
    for (what, url, body, stored_status, listers, who) in [
        ("rows", &url, &data, StatusCode::OK, viewers, "viewers"),
        (
            "actions",
            &format!("{api}/app-items/{ITEM}/app-action"),
            &actions,
            StatusCode::NO_CONTENT,
            &admin[..],
            "admin requests",
        ),
    ] {
        let start = rss(pid).0;
        let sampler = Sampler::start(pid);
        let (stored, codes) = fill(&client, url, fillers, body, stored_status).await;
        let peak = sampler.finish().await;
        let refusals: usize = codes.values().sum();
        refused += refusals;
        phases.push(Phase {
            name: format!("fill {what}: {FILLERS} read members post 1 MB {what} until refused"),
            start,
            peak,
            end: rss(pid).0,
            note: format!(
                "{stored} {what} stored, {refusals} refused ({})",
                codes
                    .iter()
                    .map(|(c, n)| format!("{c} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
        for round in 1..=ROUNDS {
            let start = rss(pid).0;
            let sampler = Sampler::start(pid);
            let seen = list_at_once(&client, url, listers).await;
            let peak = sampler.finish().await;
            for (rows, _) in &seen {
                assert_eq!(
                    *rows, stored,
                    "an unpaged list returns every one of the {what}"
                );
            }
            phases.push(Phase {
                name: format!("list {what} round {round}: {VIEWERS} {who} at once"),
                start,
                peak,
                end: rss(pid).0,
                note: format!("{} {what}, {:.1} MB each", seen[0].0, mb(seen[0].1 as u64)),
            });
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle, hwm) = rss(pid);

    println!(
        "\n== server memory, hostile reads (SQLite, default quotas, real server process) ==\n"
    );
    println!("| phase | RSS start | RSS peak | RSS end | |");
    println!("|---|---:|---:|---:|---|");
    for p in &phases {
        println!(
            "| {} | {:.0} MB | {:.0} MB | {:.0} MB | {} |",
            p.name,
            mb(p.start),
            mb(p.peak),
            mb(p.end),
            p.note
        );
    }
    println!("| after 1 s idle | | | {:.0} MB | |", mb(idle));
    let verdict = if mb(hwm) <= TARGET_MB { "PASS" } else { "MISS" };
    println!(
        "\nVmHWM (kernel peak RSS) {:.0} MB vs target ≤ {TARGET_MB:.0} MB: {verdict}; refusals: {refused}",
        mb(hwm)
    );
    drop(server);
}
