//! The OpenAPI suite of `cargo xtask test`: the server prints its document
//! (`appframe-server openapi`), Redocly CLI lints it (`xtask/openapi/redocly.yaml`: every rule
//! of `recommended-strict`, so a warning fails too), openapi-typescript generates a client's
//! types from it, and tsc type-checks `xtask/openapi/client/main.ts`, which calls the main
//! routes through openapi-fetch with those types. An untyped answer or a renamed field, path
//! or parameter fails the type check.
//!
//! The tools are pinned in `xtask/openapi/package.json` (with its lock file) and installed by
//! `npm ci` when one is missing or of another version, like the build tools in `xtask/npm`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cmd;
use crate::workspace::Workspace;

/// Where the tools, the linter's configuration and the client live, relative to the root.
const DIR: &str = "xtask/openapi";

fn say(line: &str) {
    eprintln!("xtask: openapi: {line}");
}

/// The pinned `(package, version)` pairs of `package.json`'s `dependencies`.
fn pinned(package_json: &str) -> Result<Vec<(String, String)>> {
    let v: serde_json::Value = serde_json::from_str(package_json).context("package.json")?;
    let deps = v["dependencies"]
        .as_object()
        .context("package.json has no dependencies")?;
    deps.iter()
        .map(|(name, version)| {
            version
                .as_str()
                .map(|s| (name.clone(), s.to_owned()))
                .with_context(|| format!("the version of {name} is not a string"))
        })
        .collect()
}

/// Whether `node_modules` holds exactly the pinned version of every package.
fn installed(dir: &Path, want: &[(String, String)]) -> bool {
    want.iter().all(|(name, version)| {
        std::fs::read_to_string(dir.join("node_modules").join(name).join("package.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .is_some_and(|v| v["version"].as_str() == Some(version))
    })
}

/// Installs the pinned tools when one is missing or of another version; returns their `bin`.
pub fn ensure_tools(ws: &Workspace) -> Result<PathBuf> {
    let dir = ws.root.join(DIR);
    let want = pinned(
        &std::fs::read_to_string(dir.join("package.json"))
            .with_context(|| format!("reading {DIR}/package.json"))?,
    )?;
    let what = want
        .iter()
        .map(|(n, v)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    if !installed(&dir, &want) {
        say(&format!("{what}: missing, running npm ci"));
        cmd::run(ws.command("npm").current_dir(&dir).args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]))?;
        if !installed(&dir, &want) {
            bail!("{what}: still not installed after npm ci");
        }
    }
    say(&format!("{what}: present"));
    Ok(dir.join("node_modules/.bin"))
}

/// Lints the document and type-checks the client generated from it.
pub fn run(ws: &Workspace) -> Result<()> {
    let bin = ensure_tools(ws)?;
    let dir = ws.root.join(DIR);
    // Beside the linter's ignore file, whose entries name it relative to that file; git
    // ignores it.
    let doc = dir.join("openapi.json");

    let mut print = ws.cargo();
    print.args([
        "run",
        "--locked",
        "--quiet",
        "-p",
        "appframe-server",
        "--",
        "openapi",
    ]);
    let line = cmd::describe(&print);
    eprintln!("$ {line}");
    let out = print
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    if !out.status.success() {
        bail!("`{line}` failed ({})", out.status);
    }
    std::fs::write(&doc, &out.stdout).with_context(|| format!("writing {}", doc.display()))?;

    cmd::run(
        ws.command(bin.join("redocly"))
            .current_dir(&dir)
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
            .args(["lint", "--config", "redocly.yaml", "openapi.json"]),
    )?;
    // The generated types land beside the client, which imports them; git ignores them. Run
    // from `client/`: in `xtask/openapi` openapi-typescript would lint again with redocly.yaml
    // but without its ignore file.
    cmd::run(
        ws.command(bin.join("openapi-typescript"))
            .current_dir(dir.join("client"))
            .args(["../openapi.json", "--output", "schema.d.ts"]),
    )?;
    cmd::run(
        ws.command(bin.join("tsc"))
            .current_dir(&dir)
            .args(["--project", "client/tsconfig.json"]),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_pinned_tools_are_read_from_package_json_and_checked_in_node_modules() {
        let mut want =
            pinned(r#"{"dependencies": {"typescript": "5.9.3", "a": "1.0.0"}}"#).unwrap();
        want.sort();
        assert_eq!(
            want,
            [
                ("a".to_owned(), "1.0.0".to_owned()),
                ("typescript".to_owned(), "5.9.3".to_owned())
            ]
        );
        assert!(pinned(r#"{"dependencies": {"a": 1}}"#).is_err());
        let dir = tempfile::tempdir().unwrap();
        assert!(!installed(dir.path(), &want));
        for (name, version) in [("a", "1.0.0"), ("typescript", "5.9.2")] {
            let pkg = dir.path().join("node_modules").join(name);
            std::fs::create_dir_all(&pkg).unwrap();
            std::fs::write(
                pkg.join("package.json"),
                format!(r#"{{"version": "{version}"}}"#),
            )
            .unwrap();
        }
        assert!(
            !installed(dir.path(), &want),
            "typescript is of another version"
        );
        std::fs::write(
            dir.path().join("node_modules/typescript/package.json"),
            r#"{"version": "5.9.3"}"#,
        )
        .unwrap();
        assert!(installed(dir.path(), &want));
    }
}
