//! What a build wrote: one record per bundle, read by the size tables, the benchmarks and the
//! npm packages (its own module, so that `npm` need not import `build`, which calls it).

use std::path::PathBuf;

/// A bundle written to dist.
#[derive(Debug, Clone)]
pub struct Built {
    /// The bundle's name from the table.
    pub name: &'static str,
    /// Absolute wasm-bindgen output dir.
    pub out_dir: PathBuf,
    /// wasm-bindgen's output stem: `<stem>.js` and `<stem>_bg.wasm`.
    pub stem: String,
    /// Whether wasm-opt ran on it.
    pub optimized: bool,
}
