//! `cargo xtask fuzz [--cases N] [--secs S]`: the long run of the property tests ("fuzzing" on
//! stable Rust, proptest) that CI runs with few cases as ordinary tests. Every target runs with
//! `APPFRAME_FUZZ_CASES=N`; with `--secs`, rounds repeat (each with fresh random seeds) until
//! that much time has passed. Prints a table of targets, cases, time and failures, and fails if
//! any target failed. A failing property prints its smallest input; keep it as a regression
//! test where the bug is fixed.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::cmd;
use crate::postgres::postgres_url;
use crate::project::PG_URL_VAR;
use crate::size;
use crate::workspace::Workspace;

/// Env var through which the property tests receive their case count.
pub const CASES_VAR: &str = "APPFRAME_FUZZ_CASES";

/// One fuzz target: a group of property tests picked by a test-name filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Shown in the table.
    pub name: &'static str,
    /// Crate folder.
    pub dir: &'static str,
    /// `--lib`, or `--test <name>`.
    pub test: Option<&'static str>,
    /// Substring of the test names.
    pub filter: &'static str,
    /// Needs PostgreSQL (skipped when none answers).
    pub postgres: bool,
}

/// Every fuzz target, cheap ones first.
pub const TARGETS: &[Target] = &[
    Target {
        name: "postMessage decoder (protocol)",
        dir: "protocol",
        test: Some("fuzz"),
        filter: "fuzz_message",
        postgres: false,
    },
    Target {
        name: "REST bodies, rows, timestamps (protocol)",
        dir: "protocol",
        test: Some("fuzz"),
        filter: "fuzz_body",
        postgres: false,
    },
    Target {
        name: "websocket messages (protocol)",
        dir: "protocol",
        test: Some("fuzz"),
        filter: "fuzz_ws",
        postgres: false,
    },
    Target {
        name: "SDK decoders (codec, wire)",
        dir: "app-sdk",
        test: None,
        filter: "fuzz_sdk",
        postgres: false,
    },
    Target {
        name: "config parser (server)",
        dir: "server",
        test: Some("config_fuzz"),
        filter: "fuzz_config",
        postgres: false,
    },
    Target {
        name: "REST routes (server, SQLite)",
        dir: "server",
        test: Some("api"),
        filter: "sqlite::fuzz_rest",
        postgres: false,
    },
    Target {
        name: "REST routes (server, PostgreSQL)",
        dir: "server",
        test: Some("api"),
        filter: "postgres::fuzz_rest",
        postgres: true,
    },
    Target {
        name: "websocket client messages (server, SQLite)",
        dir: "server",
        test: Some("ws"),
        filter: "sqlite::fuzz_ws",
        postgres: false,
    },
    Target {
        name: "websocket client messages (server, PostgreSQL)",
        dir: "server",
        test: Some("ws"),
        filter: "postgres::fuzz_ws",
        postgres: true,
    },
];

/// What one target did over every round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Property tests matched (in the first round).
    pub properties: u64,
    /// Rounds run.
    pub rounds: u32,
    /// Time spent.
    pub elapsed: Duration,
    /// Property tests that failed, summed over rounds.
    pub failures: u64,
    /// A round that did not even run its tests (a build error), or why it was skipped.
    pub note: Option<String>,
}

/// Renders the table.
pub fn table(cases: u32, rows: &[(&Target, Tally)]) -> String {
    let mut t = vec![vec![
        "target".to_owned(),
        "properties".to_owned(),
        "cases each".to_owned(),
        "rounds".to_owned(),
        "time".to_owned(),
        "failures".to_owned(),
    ]];
    for (target, tally) in rows {
        let failures = match &tally.note {
            Some(n) => n.clone(),
            None => tally.failures.to_string(),
        };
        t.push(vec![
            target.name.to_owned(),
            tally.properties.to_string(),
            if tally.rounds == 0 {
                "-".to_owned()
            } else {
                (u64::from(cases) * u64::from(tally.rounds)).to_string()
            },
            tally.rounds.to_string(),
            format!("{:.1} s", tally.elapsed.as_secs_f64()),
            failures,
        ]);
    }
    size::table(&t, 1)
}

