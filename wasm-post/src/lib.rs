//! Release post-processing of a wasm-bindgen bundle, after `wasm-opt`: what ships, and what the
//! size report and the end-to-end suite measure.
//!
//! 1. [`minify`]: short names for the glue's imports and wasm-bindgen's internal exports, in the
//!    wasm, the glue and the `.d.ts`; the glue then minified by esbuild.
//! 2. [`reorder`]: function bodies sorted by their bytes, which gzip compresses better.
//!
//! Both are judged by one measure, [`gzip_len`] (gzip -9, what a server sends). Each step
//! validates its output and fails with the reason on a module or glue it does not understand,
//! rather than shipping a broken bundle.

use std::path::Path;

use anyhow::{Context, Result, bail};

mod gzip;
pub mod minify;
pub mod reorder;

pub use gzip::gzip_len;
pub use minify::Renames;
use minify::{rename_wasm, rewrite_dts, rewrite_glue};

/// Renames and minifies the bundle `<stem>_bg.wasm` + `<stem>.js` (+ `.d.ts`) in `out_dir`.
pub fn bundle(out_dir: &Path, stem: &str, esbuild: &Path) -> Result<Renames> {
    let wasm_path = out_dir.join(format!("{stem}_bg.wasm"));
    let js_path = out_dir.join(format!("{stem}.js"));
    let dts_path = out_dir.join(format!("{stem}.d.ts"));
    let wasm =
        std::fs::read(&wasm_path).with_context(|| format!("reading {}", wasm_path.display()))?;
    let js = std::fs::read_to_string(&js_path)
        .with_context(|| format!("reading {}", js_path.display()))?;
    let glue_module = format!("./{stem}_bg.js");
    let (new_wasm, renames) = rename_wasm(&wasm, &glue_module)
        .with_context(|| format!("renaming in {}", wasm_path.display()))?;
    let new_wasm = reorder::reorder_functions(&new_wasm)
        .with_context(|| format!("reordering the functions of {}", wasm_path.display()))?;
    let new_js = rewrite_glue(&js, &glue_module, &renames)
        .with_context(|| format!("renaming in {}", js_path.display()))?;

    // esbuild reads the renamed glue from a file next to it and writes the minified one.
    let tmp = out_dir.join(format!("{stem}.renamed.js"));
    std::fs::write(&tmp, &new_js).with_context(|| format!("writing {}", tmp.display()))?;
    let minified = esbuild_minify(esbuild, &tmp, &js_path);
    let _ = std::fs::remove_file(&tmp);
    minified?;
    // wasm-bindgen's JS snippets are shipped as written; minify them as the glue is.
    let snippets = out_dir.join("snippets");
    if snippets.is_dir() {
        for path in js_files(&snippets)? {
            minify_in_place(esbuild, &path)?;
        }
    }
    std::fs::write(&wasm_path, new_wasm)
        .with_context(|| format!("writing {}", wasm_path.display()))?;
    if dts_path.is_file() {
        let dts = std::fs::read_to_string(&dts_path)
            .with_context(|| format!("reading {}", dts_path.display()))?;
        std::fs::write(&dts_path, rewrite_dts(&dts, &renames))
            .with_context(|| format!("writing {}", dts_path.display()))?;
    }
    Ok(renames)
}

/// Every `.js` file under `dir`, recursively.
fn js_files(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry
                .with_context(|| format!("reading {}", d.display()))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "js") {
                found.push(path);
            }
        }
    }
    Ok(found)
}

/// Minifies one ES module with esbuild, in place.
fn minify_in_place(esbuild: &Path, path: &Path) -> Result<()> {
    let tmp = path.with_extension("src.js");
    std::fs::rename(path, &tmp).with_context(|| format!("renaming {}", path.display()))?;
    let minified = esbuild_minify(esbuild, &tmp, path);
    let _ = std::fs::remove_file(&tmp);
    minified
}

/// `input` minified by esbuild as an ES module into `output`.
fn esbuild_minify(esbuild: &Path, input: &Path, output: &Path) -> Result<()> {
    let status = std::process::Command::new(esbuild)
        .arg(input)
        .args(["--minify", "--format=esm", "--log-level=warning"])
        .arg(format!("--outfile={}", output.display()))
        .arg("--allow-overwrite")
        .status()
        .with_context(|| format!("running {}", esbuild.display()))?;
    if !status.success() {
        bail!("esbuild failed on {} ({status})", input.display());
    }
    Ok(())
}
