//! The SQLite store: one writer connection, a pool of readers, and the group commit that
//! acknowledges many inserts with one fsync. Its SQL is the shared one of `sql.rs`.

use super::{
    AppActionRow, AppDataRow, Stamps,
    backend::Backend,
    rows::db,
    to_micros,
    usage::{self, Batch, Job, MAX_BATCH, SizedRow},
};
use crate::{
    error::{Error, Result},
    quota::Limits,
};
use sqlx::{
    QueryBuilder, Sqlite,
    migrate::Migrator,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
    types::Json,
};
use std::{path::Path, str::FromStr, sync::Arc, time::Duration};
use tokio::sync::mpsc;
use uuid::Uuid;

/// SQLite store: one writer connection (SQLite serializes writers anyway; a single connection
/// avoids busy-waiting and lock-upgrade deadlocks) and a pool of reader connections, WAL journal,
/// `synchronous=FULL` so an acknowledged write survives power loss.
///
/// Inserts of app data and actions (the hot write path) go through a group-commit task: rows
/// that arrive while a commit is in flight are written in the next single transaction, so one
/// fsync acknowledges many requests. A request is answered only after its commit.
///
/// This process is assumed to be the only writer of the file, so it keeps [`Stamps`] that
/// in-memory caches rely on.
#[derive(Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    batch: mpsc::Sender<Job>,
    stamps: Arc<Stamps>,
}

/// Rows per multi-row `INSERT` of a batch. Each statement is one round trip to the SQLite
/// worker thread, so a batch of n rows costs a few statements instead of n; the fixed sizes
/// keep the number of distinct (cached, prepared) statements small. 64 × 10 parameters stays
/// far below SQLite's limit of 32766.
const CHUNKS: [usize; 4] = [64, 16, 4, 1];

/// Inserts app-data rows with one statement.
async fn exec_insert_data(c: &mut sqlx::SqliteConnection, rows: &[&SizedRow]) -> Result<()> {
    let mut qb = QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO app_data (id, item_id, account_id, creator_id, type, visibility, data, \
         created_at, updated_at, bytes) ",
    );
    qb.push_values(rows, |mut b, SizedRow { row, bytes }| {
        b.push_bind(row.id)
            .push_bind(row.item_id)
            .push_bind(row.account.id.as_uuid())
            .push_bind(row.creator.as_ref().map(|c| c.id.as_uuid()))
            .push_bind(row.ty.as_str())
            .push_bind(row.visibility.as_str())
            .push_bind(Json(&row.data))
            .push_bind(to_micros(row.created_at))
            .push_bind(to_micros(row.updated_at))
            .push_bind(*bytes);
    });
    qb.build().execute(c).await.map_err(db)?;
    Ok(())
}

/// Inserts app-action rows with one statement.
async fn exec_insert_action(
    c: &mut sqlx::SqliteConnection,
    rows: &[&SizedRow<AppActionRow>],
) -> Result<()> {
    let mut qb = QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO app_action (id, item_id, account_id, type, data, created_at, bytes) ",
    );
    qb.push_values(rows, |mut b, SizedRow { row, bytes }| {
        b.push_bind(row.id)
            .push_bind(row.item_id)
            .push_bind(row.account.id.as_uuid())
            .push_bind(row.ty.as_str())
            .push_bind(Json(&row.data))
            .push_bind(to_micros(row.created_at))
            .push_bind(*bytes);
    });
    qb.build().execute(c).await.map_err(db)?;
    Ok(())
}

/// A row type the group commit inserts.
trait BatchRow: Sized {
    /// Inserts rows with one statement.
    async fn insert(c: &mut sqlx::SqliteConnection, rows: &[&Self]) -> Result<()>;
}

impl BatchRow for SizedRow {
    async fn insert(c: &mut sqlx::SqliteConnection, rows: &[&Self]) -> Result<()> {
        exec_insert_data(c, rows).await
    }
}

impl BatchRow for SizedRow<AppActionRow> {
    async fn insert(c: &mut sqlx::SqliteConnection, rows: &[&Self]) -> Result<()> {
        exec_insert_action(c, rows).await
    }
}

