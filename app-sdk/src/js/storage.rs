//! The JS facade of the storage shim: `app.storage()` → `{get, set, remove, keys}`, each a
//! promise; refusals throw `AppframeError` (`code: 'Http'`, `status: 403` for a quota).

use super::{AppframeApp, promise, promise_unit};
use crate::Storage;
use wasm_bindgen::prelude::*;

/// The member's key-value storage in this item (strings, as `localStorage`).
#[wasm_bindgen]
pub struct AppframeStorage {
    storage: Storage,
}

#[wasm_bindgen]
impl AppframeApp {
    /// The member's key-value storage in this item (`localStorage` for sandboxed frames).
    pub fn storage(&self) -> AppframeStorage {
        AppframeStorage {
            storage: self.app.storage(),
        }
    }
}

#[wasm_bindgen]
impl AppframeStorage {
    /// The value of `key`, `null` when it is not stored.
    #[wasm_bindgen(unchecked_return_type = "Promise<string | null>")]
    pub fn get(&self, key: String) -> js_sys::Promise {
        let s = self.storage.clone();
        promise(async move { s.get(&key).await })
    }

    /// Stores `value` under `key`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn set(&self, key: String, value: String) -> js_sys::Promise {
        let s = self.storage.clone();
        promise_unit(async move { s.set(&key, &value).await })
    }

    /// Removes `key` (not an error when it is not stored).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn remove(&self, key: String) -> js_sys::Promise {
        let s = self.storage.clone();
        promise_unit(async move { s.remove(&key).await })
    }

    /// The member's keys, in byte order.
    #[wasm_bindgen(unchecked_return_type = "Promise<string[]>")]
    pub fn keys(&self) -> js_sys::Promise {
        let s = self.storage.clone();
        promise(async move { s.keys().await })
    }
}
