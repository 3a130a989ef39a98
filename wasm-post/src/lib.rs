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
    let status = std::process::Command::new(esbuild)
        .arg(&tmp)
        .args(["--minify", "--format=esm", "--log-level=warning"])
        .arg(format!("--outfile={}", js_path.display()))
        .arg("--allow-overwrite")
        .status()
        .with_context(|| format!("running {}", esbuild.display()))?;
    let _ = std::fs::remove_file(&tmp);
    if !status.success() {
        bail!("esbuild failed on {} ({status})", js_path.display());
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
