//! `cargo xtask bench [server|ws|memory|soak|browser|size|all]`: measurements, not timed tests. Each prints
//! its own table.

use anyhow::{Result, bail};

use crate::BenchWhat;
use crate::build::{self, Built};
use crate::cmd;
use crate::project::{
    BROWSER_BENCH, HOST_BRIDGE, HOST_BRIDGE_TARGET_BYTES, LOCAL_PG_URL, MEMORY_BENCH, PG_URL_VAR,
    SERVER_BENCH, SERVER_BIN, SIZE_PROBE, SIZE_PROBE_GATE_BYTES, SIZE_PROBE_TARGET_BYTES,
    SOAK_BENCH, WS_BENCH,
};
use crate::setup;
use crate::size::{self, Sizes};
use crate::workspace::{Package, Workspace};

/// Runs the chosen benchmark(s).
pub fn bench(
    ws: &mut Workspace,
    what: BenchWhat,
    bundle: Option<&str>,
    secs: Option<u64>,
    postgres: bool,
) -> Result<()> {
    let all = what == BenchWhat::All;
    let pg_url =
        postgres.then(|| std::env::var(PG_URL_VAR).unwrap_or_else(|_| LOCAL_PG_URL.into()));
    if all || what == BenchWhat::Server {
        bench_server(ws, pg_url.as_deref())?;
    }
    if what == BenchWhat::ServerLb {
        crate::bench_lb::bench_server_lb(ws, false)?;
    } else if all && let Err(e) = crate::bench_lb::bench_server_lb(ws, false) {
        // It needs PostgreSQL and HAProxy; the other benchmarks do not.
        eprintln!("xtask: note: the load-balanced benchmark did not run: {e:#}");
    }
    if all || what == BenchWhat::Ws {
        bench_ws(ws, pg_url.as_deref())?;
    }
    if all || what == BenchWhat::Memory {
        bench_memory(ws)?;
    }
    if all || what == BenchWhat::Soak {
        bench_soak(ws, secs)?;
    }
    if all || what == BenchWhat::Size {
        bench_size(ws, bundle)?;
    }
    if all || what == BenchWhat::Browser {
        bench_browser(ws)?;
    }
    Ok(())
}

/// How to run a named bench program of a package: `--bin` or `--example`.
fn bench_target(pkg: &Package, name: &str) -> Option<&'static str> {
    if pkg.has_target("bin", name) {
        Some("--bin")
    } else if pkg.has_target("example", name) {
        Some("--example")
    } else {
        None
    }
}

/// Runs `cargo run --release -p <crate> --example|--bin <name>`, or says why it cannot.
fn run_bench_program(
    ws: &Workspace,
    (dir, name): (&str, &str),
    what: &str,
    extra_env: &[(&str, String)],
    args: &[String],
) -> Result<()> {
    let Some(pkg) = ws.package(dir, false, what)? else {
        return Ok(());
    };
    let Some(flag) = bench_target(pkg, name) else {
        eprintln!(
            "xtask: note: skipping {what}: package {} has no `{name}` bin or example yet",
            pkg.name
        );
        return Ok(());
    };
    let mut cargo = ws.cargo();
    cargo.args(["run", "--locked", "--release", "-p", &pkg.name, flag, name]);
    if !args.is_empty() {
        cargo.arg("--").args(args);
    }
    for (k, v) in extra_env {
        cargo.env(k, v);
    }
    cmd::run(&mut cargo)
}

/// `--postgres <url>` for a bench program, or nothing (SQLite).
fn postgres_args(pg_url: Option<&str>) -> Vec<String> {
    pg_url.map_or_else(Vec::new, |u| vec!["--postgres".to_owned(), u.to_owned()])
}

fn bench_server(ws: &mut Workspace, pg_url: Option<&str>) -> Result<()> {
    run_bench_program(
        ws,
        SERVER_BENCH,
        "the server benchmark",
        &[],
        &postgres_args(pg_url),
    )
}

/// 10,000 subscribers on one server process; on Postgres also 2 × 5,000 on two processes.
fn bench_ws(ws: &mut Workspace, pg_url: Option<&str>) -> Result<()> {
    if !build_server_bin(ws, "the websocket benchmark")? {
        return Ok(());
    }
    let mut runs = vec![vec!["--instances".to_owned(), "1".to_owned()]];
    if pg_url.is_some() {
        runs.push(vec!["--instances".to_owned(), "2".to_owned()]);
    }
    for mut args in runs {
        args.extend(["--subscribers".to_owned(), "10000".to_owned()]);
        args.extend(postgres_args(pg_url));
        run_bench_program(ws, WS_BENCH, "the websocket benchmark", &[], &args)?;
    }
    Ok(())
}

/// Builds the release server binary that the memory and soak examples start as their own
/// process (so the RSS they read is the server's alone).
fn build_server_bin(ws: &Workspace, what: &str) -> Result<bool> {
    let (dir, bin) = SERVER_BIN;
    let Some(pkg) = ws.package(dir, false, what)? else {
        return Ok(false);
    };
    let mut cargo = ws.cargo();
    cargo.args([
        "build",
        "--locked",
        "--release",
        "-p",
        &pkg.name,
        "--bin",
        bin,
    ]);
    cmd::run(&mut cargo)?;
    Ok(true)
}

fn bench_memory(ws: &mut Workspace) -> Result<()> {
    if !build_server_bin(ws, "the memory benchmark")? {
        return Ok(());
    }
    run_bench_program(ws, MEMORY_BENCH, "the memory benchmark", &[], &[])
}

