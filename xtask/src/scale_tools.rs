//! The two outside programs of the scale-out tests (`server/tests/scale_out`): an
//! S3-compatible server (moto's server mode from PyPI, pinned in `xtask/python/requirements.txt`,
//! in a virtualenv at `xtask/python/venv`) and a load balancer (HAProxy from Debian packages).
//! Checked, then installed only when missing; a tool that cannot be installed is reported
//! with its reason, and the suite that needs it is skipped with that reason, never silently.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::cmd;
use crate::workspace::Workspace;

/// Debian's HAProxy binary.
const DEBIAN_HAPROXY: &str = "/usr/sbin/haproxy";

/// Env var through which the tests receive `moto_server`.
pub const S3_SERVER_VAR: &str = "APPFRAME_TEST_S3_SERVER";
/// Env var through which the tests receive `haproxy`.
pub const HAPROXY_VAR: &str = "APPFRAME_TEST_HAPROXY";

/// Each tool, or why it is not there.
#[derive(Debug)]
pub struct ScaleTools {
    /// `moto_server`.
    pub s3_server: Result<PathBuf, String>,
    /// `haproxy`.
    pub haproxy: Result<PathBuf, String>,
}

impl ScaleTools {
    /// Both tools, or the reasons they are missing.
    pub fn both(&self) -> Result<(PathBuf, PathBuf), String> {
        match (&self.s3_server, &self.haproxy) {
            (Ok(s3), Ok(lb)) => Ok((s3.clone(), lb.clone())),
            (s3, lb) => Err([s3.as_ref().err(), lb.as_ref().err()]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")),
        }
    }
}

fn say(line: &str) {
    eprintln!("xtask: setup: {line}");
}

/// Checks both tools and installs what is missing; idempotent, never fails the caller.
pub fn ensure(ws: &Workspace) -> ScaleTools {
    let s3_server = ensure_moto(ws).map_err(|e| format!("S3 server (moto) unavailable: {e:#}"));
    let haproxy = ensure_haproxy(ws).map_err(|e| format!("HAProxy unavailable: {e:#}"));
    for r in [&s3_server, &haproxy] {
        if let Err(why) = r {
            say(why);
        }
    }
    ScaleTools { s3_server, haproxy }
}

/// The pinned requirement line, e.g. `moto[server]==5.2.6`.
fn moto_requirement(requirements: &str) -> Result<&str> {
    requirements
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("moto"))
        .context("xtask/python/requirements.txt has no moto line")
}

fn ensure_moto(ws: &Workspace) -> Result<PathBuf> {
    let dir = ws.root.join("xtask/python");
    let requirements = dir.join("requirements.txt");
    let text = std::fs::read_to_string(&requirements).context("reading requirements.txt")?;
    let want = moto_requirement(&text)?;
    let version = want.rsplit("==").next().unwrap_or_default().to_owned();
    let venv = dir.join("venv");
    let server = venv.join("bin/moto_server");
    let python = venv.join("bin/python");
    let installed = |ws: &Workspace| {
        server.is_file()
            && cmd::probe(ws.command(&python).args([
                "-c",
                "import importlib.metadata as m; print(m.version('moto'))",
            ]))
            .is_some_and(|v| v == version)
    };
    if installed(ws) {
        say(&format!(
            "S3 server (moto {version}): present ({})",
            server.display()
        ));
        return Ok(server);
    }
    say(&format!(
        "S3 server ({want}): missing, installing into {}",
        venv.display()
    ));
    let base = ["python3.11", "python3"]
        .into_iter()
        .find(|p| cmd::probe(ws.command(p).arg("--version")).is_some())
        .context("no python3 found")?;
    if !python.is_file() {
        cmd::run(ws.command(base).args(["-m", "venv"]).arg(&venv))?;
    }
    cmd::run(
        ws.command(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    if !installed(ws) {
        bail!("pip installed {want} but {} does not run", server.display());
    }
    Ok(server)
}

fn ensure_haproxy(ws: &Workspace) -> Result<PathBuf> {
    let path = PathBuf::from(DEBIAN_HAPROXY);
    let works = |ws: &Workspace| cmd::probe(ws.command(&path).arg("-v"));
    if let Some(v) = works(ws) {
        let first = v.lines().next().unwrap_or_default().to_owned();
        say(&format!("load balancer: present ({first})"));
        return Ok(path);
    }
    if cmd::probe(ws.command("id").arg("-u")).as_deref() != Some("0") {
        bail!("installing it needs root: run `sudo apt-get install -y haproxy`");
    }
    say("load balancer (HAProxy): missing, installing from Debian packages");
    cmd::run(ws.command("apt-get").args(["update", "-qq"]))?;
    // The package's service is never started here (no init system in CI); the tests run
    // their own haproxy process with their own config.
    cmd::run(
        ws.command("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "--no-install-recommends", "haproxy"]),
    )?;
    works(ws)
        .with_context(|| format!("apt-get installed haproxy but {DEBIAN_HAPROXY} does not run"))?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_moto_pin_is_read_from_the_requirements_file() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/requirements.txt"),
        )
        .unwrap();
        let want = moto_requirement(&text).unwrap();
        assert!(want.starts_with("moto[server]=="), "{want}");
        assert!(moto_requirement("# nothing\n").is_err());
    }

    #[test]
    fn missing_tools_are_reported_with_every_reason() {
        let t = ScaleTools {
            s3_server: Err("no python".into()),
            haproxy: Err("not root".into()),
        };
        assert_eq!(t.both().unwrap_err(), "no python; not root");
        let t = ScaleTools {
            s3_server: Ok("/m".into()),
            haproxy: Ok("/h".into()),
        };
        assert_eq!(t.both().unwrap(), ("/m".into(), "/h".into()));
    }
}
