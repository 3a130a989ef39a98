//! The wasm bundle pipeline: `cargo build --target wasm32-unknown-unknown` →
//! `wasm-bindgen --target web` → `wasm-opt -Oz` (release) → static files, for every bundle
//! in [`crate::project::BUNDLES`] and every app of `apps/dev.toml` ([`crate::dev_apps`]); then
//! the npm packages of the JS builds (`crate::npm`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::boot;
pub use crate::built::Built;
use crate::cmd;
use crate::dev_apps;
use crate::files::{copy_dir, copy_file, copy_tree, read_dir_sorted};
use crate::npm;
use crate::project::{Assets, BUNDLES, Bundle};
use crate::setup::{Tools, WASM_TARGET};
use crate::workspace::{Package, Workspace};

/// Which bundles to build and how.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// `wasm-release` profile + wasm-opt; otherwise the dev profile without wasm-opt.
    pub release: bool,
    /// Run wasm-opt (and the short names and minified glue on top of it) on release bundles;
    /// off only where the size does not matter and the time does (the new-app suite).
    pub optimize: bool,
    /// Also build bench-only bundles (the SDK size probe).
    pub include_bench_only: bool,
    /// Only bundles whose name contains this (all when `None`).
    pub only: Option<&'a str>,
}

impl Options<'_> {
    /// What `cargo xtask build [--release]` builds.
    pub fn for_build(release: bool) -> Self {
        Self {
            release,
            optimize: release,
            include_bench_only: false,
            only: None,
        }
    }
}

/// Files at the top of a crate folder that are part of the web page.
const WEB_EXTENSIONS: &[&str] = &[
    "html",
    "htm",
    "css",
    "js",
    "mjs",
    "json",
    "svg",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "ico",
    "webmanifest",
    "txt",
    "woff",
    "woff2",
];

/// Subfolders of a crate folder copied whole.
const ASSET_SUBDIRS: &[&str] = &["assets", "static", "public"];

/// The app manifest (`appframe.toml`), copied with the page files.
const APP_MANIFEST: &str = "appframe.toml";

/// Files never copied from a plain JS folder: npm/cargo manifests and docs.
const FOLDER_EXCLUDES: &[&str] = &[
    "package.json",
    "package-lock.json",
    "Cargo.toml",
    "Cargo.lock",
];

/// Builds the selected bundles in table order; returns what was written.
pub fn build_all(ws: &Workspace, tools: &Tools, opts: Options<'_>) -> Result<Vec<Built>> {
    if opts.release && opts.optimize && tools.wasm_opt.is_none() {
        eprintln!(
            "xtask: warning: wasm-opt (npm binaryen) is unavailable; release bundles are NOT size-optimised"
        );
    }
    let boot_script = boot::script(ws, tools.esbuild.as_deref())?;
    let mut built = Vec::new();
    // The same crate + features (the SDK's JS build) feeds several bundles: build it once.
    let mut done: HashMap<(&str, &[&str]), PathBuf> = HashMap::new();
    let dev = dev_apps::bundles(ws)?;
    for bundle in BUNDLES
        .iter()
        .chain(&dev)
        .filter(|b| b.in_build || opts.include_bench_only)
        .filter(|b| opts.only.is_none_or(|part| b.name.contains(part)))
    {
        let Some(pkg) = ready_package(ws, bundle)? else {
            continue;
        };
        let stem = wasm_artifact(pkg)?;
        let out_dir = ws.dist().join(bundle.out_dir);
        clean(ws, bundle)?;
        if let Some(previous) = done.get(&(bundle.crate_dir, bundle.features)) {
            eprintln!("xtask: {}: reusing {}", bundle.name, previous.display());
            copy_dir(previous, &out_dir)?;
        } else {
            compile(ws, tools, bundle, pkg, &stem, &out_dir, opts)?;
            done.insert((bundle.crate_dir, bundle.features), out_dir.clone());
        }
        if let Some((from, to)) = bundle.assets.route() {
            let copied = copy_assets(bundle.assets, &ws.root.join(from), &ws.dist().join(to))?;
            let booted = boot::fill_pages(&ws.dist().join(to), &boot_script)?;
            eprintln!(
                "xtask: {}: copied {copied} static file(s) from {from}/, {booted} page(s) with the boot script",
                bundle.name
            );
            warn_if_unreferenced(ws, bundle, &out_dir, &stem)?;
        }
        built.push(Built {
            name: bundle.name,
            out_dir,
            stem,
            optimized: opts.release && opts.optimize && tools.wasm_opt.is_some(),
        });
    }
    npm::write_packages(&ws.dist(), &ws.root.join("Cargo.toml"), &built)?;
    Ok(built)
}