/// The soak example fails (non-zero) on any error, missing event or growing RSS.
fn bench_soak(ws: &mut Workspace, secs: Option<u64>) -> Result<()> {
    if !build_server_bin(ws, "the soak benchmark")? {
        return Ok(());
    }
    let args = match secs {
        Some(s) => vec!["--secs".to_owned(), s.to_string()],
        None => Vec::new(),
    };
    run_bench_program(ws, SOAK_BENCH, "the soak benchmark", &[], &args)
}

fn bench_browser(ws: &mut Workspace) -> Result<()> {
    let tools = setup::ensure(ws, setup::Needs { browser: true })?;
    build::build_all(ws, &tools, build::Options::for_build(true))?;
    let mut env = vec![(
        "APPFRAME_DIST_DIR",
        ws.dist().to_string_lossy().into_owned(),
    )];
    if let Some(driver) = &tools.chromedriver {
        env.push(("CHROMEDRIVER", driver.to_string_lossy().into_owned()));
    }
    run_bench_program(ws, BROWSER_BENCH, "the browser benchmark", &env, &[])
}

/// The size probe among measured bundles, if it was built.
pub fn find_probe(measured: &[(Built, Sizes)]) -> Option<&(Built, Sizes)> {
    find_bundle(measured, SIZE_PROBE)
}

/// The host bridge's JS package among measured bundles, if it was built.
pub fn find_bridge(measured: &[(Built, Sizes)]) -> Option<&(Built, Sizes)> {
    find_bundle(measured, HOST_BRIDGE)
}

fn find_bundle<'a>(measured: &'a [(Built, Sizes)], name: &str) -> Option<&'a (Built, Sizes)> {
    measured.iter().find(|(b, _)| b.name == name)
}

/// Whether the probe's wasm + glue gzip size is within its budget.
pub fn within_budget(sizes: &Sizes) -> bool {
    sizes.total_gz() <= SIZE_PROBE_TARGET_BYTES
}

/// Whether the probe is within the guard that fails a test run.
pub fn within_gate(sizes: &Sizes) -> bool {
    sizes.total_gz() <= SIZE_PROBE_GATE_BYTES
}

/// Whether the host bridge's wasm + glue gzip size is within its budget.
pub fn bridge_within_budget(sizes: &Sizes) -> bool {
    sizes.total_gz() <= HOST_BRIDGE_TARGET_BYTES
}

/// The verdict line for the size probe against the budget.
pub fn probe_verdict(sizes: &Sizes, optimized: bool) -> String {
    verdict(
        "size probe (minimal SDK app",
        sizes,
        optimized,
        SIZE_PROBE_TARGET_BYTES,
    )
}

/// The verdict line for the host bridge's JS package against its budget.
pub fn bridge_verdict(sizes: &Sizes, optimized: bool) -> String {
    verdict(
        "host bridge (JS package",
        sizes,
        optimized,
        HOST_BRIDGE_TARGET_BYTES,
    )
}

fn verdict(what: &str, sizes: &Sizes, optimized: bool, target: u64) -> String {
    let total = sizes.total_gz();
    let verdict = if !optimized {
        "NOT COMPARABLE: wasm-opt did not run"
    } else if total <= target {
        "within target"
    } else {
        "OVER target"
    };
    format!(
        "{what}, wasm + glue, gzip, release pipeline): {} ({} B) vs target {} ({} B): {verdict}",
        size::kb(total),
        total,
        size::kb(target),
        target
    )
}

fn bench_size(ws: &mut Workspace, only: Option<&str>) -> Result<()> {
    let tools = setup::ensure(ws, setup::Needs { browser: false })?;
    let built: Vec<Built> = build::build_all(
        ws,
        &tools,
        build::Options {
            release: true,
            optimize: true,
            include_bench_only: true,
            only,
        },
    )?;
    if let Some(part) = only
        && built.is_empty()
    {
        bail!("no bundle name contains `{part}`");
    }
    println!(
        "\n== bundle sizes (release: wasm-release profile, wasm-opt passes, short names, minified glue) =="
    );
    let measured = size::print_bundle_table(&built)?;
    if let Some((bridge, sizes)) = find_bridge(&measured) {
        println!("{}", bridge_verdict(sizes, bridge.optimized));
    }
    match find_probe(&measured) {
        Some((probe, sizes)) => println!("{}", probe_verdict(sizes, probe.optimized)),
        // Left out by `--bundle`: nothing to judge.
        None if only.is_some() => {}
        None => {
            if built.is_empty() {
                println!("no bundle crate exists yet; nothing to measure");
            } else {
                bail!("the size probe was not built");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_probe_is_judged_against_40_kb_only_when_optimised() {
        let under = Sizes {
            wasm_raw: 0,
            wasm_gz: 30_000,
            js_raw: 0,
            js_gz: 10_000,
        };
        assert!(probe_verdict(&under, true).ends_with("within target"));
        assert!(
            probe_verdict(&under, true).contains("40.0 KB (40000 B) vs target 40.0 KB (40000 B)")
        );
        let over = Sizes {
            js_gz: 10_001,
            ..under
        };
        assert!(probe_verdict(&over, true).ends_with("OVER target"));
        assert!(probe_verdict(&under, false).contains("NOT COMPARABLE"));
        assert!(bridge_verdict(&under, true).starts_with("host bridge (JS package, "));
        assert!(bridge_verdict(&under, true).ends_with("within target"));
        assert!(bridge_verdict(&over, true).ends_with("OVER target"));
        assert!(bridge_within_budget(&under) && !bridge_within_budget(&over));
    }
}
