//! The SQL of the storage shim (`app.storage()`) for both backends (`sql.rs` delegates here):
//! string values under keys, per member and item, in their own table `app_storage`.
//!
//! A write is checked against the storage quotas in the transaction that does it, as app data
//! is (`usage.rs`): on Postgres the item's row is locked first, so concurrent writers of one
//! item queue; on SQLite one connection writes anyway.

use super::{
    backend::{Args, Backend, Column, Conn, Param},
    rows::db,
    to_micros,
};
use crate::{
    error::{Error, Result},
    quota::{Limits, Usage},
};
use appframe_protocol::storage::entry_bytes;
use sqlx::{ColumnIndex, Database, Encode, Executor, IntoArguments, Type};
use time::OffsetDateTime;
use uuid::Uuid;

/// Keys, then bytes, of the item and of one member in it (`$2`).
const STORAGE_USAGE: &str = "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(bytes), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN account_id = $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN account_id = $2 THEN bytes ELSE 0 END), 0) AS BIGINT) \
     FROM app_storage WHERE item_id = $1";

const UPSERT: &str = "INSERT INTO app_storage (item_id, account_id, key, value, bytes, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (item_id, account_id, key) DO UPDATE SET \
     value = excluded.value, bytes = excluded.bytes, updated_at = excluded.updated_at";

/// The storage-shim SQL of one store.
pub(crate) struct Storage<'a, B>(pub &'a B);

impl<B> Storage<'_, B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    usize: ColumnIndex<<B::Db as Database>::Row>,
    for<'q> &'q str: Encode<'q, B::Db>,
    str: Type<B::Db>,
    String: Param<B::Db> + Column<B::Db>,
    Uuid: Param<B::Db> + Column<B::Db>,
    i64: Param<B::Db> + Column<B::Db>,
{
    /// The value of `key` and when it was written, in microseconds.
    pub async fn get(&self, item: Uuid, account: Uuid, key: &str) -> Result<Option<(String, i64)>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT value, updated_at FROM app_storage \
             WHERE item_id = $1 AND account_id = $2 AND key = $3",
        )
        .bind(item)
        .bind(account)
        .bind(key)
        .fetch_optional(self.0.read())
        .await?;
        Ok(row)
    }

    /// The member's keys in byte order (sorted here: Postgres would order by its collation).
    pub async fn keys(&self, item: Uuid, account: Uuid) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT key FROM app_storage WHERE item_id = $1 AND account_id = $2")
                .bind(item)
                .bind(account)
                .fetch_all(self.0.read())
                .await?;
        let mut keys: Vec<String> = rows.into_iter().map(|(k,)| k).collect();
        keys.sort_unstable();
        Ok(keys)
    }

    /// Stores `value` under `key` unless a storage quota of `limits` would be passed (then
    /// `Error::Quota` and nothing changes).
    pub async fn set(
        &self,
        item: Uuid,
        account: Uuid,
        key: &str,
        value: &str,
        at: OffsetDateTime,
        limits: &Limits,
    ) -> Result<()> {
        let bytes = entry_bytes(key, value);
        let mut tx = self.0.write().begin().await?;
        let lock: Option<&str> = B::LOCK_ITEM;
        if let Some(sql) = lock {
            sqlx::query(sql).bind(item).execute(&mut *tx).await?;
        }
        let old: Option<(i64,)> = sqlx::query_as(
            "SELECT bytes FROM app_storage WHERE item_id = $1 AND account_id = $2 AND key = $3",
        )
        .bind(item)
        .bind(account)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let (added, growth) = match old {
            Some((old,)) => (0, bytes - old),
            None => (1, bytes),
        };
        let (item_count, item_bytes, member_count, member_bytes): (i64, i64, i64, i64) =
            sqlx::query_as(STORAGE_USAGE)
                .bind(item)
                .bind(account)
                .fetch_one(&mut *tx)
                .await?;
        let usage = Usage {
            item_count,
            item_bytes,
            member_count,
            member_bytes,
        };
        limits
            .check_storage(usage, added, growth)
            .map_err(Error::Quota)?;
        sqlx::query(UPSERT)
            .bind(item)
            .bind(account)
            .bind(key)
            .bind(value)
            .bind(bytes)
            .bind(to_micros(at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes `key`; false when it was not stored.
    pub async fn remove(&self, item: Uuid, account: Uuid, key: &str) -> Result<bool> {
        let r = sqlx::query(
            "DELETE FROM app_storage WHERE item_id = $1 AND account_id = $2 AND key = $3",
        )
        .bind(item)
        .bind(account)
        .bind(key)
        .execute(self.0.write())
        .await?;
        Ok(super::backend::Affected::rows_affected(&r) > 0)
    }
}
