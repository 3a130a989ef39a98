//! Storage quotas: how many app-data rows and bytes, and how many files and file bytes, one item
//! and one member (per item) may hold. Every write that adds to them is checked by the store in
//! the same transaction as the write, so concurrent writers cannot overshoot and a refused write
//! stores nothing.
//!
//! A member's usage is what they *created* (`creator_id`): a row addressed to someone else is
//! still charged to the member who posted it, who spent the space.

/// Rows an unpaged list returns (Graasp clients expect everything; beyond this a `Link:
/// rel="next"` header points at the rest). An item may never hold more rows than this, so the
/// Graasp client, which cannot page, always gets everything.
pub const MAX_UNPAGED: i64 = 10_000;

/// Defaults of the `[server]` quota keys (see the README's configuration section for why).
pub mod defaults {
    const MIB: u64 = 1024 * 1024;
    /// `item_data_rows`.
    pub fn item_data_rows() -> u64 {
        1_000
    }
    /// `item_data_bytes`.
    pub fn item_data_bytes() -> u64 {
        64 * MIB
    }
    /// `member_data_rows`.
    pub fn member_data_rows() -> u64 {
        250
    }
    /// `member_data_bytes`.
    pub fn member_data_bytes() -> u64 {
        16 * MIB
    }
    /// `item_files`.
    pub fn item_files() -> u64 {
        200
    }
    /// `item_file_bytes`.
    pub fn item_file_bytes() -> u64 {
        1024 * MIB
    }
    /// `member_files`.
    pub fn member_files() -> u64 {
        50
    }
    /// `member_file_bytes`.
    pub fn member_file_bytes() -> u64 {
        256 * MIB
    }
    /// `item_action_rows`.
    pub fn item_action_rows() -> u64 {
        10_000
    }
    /// `item_action_bytes`.
    pub fn item_action_bytes() -> u64 {
        64 * MIB
    }
    /// `member_action_rows`.
    pub fn member_action_rows() -> u64 {
        2_500
    }
    /// `member_action_bytes`.
    pub fn member_action_bytes() -> u64 {
        16 * MIB
    }
    /// `item_storage_keys`: every member's storage-shim keys of one item together.
    pub fn item_storage_keys() -> u64 {
        20_000
    }
    /// `item_storage_bytes`.
    pub fn item_storage_bytes() -> u64 {
        64 * MIB
    }
    /// `member_storage_keys`.
    pub fn member_storage_keys() -> u64 {
        1_000
    }
    /// `member_storage_bytes` (what a browser gives one origin's `localStorage`).
    pub fn member_storage_bytes() -> u64 {
        5 * MIB
    }
    /// `data_cache_bytes`.
    pub fn data_cache_bytes() -> u64 {
        96 * MIB
    }
}

/// One limit, named by its stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `item_data_rows` (AFERR011).
    ItemDataRows,
    /// `item_data_bytes` (AFERR012).
    ItemDataBytes,
    /// `member_data_rows` (AFERR013).
    MemberDataRows,
    /// `member_data_bytes` (AFERR014).
    MemberDataBytes,
    /// `item_files` (AFERR015).
    ItemFiles,
    /// `item_file_bytes` (AFERR016).
    ItemFileBytes,
    /// `member_files` (AFERR017).
    MemberFiles,
    /// `member_file_bytes` (AFERR018).
    MemberFileBytes,
    /// `item_action_rows` (AFERR030).
    ItemActionRows,
    /// `item_action_bytes` (AFERR031).
    ItemActionBytes,
    /// `member_action_rows` (AFERR032).
    MemberActionRows,
    /// `member_action_bytes` (AFERR033).
    MemberActionBytes,
    /// `item_storage_keys` (AFERR043).
    ItemStorageKeys,
    /// `item_storage_bytes` (AFERR044).
    ItemStorageBytes,
    /// `member_storage_keys` (AFERR045).
    MemberStorageKeys,
    /// `member_storage_bytes` (AFERR046).
    MemberStorageBytes,
}

