//! The `new-app` suite: `cargo xtask new-app` run for every template in a scratch copy of the
//! repository (a temporary folder, removed at the end whatever happens: the repository is never
//! written), the new apps built with the bundle pipeline, then the end-to-end test
//! `e2e/tests/new_app.rs` runs the real server on the demo config plus the scratch
//! `apps/dev.toml` and opens each app embedded in the demo host in headless Chromium.
//!
//! Cost: the copy holds sources only (a few MB). Its workspace crates sit at other paths, so
//! cargo compiles the SDK and the protocol again for it, but every registry dependency comes
//! from the shared target dir, built there by the examples (the templates use the examples'
//! dependencies and features for that reason). The new apps are built with the release
//! profile, as `cargo xtask serve` builds them, but without wasm-opt, which would only make
//! the test slower. The host page and the examples are the ones the build step wrote to dist/.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::build;
use crate::cmd;
use crate::dev_apps;
use crate::new_app::{self, Template};
use crate::project::PG_URL_VAR;
use crate::setup::Tools;
use crate::setup::WASM_TARGET;
use crate::workspace::Workspace;

/// Every new app of the suite starts with this, so the build can pick them alone.
const PREFIX: &str = "suite-";

/// The apps the suite makes: one per template.
const APPS: &[(Template, &str)] = &[
    (Template::Rust, "suite-rust"),
    (Template::Leptos, "suite-leptos"),
    (Template::Js, "suite-js"),
];

/// Folders never copied: build output, local data, dependencies and version control.
const SKIPPED: &[&str] = &[".git", "target", "dist", "data", "node_modules", "venv"];

/// Env vars through which the end-to-end test gets its inputs.
pub const DEV_CONFIG_VAR: &str = "APPFRAME_NEW_APP_CONFIG";
/// The names of the apps to open, comma-separated.
pub const APPS_VAR: &str = "APPFRAME_NEW_APPS";

/// Runs the suite and returns how many tests passed; the scratch folder is removed when this
/// returns.
pub fn run(ws: &Workspace, tools: &Tools) -> Result<u64> {
    let scratch = tempfile::Builder::new()
        .prefix("appframe-new-app-")
        .tempdir()
        .context("creating the scratch folder")?;
    let outcome = run_in(ws, tools, scratch.path());
    // Removed explicitly so that a failure to remove is reported, not ignored by Drop.
    let path = scratch.path().to_path_buf();
    scratch
        .close()
        .with_context(|| format!("removing the scratch copy {}", path.display()))?;
    outcome
}

