//! The store as routes, auth and the websocket hub read it: [`CachedStore`] wraps the SQL
//! store and answers the hot reads (the permission check every app request makes, the
//! app-data list Graasp clients fetch whole, the memberships every live event is checked
//! against) from process-local caches. Nothing outside this module sees a stamp.
//!
//! The caches are used when the store hands out [`Stamps`] current for the request
//! ([`Store::fresh_stamps`]): on SQLite at once (this process sees every write); on Postgres,
//! where several instances share the database, after a fence that makes sure every write
//! committed before the request arrived has been heard (`store/pg_listen.rs`). Each entry is
//! tagged with the stamp read *before* its query and is served only while the stamp is
//! unchanged, so a committed and acknowledged write is never hidden (see [`Stamps`] for why the
//! order makes this sound). When the store cannot tell (its listener lost), reads go to the
//! store. The memberships the websocket hub checks events against are stamped on Postgres by
//! [`Notified`] instead, which the database moves on through the events' own `NOTIFY` channel
//! (`ws/pg.rs`), in order with the events.
//!
//! A request's arrival is recorded by [`note_arrival`] (a layer of the app): any fence sent
//! after it covers the request, so the token check and the list of one request share one.

mod lists;
mod pages;

pub use lists::{CachedRow, ItemRows, MAX_ITEM_ROWS};
pub use pages::{CachedPage, PageBody};

use crate::{
    error::Result,
    store::{ItemAccess, Stamps, Store},
};
use appframe_protocol::Permission;
use axum::response::Response;
use lists::DataCache;
use std::{
    collections::HashMap,
    hash::Hash,
    ops::Deref,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Instant,
};
use uuid::Uuid;

tokio::task_local! {
    /// When the request being served arrived.
    static ARRIVED: Instant;
}

/// Records when a request arrived, for the caches it reads (a middleware of the app).
pub async fn note_arrival(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    ARRIVED.scope(Instant::now(), next.run(req)).await
}

/// When the request being served arrived; now outside a request.
fn arrived() -> Instant {
    ARRIVED.try_with(|t| *t).unwrap_or_else(|_| Instant::now())
}

/// The stamp of the registry on Postgres, as the `NOTIFY`s of its changes tell it: moved on by
/// every notification of a change and whenever notifications may have been missed (the
/// listening connection was lost). Valid only while this process listens.
#[derive(Debug, Default)]
struct Notified {
    listening: AtomicBool,
    epoch: AtomicU64,
}

impl Notified {
    fn stamp(&self) -> Option<u64> {
        self.listening
            .load(Ordering::SeqCst)
            .then(|| self.epoch.load(Ordering::SeqCst))
    }
}

/// Most `(item, account, session)` permission entries kept; past this the map starts over (an
/// entry costs one query to rebuild, so a crude bound is enough).
const MAX_ACCESS_ENTRIES: usize = 16_384;
/// Items whose memberships are kept before that map starts over.
const MAX_MEMBERSHIP_ITEMS: usize = 10_000;

/// What an app token's check depends on: its item, its account and the session it was minted
/// from.
type AccessKey = (Uuid, Option<Uuid>, Option<Box<str>>);

/// Every member of an item with their permission.
pub type Permissions = Arc<HashMap<Uuid, Permission>>;

/// Answers tagged with the stamp they were read at, bounded in entries.
#[derive(Debug)]
struct Stamped<K, V> {
    map: Mutex<HashMap<K, (u64, V)>>,
    max: usize,
}

impl<K: Eq + Hash, V: Clone> Stamped<K, V> {
    fn new(max: usize) -> Self {
        Stamped {
            map: Mutex::default(),
            max,
        }
    }

    /// The answer for `key` if it is still current at `stamp`.
    fn get(&self, key: &K, stamp: u64) -> Option<V> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, v) = map.get(key)?;
        (*at == stamp).then(|| v.clone())
    }

    /// Remembers an answer read at `stamp`.
    fn put(&self, key: K, stamp: u64, value: V) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(key, (stamp, value));
    }
}

/// The SQL store with the read caches in front of it. Every other read and every write goes
/// straight to the store (`Deref`).
pub struct CachedStore {
    store: Arc<dyn Store>,
    access: Stamped<AccessKey, Arc<ItemAccess>>,
    members: Stamped<Uuid, Permissions>,
    notified: Notified,
    lists: DataCache,
}

impl std::fmt::Debug for CachedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedStore")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl Deref for CachedStore {
    type Target = dyn Store;
    fn deref(&self) -> &Self::Target {
        self.store.as_ref()
    }
}