impl Limit {
    /// `(name, code, what is limited)` of the error body.
    pub fn parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Limit::ItemDataRows => (
                "ITEM_APP_DATA_ROWS_EXCEEDED",
                "AFERR011",
                "app-data rows in this item",
            ),
            Limit::ItemDataBytes => (
                "ITEM_APP_DATA_BYTES_EXCEEDED",
                "AFERR012",
                "bytes of app data in this item",
            ),
            Limit::MemberDataRows => (
                "MEMBER_APP_DATA_ROWS_EXCEEDED",
                "AFERR013",
                "app-data rows created by this member in this item",
            ),
            Limit::MemberDataBytes => (
                "MEMBER_APP_DATA_BYTES_EXCEEDED",
                "AFERR014",
                "bytes of app data created by this member in this item",
            ),
            Limit::ItemFiles => ("ITEM_FILES_EXCEEDED", "AFERR015", "files in this item"),
            Limit::ItemFileBytes => (
                "ITEM_FILE_BYTES_EXCEEDED",
                "AFERR016",
                "bytes of files in this item",
            ),
            Limit::MemberFiles => (
                "MEMBER_FILES_EXCEEDED",
                "AFERR017",
                "files uploaded by this member in this item",
            ),
            Limit::MemberFileBytes => (
                "MEMBER_FILE_BYTES_EXCEEDED",
                "AFERR018",
                "bytes of files uploaded by this member in this item",
            ),
            Limit::ItemActionRows => (
                "ITEM_APP_ACTIONS_EXCEEDED",
                "AFERR030",
                "app actions in this item",
            ),
            Limit::ItemActionBytes => (
                "ITEM_APP_ACTION_BYTES_EXCEEDED",
                "AFERR031",
                "bytes of app actions in this item",
            ),
            Limit::MemberActionRows => (
                "MEMBER_APP_ACTIONS_EXCEEDED",
                "AFERR032",
                "app actions posted by this member in this item",
            ),
            Limit::MemberActionBytes => (
                "MEMBER_APP_ACTION_BYTES_EXCEEDED",
                "AFERR033",
                "bytes of app actions posted by this member in this item",
            ),
            Limit::ItemStorageKeys => (
                "ITEM_STORAGE_KEYS_EXCEEDED",
                "AFERR043",
                "storage keys in this item",
            ),
            Limit::ItemStorageBytes => (
                "ITEM_STORAGE_BYTES_EXCEEDED",
                "AFERR044",
                "bytes of storage in this item",
            ),
            Limit::MemberStorageKeys => (
                "MEMBER_STORAGE_KEYS_EXCEEDED",
                "AFERR045",
                "storage keys of this member in this item",
            ),
            Limit::MemberStorageBytes => (
                "MEMBER_STORAGE_BYTES_EXCEEDED",
                "AFERR046",
                "bytes of storage of this member in this item",
            ),
        }
    }
}

/// A refused write: which limit, and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    /// The limit.
    pub limit: Limit,
    /// Its configured value.
    pub max: i64,
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (_, _, what) = self.limit.parts();
        write!(f, "quota exceeded: at most {} {what}", self.max)
    }
}

/// What an item holds and what one member created in it: rows (or files) and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Rows (files) of the item.
    pub item_count: i64,
    /// Bytes of the item.
    pub item_bytes: i64,
    /// Rows (files) of the member in the item.
    pub member_count: i64,
    /// Bytes of the member in the item.
    pub member_bytes: i64,
}

/// The quota values, as the store checks them (signed: SQL sums are signed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rows per item.
    pub item_data_rows: i64,
    /// Data bytes per item.
    pub item_data_bytes: i64,
    /// Rows per member per item.
    pub member_data_rows: i64,
    /// Data bytes per member per item.
    pub member_data_bytes: i64,
    /// Files per item.
    pub item_files: i64,
    /// File bytes per item.
    pub item_file_bytes: i64,
    /// Files per member per item.
    pub member_files: i64,
    /// File bytes per member per item.
    pub member_file_bytes: i64,
    /// Actions per item.
    pub item_action_rows: i64,
    /// Action data bytes per item.
    pub item_action_bytes: i64,
    /// Actions per member per item.
    pub member_action_rows: i64,
    /// Action data bytes per member per item.
    pub member_action_bytes: i64,
    /// Storage-shim keys per item.
    pub item_storage_keys: i64,
    /// Storage-shim bytes (keys and values) per item.
    pub item_storage_bytes: i64,
    /// Storage-shim keys per member per item.
    pub member_storage_keys: i64,
    /// Storage-shim bytes per member per item.
    pub member_storage_bytes: i64,
}

