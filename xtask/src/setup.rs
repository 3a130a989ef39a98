//! `cargo xtask setup`: check each tool, install only what is missing or of the wrong version,
//! and say what was done. Runs non-interactively (CI runs it as root with no stdin).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cmd;
use crate::lockfile;
use crate::workspace::Workspace;

/// The wasm target every bundle and browser test is built for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Debian paths used when CHROMEDRIVER is not set.
const DEBIAN_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEBIAN_CHROMIUM: &str = "/usr/bin/chromium";

/// What the calling command needs beyond the always-needed build tools.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    /// Chromium + chromedriver (browser tests, browser bench).
    pub browser: bool,
}

/// Resolved tools, by absolute path where it matters.
#[derive(Debug, Clone)]
pub struct Tools {
    /// wasm-bindgen CLI of exactly the Cargo.lock version.
    pub wasm_bindgen: PathBuf,
    /// npm binaryen's wasm-opt, if it could be installed (never Debian's: it breaks the output).
    pub wasm_opt: Option<PathBuf>,
    /// npm esbuild, which minifies release glue (see the `wasm-post` crate), if it could be installed.
    pub esbuild: Option<PathBuf>,
    /// `--enable-*` flags matching the wasm features rustc emits (see [`binaryen_flags`]).
    pub wasm_opt_flags: Vec<String>,
    /// chromedriver, when the browser was asked for.
    pub chromedriver: Option<PathBuf>,
}

fn say(line: &str) {
    eprintln!("xtask: setup: {line}");
}

/// Checks every tool and installs what is missing; idempotent.
pub fn ensure(ws: &mut Workspace, needs: Needs) -> Result<Tools> {
    // `cargo install` puts binaries here; it may be missing from PATH in a bare CI shell.
    let cargo_bin = cargo_home().join("bin");
    ws.prepend_path(cargo_bin.clone());

    ensure_wasm_target(ws)?;
    let wasm_bindgen = ensure_wasm_bindgen(ws, &cargo_bin)?;
    let npm = ensure_npm_tools(ws)?;
    let wasm_opt_flags =
        match cmd::probe(
            ws.command("rustc")
                .args(["--print", "cfg", "--target", WASM_TARGET]),
        ) {
            Some(cfg) => binaryen_flags(&cfg),
            None => bail!("`rustc --print cfg --target {WASM_TARGET}` failed"),
        };
    let chromedriver = if needs.browser {
        Some(ensure_browser(ws)?)
    } else {
        None
    };
    Ok(Tools {
        wasm_bindgen,
        wasm_opt: npm.wasm_opt,
        esbuild: npm.esbuild,
        wasm_opt_flags,
        chromedriver,
    })
}

/// `$CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cargo")
}

fn ensure_wasm_target(ws: &Workspace) -> Result<()> {
    let installed = cmd::probe(ws.command("rustup").args(["target", "list", "--installed"]));
    match installed {
        Some(list) if list.lines().any(|l| l.trim() == WASM_TARGET) => {
            say(&format!("{WASM_TARGET} target: present"));
            Ok(())
        }
        Some(_) => {
            say(&format!("{WASM_TARGET} target: missing, installing"));
            cmd::run(ws.command("rustup").args(["target", "add", WASM_TARGET]))
        }
        None => {
            // No rustup (a distro toolchain): the target must already be in the sysroot.
            let sysroot = cmd::probe(ws.command("rustc").args(["--print", "sysroot"]))
                .context("neither rustup nor rustc could be run")?;
            let dir = Path::new(&sysroot).join("lib/rustlib").join(WASM_TARGET);
            if dir.is_dir() {
                say(&format!("{WASM_TARGET} target: present (no rustup)"));
                Ok(())
            } else {
                bail!("the {WASM_TARGET} target is missing and rustup is not available to add it")
            }
        }
    }
}

