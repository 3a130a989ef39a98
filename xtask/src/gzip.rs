//! The one measure of "smaller" the release pipeline uses: gzip -9 bytes (what a server sends).
//! A leaf module, so the wasm post-processing (`reorder`) and the size tables (`size`) share
//! it without depending on each other.

use std::io::Write;

use anyhow::{Context, Result};
use flate2::Compression;
use flate2::write::GzEncoder;

/// gzip -9 size of some bytes.
pub fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).context("gzip")?;
    let out = enc.finish().context("gzip")?;
    Ok(out.len() as u64)
}