impl Limits {
    /// Whether `rows` more rows of `bytes` may join app data already at `u`; `rows` is 0 for
    /// an update, whose `bytes` is then the growth (may be negative).
    pub fn check_data(&self, u: Usage, rows: i64, bytes: i64) -> Result<(), Exceeded> {
        check(
            u,
            rows,
            bytes,
            [
                (Limit::ItemDataRows, self.item_data_rows),
                (Limit::ItemDataBytes, self.item_data_bytes),
                (Limit::MemberDataRows, self.member_data_rows),
                (Limit::MemberDataBytes, self.member_data_bytes),
            ],
        )
    }

    /// Whether one more action of `bytes` may join the actions already at `u`.
    pub fn check_action(&self, u: Usage, bytes: i64) -> Result<(), Exceeded> {
        check(
            u,
            1,
            bytes,
            [
                (Limit::ItemActionRows, self.item_action_rows),
                (Limit::ItemActionBytes, self.item_action_bytes),
                (Limit::MemberActionRows, self.member_action_rows),
                (Limit::MemberActionBytes, self.member_action_bytes),
            ],
        )
    }

    /// Whether `keys` more storage-shim keys (0 when one is overwritten) and `bytes` more bytes
    /// (negative when a value shrinks) may join the storage already at `u`.
    pub fn check_storage(&self, u: Usage, keys: i64, bytes: i64) -> Result<(), Exceeded> {
        check(
            u,
            keys,
            bytes,
            [
                (Limit::ItemStorageKeys, self.item_storage_keys),
                (Limit::ItemStorageBytes, self.item_storage_bytes),
                (Limit::MemberStorageKeys, self.member_storage_keys),
                (Limit::MemberStorageBytes, self.member_storage_bytes),
            ],
        )
    }

    /// Whether one more file of `bytes` may join files already at `u`.
    pub fn check_file(&self, u: Usage, bytes: i64) -> Result<(), Exceeded> {
        check(
            u,
            1,
            bytes,
            [
                (Limit::ItemFiles, self.item_files),
                (Limit::ItemFileBytes, self.item_file_bytes),
                (Limit::MemberFiles, self.member_files),
                (Limit::MemberFileBytes, self.member_file_bytes),
            ],
        )
    }

    /// The most bytes one more file may have, given the files already at `u` (so an upload
    /// can stop as soon as it passes this, without storing the rest).
    /// Also returns the limit a larger file would pass.
    pub fn file_room(&self, u: Usage) -> Result<(i64, Exceeded), Exceeded> {
        self.check_file(u, 0)?;
        let item = self.item_file_bytes - u.item_bytes;
        let member = self.member_file_bytes - u.member_bytes;
        Ok(if item <= member {
            (
                item,
                Exceeded {
                    limit: Limit::ItemFileBytes,
                    max: self.item_file_bytes,
                },
            )
        } else {
            (
                member,
                Exceeded {
                    limit: Limit::MemberFileBytes,
                    max: self.member_file_bytes,
                },
            )
        })
    }
}

