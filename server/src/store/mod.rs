//! Persistence: one [`Store`] trait, implemented for SQLite and Postgres by the same SQL.
//!
//! Timestamps are stored as microseconds since the epoch (`BIGINT`) so `(created_at, id)`
//! orders identically on both databases and keyset pagination walks the
//! `(item_id, created_at, id)` index.

mod backend;
mod config_lock;
mod entries;
mod pg_batch;
mod pg_listen;
mod postgres;
mod query;
mod records;
mod registry;
mod rows;
mod sql;
mod sqlite;
mod stamps;
mod storage;
mod usage;

pub use config_lock::ConfigLock;
pub use postgres::PgStore;
pub use records::*;
pub use sqlite::SqliteStore;
pub use stamps::Stamps;

use crate::{
    config::{AccountKind, Scope},
    error::Result,
    quota::{Limits, Usage},
};
use appframe_protocol::{JsonObject, Member, Permission, Visibility, rules::RowScope};
use time::OffsetDateTime;
use uuid::Uuid;

/// Microseconds since the epoch (the stored form of timestamps).
pub fn to_micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// Inverse of [`to_micros`].
pub fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Now, truncated to microseconds (what the database keeps).
pub fn now() -> OffsetDateTime {
    from_micros(to_micros(OffsetDateTime::now_utc()))
}

