//! Keyset pages cut from a cached item's rows: the same rows, in the same order, with the same
//! "more follow" answer as the SQL keyset query (`created_at, id` strictly after the cursor,
//! filtered, `LIMIT size + 1`), without reading the store or serializing a row again.

use super::CachedRow;
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

/// The rows of `rows` (in `(at, id)` order, as the store lists them) strictly after `after`
/// that `keep` lets through, at most `size` of them. The start is found by binary search, so
/// a deep page costs what the first one does; only the rows the filter drops on the way are
/// looked at besides the page's own.
pub fn page<'a>(
    rows: &'a [CachedRow],
    after: Option<(i64, Uuid)>,
    size: usize,
    keep: impl Fn(&CachedRow) -> bool,
) -> CachedPage<'a> {
    let start = after.map_or(0, |a| rows.partition_point(|r| (r.at, r.id) <= a));
    let mut kept = rows
        .get(start..)
        .unwrap_or_default()
        .iter()
        .filter(|r| keep(r));
    let page: Vec<&CachedRow> = kept.by_ref().take(size).collect();
    let more = kept.next().is_some();
    CachedPage { rows: page, more }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::{AccountId, Visibility, rules::RowParties};
    use bytes::Bytes;

    fn row(at: i64, id: u128, ty: &str) -> CachedRow {
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
            json: Bytes::new(),
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
}