/// `[item count, item bytes, member count, member bytes]` limits against usage plus an addition.
fn check(u: Usage, count: i64, bytes: i64, limits: [(Limit, i64); 4]) -> Result<(), Exceeded> {
    let after = [
        (u.item_count, count),
        (u.item_bytes, bytes),
        (u.member_count, count),
        (u.member_bytes, bytes),
    ];
    for ((limit, max), (now, add)) in limits.into_iter().zip(after) {
        // Only a write that adds is refused: lowering a quota never blocks shrinking a row.
        if add > 0 && now.saturating_add(add) > max {
            return Err(Exceeded { limit, max });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            item_data_rows: 3,
            item_data_bytes: 100,
            member_data_rows: 2,
            member_data_bytes: 60,
            item_files: 2,
            item_file_bytes: 1000,
            member_files: 1,
            member_file_bytes: 500,
            item_action_rows: 3,
            item_action_bytes: 100,
            member_action_rows: 2,
            member_action_bytes: 60,
            item_storage_keys: 3,
            item_storage_bytes: 100,
            member_storage_keys: 2,
            member_storage_bytes: 60,
        }
    }

    #[test]
    fn each_data_limit_refuses_the_write_that_would_pass_it() {
        let l = limits();
        let u = Usage {
            item_count: 2,
            item_bytes: 50,
            member_count: 1,
            member_bytes: 10,
        };
        assert_eq!(l.check_data(u, 1, 50), Ok(()));
        let e = Err::<(), Limit>;
        let got = |r: Result<(), Exceeded>| r.map_err(|x| x.limit);
        assert_eq!(got(l.check_data(u, 1, 51)), e(Limit::ItemDataBytes));
        let full = Usage { item_count: 3, ..u };
        assert_eq!(got(l.check_data(full, 1, 1)), e(Limit::ItemDataRows));
        let mine = Usage {
            member_count: 2,
            ..u
        };
        assert_eq!(got(l.check_data(mine, 1, 1)), e(Limit::MemberDataRows));
        assert_eq!(got(l.check_data(u, 0, 49)), Ok(()));
        assert_eq!(got(l.check_data(u, 0, 50)), Ok(()));
        let heavy = Usage {
            member_bytes: 60,
            ..u
        };
        assert_eq!(got(l.check_data(heavy, 0, 1)), e(Limit::MemberDataBytes));
        // Shrinking is always allowed, even above a lowered quota.
        assert_eq!(got(l.check_data(heavy, 0, -5)), Ok(()));
    }

    #[test]
    fn each_action_limit_refuses_the_action_that_would_pass_it() {
        let l = limits();
        let u = Usage {
            item_count: 2,
            item_bytes: 50,
            member_count: 1,
            member_bytes: 10,
        };
        let got = |r: Result<(), Exceeded>| r.map_err(|x| x.limit);
        assert_eq!(got(l.check_action(u, 50)), Ok(()));
        assert_eq!(got(l.check_action(u, 51)), Err(Limit::ItemActionBytes));
        let full = Usage { item_count: 3, ..u };
        assert_eq!(got(l.check_action(full, 1)), Err(Limit::ItemActionRows));
        let mine = Usage {
            member_count: 2,
            ..u
        };
        assert_eq!(got(l.check_action(mine, 1)), Err(Limit::MemberActionRows));
        let heavy = Usage {
            member_bytes: 60,
            ..u
        };
        assert_eq!(got(l.check_action(heavy, 1)), Err(Limit::MemberActionBytes));
    }

    #[test]
    fn each_storage_limit_refuses_the_write_that_would_pass_it_and_shrinking_always_passes() {
        let l = limits();
        let u = Usage {
            item_count: 2,
            item_bytes: 50,
            member_count: 1,
            member_bytes: 10,
        };
        let got = |r: Result<(), Exceeded>| r.map_err(|x| x.limit);
        assert_eq!(got(l.check_storage(u, 1, 50)), Ok(()));
        assert_eq!(got(l.check_storage(u, 1, 51)), Err(Limit::ItemStorageBytes));
        let full = Usage { item_count: 3, ..u };
        assert_eq!(
            got(l.check_storage(full, 1, 1)),
            Err(Limit::ItemStorageKeys)
        );
        // Overwriting a key adds no key, so a full item still takes it.
        assert_eq!(got(l.check_storage(full, 0, 1)), Ok(()));
        let mine = Usage {
            member_count: 2,
            ..u
        };
        assert_eq!(
            got(l.check_storage(mine, 1, 1)),
            Err(Limit::MemberStorageKeys)
        );
        let heavy = Usage {
            member_bytes: 60,
            ..u
        };
        assert_eq!(
            got(l.check_storage(heavy, 0, 1)),
            Err(Limit::MemberStorageBytes)
        );
        assert_eq!(got(l.check_storage(heavy, 0, -5)), Ok(()));
    }

    #[test]
    fn file_room_is_the_smaller_remainder_or_the_count_limit() {
        let l = limits();
        let u = Usage {
            item_count: 1,
            item_bytes: 700,
            member_count: 0,
            member_bytes: 0,
        };
        let (room, passed) = l.file_room(u).unwrap();
        assert_eq!((room, passed.limit), (300, Limit::ItemFileBytes));
        let e = l.file_room(Usage {
            member_count: 1,
            ..u
        });
        assert_eq!(e.unwrap_err().limit, Limit::MemberFiles);
    }
}
