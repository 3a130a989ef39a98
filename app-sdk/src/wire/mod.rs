//! The wire codecs of the SDK: the protocol's DTOs as JSON values ([`codec`]), JSON text and
//! values through the browser ([`json`]), the serde bridge of the JS facade ([`jsde`]), the
//! postMessage payloads ([`message`]), the scalar texts inside them ([`text`]) and the URLs
//! of the app routes ([`url`]), and base64 for the standalone backend's files (`base64`).
//!
//! **Size policy.** Every app pays for this module, and a minimal one (the size probe: connect
//! and list app data) must ship within 40,000 B gzip of wasm and glue (`cargo xtask bench size
//! --bundle probe`, a CI gate). serde's derives, `core::fmt` and the `uuid`/`time` parsers and
//! printers were about half of that wasm, so the code every app runs does not use them: DTOs
//! are read and written by readers and writers generated from field lists (`reader!`,
//! `writer!`), JSON text is parsed and printed by the browser, and ids, timestamps and integers
//! have their own small texts. Native tests check each against the serde derive or crate it
//! replaces, so they cannot drift. Code outside this module is written as ordinary Rust.

#[cfg(feature = "standalone")]
pub(crate) mod base64;
pub(crate) mod codec;
#[cfg(feature = "js")]
pub(crate) mod jsde;
pub(crate) mod json;
pub(crate) mod message;
pub(crate) mod text;
pub(crate) mod url;
