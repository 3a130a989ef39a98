//! Keyset pages cut from a cached item's rows: the same rows, in the same order, with the same
//! "more follow" answer as the SQL keyset query (`created_at, id` strictly after the cursor,
//! filtered, `LIMIT size + 1`), without reading the store or serializing a row again. The
//! bodies of the pages asked for are kept with the snapshot, as whole lists are: the clients
//! of an item walk the same pages, so most requests clone a `Bytes`.

use super::{CachedRow, ItemRows};
use appframe_protocol::rules::RowScope;
use bytes::Bytes;
use std::{collections::HashMap, sync::PoisonError};
use uuid::Uuid;

/// One page of rows.
#[derive(Debug)]
pub struct CachedPage<'a> {
    /// The page's rows, at most the page size.
    pub rows: Vec<&'a CachedRow>,
    /// Whether a row the filter keeps follows the page (the response carries `Link: rel=next`).
    pub more: bool,
}

impl CachedPage<'_> {
    /// `(created_at in µs, id)` of the last row when more follow: the next page's cursor.
    pub fn next_after(&self) -> Option<(i64, Uuid)> {
        if !self.more {
            return None;
        }
        self.rows.last().map(|r| (r.at, r.id))
    }
}

/// Index of the first row strictly after `after` in `rows` (in `(at, id)` order, as the store
/// lists them), found by binary search, so a deep page costs what the first one does.
fn start(rows: &[CachedRow], after: Option<(i64, Uuid)>) -> usize {
    after.map_or(0, |a| rows.partition_point(|r| (r.at, r.id) <= a))
}

/// The rows from index `start` that `keep` lets through, at most `size` of them; only the rows
/// the filter drops on the way are looked at besides the page's own.
fn page_at(
    rows: &[CachedRow],
    start: usize,
    size: usize,
    keep: impl Fn(&CachedRow) -> bool,
) -> CachedPage<'_> {
    let mut kept = rows
        .get(start..)
        .unwrap_or_default()
        .iter()
        .filter(|r| keep(r));
    let page: Vec<&CachedRow> = kept.by_ref().take(size).collect();
    let more = kept.next().is_some();
    CachedPage { rows: page, more }
}

/// A page's response as a snapshot keeps it.
#[derive(Debug, Clone)]
pub struct PageBody {
    /// The JSON array of the page's rows.
    pub body: Bytes,
    /// The next page's cursor, `(created_at in µs, id)`, when more rows follow.
    pub next: Option<(i64, Uuid)>,
}

/// `(type filter, row scope, index of the first row looked at, page size)`: what a page
/// depends on besides the rows. A cursor between two rows starts where the next row's does,
/// so every cursor of a walk maps to one key.
type PageKey = (Option<Box<str>>, RowScope, usize, usize);

/// Most page bodies one snapshot keeps.
const MAX_PAGES: usize = 4096;
/// Bytes of page bodies a snapshot keeps, as a multiple of its rows' bytes: room for one whole
/// walk and a half besides (a walk's bodies are the rows' bytes plus brackets and commas).
pub(super) const PAGES_PER_ROWS: usize = 2;

/// The page bodies of one snapshot and their bytes; emptied when a new one would not fit.
#[derive(Debug, Default)]
pub(super) struct PageBodies {
    map: HashMap<PageKey, PageBody>,
    used: usize,
}

impl ItemRows {
    /// The page of the rows after `after` of type `ty` (any when `None`) visible in `scope`, at
    /// most `size` rows (the SQL keyset query's page), its body assembled by `build` on first use.
    pub fn page_body(
        &self,
        ty: Option<&str>,
        scope: RowScope,
        after: Option<(i64, Uuid)>,
        size: usize,
        build: impl FnOnce(&CachedPage<'_>) -> Bytes,
    ) -> PageBody {
        let rows = self.rows.as_deref().unwrap_or_default();
        let key = (ty.map(Box::from), scope, start(rows, after), size);
        let lock = || self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(p) = lock().map.get(&key) {
            return p.clone();
        }
        let cut = page_at(rows, key.2, size, |r| r.listed(ty, scope));
        let page = PageBody {
            body: build(&cut),
            next: cut.next_after(),
        };
        let mut pages = lock();
        if pages.map.len() >= MAX_PAGES
            || pages.used + page.body.len() > PAGES_PER_ROWS * self.bytes.max(1)
        {
            pages.map.clear();
            pages.used = 0;
        }
        pages.used += page.body.len();
        pages.map.insert(key, page.clone());
        page
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::{AccountId, Visibility, rules::RowParties};
    use bytes::Bytes;

    /// The page of the rows strictly after `after`, as [`ItemRows::page_body`] cuts it.
    fn page<'a>(
        rows: &'a [CachedRow],
        after: Option<(i64, Uuid)>,
        size: usize,
        keep: impl Fn(&CachedRow) -> bool,
    ) -> CachedPage<'a> {
        page_at(rows, start(rows, after), size, keep)
    }

