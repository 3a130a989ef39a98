//! `cargo xtask check`: formatting and clippy (`-D warnings`) on every crate of
//! [`crate::project::LINT`], natively and for wasm32 as each crate needs, and on the Rust apps
//! of `apps/dev.toml` (for wasm32, like the examples).

use anyhow::Result;

use crate::cmd;
use crate::dev_apps;
use crate::project::LINT;
use crate::setup::WASM_TARGET;
use crate::workspace::Workspace;

/// Runs fmt --check, then clippy on the host target, then clippy on wasm32.
pub fn check(ws: &Workspace) -> Result<()> {
    let mut native = Vec::new();
    let mut wasm = Vec::new();
    let mut wasm_features = Vec::new();
    for krate in LINT {
        let Some(pkg) = ws.package(
            krate.crate_dir,
            krate.required,
            &format!("lint of {}", krate.crate_dir),
        )?
        else {
            continue;
        };
        if krate.native {
            native.push(pkg.name.clone());
        }
        if krate.wasm {
            wasm.push(pkg.name.clone());
            for f in krate.wasm_features {
                if pkg.has_feature(f) {
                    wasm_features.push(format!("{}/{f}", pkg.name));
                }
            }
        }
    }
    for bundle in dev_apps::bundles(ws)? {
        if bundle.crate_dir.starts_with(dev_apps::APPS_DIR)
            && let Some(pkg) = ws.package(bundle.crate_dir, true, "lint of a new app")?
        {
            wasm.push(pkg.name.clone());
        }
    }

    let mut fmt = ws.cargo();
    fmt.args(["fmt", "--check"]);
    for p in native.iter().chain(&wasm) {
        if !fmt.get_args().any(|a| a == p.as_str()) {
            fmt.args(["-p", p]);
        }
    }
    cmd::run(&mut fmt)?;

    if !native.is_empty() {
        let mut clippy = ws.cargo();
        clippy.args(["clippy", "--locked", "--all-targets"]);
        for p in &native {
            clippy.args(["-p", p]);
        }
        clippy.args(["--", "-D", "warnings"]);
        cmd::run(&mut clippy)?;
    }
    if !wasm.is_empty() {
        let mut clippy = ws.cargo();
        clippy.args([
            "clippy",
            "--locked",
            "--all-targets",
            "--target",
            WASM_TARGET,
        ]);
        for p in &wasm {
            clippy.args(["-p", p]);
        }
        if !wasm_features.is_empty() {
            clippy.args(["--features", &wasm_features.join(",")]);
        }
        clippy.args(["--", "-D", "warnings"]);
        cmd::run(&mut clippy)?;
    }
    println!(
        "check: fmt and clippy clean ({} native, {} wasm crate(s))",
        native.len(),
        wasm.len()
    );
    Ok(())
}
