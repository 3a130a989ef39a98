//! `cargo xtask bench server-lb`: the server benchmark's load-balanced mode. App-data GET and
//! durable POST through HAProxy (`deploy/haproxy.cfg`) with one and with two release server
//! processes on PostgreSQL (the server's `lb_bench` example prints the table and the ratio).

use anyhow::{Result, bail};

use crate::cmd;
use crate::project::{LB_BENCH, LOCAL_PG_URL, PG_URL_VAR, SERVER_BIN};
use crate::scale_tools;
use crate::workspace::Workspace;

/// Builds the release server binary and the example, then runs it with PostgreSQL and HAProxy.
pub fn bench_server_lb(ws: &Workspace, quick: bool) -> Result<()> {
    let Some(pg) = crate::postgres::postgres_url(
        std::env::var(PG_URL_VAR).ok(),
        crate::postgres::local_postgres_answers,
    ) else {
        bail!(
            "the load-balanced benchmark needs PostgreSQL: set {PG_URL_VAR} or run one on {LOCAL_PG_URL}"
        );
    };
    let haproxy = match scale_tools::ensure(ws).haproxy {
        Ok(p) => p,
        Err(why) => bail!("the load-balanced benchmark needs HAProxy: {why}"),
    };
    let (dir, bin) = SERVER_BIN;
    let Some(pkg) = ws.package(dir, true, "the load-balanced benchmark")? else {
        bail!("no server package");
    };
    let name = pkg.name.clone();
    cmd::run(
        ws.cargo()
            .args(["build", "--locked", "--release", "-p", &name, "--bin", bin]),
    )?;
    let mut cargo = ws.cargo();
    cargo.args([
        "run",
        "--locked",
        "--release",
        "-p",
        &name,
        "--example",
        LB_BENCH.1,
    ]);
    if quick {
        cargo.args(["--", "--quick"]);
    }
    cargo
        .env("APPFRAME_BENCH_DATABASE_URL", pg)
        .env("APPFRAME_BENCH_HAPROXY", haproxy);
    cmd::run(&mut cargo)
}