/// Whether every target passed (skipped ones count as passed).
pub fn passed(rows: &[(&Target, Tally)]) -> bool {
    rows.iter()
        .all(|(_, t)| t.failures == 0 && t.note.as_deref().is_none_or(|n| n.starts_with("skipped")))
}

/// Runs every target with `cases` cases per property, round after round until `secs` have
/// passed (one round without `--secs`).
pub fn fuzz(ws: &Workspace, cases: u32, secs: Option<u64>) -> Result<()> {
    if cases == 0 {
        bail!("--cases must be at least 1");
    }
    let pg = postgres_url(std::env::var(PG_URL_VAR).ok(), || {
        std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], 5432)),
            Duration::from_millis(500),
        )
        .is_ok()
    });
    let mut rows: Vec<(&Target, Tally)> = TARGETS.iter().map(|t| (t, Tally::default())).collect();
    let started = Instant::now();
    let deadline = secs.map(|s| started + Duration::from_secs(s));
    loop {
        for (target, tally) in rows.iter_mut() {
            if tally.note.is_some() {
                continue;
            }
            if target.postgres && pg.is_none() {
                tally.note = Some(format!("skipped: no {PG_URL_VAR}, no local PostgreSQL"));
                continue;
            }
            let Some(pkg) = ws.package(target.dir, true, target.name)? else {
                continue;
            };
            let mut cargo = ws.cargo();
            cargo.args(["test", "--locked", "-p", &pkg.name]);
            match target.test {
                Some(t) => cargo.args(["--test", t]),
                None => cargo.arg("--lib"),
            };
            cargo
                .args(["--", target.filter])
                .env(CASES_VAR, cases.to_string());
            match (&pg, target.postgres) {
                (Some(url), true) => cargo.env(PG_URL_VAR, url),
                _ => cargo.env_remove(PG_URL_VAR),
            };
            let t0 = Instant::now();
            let (counts, ok) = cmd::run_tests_counting(&mut cargo)?;
            tally.elapsed += t0.elapsed();
            tally.rounds += 1;
            tally.failures += counts.failed;
            if tally.rounds == 1 {
                tally.properties = counts.passed + counts.failed;
            }
            if !ok && counts.failed == 0 {
                tally.note = Some("did not run (see the output above)".to_owned());
            } else if tally.properties == 0 {
                tally.note = Some(format!("no test matches `{}`", target.filter));
            }
        }
        if deadline.is_none_or(|d| Instant::now() >= d) {
            break;
        }
    }
    println!(
        "\n== fuzz: {cases} cases per property per round, {:.0} s ==\n",
        started.elapsed().as_secs_f64()
    );
    println!("{}", table(cases, &rows));
    if !passed(&rows) {
        bail!("a fuzz target failed; its smallest failing input is in the output above");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_target_has_its_own_name_and_filter() {
        for (i, a) in TARGETS.iter().enumerate() {
            for b in &TARGETS[i + 1..] {
                assert_ne!(a.name, b.name);
                assert!(a.dir != b.dir || a.test != b.test || a.filter != b.filter);
            }
        }
    }

    #[test]
    fn the_table_counts_cases_over_rounds_and_a_failure_fails_the_run() {
        let t = &TARGETS[0];
        let ok = Tally {
            properties: 3,
            rounds: 2,
            elapsed: Duration::from_millis(1500),
            failures: 0,
            note: None,
        };
        let skipped = Tally {
            note: Some("skipped: no database".into()),
            ..Tally::default()
        };
        let rows = vec![(t, ok.clone()), (&TARGETS[6], skipped)];
        let text = table(100, &rows);
        assert!(text.contains("200"), "{text}");
        assert!(text.contains("1.5 s"), "{text}");
        assert!(passed(&rows));
        let failed = Tally { failures: 1, ..ok };
        assert!(!passed(&[(t, failed)]));
        let broken = Tally {
            note: Some("did not run".into()),
            ..Tally::default()
        };
        assert!(!passed(&[(t, broken)]));
    }
}
