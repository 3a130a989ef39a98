//! The pure parts of the browser benchmark: statistics, bundle sizes and the markdown section.

use crate::error::Result;
use flate2::{Compression, write::GzEncoder};
use std::{
    io::Write,
    path::{Path, PathBuf},
};

/// The heading under which the browser results live in `docs/benchmarks.md`.
pub const SECTION: &str = "## Browser";

/// Summary of a sample of durations in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Arithmetic mean.
    pub mean: f64,
}

/// The nearest-rank percentile `p` (0–100) of sorted samples; `None` when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

impl Stats {
    /// Summarises `samples` (non-finite values are dropped); `None` when nothing is left.
    pub fn of(samples: &[f64]) -> Option<Stats> {
        let mut s: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
        s.sort_by(f64::total_cmp);
        Some(Stats {
            n: s.len(),
            p50: percentile(&s, 50.0)?,
            p90: percentile(&s, 90.0)?,
            p99: percentile(&s, 99.0)?,
            mean: s.iter().sum::<f64>() / s.len() as f64,
        })
    }
}

/// Raw and gzip (level 9) sizes of one bundle's wasm and JS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSize {
    /// The bundle folder relative to dist (e.g. `apps/counter`).
    pub name: String,
    /// Bytes of the `.wasm` file(s).
    pub wasm: u64,
    /// Bytes of the JS (wasm-bindgen glue, plus the app's own scripts for a JS app).
    pub js: u64,
    /// gzip bytes of the wasm.
    pub wasm_gz: u64,
    /// gzip bytes of the JS.
    pub js_gz: u64,
}

impl BundleSize {
    /// wasm + JS, gzip.
    pub fn total_gz(&self) -> u64 {
        self.wasm_gz + self.js_gz
    }
}

/// gzip -9 size of some bytes.
pub fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len() as u64)
}