/// The persistence interface; the SQLite and Postgres stores implement it with the same SQL.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Runs the migrations of this backend.
    async fn migrate(&self) -> Result<()>;
    /// Which backend (`sqlite` or `postgres`).
    fn backend(&self) -> &'static str;
    /// Waits until no other instance applies the configuration to this database, and keeps
    /// them waiting until the lock is released.
    async fn lock_configuration(&self) -> Result<ConfigLock>;
    /// Change stamps when this process sees every write to the database, so results may be
    /// cached in memory; `None` when other processes may write too (Postgres, which several
    /// server instances can share): then only [`Store::fresh_stamps`] are current.
    fn stamps(&self) -> Option<&Stamps> {
        None
    }
    /// Change stamps that have been ticked by every write committed before `arrived` (the
    /// arrival of the request that reads a cache): [`Store::stamps`] where this process sees
    /// every write; on Postgres after a fence (`store/pg_listen.rs`). `None` when this cannot
    /// be known: nothing may be served from a cache.
    async fn fresh_stamps(&self, arrived: std::time::Instant) -> Option<&Stamps> {
        let _ = arrived;
        self.stamps()
    }

    /// Inserts or updates a publisher.
    async fn upsert_publisher(&self, p: &Publisher) -> Result<()>;
    /// All publishers.
    async fn list_publishers(&self) -> Result<Vec<Publisher>>;
    /// Deletes a publisher (and its apps and their items); false when unknown.
    async fn delete_publisher(&self, name: &str) -> Result<bool>;

    /// Inserts or updates an app by name.
    async fn upsert_app(&self, a: &AppRecord) -> Result<()>;
    /// All active apps (the configuration deactivates the apps it stops declaring).
    async fn list_apps(&self) -> Result<Vec<AppRecord>>;
    /// One active app by name.
    async fn get_app(&self, name: &str) -> Result<Option<AppRecord>>;
    /// Deletes an app (and its items); false when unknown.
    async fn delete_app(&self, name: &str) -> Result<bool>;

    /// Inserts or updates an account.
    async fn upsert_account(&self, a: &Account) -> Result<()>;
    /// One active account.
    async fn get_account(&self, id: Uuid) -> Result<Option<Account>>;
    /// All active accounts.
    async fn list_accounts(&self) -> Result<Vec<Account>>;
    /// Deletes an account and everything it owns; false when unknown.
    async fn delete_account(&self, id: Uuid) -> Result<bool>;

    /// Inserts or updates an item (keeps `created_at` on update).
    async fn upsert_item(&self, i: &ItemRecord) -> Result<()>;
    /// One active item of an active app.
    async fn get_item(&self, id: Uuid) -> Result<Option<ItemRecord>>;
    /// All active items of active apps.
    async fn list_items(&self) -> Result<Vec<ItemRecord>>;
    /// Deletes an item and its rows; false when unknown.
    async fn delete_item(&self, id: Uuid) -> Result<bool>;

    /// Sets a membership (insert or change permission).
    async fn set_membership(&self, m: &MembershipRecord) -> Result<()>;
    /// Removes a membership; false when absent.
    async fn delete_membership(&self, member: Uuid, item: Uuid) -> Result<bool>;
    /// The permission of an account on an item (none unless account, item and app are active).
    async fn permission(&self, member: Uuid, item: Uuid) -> Result<Option<Permission>>;
    /// Memberships of active accounts on active items, optionally filtered by item and/or member.
    async fn list_memberships(
        &self,
        item: Option<Uuid>,
        member: Option<Uuid>,
    ) -> Result<Vec<MembershipRecord>>;
    /// In one query: the item, the account (when given, existing and active) and its
    /// permission on the item, the app's key, its publisher's origins and the session of
    /// `session_handle` (when given). `None` when the item does not exist or is deactivated
    /// (or its app is). (The per-request check of app routes.)
    async fn item_access(
        &self,
        item: Uuid,
        account: Option<Uuid>,
        session_handle: Option<&str>,
    ) -> Result<Option<ItemAccess>>;
    /// Active accounts holding a membership on an item.
    async fn item_members(&self, item: Uuid) -> Result<Vec<Member>>;

    /// Inserts or updates an API key by name; only the digest of `key` is stored.
    async fn upsert_api_key(&self, name: &str, key: &str, scopes: &[Scope]) -> Result<()>;
    /// Creates an API key (409 when the name is taken); only the digest of `key` is stored.
    async fn create_api_key(&self, name: &str, key: &str, scopes: &[Scope]) -> Result<ApiKeyEntry>;
    /// Looks up an API key by its secret (by digest, confirmed in constant time).
    async fn find_api_key(&self, key: &str) -> Result<Option<ApiKeyRecord>>;
    /// Every API key, without secrets.
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyEntry>>;
    /// Deletes an API key by id; false when unknown.
    async fn delete_api_key(&self, id: Uuid) -> Result<bool>;

    /// Every registry entry with its ownership (for reconciling with the configuration).
    async fn registry_state(&self) -> Result<RegistryState>;
    /// [`Store::registry_state`] as it would be after this binary's migrations, without
    /// changing the database: pending migrations run inside a transaction that is rolled back.
    async fn preview_registry_state(&self) -> Result<RegistryState>;
    /// Records that the configuration declares an entry: it becomes managed, and active again
    /// if it had been deactivated. False when the entry does not exist.
    async fn mark_declared(&self, entry: &Entry) -> Result<bool>;
    /// Takes back what the configuration no longer declares: API keys and memberships are
    /// deleted, a publisher loses its origins, apps, members and items are deactivated (their
    /// data is kept; a member's sessions end). False when the entry does not exist.
    async fn revoke(&self, entry: &Entry) -> Result<bool>;
    /// Whether an app, member or item exists but was deactivated by the configuration.
    async fn deactivated(&self, entry: &Entry) -> Result<bool>;

    /// Stores a host session (only the digest of `id` is kept) with a new random handle.
    async fn create_session(
        &self,
        id: &str,
        account: Uuid,
        expires_at: OffsetDateTime,
    ) -> Result<()>;
    /// A live session of an active member: its account and handle.
    async fn session(&self, id: &str, now: OffsetDateTime) -> Result<Option<SessionInfo>>;
    /// The account of a live session of an active member.
    async fn session_account(&self, id: &str, now: OffsetDateTime) -> Result<Option<Account>> {
        Ok(self.session(id, now).await?.map(|s| s.account))
    }
    /// Ends a session.
    async fn delete_session(&self, id: &str) -> Result<()>;
    /// Deletes expired sessions.
    async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64>;

    /// Inserts an app-data row (names in `account`/`creator` are not stored) unless it would
    /// pass a data quota of `limits` (then `Error::Quota`, nothing stored); the check and the
    /// insert are atomic with respect to other writers.
    async fn insert_app_data(&self, row: &AppDataRow, limits: &Limits) -> Result<()>;
    /// One app-data row.
    async fn get_app_data(&self, id: Uuid) -> Result<Option<AppDataRow>>;
    /// Replaces the data of a row unless the growth would pass a data quota of `limits`
    /// (checked atomically, charged to the row's creator); false when unknown.
    async fn update_app_data(
        &self,
        id: Uuid,
        data: &JsonObject,
        at: OffsetDateTime,
        limits: &Limits,
    ) -> Result<bool>;
    /// Streams the rows of a list (one query, so one consistent snapshot of the item).
    fn stream_app_data(&self, q: DataQuery) -> RowStream;
    /// `(created_at in µs, id)` of at most `limit` rows of a list, in order (`q.upto` ignored):
    /// where a page ends, read without the rows' data.
    async fn app_data_positions(&self, q: &DataQuery, limit: i64) -> Result<Vec<(i64, Uuid)>>;
    /// Deletes a row; false when unknown.
    async fn delete_app_data(&self, id: Uuid) -> Result<bool>;

    /// Inserts an action.
    async fn insert_app_action(&self, row: &AppActionRow, limits: &Limits) -> Result<()>;
    /// One action (the import's idempotency check).
    async fn get_app_action(&self, id: Uuid) -> Result<Option<AppActionRow>>;
    /// Actions of an item, optionally of one account.
    async fn list_app_actions(
        &self,
        item: Uuid,
        account: Option<Uuid>,
        page: Page,
    ) -> Result<Vec<AppActionRow>>;
    /// Where a page of actions ends when more rows follow it: the position of its last row
    /// (`page.limit` is the page size plus one, as [`Page`] always is), else `None`.
    async fn app_action_page_end(
        &self,
        item: Uuid,
        account: Option<Uuid>,
        page: Page,
    ) -> Result<Option<(i64, Uuid)>>;

    /// Inserts a setting.
    async fn insert_app_setting(&self, row: &AppSettingRow) -> Result<()>;
    /// One setting.
    async fn get_app_setting(&self, id: Uuid) -> Result<Option<AppSettingRow>>;
    /// Settings of an item, optionally with an exact name.
    async fn list_app_settings(
        &self,
        item: Uuid,
        name: Option<&str>,
        page: Page,
    ) -> Result<Vec<AppSettingRow>>;
    /// Replaces the data of a setting; false when unknown.
    async fn update_app_setting(
        &self,
        id: Uuid,
        data: &JsonObject,
        at: OffsetDateTime,
    ) -> Result<bool>;
    /// Deletes a setting; false when unknown.
    async fn delete_app_setting(&self, id: Uuid) -> Result<bool>;

    /// Files of an item and of the files `account` uploaded to it, with their bytes.
    async fn file_usage(&self, item: Uuid, account: Uuid) -> Result<Usage>;
    /// Records an uploaded file uploaded by `account` together with the row it belongs to,
    /// in one transaction, unless a file quota (or, for an app-data row, a data quota) of
    /// `limits` would be passed: then `Error::Quota` and nothing is stored.
    async fn insert_file(
        &self,
        owner: FileOwner<'_>,
        f: &FileRecord,
        account: Uuid,
        limits: &Limits,
    ) -> Result<()>;
    /// The file of a row.
    async fn get_file(&self, row_id: Uuid) -> Result<Option<FileRecord>>;
    /// Forgets the file of a row.
    async fn delete_file(&self, row_id: Uuid) -> Result<()>;
    /// Files of an item (to delete their bytes with the item).
    async fn item_files(&self, item: Uuid) -> Result<Vec<FileRecord>>;

    /// The storage-shim value of `account`'s `key` in `item`, and when it was written.
    async fn storage_get(
        &self,
        item: Uuid,
        account: Uuid,
        key: &str,
    ) -> Result<Option<(String, OffsetDateTime)>>;
    /// `account`'s storage-shim keys in `item`, in byte order.
    async fn storage_keys(&self, item: Uuid, account: Uuid) -> Result<Vec<String>>;
    /// Stores `value` under `account`'s `key` in `item` unless a storage quota of `limits`
    /// would be passed (then `Error::Quota`, nothing changed); checked atomically.
    async fn storage_set(
        &self,
        item: Uuid,
        account: Uuid,
        key: &str,
        value: &str,
        at: OffsetDateTime,
        limits: &Limits,
    ) -> Result<()>;
    /// Removes `account`'s `key` in `item`; false when it was not stored.
    async fn storage_remove(&self, item: Uuid, account: Uuid, key: &str) -> Result<bool>;
}
