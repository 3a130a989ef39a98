//! Group commit on Postgres: the app-data and app-action inserts of this process that arrive
//! while a transaction is in flight are written together in the next one, so one commit (one
//! WAL flush, `synchronous_commit` on) acknowledges many requests. A request is answered only
//! after its commit.
//!
//! One batch is one transaction on a connection the loop keeps (taking one from the pool
//! would cost a ping round trip per batch): the batch's items are locked `FOR NO KEY UPDATE` in
//! id order (every other quota-checked write locks a single item, and batches of other
//! instances lock in the same order, so they cannot deadlock), then the usage of all of them is
//! read with one query per kind of row: app data from the per-creator counters the table's
//! triggers keep (migration `item_data_usage`), app actions summed from their index. Rows are
//! admitted against their quotas in arrival order (`usage::verdicts`, as on SQLite), the
//! admitted ones go in with one `UNNEST` insert per kind, and the transaction commits: five
//! round trips for a batch of app data (seven with actions too), whatever its items.
//!
//! When that insert fails (a row names an account deleted meanwhile, an id already taken) the
//! transaction is rolled back and the batch is written again the careful way: usage read per
//! item, one insert per chunk under a savepoint, and a failing chunk retried row by row, each
//! row under its own savepoint, so only the failing row fails. The item-data `NOTIFY`s that
//! caches on every instance listen to are sent by the table's trigger inside the transaction
//! (migration `cache_notify`).

use super::{
    AppActionRow, AppDataRow, Stamps,
    pg_listen::Feed,
    rows::db,
    to_micros,
    usage::{self, Batch, BatchUsage, ItemUsage, Job, SizedRow},
};
use crate::error::{Error, Result};
use appframe_protocol::JsonObject;
use sqlx::{Connection, PgConnection, PgPool, Postgres, pool::PoolConnection, types::Json};
use std::sync::Arc;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Rows per multi-row `INSERT` (and per savepoint) when a batch is written the careful way.
const CHUNK: usize = 64;

/// Locks the items of a batch in id order, so that batches of several instances queue instead
/// of deadlocking.
const LOCK_ITEMS: &str = "SELECT 1 FROM items WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE";

/// A row type the group commit inserts with one statement (`UNNEST` of one array per column:
/// the same statement text for any number of rows).
trait PgBatchRow: usage::Charged + Sized {
    /// `(item, charged member, rows, bytes)` of the items `$1`: the usage the rows are
    /// admitted against.
    const BATCH_USAGE: &'static str;

    /// Inserts rows with their sizes.
    async fn insert(c: &mut PgConnection, rows: &[(&Self, i64)]) -> sqlx::Result<()>;
}

impl PgBatchRow for AppDataRow {
    const BATCH_USAGE: &'static str = "SELECT item_id, \
         NULLIF(creator, '00000000-0000-0000-0000-000000000000'), rows, bytes \
         FROM item_data_usage WHERE item_id = ANY($1)";