/// Inserts `rows` in chunks of [`CHUNKS`] sizes and returns one result per row. When a chunk
/// fails (e.g. a row names an account deleted meanwhile), its rows are retried one by one so
/// only the failing row fails: SQLite rolls back the statement, not the transaction.
async fn insert_chunked<T: BatchRow>(
    c: &mut sqlx::SqliteConnection,
    rows: &[T],
) -> Vec<Result<()>> {
    let refs: Vec<&T> = rows.iter().collect();
    let mut out = Vec::with_capacity(refs.len());
    let mut rest = refs.as_slice();
    while !rest.is_empty() {
        let size = CHUNKS
            .iter()
            .copied()
            .find(|&n| n <= rest.len())
            .unwrap_or(1);
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        match T::insert(c, chunk).await {
            Ok(()) => out.extend(chunk.iter().map(|_| Ok(()))),
            Err(e) if size == 1 => out.push(Err(e)),
            Err(_) => {
                for row in chunk {
                    out.push(T::insert(c, std::slice::from_ref(row)).await);
                }
            }
        }
    }
    out
}

/// Writes one batch in one transaction, then ticks the stamps of the items it changed and
/// only then answers the requests.
async fn write_batch(pool: &SqlitePool, stamps: &Stamps, jobs: Vec<Job>) {
    let batch = Batch::of(jobs);
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return batch.fail(&format!("cannot begin: {e}")),
    };
    let Batch {
        data,
        data_replies,
        actions,
        action_replies,
    } = batch;
    // The quota check runs on the one writer connection inside this transaction, so no other
    // write can come between it and the inserts; refused rows are answered now, stored never.
    let (data, data_replies) = usage::admit::<Sqlite, _>(&mut *tx, data, data_replies).await;
    let (actions, action_replies) =
        usage::admit::<Sqlite, _>(&mut *tx, actions, action_replies).await;
    let replies = data_replies.into_iter().chain(action_replies);
    let mut results = insert_chunked(&mut tx, &data).await;
    results.extend(insert_chunked(&mut tx, &actions).await);
    match tx.commit().await {
        Ok(()) => {
            let mut items: Vec<Uuid> = data.iter().map(|r| r.row.item_id).collect();
            items.sort_unstable();
            items.dedup();
            for item in items {
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

impl SqliteStore {
    /// Opens (creating if needed) the database file.
    pub async fn open(file: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        // Rows a reader prefetches per query: few, because a row may be 1 MiB and several
        // streamed lists may be in flight (sqlx's default is 50).
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.row_buffer_size(8))
            .await?;
        let (batch, rx) = mpsc::channel(4 * MAX_BATCH);
        let stamps = Arc::new(Stamps::default());
        let (pool, st) = (write.clone(), stamps.clone());
        tokio::spawn(usage::batch_loop(rx, move |jobs| {
            let (pool, st) = (pool.clone(), st.clone());
            async move { write_batch(&pool, &st, jobs).await }
        }));
        Ok(SqliteStore {
            read,
            write,
            batch,
            stamps,
        })
    }

    /// Opens a database by sqlx URL (e.g. `sqlite::memory:` is NOT supported: readers and the
    /// writer need a shared file).
    pub async fn open_url(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?;
        let file = opts.get_filename().to_owned();
        Self::open(&file).await
    }
}

static MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");

impl Backend for SqliteStore {
    type Db = sqlx::Sqlite;
    const NAME: &'static str = "sqlite";
    const LOCK_ITEM: Option<&'static str> = None;
    const FENCED: bool = false;
    fn migrator() -> &'static Migrator {
        &MIGRATIONS
    }
    fn read(&self) -> &SqlitePool {
        &self.read
    }
    fn write(&self) -> &SqlitePool {
        &self.write
    }
    fn stamps(&self) -> Option<&Stamps> {
        Some(&self.stamps)
    }
    async fn insert_app_data_row(&self, row: &AppDataRow, limits: &Limits) -> Result<()> {
        let row = row.clone();
        let limits = *limits;
        usage::enqueue(&self.batch, |tx| Job::Data(row, limits, tx)).await
    }

    async fn insert_app_action_row(&self, row: &AppActionRow, limits: &Limits) -> Result<()> {
        let (row, limits) = (row.clone(), *limits);
        usage::enqueue(&self.batch, |tx| Job::Action(row, limits, tx)).await
    }
}
