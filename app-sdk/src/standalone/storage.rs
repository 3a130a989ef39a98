//! Where the standalone backend keeps its database and files: the browser's `localStorage`, or
//! memory (no persistence, or an opaque origin without `localStorage`). File contents are stored
//! as base64 text.

use crate::error::{Error, js_text};
use std::cell::RefCell;

/// String key-value storage (the shape of `localStorage`).
pub(crate) trait Store {
    /// The value under `key`.
    fn get(&self, key: &str) -> Result<Option<String>, Error>;
    /// Stores `value` under `key`.
    fn set(&self, key: &str, value: &str) -> Result<(), Error>;
    /// Removes `key`.
    fn remove(&self, key: &str) -> Result<(), Error>;
    /// Whether other tabs see the same storage (and get `storage` events for its changes).
    fn is_shared(&self) -> bool {
        false
    }
}

/// A [`Store`] in memory (standalone without persistence, and tests): a list, as it holds a
/// handful of keys (the database and the files).
#[derive(Default)]
pub(crate) struct MemoryStore(RefCell<Vec<(String, String)>>);

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, Error> {
        let entries = self.0.borrow();
        Ok(entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()))
    }
    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        let mut entries = self.0.borrow_mut();
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value.to_owned(),
            None => entries.push((key.to_owned(), value.to_owned())),
        }
        Ok(())
    }
    fn remove(&self, key: &str) -> Result<(), Error> {
        self.0.borrow_mut().retain(|(k, _)| k != key);
        Ok(())
    }
}

/// The browser's `localStorage`.
pub(crate) struct LocalStore(pub web_sys::Storage);

impl Store for LocalStore {
    fn is_shared(&self) -> bool {
        true
    }
    fn get(&self, key: &str) -> Result<Option<String>, Error> {
        self.0
            .get_item(key)
            .map_err(|e| Error::Storage(js_text(&e)))
    }
    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        self.0
            .set_item(key, value)
            .map_err(|e| Error::Storage(js_text(&e)))
    }
    fn remove(&self, key: &str) -> Result<(), Error> {
        self.0
            .remove_item(key)
            .map_err(|e| Error::Storage(js_text(&e)))
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (only standalone file contents go through it).
pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes [`b64_encode`]'s output; `None` on anything else.
pub(crate) fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The store a [`Standalone`](super::backend::Standalone) writes to.
pub(crate) enum Backing {
    /// The browser's `localStorage`.
    Local(LocalStore),
    /// Memory (no persistence, or no `localStorage`).
    Memory(MemoryStore),
    /// Any other store (unit tests that share or break one).
    #[cfg(all(test, not(target_arch = "wasm32")))]
    Other(Box<dyn Store>),
}

impl Store for Backing {
    fn get(&self, key: &str) -> Result<Option<String>, Error> {
        match self {
            Backing::Local(s) => s.get(key),
            Backing::Memory(s) => s.get(key),
            #[cfg(all(test, not(target_arch = "wasm32")))]
            Backing::Other(s) => s.get(key),
        }
    }
    fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        match self {
            Backing::Local(s) => s.set(key, value),
            Backing::Memory(s) => s.set(key, value),
            #[cfg(all(test, not(target_arch = "wasm32")))]
            Backing::Other(s) => s.set(key, value),
        }
    }
    fn remove(&self, key: &str) -> Result<(), Error> {
        match self {
            Backing::Local(s) => s.remove(key),
            Backing::Memory(s) => s.remove(key),
            #[cfg(all(test, not(target_arch = "wasm32")))]
            Backing::Other(s) => s.remove(key),
        }
    }
    fn is_shared(&self) -> bool {
        match self {
            Backing::Local(s) => s.is_shared(),
            Backing::Memory(s) => s.is_shared(),
            #[cfg(all(test, not(target_arch = "wasm32")))]
            Backing::Other(s) => s.is_shared(),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn b64_round_trips_every_length() {
        for n in 0..20usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
            assert_eq!(b64_decode(&b64_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(b64_encode(b"hello"), "aGVsbG8=");
        assert!(b64_decode("a*b").is_none());
    }
}
