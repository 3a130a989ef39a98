//! The one measure of "smaller" the release pipeline uses: gzip -9 bytes (what a server sends).
//! Also what xtask's size tables report, so the two never disagree on a byte.

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn repeats_shrink_and_the_header_is_counted() {
        let repetitive = vec![b'a'; 10_000];
        assert!(gzip_len(&repetitive).unwrap() < 100);
        // An empty input still has the gzip header and trailer.
        assert!(gzip_len(b"").unwrap() >= 18);
    }
}