/// The bundle's package if it and its static folder exist (else skipped or an error).
fn ready_package<'a>(ws: &'a Workspace, bundle: &Bundle) -> Result<Option<&'a Package>> {
    let what = format!("bundle {}", bundle.name);
    let Some(pkg) = ws.package(bundle.crate_dir, bundle.required, &what)? else {
        return Ok(None);
    };
    if let Some((from, _)) = bundle.assets.route()
        && !ws.root.join(from).is_dir()
    {
        if bundle.required {
            bail!("{what}: its folder {from}/ does not exist");
        }
        eprintln!("xtask: note: skipping {what}: {from}/ does not exist yet (not required yet)");
        return Ok(None);
    }
    if let Some(missing) = bundle.features.iter().find(|f| !pkg.has_feature(f)) {
        if bundle.required {
            bail!("{what}: package {} has no feature `{missing}`", pkg.name);
        }
        eprintln!(
            "xtask: note: skipping {what}: package {} has no feature `{missing}` yet (not required yet)",
            pkg.name
        );
        return Ok(None);
    }
    Ok(Some(pkg))
}

/// The `.wasm` file stem cargo writes for a package: a cdylib's lib name (dashes become
/// underscores) or else its single binary's name (kept as is).
pub fn wasm_artifact(pkg: &Package) -> Result<String> {
    if let Some(lib) = pkg
        .targets
        .iter()
        .find(|t| t.kind.iter().any(|k| k == "cdylib"))
    {
        return Ok(lib.name.replace('-', "_"));
    }
    let bins: Vec<&str> = pkg
        .targets
        .iter()
        .filter(|t| t.kind.iter().any(|k| k == "bin"))
        .map(|t| t.name.as_str())
        .collect();
    match bins.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => bail!(
            "package {} has neither a cdylib nor a bin target to build for wasm \
             (add `[lib] crate-type = [\"cdylib\", \"rlib\"]`)",
            pkg.name
        ),
        many => match many.iter().find(|b| **b == pkg.name) {
            Some(named) => Ok((*named).to_owned()),
            None => bail!(
                "package {} has several bins ({}) and no cdylib; which one is the app?",
                pkg.name,
                many.join(", ")
            ),
        },
    }
}

/// Removes the bundle's previous output so no stale file is served.
fn clean(ws: &Workspace, bundle: &Bundle) -> Result<()> {
    let mut dirs = vec![ws.dist().join(bundle.out_dir)];
    if let Some((_, to)) = bundle.assets.route() {
        dirs.push(ws.dist().join(to));
    }
    for dir in dirs {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
    }
    Ok(())
}

/// wasm-opt passes for release bundles: `-Oz`, then control flow flattened and rebuilt by the
/// relooper and `-Oz` again, twice, repeated while the module shrinks. Each round costs
/// optimisation time and saves bytes on the size-budgeted bundles (docs/benchmarks.md, "wasm-opt
/// passes"); a third round saved nothing more.
const WASM_OPT_PASSES: &[&str] = &[
    "-Oz",
    "--flatten",
    "--rereloop",
    "-Oz",
    "--flatten",
    "--rereloop",
    "-Oz",
    "--converge",
];

/// wasm-bindgen's warning about a release module without its `target_features` section. The
/// `wasm-release` profile strips that section on purpose (the bundles are smaller, measured in
/// docs/benchmarks.md) and wasm-opt gets the features as flags (`setup.rs`), so the warning
/// asks nothing of the reader: it is left out instead of repeating for every bundle.
const STRIPPED_WASM_WARNING: &[&str] = &["the `target_features` custom section is missing"];

