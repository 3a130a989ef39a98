//! Merging live updates into a held list.

use appframe_protocol::{AppData, AppSetting, RowId, ws::Op};
use time::OffsetDateTime;

/// A row of a merged list: an id and the time of its last change.
pub trait LiveRow: Clone + PartialEq {
    /// The row id.
    fn row_id(&self) -> RowId;
    /// When the row last changed (a patch older than the held row is stale).
    fn changed_at(&self) -> OffsetDateTime;
}

impl LiveRow for AppData {
    fn row_id(&self) -> RowId {
        self.id
    }
    fn changed_at(&self) -> OffsetDateTime {
        self.updated_at
    }
}

impl LiveRow for AppSetting {
    fn row_id(&self) -> RowId {
        self.id
    }
    fn changed_at(&self) -> OffsetDateTime {
        self.updated_at
    }
}

/// Applies one update to a list (spec §5): `Post` adds the row if its id is absent, `Patch`
/// replaces the row with that id (or adds it: its post was missed), unless the held row is
/// as new, `Delete` removes it. Returns whether the list changed.
pub fn merge<T: LiveRow>(list: &mut Vec<T>, op: Op, row: T) -> bool {
    let id = row.row_id();
    let at = list.iter().position(|r| r.row_id() == id);
    match (op, at) {
        (Op::Delete, Some(i)) => {
            list.remove(i);
            true
        }
        (Op::Delete, None) | (Op::Post, Some(_)) => false,
        (Op::Patch, Some(i)) => {
            // An older version, or the same one again (a write's own response and its
            // broadcast echo): nothing changes, nobody re-renders. Two different versions with
            // the same change time (a server with millisecond clocks, two quick writers) are
            // not an echo: the later event, in the server's order, wins.
            let held = &list[i];
            if held.changed_at() > row.changed_at()
                || (held.changed_at() == row.changed_at() && *held == row)
            {
                return false;
            }
            list[i] = row;
            true
        }
        (Op::Post | Op::Patch, None) => {
            list.push(row);
            true
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use appframe_protocol::{ItemRef, Member, Visibility};

    pub(crate) fn row(id: u128, ty: &str, text: &str, updated: i64) -> AppData {
        let m = Member {
            id: appframe_protocol::AccountId(uuid::Uuid::from_u128(9)),
            name: "Alice".into(),
        };
        let mut data = serde_json::Map::new();
        data.insert("text".into(), text.into());
        AppData {
            id: RowId(uuid::Uuid::from_u128(id)),
            item: ItemRef {
                id: appframe_protocol::ItemId(uuid::Uuid::from_u128(7)),
            },
            account: m.clone(),
            member: m.clone(),
            creator: Some(m),
            ty: ty.into(),
            visibility: Visibility::Item,
            data,
            created_at: OffsetDateTime::from_unix_timestamp(0).unwrap(),
            updated_at: OffsetDateTime::from_unix_timestamp(updated).unwrap(),
        }
    }

    fn texts(list: &[AppData]) -> Vec<&str> {
        list.iter()
            .map(|r| r.data["text"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn post_adds_only_when_the_id_is_absent() {
        let mut list = vec![row(1, "note", "a", 1)];
        assert!(merge(&mut list, Op::Post, row(2, "note", "b", 1)));
        assert!(!merge(&mut list, Op::Post, row(2, "note", "b again", 2)));
        assert_eq!(texts(&list), ["a", "b"]);
    }

    #[test]
    fn patch_replaces_by_id_in_place_unless_the_held_row_is_newer() {
        let mut list = vec![row(1, "note", "a", 1), row(2, "note", "b", 1)];
        assert!(merge(&mut list, Op::Patch, row(1, "note", "a2", 2)));
        assert_eq!(texts(&list), ["a2", "b"]);
        assert!(!merge(&mut list, Op::Patch, row(1, "note", "stale", 1)));
        assert_eq!(texts(&list), ["a2", "b"]);
        // The same version again (an echo) is no change.
        assert!(!merge(&mut list, Op::Patch, row(1, "note", "a2", 2)));
        // A different version with the same change time is a real change (coarse server clocks).
        assert!(merge(&mut list, Op::Patch, row(1, "note", "a3", 2)));
        assert_eq!(texts(&list), ["a3", "b"]);
        // A patch of a row whose post was missed adds it.
        assert!(merge(&mut list, Op::Patch, row(3, "note", "c", 1)));
        assert_eq!(texts(&list), ["a3", "b", "c"]);
    }

    #[test]
    fn delete_removes_by_id_including_the_last_row() {
        let mut list = vec![row(1, "note", "a", 1)];
        assert!(!merge(&mut list, Op::Delete, row(2, "note", "x", 1)));
        assert!(merge(&mut list, Op::Delete, row(1, "note", "a", 1)));
        assert!(list.is_empty());
    }
}
