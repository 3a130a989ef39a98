//! Group commit on Postgres: the app-data and app-action inserts of this process that arrive
//! while a transaction is in flight are written together in the next one, so one commit (one
//! WAL flush, `synchronous_commit` on) acknowledges many requests. A request is answered only
//! after its commit.
//!
//! One batch is one transaction: the batch's items are locked `FOR NO KEY UPDATE` in id order
//! (every other quota-checked write locks a single item, and batches of other instances lock
//! in the same order, so they cannot deadlock), each item's usage is read once and the rows are
//! admitted against their quotas in arrival order (`usage::admit`, as on SQLite), then the
//! admitted rows go in with one multi-row `INSERT` per chunk. A chunk runs under a savepoint;
//! when it fails (a row names an account deleted meanwhile, an id already taken) it is rolled
//! back and its rows are inserted one by one, each under its own savepoint, so only the
//! failing row fails. The item-data `NOTIFY`s that caches on every instance listen to are sent
//! by the table's trigger inside this transaction (migration `cache_notify`).

use super::{
    AppActionRow, AppDataRow, Stamps,
    rows::db,
    to_micros,
    usage::{self, Batch, Job, SizedRow},
};
use crate::error::{Error, Result};
use appframe_protocol::JsonObject;
use sqlx::{Connection, PgConnection, PgPool, Postgres, types::Json};
use uuid::Uuid;

/// Rows per multi-row `INSERT` (and per savepoint).
const CHUNK: usize = 64;

/// Locks the items of a batch in id order, so that batches of several instances queue instead
/// of deadlocking.
const LOCK_ITEMS: &str = "SELECT 1 FROM items WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE";

/// A row type the group commit inserts with one statement per chunk (`UNNEST` of one array
/// per column: the same statement text for any number of rows).
trait PgBatchRow: Sized {
    async fn insert(c: &mut PgConnection, rows: &[SizedRow<Self>]) -> sqlx::Result<()>;
}

impl PgBatchRow for AppDataRow {
    async fn insert(c: &mut PgConnection, rows: &[SizedRow<Self>]) -> sqlx::Result<()> {
        let col = |f: fn(&AppDataRow) -> Uuid| rows.iter().map(|r| f(&r.row)).collect::<Vec<_>>();
        let creator: Vec<Option<Uuid>> = rows
            .iter()
            .map(|r| r.row.creator.as_ref().map(|c| c.id.as_uuid()))
            .collect();
        let ty: Vec<&str> = rows.iter().map(|r| r.row.ty.as_str()).collect();
        let visibility: Vec<&str> = rows.iter().map(|r| r.row.visibility.as_str()).collect();
        let data: Vec<Json<&JsonObject>> = rows.iter().map(|r| Json(&r.row.data)).collect();
        let created: Vec<i64> = rows.iter().map(|r| to_micros(r.row.created_at)).collect();
        let updated: Vec<i64> = rows.iter().map(|r| to_micros(r.row.updated_at)).collect();
        let bytes: Vec<i64> = rows.iter().map(|r| r.bytes).collect();
        sqlx::query(
            "INSERT INTO app_data (id, item_id, account_id, creator_id, type, visibility, data, \
             created_at, updated_at, bytes) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], \
             $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::jsonb[], $8::int8[], \
             $9::int8[], $10::int8[])",
        )
        .bind(col(|r| r.id))
        .bind(col(|r| r.item_id))
        .bind(col(|r| r.account.id.as_uuid()))
        .bind(creator)
        .bind(ty)
        .bind(visibility)
        .bind(data)
        .bind(created)
        .bind(updated)
        .bind(bytes)
        .execute(c)
        .await
        .map(drop)
    }
}

impl PgBatchRow for AppActionRow {
    async fn insert(c: &mut PgConnection, rows: &[SizedRow<Self>]) -> sqlx::Result<()> {
        let id: Vec<Uuid> = rows.iter().map(|r| r.row.id).collect();
        let item: Vec<Uuid> = rows.iter().map(|r| r.row.item_id).collect();
        let account: Vec<Uuid> = rows.iter().map(|r| r.row.account.id.as_uuid()).collect();
        let ty: Vec<&str> = rows.iter().map(|r| r.row.ty.as_str()).collect();
        let data: Vec<Json<&JsonObject>> = rows.iter().map(|r| Json(&r.row.data)).collect();
        let created: Vec<i64> = rows.iter().map(|r| to_micros(r.row.created_at)).collect();
        let bytes: Vec<i64> = rows.iter().map(|r| r.bytes).collect();
        sqlx::query(
            "INSERT INTO app_action (id, item_id, account_id, type, data, created_at, bytes) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::jsonb[], \
             $6::int8[], $7::int8[])",
        )
        .bind(id)
        .bind(item)
        .bind(account)
        .bind(ty)
        .bind(data)
        .bind(created)
        .bind(bytes)
        .execute(c)
        .await
        .map(drop)
    }
}

/// Runs one insert under a savepoint: rolled back alone when it fails.
async fn insert_saved<T: PgBatchRow>(c: &mut PgConnection, rows: &[SizedRow<T>]) -> Result<()> {
    let mut sp = c.begin().await?;
    match T::insert(&mut sp, rows).await {
        Ok(()) => Ok(sp.commit().await?),
        Err(e) => {
            sp.rollback().await?;
            Err(db(e))
        }
    }
}

/// Inserts `rows` in chunks and returns one result per row; a failing chunk is retried row by
/// row, so only the failing row fails.
async fn insert_chunked<T: PgBatchRow>(
    c: &mut PgConnection,
    rows: &[SizedRow<T>],
) -> Vec<Result<()>> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        match insert_saved(c, chunk).await {
            Ok(()) => out.extend(chunk.iter().map(|_| Ok(()))),
            Err(e) if chunk.len() == 1 => out.push(Err(e)),
            Err(_) => {
                for row in chunk {
                    out.push(insert_saved(c, std::slice::from_ref(row)).await);
                }
            }
        }
    }
    out
}

/// Writes one batch in one transaction and answers its requests after the commit.
pub(super) async fn write_batch(pool: &PgPool, stamps: &Stamps, jobs: Vec<Job>) {
    let batch = Batch::of(jobs);
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return batch.fail(&format!("cannot begin: {e}")),
    };
    let mut items: Vec<Uuid> = batch
        .data
        .iter()
        .map(|(r, _)| r.item_id)
        .chain(batch.actions.iter().map(|(r, _)| r.item_id))
        .collect();
    items.sort_unstable();
    items.dedup();
    // From here to the commit no other writer adds to these items' usage.
    if let Err(e) = sqlx::query(LOCK_ITEMS).bind(&items).execute(&mut *tx).await {
        return batch.fail(&format!("cannot lock the items: {e}"));
    }
    let Batch {
        data,
        data_replies,
        actions,
        action_replies,
    } = batch;
    let (data, data_replies) = usage::admit::<Postgres, _>(&mut *tx, data, data_replies).await;
    let (actions, action_replies) =
        usage::admit::<Postgres, _>(&mut *tx, actions, action_replies).await;
    let replies = data_replies.into_iter().chain(action_replies);
    let mut results = insert_chunked(&mut tx, &data).await;
    results.extend(insert_chunked(&mut tx, &actions).await);
    match tx.commit().await {
        Ok(()) => {
            // Other instances hear of it from the trigger's NOTIFY; this one need not wait.
            for item in data.iter().map(|r| r.row.item_id) {
                stamps.data_changed(item);
            }
            for (reply, r) in replies.zip(results) {
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(Error::Internal(format!("commit failed: {msg}"))));
            }
        }
    }
}
