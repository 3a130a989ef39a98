//! The release server binary as its own process, so the RSS read from `/proc/<pid>/status` is
//! the server's alone (the memory and soak benchmarks).
#![allow(dead_code, clippy::expect_used)] // setup failures abort the run

use appframe_server::config::Config;
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// `APPFRAME_SERVER_BIN`, else `appframe-server` beside this example's directory (the release
/// build that `cargo xtask bench` makes first).
pub fn server_bin() -> PathBuf {
    if let Ok(p) = std::env::var("APPFRAME_SERVER_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("appframe-server")
}

/// `(VmRSS, VmHWM)` of a process in bytes.
pub fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Bytes as decimal megabytes.
pub fn mb(b: u64) -> f64 {
    b as f64 / 1e6
}

/// The server process; killed when dropped.
pub struct Server(pub Child);

impl Server {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes `cfg` to `dir/appframe.toml`, starts the server binary on it and waits until it
/// answers (at most 5 minutes: a registry of 10,000 members takes a while to reconcile on a
/// loaded machine).
pub async fn start(cfg: &Config, dir: &std::path::Path) -> Server {
    let cfg_path = dir.join("appframe.toml");
    std::fs::write(&cfg_path, toml::to_string(cfg).expect("toml")).expect("write config");
    let bin = server_bin();
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release -p appframe-server --bin appframe-server` (cargo xtask bench does)",
        bin.display()
    );
    let child = Command::new(&bin)
        .args(["serve", "--config"])
        .arg(&cfg_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server");
    let server = Server(child);
    let api = format!("http://{}/api", cfg.server.addr);
    let probe = reqwest::Client::new();
    let t0 = Instant::now();
    while probe
        .get(format!("{api}/app-items/list"))
        .send()
        .await
        .is_err()
    {
        assert!(
            t0.elapsed() < Duration::from_secs(300),
            "the server does not answer"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}