    fn row(at: i64, id: u128, ty: &str) -> CachedRow {
        row_with(at, id, ty, Bytes::new())
    }

    fn row_with(at: i64, id: u128, ty: &str, json: Bytes) -> CachedRow {
        let account = AccountId::from(Uuid::from_u128(1));
        CachedRow {
            at,
            id: Uuid::from_u128(id),
            ty: ty.into(),
            parties: RowParties {
                visibility: Visibility::Item,
                account,
                creator: None,
            },
            json,
        }
    }

    fn ids(p: &CachedPage<'_>) -> Vec<u128> {
        p.rows.iter().map(|r| r.id.as_u128()).collect()
    }

    #[test]
    fn a_page_starts_strictly_after_the_cursor_and_says_whether_more_follow() {
        // Two rows share a timestamp: the id breaks the tie, as in `ORDER BY created_at, id`.
        let rows = [
            row(1, 5, "a"),
            row(2, 3, "b"),
            row(2, 4, "a"),
            row(3, 1, "a"),
        ];
        let all = |_: &CachedRow| true;
        let p = page(&rows, None, 2, all);
        assert_eq!((ids(&p), p.more), (vec![5, 3], true));
        assert_eq!(p.next_after(), Some((2, Uuid::from_u128(3))));
        let p = page(&rows, p.next_after(), 2, all);
        assert_eq!((ids(&p), p.more), (vec![4, 1], false));
        assert_eq!(p.next_after(), None);
        // A cursor between rows (not a row's position) starts at the next row.
        let p = page(&rows, Some((2, Uuid::from_u128(2))), 10, all);
        assert_eq!(ids(&p), vec![3, 4, 1]);
        let p = page(&rows, Some((9, Uuid::nil())), 10, all);
        assert_eq!((ids(&p), p.more), (vec![], false));
    }

    #[test]
    fn the_filter_decides_both_the_rows_and_whether_more_follow() {
        let rows = [
            row(1, 1, "a"),
            row(2, 2, "b"),
            row(3, 3, "a"),
            row(4, 4, "b"),
        ];
        let only_a = |r: &CachedRow| &*r.ty == "a";
        let p = page(&rows, None, 1, only_a);
        assert_eq!((ids(&p), p.more), (vec![1], true));
        let p = page(&rows, p.next_after(), 1, only_a);
        // Row 4 follows, but the filter drops it: this is the last page.
        assert_eq!((ids(&p), p.more), (vec![3], false));
    }

    #[test]
    fn page_bodies_are_kept_per_walk_position_and_bounded_by_the_rows_bytes() {
        use std::cell::Cell;
        let json = |id: u128| Bytes::from(format!("{{\"id\":{id}}}"));
        let rows: Vec<CachedRow> = (1..=10)
            .map(|i| row_with(i as i64, i, if i % 2 == 0 { "a" } else { "b" }, json(i)))
            .collect();
        let snapshot = ItemRows::new(1, Some(rows));
        let all = RowScope::All;
        let builds = Cell::new(0);
        let build = |p: &CachedPage<'_>| {
            builds.set(builds.get() + 1);
            Bytes::from(
                ids(p)
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            )
        };
        let first = snapshot.page_body(None, all, None, 3, build);
        assert_eq!(
            (&first.body[..], first.next),
            (&b"1,2,3"[..], Some((3, Uuid::from_u128(3))))
        );
        // The same page again, and through a cursor between rows 3 and 4: kept, not built.
        let again = snapshot.page_body(None, all, None, 3, build);
        assert_eq!(again.body, first.body);
        let next = snapshot.page_body(None, all, first.next, 3, build);
        let between = snapshot.page_body(None, all, Some((3, Uuid::from_u128(9))), 3, build);
        assert_eq!(
            (&next.body[..], &between.body[..]),
            (&b"4,5,6"[..], &b"4,5,6"[..])
        );
        assert_eq!(builds.get(), 2);
        // The type filter and the page size are part of what a body depends on.
        let typed = snapshot.page_body(Some("a"), all, None, 3, build);
        assert_eq!(
            (&typed.body[..], typed.next),
            (&b"2,4,6"[..], Some((6, Uuid::from_u128(6))))
        );
        let last = snapshot.page_body(Some("a"), all, typed.next, 3, build);
        assert_eq!((&last.body[..], last.next), (&b"8,10"[..], None));
        assert_eq!(builds.get(), 4);
        // Never more than PAGES_PER_ROWS times the rows' bytes kept: walking pages of every
        // size keeps emptying the map instead of growing it.
        for size in 1..=10 {
            let mut after = None;
            loop {
                let p = snapshot.page_body(None, all, after, size, build);
                let pages = snapshot.pages.lock().unwrap();
                assert!(pages.used <= PAGES_PER_ROWS * snapshot.bytes);
                assert_eq!(
                    pages.used,
                    pages.map.values().map(|p| p.body.len()).sum::<usize>()
                );
                drop(pages);
                match p.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
        }
    }
}
