//! The cache of whole app-data lists per item, bounded in bytes: every row of an item with
//! its wire JSON, and the assembled bodies of small lists. Graasp clients always fetch the
//! whole list, and every member of an item polls the same one.

use super::pages::{PAGES_PER_ROWS, PageBodies};
use crate::{
    error::{Error, Result},
    store::{DataQuery, Stamps, Store, from_micros, to_micros},
};
use appframe_protocol::rules::{RowParties, RowScope};
use bytes::Bytes;
use futures::StreamExt;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Items with more app-data rows than this are not cached (their lists are streamed from the
/// store instead).
pub const MAX_ITEM_ROWS: usize = 10_000;
/// Lists up to this size are also kept as whole response bodies (one `Bytes` clone per
/// request); larger ones are streamed out row by row from the cached rows.
const ASSEMBLED_MAX_BYTES: usize = 256 * 1024;
/// Bytes of assembled bodies a snapshot keeps, as a multiple of its rows' bytes.
const BODIES_PER_ROWS: usize = 4;

/// One app-data row of a cached list: what the list filters on, and its wire JSON.
#[derive(Debug)]
pub struct CachedRow {
    /// `created_at` in µs (the keyset order with `id`).
    pub at: i64,
    /// Row id.
    pub id: Uuid,
    /// Type (the `?type=` filter).
    pub ty: Box<str>,
    /// What the access rules read (the list filter).
    pub parties: RowParties,
    /// The row serialized as the wire `AppData` object, exactly as a list response holds it.
    pub json: Bytes,
}

impl CachedRow {
    /// `(created_at, id)`, the cursor position.
    pub fn position(&self) -> (OffsetDateTime, Uuid) {
        (from_micros(self.at), self.id)
    }

    /// Whether a list of type `ty` (any when `None`) seen in `scope` holds this row.
    pub fn listed(&self, ty: Option<&str>, scope: RowScope) -> bool {
        ty.is_none_or(|t| *self.ty == *t) && scope.includes(self.parties)
    }
}

/// Most distinct list bodies (type filter × row scope) kept per snapshot.
const MAX_BODIES: usize = 256;

/// `(type filter, row scope)`: what a list body depends on besides the rows.
type BodyKey = (Option<Box<str>>, RowScope);

/// Every row of an item in `(created_at, id)` order, as of `stamp`.
#[derive(Debug)]
pub struct ItemRows {
    /// Stamp read before the rows were queried.
    pub stamp: u64,
    /// Rows, or `None` when the item has more than [`MAX_ITEM_ROWS`] or more bytes than one
    /// item may take of the cache.
    pub rows: Option<Vec<CachedRow>>,
    /// Bytes of the rows' JSON.
    pub(super) bytes: usize,
    /// Whole response bodies already assembled from `rows`, per `(type filter, row scope)`:
    /// every member of an item polls the same list, so most requests only clone a `Bytes`.
    /// Only for small lists, and at most [`BODIES_PER_ROWS`] × `bytes` in all.
    bodies: Mutex<(HashMap<BodyKey, Bytes>, usize)>,
    /// Keyset pages already assembled from `rows` (`cache/pages.rs`), at most
    /// [`PAGES_PER_ROWS`] × `bytes` in all.
    pub(super) pages: Mutex<PageBodies>,
}

impl ItemRows {
    /// A snapshot of `rows` read at `stamp`, nothing assembled yet.
    pub(super) fn new(stamp: u64, rows: Option<Vec<CachedRow>>) -> ItemRows {
        let bytes = rows
            .as_ref()
            .map_or(0, |r| r.iter().map(|r| r.json.len()).sum());
        ItemRows {
            stamp,
            rows,
            bytes,
            bodies: Mutex::default(),
            pages: Mutex::default(),
        }
    }

    /// Whether lists of this item are served as assembled bodies ([`ItemRows::body`]) rather
    /// than streamed from the rows.
    pub fn assembled(&self) -> bool {
        self.bytes <= ASSEMBLED_MAX_BYTES
    }

    /// What the snapshot may cost in memory: its rows plus the bodies it may keep.
    fn cost(&self) -> usize {
        let bodies = if self.assembled() {
            BODIES_PER_ROWS * self.bytes
        } else {
            0
        } + PAGES_PER_ROWS * self.bytes;
        // Per-row bookkeeping (`CachedRow` fields, `Bytes` header) beside the JSON.
        let rows = self.rows.as_ref().map_or(0, |r| r.len() * 128);
        self.bytes + bodies + rows
    }

    /// The body for `(ty, scope)`, built by `build` on first use.
    pub fn body(&self, ty: Option<&str>, scope: RowScope, build: impl FnOnce() -> Bytes) -> Bytes {
        let key = (ty.map(Box::from), scope);
        if let Some(b) = self
            .bodies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .get(&key)
        {
            return b.clone();
        }
        let body = build();
        let mut bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        let (map, used) = &mut *bodies;
        if map.len() >= MAX_BODIES || *used + body.len() > BODIES_PER_ROWS * self.bytes.max(1) {
            map.clear();
            *used = 0;
        }
        *used += body.len();
        map.insert(key, body.clone());
        body
    }
}

/// Per-item slot: the current snapshot and a lock so one request reloads a stale snapshot
/// while the others wait for it instead of all querying at once.
#[derive(Debug, Default)]
struct Slot {
    current: Mutex<Option<Arc<ItemRows>>>,
    load: tokio::sync::Mutex<()>,
}

/// Cache of whole app-data lists per item, bounded in bytes.
#[derive(Debug)]
pub struct DataCache {
    slots: Mutex<HashMap<Uuid, Arc<Slot>>>,
    /// Bytes all snapshots may cost together.
    budget: usize,
}

impl DataCache {
    /// A cache whose snapshots cost at most `budget` bytes together.
    pub fn new(budget: u64) -> DataCache {
        DataCache {
            slots: Mutex::default(),
            budget: usize::try_from(budget).unwrap_or(usize::MAX),
        }
    }

    /// Most bytes of row JSON one item's snapshot may hold: half the budget, so one large
    /// item cannot push every other item out (a larger item is streamed from the store).
    pub fn item_budget(&self) -> usize {
        self.budget / 2
    }

    fn slot(&self, item: Uuid) -> Arc<Slot> {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(item)
            .or_default()
            .clone()
    }

    /// The rows of `item`, current at the stamp read now; `load` queries them (it is called
    /// after the stamp was read, and by one caller at a time per item).
    pub async fn rows<F, Fut, E>(
        &self,
        stamps: &Stamps,
        item: Uuid,
        load: F,
    ) -> Result<Arc<ItemRows>, E>
    where
        F: FnOnce(usize) -> Fut,
        Fut: Future<Output = Result<Option<Vec<CachedRow>>, E>>,
    {
        let slot = self.slot(item);
        let stamp = stamps.item_data(item);
        let current = |slot: &Slot| {
            slot.current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                // A snapshot taken at a later stamp is at least as fresh as needed.
                .filter(|s| s.stamp >= stamp)
        };
        if let Some(s) = current(&slot) {
            return Ok(s);
        }
        let _loading = slot.load.lock().await;
        if let Some(s) = current(&slot) {
            return Ok(s);
        }
        // Re-read: writes committed while waiting for the lock are in what `load` reads.
        let stamp = stamps.item_data(item);
        let rows = load(self.item_budget()).await?;
        let snapshot = Arc::new(ItemRows::new(stamp, rows));
        self.store(&slot, snapshot.clone());
        Ok(snapshot)
    }

    /// Installs a snapshot, dropping the others when the byte budget is exceeded.
    fn store(&self, slot: &Slot, snapshot: Arc<ItemRows>) {
        *slot.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(snapshot.clone());
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let total: usize = slots
            .values()
            .filter_map(|s| {
                s.current
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .as_ref()
                    .map(|r| r.cost())
            })
            .sum();
        if total > self.budget {
            for s in slots.values() {
                let mut cur = s.current.lock().unwrap_or_else(PoisonError::into_inner);
                if !cur.as_ref().is_some_and(|c| Arc::ptr_eq(c, &snapshot)) {
                    *cur = None;
                }
            }
        }
    }
}

/// Every row of an item as cached rows, or `None` when it has more than the cache takes
/// (rows or `max_bytes`; the query stops there).
///
/// The rows' JSON is written into one buffer and each row holds a slice of it: a page or a
/// list then copies from consecutive memory instead of visiting one allocation per row.
pub(super) async fn load_item_rows(
    store: &dyn Store,
    item: Uuid,
    max_bytes: usize,
) -> Result<Option<Vec<CachedRow>>> {
    let mut rows = store.stream_app_data(DataQuery::whole_item(item));
    let mut heads = Vec::new();
    let mut blob = Vec::new();
    while let Some(r) = rows.next().await {
        let r = r?;
        let (at, id, ty, parties) = (
            to_micros(r.created_at),
            r.id,
            r.ty.as_str().into(),
            r.parties(),
        );
        let start = blob.len();
        serde_json::to_writer(&mut blob, &r.into_wire())
            .map_err(|e| Error::Internal(format!("cannot serialize a row: {e}")))?;
        if heads.len() >= MAX_ITEM_ROWS || blob.len() > max_bytes {
            return Ok(None);
        }
        heads.push((at, id, ty, parties, start..blob.len()));
    }
    let blob = Bytes::from(blob);
    Ok(Some(
        heads
            .into_iter()
            .map(|(at, id, ty, parties, json)| CachedRow {
                at,
                id,
                ty,
                parties,
                json: blob.slice(json),
            })
            .collect(),
    ))
}