/// cargo build → wasm-bindgen → wasm-opt for one bundle.
fn compile(
    ws: &Workspace,
    tools: &Tools,
    bundle: &Bundle,
    pkg: &Package,
    stem: &str,
    out_dir: &Path,
    opts: Options<'_>,
) -> Result<()> {
    let release = opts.release;
    let mut cargo = ws.cargo();
    cargo.args([
        "build",
        "--locked",
        "--target",
        WASM_TARGET,
        "-p",
        &pkg.name,
    ]);
    let profile_dir = if release {
        cargo.args(["--profile", "wasm-release"]);
        "wasm-release"
    } else {
        "debug"
    };
    if !bundle.features.is_empty() {
        cargo.args(["--features", &bundle.features.join(",")]);
    }
    cmd::run(&mut cargo)?;

    let wasm = ws
        .target_dir
        .join(WASM_TARGET)
        .join(profile_dir)
        .join(format!("{stem}.wasm"));
    if !wasm.is_file() {
        bail!("cargo built {} but {} is missing", pkg.name, wasm.display());
    }
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let mut bindgen = ws.command(&tools.wasm_bindgen);
    bindgen
        .args(["--target", "web", "--out-dir"])
        .arg(out_dir)
        .arg(&wasm);
    cmd::run_without(
        &mut bindgen,
        if release { STRIPPED_WASM_WARNING } else { &[] },
    )?;

    if release
        && opts.optimize
        && let Some(wasm_opt) = &tools.wasm_opt
    {
        let bg = out_dir.join(format!("{stem}_bg.wasm"));
        let mut opt = ws.command(wasm_opt);
        opt.args(WASM_OPT_PASSES)
            .args(&tools.wasm_opt_flags)
            .arg(&bg)
            .arg("-o")
            .arg(&bg);
        cmd::run(&mut opt)?;
        // Short names and minified glue only on top of wasm-opt: what ships, and what the
        // size report and the end-to-end suite (which runs the release bundles) measure.
        if let Some(esbuild) = &tools.esbuild {
            wasm_post::bundle(out_dir, stem, esbuild)
                .with_context(|| format!("minifying the {} bundle", bundle.name))?;
        }
    }
    Ok(())
}

/// Whether a path's extension is one of the web file extensions.
fn is_web_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| WEB_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether a plain-JS folder entry is copied.
fn folder_keeps(name: &str, is_dir: bool) -> bool {
    if name.starts_with('.') || name == "node_modules" || name == "target" {
        return false;
    }
    is_dir || !(FOLDER_EXCLUDES.contains(&name) || name.ends_with(".md"))
}

/// Copies a bundle's static files; returns how many files were copied.
pub fn copy_assets(rule: Assets, from: &Path, to: &Path) -> Result<usize> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut copied = 0;
    match rule {
        Assets::None => {}
        Assets::WebFiles { .. } => {
            for entry in read_dir_sorted(from)? {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                // The app manifest goes with the bundle: the server reads it beside index.html.
                let page_file = is_web_file(&path) || name == APP_MANIFEST;
                if path.is_file() && page_file && !FOLDER_EXCLUDES.contains(&name.as_str()) {
                    copy_file(&path, &to.join(&name))?;
                    copied += 1;
                } else if path.is_dir() && ASSET_SUBDIRS.contains(&name.as_str()) {
                    copied += copy_tree(&path, &to.join(&name), &|_, _| true)?;
                }
            }
        }
        Assets::Folder { .. } => copied += copy_tree(from, to, &folder_keeps)?,
    }
    Ok(copied)
}