/// Finds `name` in the cargo bin dir first (where we install), then on PATH.
fn find_tool(ws: &Workspace, cargo_bin: &Path, name: &str) -> Option<PathBuf> {
    let local = cargo_bin.join(name);
    if local.is_file() {
        return Some(local);
    }
    let path = ws.path_env().or_else(|| std::env::var_os("PATH"))?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The tool's version output if it is installed, for comparing with the pinned version.
fn tool_version(ws: &Workspace, cargo_bin: &Path, name: &str) -> Option<(PathBuf, String)> {
    let path = find_tool(ws, cargo_bin, name)?;
    let version = cmd::probe(ws.command(&path).arg("--version"))?;
    Some((path, version))
}

fn ensure_wasm_bindgen(ws: &Workspace, cargo_bin: &Path) -> Result<PathBuf> {
    let lock = std::fs::read_to_string(ws.root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let want = lockfile::locked_version(&lock, "wasm-bindgen")?;
    let matches = |ws: &Workspace| {
        let cli = tool_version(ws, cargo_bin, "wasm-bindgen")
            .filter(|(_, v)| lockfile::wasm_bindgen_is(v, &want));
        let runner = tool_version(ws, cargo_bin, "wasm-bindgen-test-runner")
            .filter(|(_, v)| lockfile::wasm_bindgen_is(v, &want));
        cli.zip(runner).map(|((path, _), _)| path)
    };
    if let Some(path) = matches(ws) {
        say(&format!(
            "wasm-bindgen {want}: present ({})",
            path.display()
        ));
        return Ok(path);
    }
    let found = tool_version(ws, cargo_bin, "wasm-bindgen")
        .map(|(_, v)| v)
        .unwrap_or_else(|| "none".into());
    say(&format!(
        "wasm-bindgen {want} (Cargo.lock) needed, found {found}: installing wasm-bindgen-cli {want}"
    ));
    let version = format!("={want}");
    // --force: replace a binary of another version even if cargo did not install it.
    let locked = cmd::run(ws.cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--locked",
        "--force",
    ]));
    if let Err(err) = locked {
        // Measured: the registry mirror may lack a crate version wasm-bindgen-cli's own lockfile
        // pins (webpki-roots 1.0.11); resolving afresh works.
        say(&format!(
            "`--locked` install failed ({err:#}); retrying without --locked"
        ));
        cmd::run(ws.cargo().args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &version,
            "--force",
        ]))?;
    }
    matches(ws)
        .with_context(|| format!("wasm-bindgen {want} is still not found after installing it"))
}

/// The npm build tools pinned in `xtask/npm/package.json`, each `None` when unavailable.
#[derive(Default)]
struct NpmTools {
    wasm_opt: Option<PathBuf>,
    esbuild: Option<PathBuf>,
}

/// npm binaryen's wasm-opt and npm esbuild, installed together by `npm ci` when either is
/// missing or of another version. Without npm, release bundles are built unoptimised (and
/// the size report says so).
fn ensure_npm_tools(ws: &mut Workspace) -> Result<NpmTools> {
    let npm_dir = ws.root.join("xtask/npm");
    let package_json = std::fs::read_to_string(npm_dir.join("package.json"))
        .context("reading xtask/npm/package.json")?;
    let major = lockfile::binaryen_major(&package_json)?;
    let esbuild_want = lockfile::esbuild_version(&package_json)?;
    let bin_dir = npm_dir.join("node_modules/.bin");
    let wasm_opt = bin_dir.join("wasm-opt");
    let esbuild = bin_dir.join("esbuild");
    let opt_ok = |ws: &Workspace| {
        cmd::probe(ws.command(&wasm_opt).arg("--version"))
            .is_some_and(|v| lockfile::wasm_opt_is_major(&v, major))
    };
    let esbuild_ok = |ws: &Workspace| {
        cmd::probe(ws.command(&esbuild).arg("--version")).is_some_and(|v| v == esbuild_want)
    };
    let what = format!("wasm-opt (npm binaryen {major}) + esbuild {esbuild_want}");
    if !(opt_ok(ws) && esbuild_ok(ws)) {
        if cmd::probe(ws.command("npm").arg("--version")).is_none() {
            say(&format!(
                "{what}: npm not found, bundles will not be optimised"
            ));
            return Ok(NpmTools::default());
        }
        say(&format!("{what}: missing, running npm ci"));
        let mut npm = ws.command("npm");
        npm.current_dir(&npm_dir)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
        if let Err(err) = cmd::run(&mut npm) {
            say(&format!(
                "npm ci failed ({err:#}); bundles will not be optimised"
            ));
            return Ok(NpmTools::default());
        }
    }
    let tools = NpmTools {
        wasm_opt: opt_ok(ws).then(|| wasm_opt.clone()),
        esbuild: esbuild_ok(ws).then(|| esbuild.clone()),
    };
    match (&tools.wasm_opt, &tools.esbuild) {
        (Some(_), Some(_)) => say(&format!("{what}: present ({})", bin_dir.display())),
        _ => say(&format!(
            "{what}: still not working after npm ci; bundles will not be fully optimised"
        )),
    }
    // Anything that looks wasm-opt up on PATH must get this one, not Debian's broken 108.
    ws.prepend_path(bin_dir);
    Ok(tools)
}

