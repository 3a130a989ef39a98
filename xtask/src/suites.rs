//! `cargo xtask test`: set up (with the browser), build the bundles, check the size probe's
//! budget, run every suite of [`crate::project::SUITES`] in order, stop at the first failing
//! suite, and print a summary table. `--only <id>` runs some suites alone and `--repeat <n>`
//! runs them n times (see [`Plan`]).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::bench;
use crate::build::{self, Built};
use crate::check;
use crate::cmd;
use crate::postgres::{local_postgres_answers, postgres_url};
use crate::project::{
    HOST_BRIDGE_TARGET_BYTES, NPM_TESTS, PG_URL_VAR, SIZE_PROBE_GATE_BYTES,
    SIZE_PROBE_TARGET_BYTES, SUITES, Suite, SuiteKind,
};
use crate::scale_tools;
use crate::setup::{self, Tools, WASM_TARGET};
use crate::size::{self, Sizes};
use crate::workspace::Workspace;

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and passed (with this many tests, when it was a test run).
    Passed(Option<u64>),
    /// It ran and failed (the reason is the error).
    Failed(String),
    /// It did not apply (the reason says why).
    Skipped(String),
    /// An earlier step failed, so it was not run.
    NotRun,
}

/// One row of the summary.
#[derive(Debug, Clone)]
pub struct Row {
    /// Step name.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// Renders the summary table.
pub fn summary(rows: &[Row]) -> String {
    let mut table = vec![vec![
        "suite".to_owned(),
        "result".to_owned(),
        "time".to_owned(),
    ]];
    for r in rows {
        let (result, time) = match &r.outcome {
            Outcome::Passed(None) => ("passed".to_owned(), secs(r.elapsed)),
            Outcome::Passed(Some(n)) => (format!("passed ({n} tests)"), secs(r.elapsed)),
            Outcome::Failed(_) => ("FAILED".to_owned(), secs(r.elapsed)),
            Outcome::Skipped(why) => (format!("skipped: {why}"), "-".to_owned()),
            Outcome::NotRun => ("not run".to_owned(), "-".to_owned()),
        };
        table.push(vec![r.name.clone(), result, time]);
    }
    // The result column holds reasons: left-aligned like the names.
    size::table(&table, 2)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The name of the fmt + clippy step in the summary.
const LINT_STEP: &str = "lint (fmt, clippy -D warnings)";

/// What `cargo xtask test` runs: every suite once by default; `--only` narrows it to some
/// suites (a quick loop: no lint, and no bundle build unless a chosen suite serves the bundles),
/// `--repeat` runs the chosen suites several times (to show that a suite is reliable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The suites, in run order.
    pub suites: Vec<&'static Suite>,
    /// Build the wasm bundles (and check the size probe's budget when everything runs).
    pub build: bool,
    /// The whole run, not a subset: the size budget applies.
    pub full: bool,
    /// How many times the suites run.
    pub repeat: u32,
}

impl Plan {
    /// The plan for `--only <ids>` (empty: everything) and `--repeat <n>`.
    pub fn new(only: &[String], repeat: u32) -> Result<Plan> {
        if repeat == 0 {
            bail!("--repeat must be at least 1");
        }
        for id in only {
            if !SUITES.iter().any(|s| s.id == id) {
                let ids: Vec<&str> = SUITES.iter().map(|s| s.id).collect();
                bail!("no suite `{id}`; the suites are: {}", ids.join(", "));
            }
        }
        let full = only.is_empty();
        let suites: Vec<&'static Suite> = SUITES
            .iter()
            .filter(|s| full || only.iter().any(|id| id == s.id))
            .collect();
        let build = full || suites.iter().any(|s| s.kind.needs_bundles());
        Ok(Plan {
            suites,
            build,
            full,
            repeat,
        })
    }

    /// fmt + clippy first: on a full run only (a subset is a quick loop).
    pub fn lint(&self) -> bool {
        self.full
    }

    fn mark_not_run(&self, rows: &mut Vec<Row>) {
        for round in 1..=self.repeat {
            mark_not_run(rows, &self.suites, self.round_name(round));
        }
    }

    /// How a suite's row is named in repetition `round` (plain when there is only one).
    fn round_name(&self, round: u32) -> impl Fn(&Suite) -> String + '_ {
        move |s| {
            if self.repeat == 1 {
                s.name.to_owned()
            } else {
                format!("{} #{round}/{}", s.name, self.repeat)
            }
        }
    }
}

