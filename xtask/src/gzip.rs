//! The one measure of "smaller": gzip -9 bytes, the same function the wasm post-processing
//! (`wasm-post`) judges by, so the size tables and the release steps agree.

pub use wasm_post::gzip_len;
