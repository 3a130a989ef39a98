//! [`Storage`]: the storage shim, `localStorage` for apps in sandboxed frames (where the real
//! one throws). String values under keys, per member and item, kept by the server behind its
//! own route (never app data: not listed, not sent live, not exported); in standalone mode by
//! the mock backend. Writes are bounded by the server's storage quotas (403 `AFERR043`–`046`).

use super::{App, Backend};
use crate::error::Error;

/// The member's key-value storage in this item (from [`App::storage`]). Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    app: App,
}

impl App {
    /// The member's key-value storage in this item: async `get`/`set`/`remove`/`keys` of
    /// string values. Keys are 1–256 bytes without control characters.
    ///
    /// ```no_run
    /// # async fn run(app: appframe_sdk::App) -> Result<(), appframe_sdk::Error> {
    /// let storage = app.storage();
    /// storage.set("draft", "{\"text\":\"hello\"}").await?;
    /// assert_eq!(storage.get("draft").await?.as_deref(), Some("{\"text\":\"hello\"}"));
    /// # Ok(()) }
    /// ```
    pub fn storage(&self) -> Storage {
        Storage { app: self.clone() }
    }
}

impl Storage {
    /// The value of `key`, `None` when it is not stored.
    pub async fn get(&self, key: &str) -> Result<Option<String>, Error> {
        match self.app.backend() {
            Backend::Embedded(e) => e.storage_get(key).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.kv().get(key),
        }
    }

    /// Stores `value` under `key`, replacing what was there.
    pub async fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        match self.app.backend() {
            Backend::Embedded(e) => e.storage_set(key, value).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.kv().set(key, value),
        }
    }

    /// Removes `key`; removing a key that is not stored is not an error.
    pub async fn remove(&self, key: &str) -> Result<(), Error> {
        match self.app.backend() {
            Backend::Embedded(e) => e.storage_remove(key).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.kv().remove(key),
        }
    }

    /// The member's keys, in byte order.
    pub async fn keys(&self) -> Result<Vec<String>, Error> {
        match self.app.backend() {
            Backend::Embedded(e) => e.storage_keys().await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(s) => s.kv().keys(),
        }
    }
}