impl CachedStore {
    /// Wraps `store`; its app-data lists may cost `list_bytes` of memory together.
    pub fn new(store: Arc<dyn Store>, list_bytes: u64) -> CachedStore {
        CachedStore {
            store,
            access: Stamped::new(MAX_ACCESS_ENTRIES),
            members: Stamped::new(MAX_MEMBERSHIP_ITEMS),
            notified: Notified::default(),
            lists: DataCache::new(list_bytes),
        }
    }

    fn stamps(&self) -> Option<&Stamps> {
        self.store.stamps()
    }

    /// Stamps current for the request being served, `None` when nothing may be served from a
    /// cache now.
    async fn fresh_stamps(&self) -> Option<&Stamps> {
        match self.store.stamps() {
            Some(s) => Some(s),
            None => self.store.fresh_stamps(arrived()).await,
        }
    }

    /// [`Store::item_access`] of an app token's item, account and session, shared: every
    /// request checks the same few triples, so they are served from memory while neither the
    /// registry changed nor a session ended since they were read.
    pub async fn token_access(
        &self,
        item: Uuid,
        account: Option<Uuid>,
        session: Option<&str>,
    ) -> Result<Option<Arc<ItemAccess>>> {
        let load = || async {
            Ok(self
                .store
                .item_access(item, account, session)
                .await?
                .map(Arc::new))
        };
        let Some(stamps) = self.fresh_stamps().await else {
            return load().await;
        };
        let stamp = stamps.access();
        let key = (item, account, session.map(Box::from));
        if let Some(a) = self.access.get(&key, stamp) {
            return Ok(Some(a));
        }
        let found = load().await?;
        if let Some(a) = &found {
            self.access.put(key, stamp, a.clone());
        }
        Ok(found)
    }

    /// Every app-data row of an item with its wire JSON, current now (unpaged lists and keyset
    /// pages are cut from it); `None` when the cache cannot be used now (Postgres without its
    /// listener). A snapshot without rows means the item is too large for the cache: its list
    /// is read from the store.
    pub async fn item_rows(&self, item: Uuid) -> Result<Option<Arc<ItemRows>>> {
        let Some(stamps) = self.fresh_stamps().await else {
            return Ok(None);
        };
        let store = self.store.as_ref();
        self.lists
            .rows(stamps, item, |max_bytes| {
                lists::load_item_rows(store, item, max_bytes)
            })
            .await
            .map(Some)
    }

    /// The memberships of an item, which every live event is checked against: read once per
    /// event, and not at all while the registry is unchanged. On SQLite that is the registry
    /// stamp; on Postgres, once [`CachedStore::follow_registry_notifications`] was called, the
    /// notifications of registry changes, which arrive in commit order with the events (so
    /// this is for the hub, whose events come through the same channel; a route that must
    /// see its own instance's write at once reads the store).
    pub async fn item_permissions(&self, item: Uuid) -> Result<Permissions> {
        // The stamp is read before the query, so a membership change racing with it can only
        // make the cached result look stale, never keep a revoked membership.
        let stamp = match self.stamps() {
            Some(s) => Some(s.registry()),
            None => self.notified.stamp(),
        };
        if let Some(stamp) = stamp
            && let Some(m) = self.members.get(&item, stamp)
        {
            return Ok(m);
        }
        let rows = self.store.list_memberships(Some(item), None).await?;
        let m: Permissions = Arc::new(rows.into_iter().map(|r| (r.member, r.permission)).collect());
        if let Some(stamp) = stamp {
            self.members.put(item, stamp, m.clone());
        }
        Ok(m)
    }

    /// From now on this process hears of every registry change on Postgres (its listener is
    /// connected): [`CachedStore::item_permissions`] may keep what it read.
    pub fn follow_registry_notifications(&self) {
        self.registry_notified();
        self.notified.listening.store(true, Ordering::SeqCst);
    }

    /// The registry changed, or changes may have been missed (Postgres): every membership
    /// read before is stale.
    pub fn registry_notified(&self) {
        self.notified.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamped_answer_is_served_only_at_its_stamp_and_the_map_stays_bounded() {
        let m: Stamped<u32, &str> = Stamped::new(2);
        m.put(1, 7, "a");
        assert_eq!(m.get(&1, 7), Some("a"));
        assert_eq!(m.get(&1, 8), None, "a later stamp means something changed");
        assert_eq!(m.get(&2, 7), None);
        m.put(2, 7, "b");
        m.put(3, 7, "c");
        // Full at two entries: the map started over before taking the third.
        assert_eq!(m.get(&1, 7), None);
        assert_eq!(m.get(&3, 7), Some("c"));
    }
}