/// Runs the plan; returns an error (non-zero exit) if any step failed.
pub fn test(ws: &mut Workspace, plan: &Plan) -> Result<()> {
    let mut rows: Vec<Row> = Vec::new();
    let total = Instant::now();

    let step = Instant::now();
    let tools = match setup::ensure(ws, setup::Needs { browser: true }) {
        Ok(tools) => {
            rows.push(row("setup", Outcome::Passed(None), step));
            tools
        }
        Err(err) => {
            rows.push(row("setup", Outcome::Failed(format!("{err:#}")), step));
            if plan.lint() {
                rows.push(row(LINT_STEP, Outcome::NotRun, Instant::now()));
            }
            if plan.build {
                rows.push(row("build wasm bundles", Outcome::NotRun, Instant::now()));
            }
            if plan.full {
                rows.push(row(SIZE_STEP, Outcome::NotRun, Instant::now()));
            }
            plan.mark_not_run(&mut rows);
            return finish(rows, total);
        }
    };

    // Lint first: a formatting or clippy slip fails in minutes, not after the browser suites.
    if plan.lint() {
        let step = Instant::now();
        if let Err(err) = check::check(ws) {
            rows.push(row(LINT_STEP, Outcome::Failed(format!("{err:#}")), step));
            rows.push(row("build wasm bundles", Outcome::NotRun, Instant::now()));
            rows.push(row(SIZE_STEP, Outcome::NotRun, Instant::now()));
            plan.mark_not_run(&mut rows);
            return finish(rows, total);
        }
        rows.push(row(LINT_STEP, Outcome::Passed(None), step));
    }

    if plan.build {
        let step = Instant::now();
        // The size probe is built with the bundles so that its budget is checked on every
        // full run.
        let opts = build::Options {
            release: true,
            optimize: true,
            include_bench_only: plan.full,
            only: None,
        };
        match build::build_all(ws, &tools, opts).and_then(|built| size::print_bundle_table(&built))
        {
            Ok(measured) if measured.is_empty() => rows.push(row(
                "build wasm bundles",
                Outcome::Skipped("no bundle crate exists yet".into()),
                step,
            )),
            Ok(measured) => {
                rows.push(row("build wasm bundles", Outcome::Passed(None), step));
                // The host bridge is built on every run, so its budget is checked on every run.
                if let Some((bridge, sizes)) = bench::find_bridge(&measured) {
                    println!("{}", bench::bridge_verdict(sizes, bridge.optimized));
                    rows.push(row(
                        BRIDGE_SIZE_STEP,
                        bridge_budget(&measured),
                        Instant::now(),
                    ));
                }
                // Deterministic for a given toolchain (everything is pinned), so a gate rather
                // than a benchmark; an overage does not stop the suites, which still say whether
                // the change works, but the run fails.
                if plan.full {
                    if let Some((probe, sizes)) = bench::find_probe(&measured) {
                        println!("{}", bench::probe_verdict(sizes, probe.optimized));
                    }
                    rows.push(row(SIZE_STEP, size_budget(&measured), Instant::now()));
                }
            }
            Err(err) => {
                rows.push(row(
                    "build wasm bundles",
                    Outcome::Failed(format!("{err:#}")),
                    step,
                ));
                if plan.full {
                    rows.push(row(SIZE_STEP, Outcome::NotRun, Instant::now()));
                }
                plan.mark_not_run(&mut rows);
                return finish(rows, total);
            }
        }
    }

    for round in 1..=plan.repeat {
        let name = plan.round_name(round);
        for (i, suite) in plan.suites.iter().enumerate() {
            let step = Instant::now();
            let outcome = match run_suite(ws, &tools, suite) {
                Ok(outcome) => outcome,
                Err(err) => Outcome::Failed(format!("{err:#}")),
            };
            let failed = matches!(outcome, Outcome::Failed(_));
            rows.push(row(&name(suite), outcome, step));
            if failed {
                // This round stops at its first failure; the next round starts afresh, so that
                // `--repeat` counts how often a suite fails.
                mark_not_run(&mut rows, &plan.suites[i + 1..], &name);
                break;
            }
        }
    }
    finish(rows, total)
}

/// The name of the size-budget step in the summary.
const SIZE_STEP: &str = "size budget (sdk probe <= 40 KB gzip)";

/// The name of the host bridge's size-budget step in the summary.
const BRIDGE_SIZE_STEP: &str = "size budget (host bridge JS package <= 40 KB gzip)";

