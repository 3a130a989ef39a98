//! Bundle sizes: raw and gzip (level 9, as `gzip -9`) of each bundle's wasm and JS glue.

use std::path::Path;

use anyhow::{Context, Result};

use crate::build::Built;
use crate::gzip::gzip_len;

/// Raw and gzip byte counts of one bundle's wasm and glue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sizes {
    /// `<stem>_bg.wasm` bytes.
    pub wasm_raw: u64,
    /// gzip -9 of the wasm.
    pub wasm_gz: u64,
    /// `<stem>.js` plus wasm-bindgen `snippets/` bytes.
    pub js_raw: u64,
    /// gzip -9 of the glue, file by file (as a server compresses each response).
    pub js_gz: u64,
}

impl Sizes {
    /// What the browser downloads, compressed: wasm + glue.
    pub fn total_gz(&self) -> u64 {
        self.wasm_gz + self.js_gz
    }
}

fn file_sizes(path: &Path) -> Result<(u64, u64)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok((bytes.len() as u64, gzip_len(&bytes)?))
}

/// Measures a wasm-bindgen output dir with the given stem.
pub fn measure(out_dir: &Path, stem: &str) -> Result<Sizes> {
    let (wasm_raw, wasm_gz) = file_sizes(&out_dir.join(format!("{stem}_bg.wasm")))?;
    let (mut js_raw, mut js_gz) = file_sizes(&out_dir.join(format!("{stem}.js")))?;
    // inline_js / module snippets are loaded by the glue too.
    let snippets = out_dir.join("snippets");
    if snippets.is_dir() {
        let mut stack = vec![snippets];
        while let Some(dir) = stack.pop() {
            for entry in
                std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
            {
                let path = entry
                    .with_context(|| format!("reading {}", dir.display()))?
                    .path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "js") {
                    let (raw, gz) = file_sizes(&path)?;
                    js_raw += raw;
                    js_gz += gz;
                }
            }
        }
    }
    Ok(Sizes {
        wasm_raw,
        wasm_gz,
        js_raw,
        js_gz,
    })
}

/// Bytes as KB (1 KB = 1000 B, matching the 40 KB budget), one decimal.
pub fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// A plain-text table; the first row is the header. The first `left_cols` columns are
/// left-aligned (names, reasons), the rest right-aligned (numbers).
pub fn table(rows: &[Vec<String>], left_cols: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = (0..cols)
            .map(|c| {
                let cell = row.get(c).map(String::as_str).unwrap_or("");
                let w = widths[c];
                if c < left_cols {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}

/// The size table rows for built bundles (header first).
pub fn bundle_rows(measured: &[(&Built, Sizes)]) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "bundle".to_owned(),
        "wasm".to_owned(),
        "wasm gz".to_owned(),
        "js glue".to_owned(),
        "glue gz".to_owned(),
        "total gz".to_owned(),
        "wasm-opt".to_owned(),
    ]];
    for (built, s) in measured {
        rows.push(vec![
            built.name.to_owned(),
            kb(s.wasm_raw),
            kb(s.wasm_gz),
            kb(s.js_raw),
            kb(s.js_gz),
            kb(s.total_gz()),
            if built.optimized { "-Oz" } else { "no" }.to_owned(),
        ]);
    }
    rows
}

/// Measures and prints the size table of built bundles.
pub fn print_bundle_table(built: &[Built]) -> Result<Vec<(Built, Sizes)>> {
    let mut measured = Vec::new();
    for b in built {
        measured.push((b.clone(), measure(&b.out_dir, &b.stem)?));
    }
    if measured.is_empty() {
        println!("no wasm bundle was built (their crates do not exist yet)");
    } else {
        let refs: Vec<(&Built, Sizes)> = measured.iter().map(|(b, s)| (b, *s)).collect();
        print!("{}", table(&bundle_rows(&refs), 1));
    }
    Ok(measured)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn gzip_shrinks_repetitive_input_and_counts_the_header() {
        let repetitive = vec![b'a'; 100_000];
        let gz = gzip_len(&repetitive).unwrap();
        assert!(gz > 18 && gz < 1_000, "{gz}");
        // An empty input still has the gzip header and trailer.
        assert!(gzip_len(b"").unwrap() >= 18);
    }

    #[test]
    fn measures_wasm_glue_and_snippets() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app_bg.wasm"), vec![0u8; 5000]).unwrap();
        std::fs::write(dir.path().join("app.js"), "export default 1;\n".repeat(10)).unwrap();
        std::fs::write(dir.path().join("app.d.ts"), "declare const x: number;").unwrap();
        std::fs::create_dir_all(dir.path().join("snippets/x-1")).unwrap();
        std::fs::write(
            dir.path().join("snippets/x-1/inline0.js"),
            "export function f(){}",
        )
        .unwrap();
        let s = measure(dir.path(), "app").unwrap();
        assert_eq!(s.wasm_raw, 5000);
        assert_eq!(s.js_raw, 180 + 21);
        assert!(s.wasm_gz < 100);
        assert_eq!(s.total_gz(), s.wasm_gz + s.js_gz);
        assert!(measure(dir.path(), "missing").is_err());
    }

    #[test]
    fn kb_is_decimal() {
        assert_eq!(kb(40_000), "40.0 KB");
        assert_eq!(kb(15_749), "15.7 KB");
        assert_eq!(kb(0), "0.0 KB");
    }

    #[test]
    fn table_aligns_columns() {
        let built = Built {
            name: "counter",
            out_dir: PathBuf::from("/d"),
            stem: "counter".into(),
            optimized: true,
        };
        let sizes = Sizes {
            wasm_raw: 110_000,
            wasm_gz: 47_500,
            js_raw: 29_000,
            js_gz: 6_400,
        };
        let text = table(&bundle_rows(&[(&built, sizes)]), 1);
        // Widths come from the widest cell of each column.
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("bundle "));
        assert!(lines[2].starts_with("counter "));
        assert!(lines[2].ends_with("-Oz"));
        assert!(lines[2].contains("53.9 KB"));
        let header_cols: Vec<usize> = lines[1].split("  ").map(str::len).collect();
        assert_eq!(header_cols, vec![7, 8, 7, 7, 7, 8, 8]);
    }
}
