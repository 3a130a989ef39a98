//! `cargo xtask`: the project's own task runner — set up the tools, build the wasm bundles,
//! serve the demo, run every test suite, benchmark and lint.
//!
//! Run `cargo xtask --help`. Every command works from any directory inside the repository and
//! honours `CARGO_TARGET_DIR`. What gets built and tested is data: see [`project`].

mod bench;
mod bench_lb;
mod boot;
mod build;
mod built;
mod check;
mod cmd;
mod dev_apps;
mod files;
mod fuzz;
mod gzip;
mod lockfile;
mod new_app;
mod new_app_suite;
mod npm;
mod openapi;
mod postgres;
mod project;
mod scale_tools;
mod serve;
mod setup;
mod size;
mod suites;
mod workspace;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::workspace::Workspace;

/// Command-line interface of `cargo xtask`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, serve, test, bench and lint appframe"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The xtask subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Install what is missing (idempotent): wasm32 target, the wasm-bindgen CLI of the exact
    /// Cargo.lock version, npm binaryen (wasm-opt); with --browser also Chromium + chromedriver.
    Setup {
        /// Also install Chromium and chromedriver from Debian packages (needs root).
        #[arg(long)]
        browser: bool,
    },
    /// Build every wasm bundle into dist/, and the npm packages of the JS builds into dist/npm/.
    ///
    /// Without --release: dev profile and no wasm-opt (fast incremental rebuilds, debuggable).
    /// With --release: the `wasm-release` profile and `wasm-opt -Oz`, i.e. what ships.
    Build {
        /// Build what ships: `--profile wasm-release` plus `wasm-opt -Oz`.
        #[arg(long)]
        release: bool,
    },
    /// Set up, build (release) and run the server with the built-in demo config until Ctrl-C.
    Serve {
        /// Do not rebuild the wasm bundles; serve what is in dist/.
        #[arg(long)]
        skip_build: bool,
    },
    /// Set up (including the browser), build, and run every test suite; fails fast.
    Test {
        /// Run only these suites (repeatable: `--only e2e --only server`): no lint, and the
        /// bundles are built only for the browser suites (npm, e2e, new-app). Ids: xtask, protocol,
        /// server, sdk, browser, postgres-api, postgres-ws, scale-out, openapi, npm, e2e, new-app.
        #[arg(long, value_name = "SUITE")]
        only: Vec<String>,
        /// Run the chosen suites this many times; each round runs even when an earlier one
        /// failed, and the run fails if any did (shows whether a suite is reliable).
        #[arg(long, default_value_t = 1, value_name = "N")]
        repeat: u32,
    },
    /// Run a benchmark (not a timed test).
    Bench {
        /// Which benchmark.
        #[arg(value_enum, default_value_t = BenchWhat::All)]
        what: BenchWhat,
        /// `size` only: build and measure just the bundles whose name contains this (e.g.
        /// `probe` for the SDK size probe alone, a quick loop while cutting size).
        #[arg(long)]
        bundle: Option<String>,
        /// `soak` only: how long the load runs (default 60 s; a few seconds is a smoke check).
        #[arg(long, value_name = "S")]
        secs: Option<u64>,
        /// `server` and `ws` only: run on PostgreSQL (`APPFRAME_TEST_DATABASE_URL`, else the
        /// local `postgres://postgres@127.0.0.1:5432/test`), a fresh database each run; `ws`
        /// then also runs two server instances sharing it.
        #[arg(long)]
        postgres: bool,
    },
    /// The long run of the property tests (proptest) that CI runs with few cases: the
    /// postMessage decoder, REST bodies and routes, websocket messages, the config parser.
    Fuzz {
        /// Cases per property per round.
        #[arg(long, default_value_t = 4096, value_name = "N")]
        cases: u32,
        /// Repeat rounds (fresh random inputs each) until this many seconds have passed.
        #[arg(long, value_name = "S")]
        secs: Option<u64>,
    },
    /// `cargo fmt --check` and `cargo clippy -D warnings` on every crate (native and wasm).
    Check,
    /// Make a new app in apps/NAME/ from a template and register it in apps/dev.toml, so that
    /// `cargo xtask serve` builds it, lists it in the demo host and serves it standalone.
    NewApp {
        /// The app's name: lowercase letters, digits and single dashes, starting with a letter.
        name: String,
        /// Which template: Rust without a framework, leptos, or plain JS on the SDK's JS build.
        #[arg(long, value_enum, default_value_t = new_app::Template::Rust)]
        template: new_app::Template,
    },
}

/// Benchmarks that `cargo xtask bench` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchWhat {
    /// Server throughput and latency (the server's `bench` example).
    Server,
    /// The server benchmark's load-balanced mode: app-data GET and POST through HAProxy with
    /// one and two release server processes on PostgreSQL, and the ratio two/one.
    ServerLb,
    /// WebSocket fan-out latency, 1,000 subscribers (the server's `ws_bench` example).
    Ws,
    /// Server RSS under hostile reads: an item filled to quota with 1 MB rows, 4 viewers
    /// (the server's `memory` example, driving the release server binary).
    Memory,
    /// 60 s of mixed reads and writes on 64 connections plus 16 websocket subscribers against
    /// the release server binary: errors, latency, events, and whether RSS stays flat.
    Soak,
    /// Browser handshake timings (the e2e crate's `bench` binary).
    Browser,
    /// Gzip sizes of the SDK size probe and every bundle.
    Size,
    /// All of the above.
    All,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut ws = Workspace::locate()?;
    match cli.command {
        Command::Setup { browser } => {
            setup::ensure(&mut ws, setup::Needs { browser })?;
            // Reports (never fails on) what it cannot install; the scale-out suite then says so.
            scale_tools::ensure(&ws);
            openapi::ensure_tools(&ws)?;
            Ok(())
        }
        Command::Build { release } => {
            let tools = setup::ensure(&mut ws, setup::Needs { browser: false })?;
            let built = build::build_all(&ws, &tools, build::Options::for_build(release))?;
            size::print_bundle_table(&built)?;
            Ok(())
        }
        Command::Serve { skip_build } => serve::serve(&mut ws, skip_build),
        Command::Test { only, repeat } => {
            let plan = suites::Plan::new(&only, repeat)?;
            suites::test(&mut ws, &plan)
        }
        Command::Bench {
            what,
            bundle,
            secs,
            postgres,
        } => bench::bench(&mut ws, what, bundle.as_deref(), secs, postgres),
        Command::Fuzz { cases, secs } => fuzz::fuzz(&ws, cases, secs),
        Command::Check => check::check(&ws),
        Command::NewApp { name, template } => new_app::run(&ws, &name, template),
    }
}