fn run_in(ws: &Workspace, tools: &Tools, scratch: &Path) -> Result<u64> {
    let dist = ws.dist();
    if !dist.join("host/index.html").is_file() {
        bail!(
            "{} has no demo host page: the new-app suite runs after the bundle build",
            dist.display()
        );
    }
    let started = Instant::now();
    let files = copy_tree(&ws.root, scratch, true)?;
    // The host page and the examples as the build step wrote them; the new apps join them.
    copy_tree(&dist, &scratch.join("dist"), false)?;
    let mut copy = ws.at(scratch.to_path_buf());
    copy.refresh()?;
    for (template, name) in APPS {
        let made = new_app::create(&copy, name, *template)
            .with_context(|| format!("new-app {name} --template {}", template.dir()))?;
        eprintln!(
            "xtask: new-app: made {} ({} files) in the scratch copy",
            made.name,
            made.files.len()
        );
    }
    copy.refresh()?;
    let made = started.elapsed();

    let step = Instant::now();
    let built = build::build_all(
        &copy,
        tools,
        build::Options {
            release: true,
            optimize: false,
            include_bench_only: false,
            only: Some(PREFIX),
        },
    )?;
    if built.len() != APPS.len() {
        bail!(
            "built {} bundle(s) for the {} new apps",
            built.len(),
            APPS.len()
        );
    }
    // What `cargo xtask check` asks of every crate, asked of the new Rust apps: a new app
    // must not start its life failing the lint.
    let rust: Vec<String> = APPS
        .iter()
        .filter(|(t, _)| t.is_rust())
        .map(|(_, name)| new_app::crate_name(name))
        .collect();
    let mut fmt = copy.cargo();
    fmt.args(["fmt", "--check"]);
    let mut clippy = copy.cargo();
    clippy.args(["clippy", "--locked", "--target", WASM_TARGET]);
    for krate in &rust {
        fmt.args(["-p", krate]);
        clippy.args(["-p", krate]);
    }
    clippy.args(["--", "-D", "warnings"]);
    cmd::run(&mut fmt)?;
    cmd::run(&mut clippy)?;
    let build_time = step.elapsed();

    let Some(config) = dev_apps::merged_config(&copy.root)? else {
        bail!("new-app wrote no {}", dev_apps::DEV_CONFIG);
    };
    let config_path = scratch.join("appframe-dev.toml");
    std::fs::write(&config_path, config)
        .with_context(|| format!("writing {}", config_path.display()))?;

    let step = Instant::now();
    let names: Vec<&str> = APPS.iter().map(|(_, n)| *n).collect();
    let mut cargo = ws.cargo();
    cargo
        .args([
            "test",
            "--locked",
            "-p",
            "appframe-e2e",
            "--test",
            "new_app",
        ])
        .env_remove(PG_URL_VAR)
        .env("APPFRAME_DIST_DIR", copy.dist())
        .env(DEV_CONFIG_VAR, &config_path)
        .env(APPS_VAR, names.join(","));
    if let Some(driver) = &tools.chromedriver {
        cargo.env("CHROMEDRIVER", driver);
    }
    let counts = cmd::run_tests(&mut cargo)?;
    if counts.passed == 0 {
        bail!("the new-app end-to-end test did not run");
    }
    println!(
        "new-app suite: copied {files} files and made {} apps in {:.1} s, built and linted them in {:.1} s, \
         ran them in the host in {:.1} s",
        APPS.len(),
        made.as_secs_f64(),
        build_time.as_secs_f64(),
        step.elapsed().as_secs_f64()
    );
    Ok(counts.passed)
}

/// Copies `from` into `to`; at the repository root (`top`) leaves out [`SKIPPED`] folders,
/// below it only version control, dependencies and Python environments. Returns the files
/// copied.
fn copy_tree(from: &Path, to: &Path, top: bool) -> Result<usize> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            let skip = if top {
                SKIPPED.contains(&name.as_str())
            } else {
                matches!(name.as_str(), ".git" | "node_modules" | "venv")
            };
            if !skip {
                copied += copy_tree(&path, &to.join(&name), false)?;
            }
        } else if kind.is_file() {
            // A worktree's `.git` is a file pointing at the repository: not copied either.
            if name != ".git" {
                std::fs::copy(&path, to.join(&name))
                    .with_context(|| format!("copying {}", path.display()))?;
                copied += 1;
            }
        }
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_copy_leaves_out_build_output_data_and_version_control() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        for dir in [
            "src",
            "target/debug",
            "dist/apps",
            "data",
            "web/node_modules/x",
            ".git",
        ] {
            std::fs::create_dir_all(from.path().join(dir)).unwrap();
        }
        for file in [
            "Cargo.toml",
            "src/lib.rs",
            "target/debug/big",
            "dist/apps/a.js",
            "data/db",
            "web/node_modules/x/i.js",
            "web/app.js",
            ".git/HEAD",
        ] {
            std::fs::write(from.path().join(file), file).unwrap();
        }
        assert_eq!(copy_tree(from.path(), to.path(), true).unwrap(), 3);
        assert!(to.path().join("src/lib.rs").is_file());
        assert!(to.path().join("web/app.js").is_file());
        assert!(!to.path().join("target").exists());
        assert!(!to.path().join("dist").exists());
        assert!(!to.path().join("web/node_modules").exists());
    }

    #[test]
    fn one_app_per_template_and_all_picked_by_the_prefix() {
        assert_eq!(APPS.len(), 3);
        for (t, name) in APPS {
            new_app::check_name(name).unwrap();
            assert!(name.starts_with(PREFIX) && name.ends_with(t.dir()));
        }
    }
}
