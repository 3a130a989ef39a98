//! Where the standalone backend keeps its database and files: the browser's `localStorage`, or
//! memory (no persistence, or an opaque origin without `localStorage`).

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