/// Files of `dir` (not recursive) whose name ends with `suffix`, sorted.
fn files_ending(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_file() && p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Sizes of every bundle under `dist`: each folder holding a `*_bg.wasm` counts its wasm and the
/// matching glue `*.js`; an example folder without wasm of its own (a JS app) counts its scripts
/// plus the wasm and glue of its `sdk/` subfolder. Sorted by name.
pub fn bundle_sizes(dist: &Path) -> Result<Vec<BundleSize>> {
    let mut dirs = vec![dist.to_path_buf()];
    let mut out = Vec::new();
    while let Some(dir) = dirs.pop() {
        if !dir.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&dir)? {
            let p = entry?.path();
            if p.is_dir() {
                dirs.push(p);
            }
        }
        let name = dir
            .strip_prefix(dist)
            .unwrap_or(&dir)
            .to_string_lossy()
            .replace('\\', "/");
        // The SDK inside a JS app is counted with the app.
        if name.is_empty() || (name.ends_with("/sdk") && name.starts_with("apps/")) {
            continue;
        }
        let mut parts: Vec<(PathBuf, bool)> = Vec::new();
        let own_wasm = files_ending(&dir, "_bg.wasm")?;
        if own_wasm.is_empty() {
            let sdk = dir.join("sdk");
            let sdk_wasm = files_ending(&sdk, "_bg.wasm")?;
            if sdk_wasm.is_empty() {
                continue;
            }
            for w in sdk_wasm {
                parts.push((glue_of(&w), false));
                parts.push((w, true));
            }
            for js in files_ending(&dir, ".js")? {
                parts.push((js, false));
            }
        } else {
            for w in own_wasm {
                parts.push((glue_of(&w), false));
                parts.push((w, true));
            }
        }
        let mut size = BundleSize {
            name,
            wasm: 0,
            js: 0,
            wasm_gz: 0,
            js_gz: 0,
        };
        for (path, is_wasm) in parts {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let (raw, gz) = (bytes.len() as u64, gzip_len(&bytes)?);
            if is_wasm {
                size.wasm += raw;
                size.wasm_gz += gz;
            } else {
                size.js += raw;
                size.js_gz += gz;
            }
        }
        out.push(size);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// `x_bg.wasm` → `x.js`.
fn glue_of(wasm: &Path) -> PathBuf {
    let name = wasm
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    wasm.with_file_name(format!("{}.js", name.trim_end_matches("_bg.wasm")))
}

/// Kilobytes (1000 B) with one decimal.
pub fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// `doc` with the `## Browser` section replaced by `section` (which starts with that heading),
/// or appended when absent. Other sections are kept as they are.
pub fn replace_section(doc: &str, section: &str) -> String {
    let section = section.trim_end();
    let start = if doc.starts_with(&format!("{SECTION}\n")) {
        Some(0)
    } else {
        doc.find(&format!("\n{SECTION}\n")).map(|i| i + 1)
    };
    match start {
        Some(start) => {
            let after = &doc[start + SECTION.len()..];
            let end = after
                .find("\n## ")
                .map_or(doc.len(), |i| start + SECTION.len() + i + 1);
            let rest = &doc[end..];
            let mut out = format!("{}{section}\n", &doc[..start]);
            if !rest.is_empty() {
                out.push('\n');
                out.push_str(rest);
            }
            out
        }
        None if doc.trim().is_empty() => format!("# Benchmarks\n\n{section}\n"),
        None => format!("{}\n\n{section}\n", doc.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&s, 50.0), Some(50.0));
        assert_eq!(percentile(&s, 99.0), Some(99.0));
        assert_eq!(percentile(&s, 100.0), Some(100.0));
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
        let st = Stats::of(&[4.0, f64::NAN, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!((st.n, st.p50, st.p99, st.mean), (4, 2.0, 4.0, 2.5));
        assert!(Stats::of(&[f64::NAN]).is_none());
    }

    #[test]
    fn the_browser_section_is_replaced_in_place_and_other_sections_stay() {
        let doc = "# Benchmarks\n\n## Server\nfast\n\n## Browser\nold\n\n## Later\nkeep\n";
        let out = replace_section(doc, "## Browser\nnew\n");
        assert_eq!(
            out,
            "# Benchmarks\n\n## Server\nfast\n\n## Browser\nnew\n\n## Later\nkeep\n"
        );
        let last = replace_section("# B\n\n## Browser\nold\n", "## Browser\nnew");
        assert_eq!(last, "# B\n\n## Browser\nnew\n");
        assert_eq!(
            replace_section("", "## Browser\nx"),
            "# Benchmarks\n\n## Browser\nx\n"
        );
        assert_eq!(
            replace_section("# B\n\n## Server\ns\n", "## Browser\nx"),
            "# B\n\n## Server\ns\n\n## Browser\nx\n"
        );
        // A heading that merely starts with "## Browser" is a different section.
        let other = replace_section("# B\n\n## Browsers compared\nk\n", "## Browser\nx");
        assert!(other.contains("## Browsers compared\nk") && other.ends_with("## Browser\nx\n"));
    }

    #[test]
    fn bundle_sizes_count_wasm_with_its_glue_and_a_js_app_with_its_sdk() {
        let dist = tempfile::tempdir().unwrap();
        let d = dist.path();
        std::fs::create_dir_all(d.join("apps/counter")).unwrap();
        std::fs::write(d.join("apps/counter/counter_bg.wasm"), vec![0u8; 1000]).unwrap();
        std::fs::write(d.join("apps/counter/counter.js"), "x".repeat(300)).unwrap();
        std::fs::write(d.join("apps/counter/index.html"), "<p>").unwrap();
        std::fs::create_dir_all(d.join("apps/js-notes/sdk")).unwrap();
        std::fs::write(d.join("apps/js-notes/app.js"), "y".repeat(50)).unwrap();
        std::fs::write(d.join("apps/js-notes/sdk/sdk_bg.wasm"), vec![1u8; 200]).unwrap();
        std::fs::write(d.join("apps/js-notes/sdk/sdk.js"), "z".repeat(70)).unwrap();
        let sizes = bundle_sizes(d).unwrap();
        let names: Vec<_> = sizes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["apps/counter", "apps/js-notes"]);
        assert_eq!((sizes[0].wasm, sizes[0].js), (1000, 300));
        assert_eq!((sizes[1].wasm, sizes[1].js), (200, 120));
        assert!(sizes[0].wasm_gz > 0 && sizes[0].wasm_gz < 1000);
        assert_eq!(sizes[0].total_gz(), sizes[0].wasm_gz + sizes[0].js_gz);
    }
}