/// Warns when no page or script next to the bundle imports its JS module: a renamed crate
/// would otherwise give a blank page with only a 404 in the browser console.
fn warn_if_unreferenced(ws: &Workspace, bundle: &Bundle, out_dir: &Path, stem: &str) -> Result<()> {
    let Some((_, to)) = bundle.assets.route() else {
        return Ok(());
    };
    let page_dir = ws.dist().join(to);
    let module = out_dir.join(format!("{stem}.js"));
    let Ok(rel) = module.strip_prefix(&page_dir) else {
        return Ok(());
    };
    let rel = rel.to_string_lossy().replace('\\', "/");
    let mut texts = Vec::new();
    for entry in read_dir_sorted(&page_dir)? {
        let path = entry.path();
        let page_like = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "html" | "htm" | "js" | "mjs"));
        if path.is_file() && page_like && path != module {
            texts.push(std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    if !references_module(&texts, &rel) {
        eprintln!(
            "xtask: warning: {}: no .html/.js file in dist/{to}/ mentions `{rel}`, the module wasm-bindgen wrote",
            bundle.name
        );
    }
    Ok(())
}

/// Whether any of the texts mentions the module path.
fn references_module(texts: &[String], rel: &str) -> bool {
    texts.iter().any(|t| t.contains(rel))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::workspace::Target;

    fn pkg(name: &str, targets: &[(&str, &[&str])]) -> Package {
        Package {
            name: name.into(),
            manifest_path: PathBuf::from("/x/Cargo.toml"),
            targets: targets
                .iter()
                .map(|(n, k)| Target {
                    name: (*n).into(),
                    kind: k.iter().map(|s| (*s).into()).collect(),
                })
                .collect(),
            features: Default::default(),
        }
    }

    #[test]
    fn a_cdylib_is_named_with_underscores() {
        let p = pkg(
            "appframe-sdk",
            &[("appframe-sdk", &["cdylib", "rlib"]), ("web", &["test"])],
        );
        assert_eq!(wasm_artifact(&p).unwrap(), "appframe_sdk");
    }

    #[test]
    fn a_bin_keeps_its_dashes_and_ambiguity_is_an_error() {
        let p = pkg("appframe-host-demo", &[("appframe-host-demo", &["bin"])]);
        assert_eq!(wasm_artifact(&p).unwrap(), "appframe-host-demo");
        let two = pkg("app", &[("a", &["bin"]), ("app", &["bin"])]);
        assert_eq!(wasm_artifact(&two).unwrap(), "app");
        let ambiguous = pkg("app", &[("a", &["bin"]), ("b", &["bin"])]);
        assert!(
            wasm_artifact(&ambiguous)
                .unwrap_err()
                .to_string()
                .contains("a, b")
        );
        let lib_only = pkg("p", &[("p", &["lib"])]);
        assert!(
            wasm_artifact(&lib_only)
                .unwrap_err()
                .to_string()
                .contains("cdylib")
        );
    }

    #[test]
    fn web_files_copies_page_files_and_asset_dirs_but_not_sources() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        for f in [
            "index.html",
            "style.css",
            "appframe.toml",
            "Cargo.toml",
            "README.md",
            "package.json",
        ] {
            std::fs::write(src.path().join(f), f).unwrap();
        }
        std::fs::create_dir_all(src.path().join("src")).unwrap();
        std::fs::write(src.path().join("src/lib.rs"), "").unwrap();
        std::fs::create_dir_all(src.path().join("assets/img")).unwrap();
        std::fs::write(src.path().join("assets/img/logo.svg"), "<svg/>").unwrap();
        let rule = Assets::WebFiles { from: "x", to: "y" };
        assert_eq!(copy_assets(rule, src.path(), dst.path()).unwrap(), 4);
        assert!(dst.path().join("index.html").is_file());
        assert!(dst.path().join("style.css").is_file());
        assert!(dst.path().join("appframe.toml").is_file());
        assert!(dst.path().join("assets/img/logo.svg").is_file());
        assert!(!dst.path().join("Cargo.toml").exists());
        assert!(!dst.path().join("src").exists());
        assert!(!dst.path().join("package.json").exists());
    }

    #[test]
    fn a_js_folder_is_copied_whole_without_tooling_files() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        for f in [
            "index.html",
            "main.js",
            "README.md",
            "package.json",
            ".eslintrc",
        ] {
            std::fs::write(src.path().join(f), f).unwrap();
        }
        std::fs::create_dir_all(src.path().join("lib")).unwrap();
        std::fs::write(src.path().join("lib/notes.js"), "x").unwrap();
        std::fs::create_dir_all(src.path().join("node_modules/x")).unwrap();
        std::fs::write(src.path().join("node_modules/x/i.js"), "x").unwrap();
        let rule = Assets::Folder { from: "x", to: "y" };
        assert_eq!(copy_assets(rule, src.path(), dst.path()).unwrap(), 3);
        assert!(dst.path().join("lib/notes.js").is_file());
        assert!(!dst.path().join("node_modules").exists());
        assert!(!dst.path().join(".eslintrc").exists());
        assert!(!dst.path().join("README.md").exists());
    }

    #[test]
    fn a_page_must_mention_the_generated_module() {
        let page = vec![
            "<script type=module>import init from './appframe_host_demo.js'; init()</script>"
                .to_owned(),
        ];
        assert!(references_module(&page, "appframe_host_demo.js"));
        assert!(!references_module(&page, "appframe-host-demo.js"));
        let js = vec!["import init from './sdk/appframe_sdk.js';".to_owned()];
        assert!(references_module(&js, "sdk/appframe_sdk.js"));
        assert!(!references_module(&[], "x.js"));
    }
}