    async fn insert(c: &mut PgConnection, rows: &[(&Self, i64)]) -> sqlx::Result<()> {
        let col = |f: fn(&AppDataRow) -> Uuid| rows.iter().map(|r| f(r.0)).collect::<Vec<_>>();
        let creator: Vec<Option<Uuid>> = rows
            .iter()
            .map(|r| r.0.creator.as_ref().map(|c| c.id.as_uuid()))
            .collect();
        let ty: Vec<&str> = rows.iter().map(|r| r.0.ty.as_str()).collect();
        let visibility: Vec<&str> = rows.iter().map(|r| r.0.visibility.as_str()).collect();
        let data: Vec<Json<&JsonObject>> = rows.iter().map(|r| Json(&r.0.data)).collect();
        let created: Vec<i64> = rows.iter().map(|r| to_micros(r.0.created_at)).collect();
        let updated: Vec<i64> = rows.iter().map(|r| to_micros(r.0.updated_at)).collect();
        let bytes: Vec<i64> = rows.iter().map(|r| r.1).collect();
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
    const BATCH_USAGE: &'static str = "SELECT item_id, account_id, CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM app_action WHERE item_id = ANY($1) \
         GROUP BY item_id, account_id";

    async fn insert(c: &mut PgConnection, rows: &[(&Self, i64)]) -> sqlx::Result<()> {
        let id: Vec<Uuid> = rows.iter().map(|r| r.0.id).collect();
        let item: Vec<Uuid> = rows.iter().map(|r| r.0.item_id).collect();
        let account: Vec<Uuid> = rows.iter().map(|r| r.0.account.id.as_uuid()).collect();
        let ty: Vec<&str> = rows.iter().map(|r| r.0.ty.as_str()).collect();
        let data: Vec<Json<&JsonObject>> = rows.iter().map(|r| Json(&r.0.data)).collect();
        let created: Vec<i64> = rows.iter().map(|r| to_micros(r.0.created_at)).collect();
        let bytes: Vec<i64> = rows.iter().map(|r| r.1).collect();
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

/// The usage of every item of `rows` (each item present, at zero when it holds nothing), read
/// with one query.
async fn batch_usage<R: PgBatchRow>(
    c: &mut PgConnection,
    rows: &[(R, crate::quota::Limits)],
) -> sqlx::Result<BatchUsage> {
    let mut usage = BatchUsage::new();
    for (r, _) in rows {
        usage
            .entry(r.item())
            .or_insert_with(|| Ok(ItemUsage::default()));
    }
    if usage.is_empty() {
        return Ok(usage);
    }
    let items: Vec<Uuid> = usage.keys().copied().collect();
    let groups: Vec<(Uuid, Option<Uuid>, i64, i64)> = sqlx::query_as(R::BATCH_USAGE)
        .bind(items)
        .fetch_all(&mut *c)
        .await?;
    for (item, member, count, bytes) in groups {
        if let Some(Ok(u)) = usage.get_mut(&item) {
            u.add_member(member, count, bytes);
        }
    }
    Ok(usage)
}

/// The admitted rows of a kind (with their sizes) for one insert.
fn admitted<'a, R>(
    rows: &'a [(R, crate::quota::Limits)],
    verdicts: &[Result<i64>],
) -> Vec<(&'a R, i64)> {
    rows.iter()
        .zip(verdicts)
        .filter_map(|((r, _), v)| v.as_ref().ok().map(|b| (r, *b)))
        .collect()
}

/// How the quick way of writing a batch ended.
enum Quick {
    /// Committed, or failed for good: every request is answered.
    Done,
    /// An insert failed and the transaction was rolled back: nothing is answered yet, the
    /// batch goes the careful way.
    InsertFailed(Batch),
    /// The connection failed (every request is answered): take a new one.
    Broken,
}

/// Writes a batch with one lock, one usage read and one insert per kind, and one commit.
async fn write_quick(c: &mut PgConnection, stamps: &Stamps, batch: Batch) -> Quick {
    let items = batch.items();
    let mut tx = match c.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            batch.fail(&format!("cannot begin: {e}"));
            return Quick::Broken;
        }
    };
    // From here to the commit no other quota-checked writer adds to these items' usage, and
    // the usage is read by statements that start after the lock was granted (a statement's
    // snapshot would not show what a writer the lock waited for committed).
    let read = async {
        sqlx::query(LOCK_ITEMS)
            .bind(&items)
            .execute(&mut *tx)
            .await?;
        let data = batch_usage(&mut tx, &batch.data).await?;
        let actions = batch_usage(&mut tx, &batch.actions).await?;
        Ok::<_, sqlx::Error>((data, actions))
    };
    let (mut data_usage, mut action_usage) = match read.await {
        Ok(u) => u,
        Err(e) => {
            batch.fail(&format!("cannot read usage: {e}"));
            return Quick::Broken;
        }
    };
    let data_verdicts = usage::verdicts(&mut data_usage, &batch.data);
    let action_verdicts = usage::verdicts(&mut action_usage, &batch.actions);
    let insert = async {
        let data = admitted(&batch.data, &data_verdicts);
        if !data.is_empty() {
            AppDataRow::insert(&mut tx, &data).await?;
        }
        let actions = admitted(&batch.actions, &action_verdicts);
        if !actions.is_empty() {
            AppActionRow::insert(&mut tx, &actions).await?;
        }
        Ok::<_, sqlx::Error>(())
    };
    if insert.await.is_err() {
        return match tx.rollback().await {
            Ok(()) => Quick::InsertFailed(batch),
            Err(e) => {
                batch.fail(&format!("cannot roll back: {e}"));
                Quick::Broken
            }
        };
    }
    let committed = tx.commit().await;
    let changed: Vec<Uuid> = batch
        .data
        .iter()
        .zip(&data_verdicts)
        .filter(|(_, v)| v.is_ok())
        .map(|((r, _), _)| r.item_id)
        .collect();
    let Batch {
        data_replies,
        action_replies,
        ..
    } = batch;
    let replies = data_replies.into_iter().chain(action_replies);
    let verdicts = data_verdicts.into_iter().chain(action_verdicts);
    match committed {
        Ok(()) => {
            // Other instances hear of it from the trigger's NOTIFY; this one need not wait.
            for item in changed {
                stamps.data_changed(item);
            }
            for (reply, v) in replies.zip(verdicts) {
                let _ = reply.send(v.map(drop));
            }
            Quick::Done
        }
        Err(e) => {
            let msg = e.to_string();
            for (reply, v) in replies.zip(verdicts) {
                // A refused row keeps its refusal; the admitted ones were not stored.
                let v = v.and_then(|_| Err(Error::Internal(format!("commit failed: {msg}"))));
                let _ = reply.send(v);
            }
            Quick::Broken
        }
    }
}

