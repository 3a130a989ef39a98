//! Change stamps: how the SQLite store tells process-local caches (`crate::cache`) that what
//! they hold may be stale.

use std::{
    collections::HashMap,
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};
use uuid::Uuid;

/// Change counters that let process-local caches know when what they hold may be stale.
///
/// A store that sees every write (SQLite: one process owns the file) ticks a stamp *after* each
/// committed write and *before* acknowledging it. A cache reads the stamp before it queries and
/// keeps the result tagged with it; the result is fresh while the stamp is unchanged. A write
/// racing with the query ticks the stamp after its commit, so it can at worst make a fresh
/// result look stale, never the reverse; and any request started after a write was
/// acknowledged sees the new stamp (read-your-writes).
#[derive(Debug, Default)]
pub struct Stamps {
    /// Source of stamps: strictly increasing, so a max of stamps changes whenever any tick.
    clock: AtomicU64,
    /// Last change to publishers, apps, accounts, items or memberships: these feed every
    /// permission check and the member names joined into app-data rows.
    registry: AtomicU64,
    /// Last host session that ended (logout, purge): app tokens minted in it are revoked.
    sessions: AtomicU64,
    /// Last app-data change per item.
    items: Mutex<HashMap<Uuid, u64>>,
}

impl Stamps {
    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Records a committed change to the registry (publishers, apps, accounts, items,
    /// memberships).
    pub fn registry_changed(&self) {
        let t = self.tick();
        self.registry.fetch_max(t, Ordering::SeqCst);
    }

    /// Records a committed change to the app data of an item.
    pub fn data_changed(&self, item: Uuid) {
        let t = self.tick();
        // Nothing panics while the lock is held, so a poisoned map is still consistent.
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(item)
            .and_modify(|s| *s = (*s).max(t))
            .or_insert(t);
    }

    /// Records that host sessions ended (deleted or purged).
    pub fn sessions_changed(&self) {
        let t = self.tick();
        self.sessions.fetch_max(t, Ordering::SeqCst);
    }

    /// The stamp of what an app token's check reads: the registry and the host sessions.
    pub fn access(&self) -> u64 {
        self.registry().max(self.sessions.load(Ordering::SeqCst))
    }

    /// The stamp of the registry.
    pub fn registry(&self) -> u64 {
        self.registry.load(Ordering::SeqCst)
    }

    /// The stamp of an item's app-data list (changes with its rows and with the registry).
    pub fn item_data(&self, item: Uuid) -> u64 {
        let data = self
            .items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&item)
            .copied()
            .unwrap_or(0);
        data.max(self.registry())
    }
}