/// Whether the host bridge's JS package, as the build measured it, is within its budget.
pub fn bridge_budget(measured: &[(Built, Sizes)]) -> Outcome {
    match bench::find_bridge(measured) {
        None => Outcome::Skipped("the host bridge package was not built".into()),
        Some((b, _)) if !b.optimized => {
            Outcome::Skipped("wasm-opt is unavailable, so the sizes are not comparable".into())
        }
        Some((_, s)) if bench::bridge_within_budget(s) => Outcome::Passed(None),
        Some((_, s)) => Outcome::Failed(format!(
            "the host bridge JS package (dist/host-bridge/) is {} B gzip, over its budget of \
             {HOST_BRIDGE_TARGET_BYTES} B: a host platform ships it on every page that shows an \
             app (`cargo xtask bench size --bundle host-bridge` measures it alone)",
            s.total_gz()
        )),
    }
}

/// Whether the size probe, as the build measured it, is within its budget.
pub fn size_budget(measured: &[(Built, Sizes)]) -> Outcome {
    match bench::find_probe(measured) {
        None => Outcome::Skipped("the size probe was not built".into()),
        Some((b, _)) if !b.optimized => {
            Outcome::Skipped("wasm-opt is unavailable, so the sizes are not comparable".into())
        }
        Some((_, s)) if bench::within_budget(s) => Outcome::Passed(None),
        Some((_, s)) if bench::within_gate(s) => {
            eprintln!(
                "xtask: warning: the size probe is {} B gzip: over its goal of \
                 {SIZE_PROBE_TARGET_BYTES} B, within the guard of {SIZE_PROBE_GATE_BYTES} B",
                s.total_gz()
            );
            Outcome::Passed(None)
        }
        Some((_, s)) => Outcome::Failed(format!(
            "the size probe is {} B gzip, over its guard of {SIZE_PROBE_GATE_BYTES} B (goal \
             {SIZE_PROBE_TARGET_BYTES} B; `cargo xtask bench size --bundle probe` measures it alone)",
            s.total_gz()
        )),
    }
}

fn row(name: &str, outcome: Outcome, started: Instant) -> Row {
    Row {
        name: name.to_owned(),
        outcome,
        elapsed: started.elapsed(),
    }
}

fn mark_not_run(rows: &mut Vec<Row>, rest: &[&Suite], name: impl Fn(&Suite) -> String) {
    rows.extend(rest.iter().map(|s| Row {
        name: name(s),
        outcome: Outcome::NotRun,
        elapsed: Duration::ZERO,
    }));
}

fn finish(rows: Vec<Row>, total: Instant) -> Result<()> {
    println!("\n== cargo xtask test summary ==\n{}", summary(&rows));
    println!("total {}", secs(total.elapsed()));
    let first_failure = rows.iter().find_map(|r| match &r.outcome {
        Outcome::Failed(why) => Some((r.name.as_str(), why.as_str())),
        _ => None,
    });
    if let Some((name, why)) = first_failure {
        let failed = rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
            .count();
        bail!("{failed} step(s) failed; the first: {name} failed: {why}");
    }
    // The plain closing line, summed over every suite's `test result:` lines.
    let passed: u64 = rows
        .iter()
        .filter_map(|r| match r.outcome {
            Outcome::Passed(n) => n,
            _ => None,
        })
        .sum();
    println!("total: {passed} passed, 0 failed");
    Ok(())
}