/// Runs one insert under a savepoint: rolled back alone when it fails.
async fn insert_saved<T: PgBatchRow>(c: &mut PgConnection, rows: &[SizedRow<T>]) -> Result<()> {
    let rows: Vec<(&T, i64)> = rows.iter().map(|r| (&r.row, r.bytes)).collect();
    let mut sp = c.begin().await?;
    match T::insert(&mut sp, &rows).await {
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

/// Writes a batch the careful way (after its quick insert failed): each row that can be
/// inserted is, each that cannot fails alone. `false` when the connection failed.
async fn write_carefully(c: &mut PgConnection, stamps: &Stamps, batch: Batch) -> bool {
    let mut tx = match c.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            batch.fail(&format!("cannot begin: {e}"));
            return false;
        }
    };
    let items = batch.items();
    if let Err(e) = sqlx::query(LOCK_ITEMS).bind(&items).execute(&mut *tx).await {
        batch.fail(&format!("cannot lock the items: {e}"));
        return false;
    }
    let Batch {
        data,
        data_replies,
        actions,
        action_replies,
    } = batch;
    let (data, data_replies) = usage::admit::<Postgres, _>(&mut tx, data, data_replies).await;
    let (actions, action_replies) =
        usage::admit::<Postgres, _>(&mut tx, actions, action_replies).await;
    let replies = data_replies.into_iter().chain(action_replies);
    let mut results = insert_chunked(&mut tx, &data).await;
    results.extend(insert_chunked(&mut tx, &actions).await);
    match tx.commit().await {
        Ok(()) => {
            for item in data.iter().map(|r| r.row.item_id) {
                stamps.data_changed(item);
            }
            for (reply, r) in replies.zip(results) {
                let _ = reply.send(r);
            }
            true
        }
        Err(e) => {
            let msg = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(Error::Internal(format!("commit failed: {msg}"))));
            }
            false
        }
    }
}

/// The group-commit loop: writes each batch of `rx` in one transaction on a connection it
/// keeps, replaced after a failure. Ends when every sender is dropped.
pub(super) async fn batch_loop(pool: PgPool, feed: Arc<Feed>, mut rx: mpsc::Receiver<Job>) {
    let mut conn: Option<PoolConnection<Postgres>> = None;
    while let Some(jobs) = usage::next_batch(&mut rx).await {
        let batch = Batch::of(jobs);
        let c = match &mut conn {
            Some(c) => c,
            None => match pool.acquire().await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    batch.fail(&format!("no database connection: {e}"));
                    continue;
                }
            },
        };
        let stamps = feed.stamps();
        let healthy = match write_quick(c, stamps, batch).await {
            Quick::Done => true,
            Quick::InsertFailed(batch) => write_carefully(c, stamps, batch).await,
            Quick::Broken => false,
        };
        if !healthy && let Some(mut c) = conn.take() {
            // Its state is unknown: closed rather than returned to the pool.
            c.close_on_drop();
        }
    }
}