fn ensure_browser(ws: &Workspace) -> Result<PathBuf> {
    if let Some(driver) = std::env::var_os("CHROMEDRIVER").map(PathBuf::from)
        && driver.is_file()
    {
        say(&format!(
            "chromedriver: {} (CHROMEDRIVER)",
            driver.display()
        ));
        return Ok(driver);
    }
    let driver = PathBuf::from(DEBIAN_CHROMEDRIVER);
    if driver.is_file() && Path::new(DEBIAN_CHROMIUM).is_file() {
        say(&format!(
            "chromium + chromedriver: present ({DEBIAN_CHROMEDRIVER})"
        ));
        return Ok(driver);
    }
    if !is_root(ws) {
        bail!(
            "Chromium and chromedriver are needed ({DEBIAN_CHROMIUM}, {DEBIAN_CHROMEDRIVER}) but \
             installing them needs root: run `sudo apt-get install -y chromium chromium-driver`, \
             or set CHROMEDRIVER to an installed chromedriver"
        );
    }
    say("chromium + chromedriver: missing, installing from Debian packages");
    cmd::run(ws.command("apt-get").args(["update", "-qq"]))?;
    cmd::run(
        ws.command("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "chromium", "chromium-driver"]),
    )?;
    if !driver.is_file() {
        bail!("apt-get installed chromium-driver but {DEBIAN_CHROMEDRIVER} is still missing");
    }
    Ok(driver)
}

/// Whether we run as root (so apt-get can install without sudo or a prompt).
fn is_root(ws: &Workspace) -> bool {
    cmd::probe(ws.command("id").arg("-u")).as_deref() == Some("0")
}

/// wasm-opt `--enable-*` flags for the target features in `rustc --print cfg` output.
///
/// wasm-bindgen drops the `target_features` section wasm-opt would detect features from, so
/// without these wasm-opt rejects what rustc emits (e.g. `memory.copy` needs bulk memory,
/// on by default since Rust 1.87).
pub fn binaryen_flags(rustc_cfg: &str) -> Vec<String> {
    let mut flags = Vec::new();
    for line in rustc_cfg.lines() {
        let Some(feature) = line
            .trim()
            .strip_prefix("target_feature=\"")
            .and_then(|f| f.strip_suffix('"'))
        else {
            continue;
        };
        let enable: &[&str] = match feature {
            "bulk-memory" => &["bulk-memory", "bulk-memory-opt"],
            "bulk-memory-opt" => &["bulk-memory-opt"],
            "multivalue" => &["multivalue"],
            "mutable-globals" => &["mutable-globals"],
            "nontrapping-fptoint" => &["nontrapping-float-to-int"],
            // LLVM's reference-types also encodes call_indirect table indexes as LEBs.
            "reference-types" => &["reference-types", "call-indirect-overlong"],
            "sign-ext" => &["sign-ext"],
            "simd128" => &["simd"],
            "relaxed-simd" => &["relaxed-simd"],
            "tail-call" => &["tail-call"],
            "extended-const" => &["extended-const"],
            "exception-handling" => &["exception-handling"],
            "atomics" => &["threads"],
            "multimemory" => &["multimemory"],
            "call-indirect-overlong" => &["call-indirect-overlong"],
            _ => &[],
        };
        for name in enable {
            let flag = format!("--enable-{name}");
            if !flags.contains(&flag) {
                flags.push(flag);
            }
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn rustc_wasm_features_become_wasm_opt_flags() {
        let cfg = "debug_assertions\npanic=\"unwind\"\ntarget_arch=\"wasm32\"\n\
                   target_feature=\"bulk-memory\"\ntarget_feature=\"multivalue\"\n\
                   target_feature=\"mutable-globals\"\ntarget_feature=\"nontrapping-fptoint\"\n\
                   target_feature=\"reference-types\"\ntarget_feature=\"sign-ext\"\n\
                   target_feature=\"some-future-thing\"\ntarget_os=\"unknown\"\n";
        assert_eq!(
            binaryen_flags(cfg),
            [
                "--enable-bulk-memory",
                "--enable-bulk-memory-opt",
                "--enable-multivalue",
                "--enable-mutable-globals",
                "--enable-nontrapping-float-to-int",
                "--enable-reference-types",
                "--enable-call-indirect-overlong",
                "--enable-sign-ext",
            ]
        );
        assert!(binaryen_flags("target_arch=\"wasm32\"").is_empty());
    }
}