/// Runs one suite; `Ok(Skipped)` when it does not apply yet, `Err` when it failed.
fn run_suite(ws: &Workspace, tools: &Tools, suite: &Suite) -> Result<Outcome> {
    let mut packages = Vec::new();
    for dir in suite.crate_dirs {
        if let Some(pkg) = ws.package(dir, suite.required, &format!("suite {}", suite.name))? {
            packages.push(pkg);
        }
    }
    if packages.is_empty() {
        return Ok(Outcome::Skipped(format!(
            "{} not there yet",
            suite.crate_dirs.join(", ")
        )));
    }
    if suite.kind == SuiteKind::OpenApi {
        crate::openapi::run(ws)?;
        return Ok(Outcome::Passed(None));
    }
    if suite.kind == SuiteKind::NewApp {
        return Ok(Outcome::Passed(Some(crate::new_app_suite::run(ws, tools)?)));
    }
    let mut cargo = ws.cargo();
    cargo.args(["test", "--locked"]);
    match suite.kind {
        SuiteKind::Native | SuiteKind::EndToEnd | SuiteKind::OpenApi | SuiteKind::NewApp => {
            // The SQLite run must not silently become a Postgres run.
            cargo.env_remove(PG_URL_VAR);
        }
        SuiteKind::WasmBrowser => {
            cargo.args(["--target", WASM_TARGET]);
        }
        SuiteKind::Postgres => {
            let Some(url) = postgres_url(std::env::var(PG_URL_VAR).ok(), local_postgres_answers)
            else {
                return Ok(Outcome::Skipped(format!(
                    "no {PG_URL_VAR} and nothing listens on 127.0.0.1:5432"
                )));
            };
            cargo.env(PG_URL_VAR, url);
        }
        SuiteKind::ScaleOut => {
            let Some(url) = postgres_url(std::env::var(PG_URL_VAR).ok(), local_postgres_answers)
            else {
                return Ok(Outcome::Skipped(format!(
                    "no {PG_URL_VAR} and nothing listens on 127.0.0.1:5432"
                )));
            };
            let (s3, haproxy) = match scale_tools::ensure(ws).both() {
                Ok(tools) => tools,
                Err(why) => return Ok(Outcome::Skipped(why)),
            };
            cargo
                .env(PG_URL_VAR, url)
                .env(scale_tools::S3_SERVER_VAR, s3)
                .env(scale_tools::HAPROXY_VAR, haproxy);
        }
    }
    for pkg in &packages {
        cargo.args(["-p", &pkg.name]);
    }
    if !suite.features.is_empty() {
        cargo.args(["--features", &suite.features.join(",")]);
    }
    if let Some(target) = suite.test_target
        && packages.iter().all(|p| p.has_target("test", target))
    {
        cargo.args(["--test", target]);
    }
    if suite.test_filter.is_some() || !suite.test_skip.is_empty() {
        cargo.arg("--");
    }
    if let Some(filter) = suite.test_filter {
        cargo.arg(filter);
    }
    for skip in suite.test_skip {
        cargo.args(["--skip", skip]);
    }
    if let Some(driver) = &tools.chromedriver {
        cargo.env("CHROMEDRIVER", driver);
    }
    if suite.kind == SuiteKind::EndToEnd {
        // The e2e crate serves the bundles that the build step just wrote.
        cargo.env("APPFRAME_DIST_DIR", ws.dist());
        // The npm suite bundles its fixture with the pinned esbuild and type-checks the
        // packages' README examples with the TypeScript pinned for the OpenAPI suite.
        if let Some(esbuild) = &tools.esbuild {
            cargo.env("APPFRAME_ESBUILD", esbuild);
        }
        if suite.test_filter == Some(NPM_TESTS) {
            cargo.env(
                "APPFRAME_TSC",
                crate::openapi::ensure_tools(ws)?.join("tsc"),
            );
        }
    }
    let counts = cmd::run_tests(&mut cargo)?;
    if let Some(filter) = suite.test_filter
        && counts.passed == 0
    {
        bail!(
            "the filter `{filter}` matched no test: the suite would pass without testing anything"
        );
    }
    Ok(Outcome::Passed(Some(counts.passed)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::project::{HOST_BRIDGE, SIZE_PROBE};

    fn built(name: &'static str, optimized: bool) -> Built {
        Built {
            name,
            out_dir: std::path::PathBuf::from("dist/x"),
            stem: "x".into(),
            optimized,
        }
    }

    fn sizes(total: u64) -> Sizes {
        Sizes {
            wasm_raw: 3 * total,
            wasm_gz: total - 1_000,
            js_raw: 9_000,
            js_gz: 1_000,
        }
    }

    #[test]
    fn the_probe_fails_the_run_only_when_measured_over_its_guard() {
        let at = vec![(built(SIZE_PROBE, true), sizes(SIZE_PROBE_TARGET_BYTES))];
        assert_eq!(size_budget(&at), Outcome::Passed(None));
        // Over the goal, within the guard: passes (with a warning).
        let between = vec![(built(SIZE_PROBE, true), sizes(SIZE_PROBE_GATE_BYTES))];
        assert_eq!(size_budget(&between), Outcome::Passed(None));
        let over = vec![(built(SIZE_PROBE, true), sizes(SIZE_PROBE_GATE_BYTES + 1))];
        let Outcome::Failed(why) = size_budget(&over) else {
            panic!("one byte over the guard must fail");
        };
        assert!(why.contains("41001 B gzip"), "{why}");
        // Without wasm-opt the figure means nothing; without the probe there is nothing to judge.
        let raw = vec![(built(SIZE_PROBE, false), sizes(90_000))];
        assert!(matches!(size_budget(&raw), Outcome::Skipped(_)));
        let other = vec![(built("counter", true), sizes(90_000))];
        assert!(matches!(size_budget(&other), Outcome::Skipped(_)));
    }

    #[test]
    fn the_host_bridge_fails_the_run_only_when_measured_over_its_budget() {
        let at = vec![(built(HOST_BRIDGE, true), sizes(HOST_BRIDGE_TARGET_BYTES))];
        assert_eq!(bridge_budget(&at), Outcome::Passed(None));
        let over = vec![(
            built(HOST_BRIDGE, true),
            sizes(HOST_BRIDGE_TARGET_BYTES + 1),
        )];
        let Outcome::Failed(why) = bridge_budget(&over) else {
            panic!("one byte over must fail");
        };
        assert!(why.contains("40001 B gzip"), "{why}");
        assert!(why.contains("--bundle host-bridge"), "{why}");
        let raw = vec![(built(HOST_BRIDGE, false), sizes(90_000))];
        assert!(matches!(bridge_budget(&raw), Outcome::Skipped(_)));
        let other = vec![(built(SIZE_PROBE, true), sizes(90_000))];
        assert!(matches!(bridge_budget(&other), Outcome::Skipped(_)));
    }

    #[test]
    fn the_summary_shows_every_outcome() {
        let rows = vec![
            Row {
                name: "protocol".into(),
                outcome: Outcome::Passed(Some(31)),
                elapsed: Duration::from_millis(1500),
            },
            Row {
                name: "server (SQLite)".into(),
                outcome: Outcome::Failed("boom".into()),
                elapsed: Duration::from_secs(3),
            },
            Row {
                name: "e2e".into(),
                outcome: Outcome::Skipped("e2e not there yet".into()),
                elapsed: Duration::ZERO,
            },
            Row {
                name: "later".into(),
                outcome: Outcome::NotRun,
                elapsed: Duration::ZERO,
            },
        ];
        let text = summary(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(lines[0].starts_with("suite"));
        assert!(
            lines[2].starts_with("protocol")
                && lines[2].contains("passed")
                && lines[2].ends_with("1.5 s")
        );
        assert!(lines[3].contains("FAILED") && lines[3].ends_with("3.0 s"));
        assert!(lines[4].contains("skipped: e2e not there yet"));
        assert!(lines[5].contains("not run"));
    }

    #[test]
    fn a_plan_runs_everything_or_only_the_named_suites_as_often_as_asked() {
        let all = Plan::new(&[], 1).unwrap();
        assert_eq!(all.suites.len(), SUITES.len());
        assert!(all.lint() && all.build && all.full);

        let e2e = Plan::new(&["e2e".into()], 5).unwrap();
        let ids: Vec<&str> = e2e.suites.iter().map(|s| s.id).collect();
        assert_eq!(ids, ["e2e"]);
        assert!(!e2e.lint() && e2e.build && !e2e.full && e2e.repeat == 5);
        assert_eq!(
            e2e.round_name(2)(e2e.suites[0]),
            "end-to-end (Chromium) #2/5"
        );

        // The new-app suite serves the host page of dist/ too.
        assert!(Plan::new(&["new-app".into()], 1).unwrap().build);

        // Suites keep their run order whatever the order of --only; no bundles without e2e.
        let two = Plan::new(&["postgres-api".into(), "protocol".into()], 1).unwrap();
        let ids: Vec<&str> = two.suites.iter().map(|s| s.id).collect();
        assert_eq!(ids, ["protocol", "postgres-api"]);
        assert!(!two.build);
        assert_eq!(two.round_name(1)(two.suites[0]), "protocol");

        let err = Plan::new(&["e2f".into()], 1).unwrap_err().to_string();
        assert!(
            err.contains("no suite `e2f`") && err.contains("e2e"),
            "{err}"
        );
        assert!(Plan::new(&[], 0).is_err());
    }

    #[test]
    fn every_suite_has_its_own_id() {
        let mut ids: Vec<&str> = SUITES.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SUITES.len());
    }

    #[test]
    fn finish_fails_when_any_row_failed() {
        let ok = vec![row("a", Outcome::Passed(None), Instant::now())];
        assert!(finish(ok, Instant::now()).is_ok());
        let bad = vec![
            row("a", Outcome::Passed(None), Instant::now()),
            row("b", Outcome::Failed("exit 101".into()), Instant::now()),
        ];
        let err = finish(bad, Instant::now()).unwrap_err().to_string();
        assert!(err.contains("b failed: exit 101"), "{err}");
        assert!(err.starts_with("1 step(s) failed"), "{err}");
    }
}
