//! The storage shim of the standalone backend: one member's keys as one JSON object, stored
//! beside the mock database (`<namespace>:storage:<accountId>`), with the server's key rules.
//! No quotas here: the browser's own `localStorage` limit applies (`Error::Storage`).

use super::{
    db::invalid,
    storage::{Backing, Store},
};
use crate::error::Error;
use crate::wire::text::concat;
use appframe_protocol::{AccountId, JsonObject, storage::validate_key};
use serde_json::Value;

/// One member's storage in one item.
pub(crate) struct Kv<'a> {
    store: &'a Backing,
    entry: String,
}

/// The `Backing` entry that holds `account`'s storage in the database namespace `ns`.
pub(crate) fn entry_of(ns: &str, account: Option<AccountId>) -> String {
    let who = account.map(|a| crate::wire::text::format_uuid(a.0));
    concat(&[ns, ":storage:", who.as_deref().unwrap_or("anonymous")])
}

impl<'a> Kv<'a> {
    /// The storage of `account` in the database namespace `ns`.
    pub(crate) fn new(store: &'a Backing, ns: &str, account: Option<AccountId>) -> Kv<'a> {
        Kv {
            store,
            entry: entry_of(ns, account),
        }
    }

    fn load(&self) -> Result<JsonObject, Error> {
        let stored = self.store.get(&self.entry)?;
        // Unreadable (written by something else): start empty, as a fresh member would.
        Ok(stored
            .and_then(|json| crate::wire::json::value(&json).ok())
            .and_then(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .unwrap_or_default())
    }

    fn save(&self, map: JsonObject) -> Result<(), Error> {
        let json = crate::wire::json::stringify(&Value::Object(map)).map_err(Error::Storage)?;
        self.store.set(&self.entry, &json)
    }

    /// The value of `key`, `None` when it is not stored.
    pub(crate) fn get(&self, key: &str) -> Result<Option<String>, Error> {
        validate_key(key).map_err(invalid)?;
        Ok(self
            .load()?
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned))
    }

    /// Stores `value` under `key`.
    pub(crate) fn set(&self, key: &str, value: &str) -> Result<(), Error> {
        validate_key(key).map_err(invalid)?;
        let mut map = self.load()?;
        map.insert(key.to_owned(), Value::String(value.to_owned()));
        self.save(map)
    }

    /// Removes `key` (stored or not).
    pub(crate) fn remove(&self, key: &str) -> Result<(), Error> {
        validate_key(key).map_err(invalid)?;
        let mut map = self.load()?;
        if map.remove(key).is_some() {
            self.save(map)?;
        }
        Ok(())
    }

    /// The keys, in byte order (as the server lists them).
    pub(crate) fn keys(&self) -> Result<Vec<String>, Error> {
        let mut keys: Vec<String> = self.load()?.keys().cloned().collect();
        keys.sort_unstable();
        Ok(keys)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::standalone::storage::MemoryStore;

    #[test]
    fn each_member_has_their_own_keys_validated_as_on_the_server() {
        let store = Backing::Memory(MemoryStore::default());
        let a = Kv::new(&store, "ns", Some(AccountId(uuid::Uuid::from_u128(1))));
        let b = Kv::new(&store, "ns", Some(AccountId(uuid::Uuid::from_u128(2))));
        a.set("z", "1").unwrap();
        a.set("a/b é", "").unwrap();
        assert_eq!(a.get("z").unwrap().as_deref(), Some("1"));
        assert_eq!(b.get("z").unwrap(), None);
        assert_eq!(a.keys().unwrap(), ["a/b é", "z"]);
        a.remove("z").unwrap();
        a.remove("z").unwrap();
        assert_eq!(a.keys().unwrap(), ["a/b é"]);
        let e = a.set("", "v").unwrap_err();
        assert_eq!(e.status(), Some(400));
        assert!(a.get(&"k".repeat(257)).is_err());
    }
}
