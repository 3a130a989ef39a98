//! The SQL of app data under quotas and of streamed lists, for both backends (`sql.rs`
//! delegates here), and what the group commits of both backends share: their jobs and the
//! quota admission of a batch.
//!
//! A quota is checked and the write done in one transaction. On SQLite that is enough: one
//! connection writes, so nothing can come between the check and the write. On Postgres,
//! concurrent transactions would each see the usage before the others' inserts, so every write
//! that adds to an item's usage first locks the item's row (`FOR NO KEY UPDATE`: writers of
//! one item queue, foreign-key checks of other inserts are not blocked).
//!
//! Usage is summed from the `(item_id, creator_id, bytes)` and `(item_id, account_id, size)`
//! indexes, which a quota keeps small (at most `item_data_rows` entries per item). The Postgres
//! group commit reads app-data usage from counters instead (`pg_batch.rs`): it runs for every
//! batch, on items whose fresh rows the index alone cannot answer for (they are not yet marked
//! all-visible, so each row's table page is visited).

use super::*;
use super::{
    backend::{Args, Backend, Column, Conn, Param},
    query::Sql,
    rows::{DATA_SELECT, FromTuple, db},
};
use crate::{error::Error, quota::Exceeded};
use futures::StreamExt;
use sqlx::{ColumnIndex, Database, Encode, Executor, IntoArguments, Type, types::Json};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// A row waiting for a group commit, and where to report its outcome.
pub enum Job {
    /// An app-data row.
    Data(AppDataRow, Limits, oneshot::Sender<Result<()>>),
    /// An app action.
    Action(AppActionRow, Limits, oneshot::Sender<Result<()>>),
}

/// The rows of a batch of jobs, each kind with its reply channels in the same order.
pub struct Batch {
    /// App-data rows.
    pub data: Vec<(AppDataRow, Limits)>,
    /// Their replies.
    pub data_replies: Vec<oneshot::Sender<Result<()>>>,
    /// App actions.
    pub actions: Vec<(AppActionRow, Limits)>,
    /// Their replies.
    pub action_replies: Vec<oneshot::Sender<Result<()>>>,
}

impl Batch {
    /// Splits jobs by kind, keeping their order.
    pub fn of(jobs: Vec<Job>) -> Batch {
        let mut b = Batch {
            data: Vec::new(),
            data_replies: Vec::new(),
            actions: Vec::new(),
            action_replies: Vec::new(),
        };
        for job in jobs {
            match job {
                Job::Data(row, limits, reply) => {
                    b.data.push((row, limits));
                    b.data_replies.push(reply);
                }
                Job::Action(row, limits, reply) => {
                    b.actions.push((row, limits));
                    b.action_replies.push(reply);
                }
            }
        }
        b
    }

    /// The items the batch writes to, each once, in id order (the order they are locked in).
    pub fn items(&self) -> Vec<Uuid> {
        let mut items: Vec<Uuid> = self
            .data
            .iter()
            .map(|(r, _)| r.item_id)
            .chain(self.actions.iter().map(|(r, _)| r.item_id))
            .collect();
        items.sort_unstable();
        items.dedup();
        items
    }

    /// Answers every request of the batch with the same error.
    pub fn fail(self, why: &str) {
        for reply in self.data_replies.into_iter().chain(self.action_replies) {
            let _ = reply.send(Err(Error::Internal(why.to_owned())));
        }
    }
}

/// Sends a job to a group-commit task and waits for its outcome.
pub async fn enqueue(
    batch: &mpsc::Sender<Job>,
    make: impl FnOnce(oneshot::Sender<Result<()>>) -> Job,
) -> Result<()> {
    let (tx, rx) = oneshot::channel();
    batch
        .send(make(tx))
        .await
        .map_err(|_| Error::Internal("the write task has stopped".into()))?;
    rx.await
        .map_err(|_| Error::Internal("the write task dropped a row".into()))?
}

/// Most rows written in one group-commit transaction.
pub const MAX_BATCH: usize = 256;

/// Waits for a row, then takes every row already queued (at most [`MAX_BATCH`]): the jobs of
/// one group-commit transaction; `None` once every sender is dropped.
pub async fn next_batch(rx: &mut mpsc::Receiver<Job>) -> Option<Vec<Job>> {
    let first = rx.recv().await?;
    let mut jobs = vec![first];
    while jobs.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(j) => jobs.push(j),
            Err(_) => break,
        }
    }
    Some(jobs)
}

/// The group-commit loop of SQLite: hands each batch to `write` (one transaction). Ends when
/// every sender is dropped.
pub async fn batch_loop<F, Fut>(mut rx: mpsc::Receiver<Job>, mut write: F)
where
    F: FnMut(Vec<Job>) -> Fut,
    Fut: Future<Output = ()>,
{
    while let Some(jobs) = next_batch(&mut rx).await {
        write(jobs).await;
    }
}

/// A row with the size of its data as JSON (what the byte quotas count).
pub struct SizedRow<R = AppDataRow> {
    /// The row.
    pub row: R,
    /// `data` serialized, in bytes.
    pub bytes: i64,
}

/// A row the group commit admits against its quotas: app data (charged to its creator) or an
/// app action (charged to who acted).
pub trait Charged {
    /// `(account, rows, bytes)` of one item (`$1`), per charged account.
    const USAGE_BY_ACCOUNT: &'static str;
    /// The item the row joins.
    fn item(&self) -> Uuid;
    /// The member the row is charged to.
    fn charged(&self) -> Option<Uuid>;
    /// The row's data.
    fn data(&self) -> &JsonObject;
    /// Whether one more such row of `bytes` fits.
    fn check(limits: &Limits, u: Usage, bytes: i64) -> std::result::Result<(), Exceeded>;
}

impl Charged for AppDataRow {
    const USAGE_BY_ACCOUNT: &'static str = "SELECT creator_id, CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM app_data WHERE item_id = $1 \
         GROUP BY creator_id";
    fn item(&self) -> Uuid {
        self.item_id
    }
    fn charged(&self) -> Option<Uuid> {
        self.creator.as_ref().map(|c| c.id.as_uuid())
    }
    fn data(&self) -> &JsonObject {
        &self.data
    }
    fn check(limits: &Limits, u: Usage, bytes: i64) -> std::result::Result<(), Exceeded> {
        limits.check_data(u, 1, bytes)
    }
}

impl Charged for AppActionRow {
    const USAGE_BY_ACCOUNT: &'static str = "SELECT account_id, CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM app_action WHERE item_id = $1 \
         GROUP BY account_id";
    fn item(&self) -> Uuid {
        self.item_id
    }
    fn charged(&self) -> Option<Uuid> {
        Some(self.account.id.as_uuid())
    }
    fn data(&self) -> &JsonObject {
        &self.data
    }
    fn check(limits: &Limits, u: Usage, bytes: i64) -> std::result::Result<(), Exceeded> {
        limits.check_action(u, bytes)
    }
}

/// Length of a JSON object as stored, without building the string.
pub fn json_len(data: &JsonObject) -> i64 {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut n = Count(0);
    // Writing to a counter cannot fail, and a map with string keys always serializes.
    let _ = serde_json::to_writer(&mut n, data);
    i64::try_from(n.0).unwrap_or(i64::MAX)
}

/// Rows, then bytes, of the item and of one member in it (`$2`; NULL matches nobody).
const DATA_USAGE: &str = "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(bytes), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN creator_id = $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN creator_id = $2 THEN bytes ELSE 0 END), 0) AS BIGINT) \
     FROM app_data WHERE item_id = $1";

/// Files, then bytes, of the item and of one uploader in it.
const FILE_USAGE: &str = "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(size), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN account_id = $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
     CAST(COALESCE(SUM(CASE WHEN account_id = $2 THEN size ELSE 0 END), 0) AS BIGINT) \
     FROM files WHERE item_id = $1";

const INSERT_DATA: &str = "INSERT INTO app_data (id, item_id, account_id, creator_id, type, visibility, data, \
     created_at, updated_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

const INSERT_SETTING: &str = "INSERT INTO app_setting (id, item_id, creator_id, name, data, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

const INSERT_FILE: &str = "INSERT INTO files (row_id, item_id, path, name, mimetype, size, \
     created_at, account_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Rows buffered between a streaming query and the response body.
const STREAM_BUFFER: usize = 2;

/// What an item holds, per charged member, while a group commit admits rows.
#[derive(Default)]
pub struct ItemUsage {
    count: i64,
    bytes: i64,
    members: HashMap<Uuid, (i64, i64)>,
}

impl ItemUsage {
    /// Adds what one charged member (`None`: rows without one) holds in the item.
    pub fn add_member(&mut self, member: Option<Uuid>, count: i64, bytes: i64) {
        self.count += count;
        self.bytes += bytes;
        if let Some(m) = member {
            let e = self.members.entry(m).or_default();
            e.0 += count;
            e.1 += bytes;
        }
    }

    fn of(&self, creator: Option<Uuid>) -> Usage {
        let (member_count, member_bytes) = creator
            .and_then(|c| self.members.get(&c).copied())
            .unwrap_or_default();
        Usage {
            item_count: self.count,
            item_bytes: self.bytes,
            member_count,
            member_bytes,
        }
    }
}

/// The usage of each item of a batch, or why it could not be read.
pub type BatchUsage = HashMap<Uuid, std::result::Result<ItemUsage, String>>;

/// Admits `rows` in arrival order against `usage` (counting each admitted row in it): per row,
/// its size as stored when admitted, else why not.
pub fn verdicts<R: Charged>(usage: &mut BatchUsage, rows: &[(R, Limits)]) -> Vec<Result<i64>> {
    rows.iter()
        .map(|(row, limits)| {
            let bytes = json_len(row.data());
            let charged = row.charged();
            match usage.get_mut(&row.item()) {
                Some(Ok(u)) => match R::check(limits, u.of(charged), bytes) {
                    Ok(()) => {
                        u.add_member(charged, 1, bytes);
                        Ok(bytes)
                    }
                    Err(e) => Err(Error::Quota(e)),
                },
                Some(Err(msg)) => Err(Error::Internal(format!("cannot read usage: {msg}"))),
                None => Err(Error::Internal("usage not read".into())),
            }
        })
        .collect()
}

/// Group commit: reads the usage of every item of the batch once (on Postgres, after the
/// batch locked its items), then admits rows in arrival order while counting the admitted
/// ones, answering refused rows at once. Returns the admitted rows and their reply channels.
pub async fn admit<D, R>(
    c: &mut D::Connection,
    rows: Vec<(R, Limits)>,
    replies: Vec<oneshot::Sender<Result<()>>>,
) -> (Vec<SizedRow<R>>, Vec<oneshot::Sender<Result<()>>>)
where
    D: Database,
    R: Charged,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    Uuid: Param<D>,
    (Option<Uuid>, i64, i64): for<'r> sqlx::FromRow<'r, D::Row>,
{
    let mut usage = BatchUsage::new();
    for (row, _) in &rows {
        if usage.contains_key(&row.item()) {
            continue;
        }
        let per_account: std::result::Result<Vec<(Option<Uuid>, i64, i64)>, _> =
            sqlx::query_as::<D, (Option<Uuid>, i64, i64)>(R::USAGE_BY_ACCOUNT)
                .bind(row.item())
                .fetch_all(&mut *c)
                .await;
        let entry = per_account
            .map(|groups| {
                let mut u = ItemUsage::default();
                for (account, count, bytes) in groups {
                    u.add_member(account, count, bytes);
                }
                u
            })
            .map_err(|e| e.to_string());
        usage.insert(row.item(), entry);
    }
    let verdicts = verdicts(&mut usage, &rows);
    let mut admitted = Vec::with_capacity(rows.len());
    let mut admitted_replies = Vec::with_capacity(rows.len());
    for (((row, _), reply), verdict) in rows.into_iter().zip(replies).zip(verdicts) {
        match verdict {
            Ok(bytes) => {
                admitted.push(SizedRow { row, bytes });
                admitted_replies.push(reply);
            }
            Err(e) => {
                let _ = reply.send(Err(e));
            }
        }
    }
    (admitted, admitted_replies)
}

fn refuse(e: Exceeded) -> Error {
    Error::Quota(e)
}

/// The app-data SQL of one store: quota-checked writes and streamed lists.
pub(crate) struct Data<'a, B>(pub &'a B);

impl<B> Data<'_, B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    usize: ColumnIndex<<B::Db as Database>::Row>,
    for<'q> &'q str: Encode<'q, B::Db>,
    str: Type<B::Db>,
    String: Param<B::Db> + Column<B::Db>,
    Uuid: Param<B::Db> + Column<B::Db>,
    Option<Uuid>: Param<B::Db>,
    i64: Param<B::Db> + Column<B::Db>,
    Json<JsonObject>: Column<B::Db>,
    for<'q> Json<&'q JsonObject>: Param<B::Db>,
{
    /// Appends the filters of a list (everything but `upto`).
    fn push_filters(qb: &mut Sql, q: &DataQuery) {
        qb.push(" WHERE d.item_id = ").push_bind(q.item);
        if let Some(t) = &q.ty {
            qb.push(" AND d.type = ").push_bind(t.clone());
        }
        // `RowScope::includes`, as SQL.
        match q.scope {
            RowScope::All => {}
            RowScope::VisibleTo(None) => {
                qb.push(" AND d.visibility = 'item'");
            }
            RowScope::VisibleTo(Some(v)) => {
                qb.push(" AND (d.visibility = 'item' OR d.account_id = ")
                    .push_bind(v.as_uuid())
                    .push(" OR d.creator_id = ")
                    .push_bind(v.as_uuid())
                    .push(")");
            }
        }
        if let Some((at, id)) = q.after {
            qb.push(" AND (d.created_at, d.id) > (")
                .push_bind(at)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
    }

    /// The usage of `item` (and of `member` in it) by a usage query.
    async fn usage_of(
        c: &mut Conn<B>,
        sql: &str,
        item: Uuid,
        member: Option<Uuid>,
    ) -> Result<Usage> {
        let (item_count, item_bytes, member_count, member_bytes): (i64, i64, i64, i64) =
            sqlx::query_as(sql)
                .bind(item)
                .bind(member)
                .fetch_one(&mut *c)
                .await?;
        Ok(Usage {
            item_count,
            item_bytes,
            member_count,
            member_bytes,
        })
    }

    /// Serializes the quota-checked writes of one item until the transaction ends
    /// (a no-op where one connection writes).
    pub async fn lock_item(c: &mut Conn<B>, item: Uuid) -> Result<()> {
        let lock: Option<&str> = B::LOCK_ITEM;
        if let Some(sql) = lock {
            sqlx::query(sql).bind(item).execute(&mut *c).await?;
        }
        Ok(())
    }

    /// Inserts an app-data row on `c` (inside the caller's transaction, after
    /// [`Self::lock_item`]) unless it would pass a data quota of `limits`.
    pub async fn insert_data_within(
        c: &mut Conn<B>,
        row: &AppDataRow,
        limits: &Limits,
    ) -> Result<()> {
        let bytes = json_len(&row.data);
        let creator = row.creator.as_ref().map(|c| c.id.as_uuid());
        let u = Self::data_usage(c, row.item_id, creator).await?;
        limits.check_data(u, 1, bytes).map_err(refuse)?;
        sqlx::query(INSERT_DATA)
            .bind(row.id)
            .bind(row.item_id)
            .bind(row.account.id.as_uuid())
            .bind(creator)
            .bind(&row.ty)
            .bind(row.visibility.as_str())
            .bind(Json(&row.data))
            .bind(to_micros(row.created_at))
            .bind(to_micros(row.updated_at))
            .bind(bytes)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// App-data usage of an item and of `creator` in it.
    pub async fn data_usage(c: &mut Conn<B>, item: Uuid, creator: Option<Uuid>) -> Result<Usage> {
        Self::usage_of(c, DATA_USAGE, item, creator).await
    }

    /// File usage of an item and of `account` in it.
    pub async fn files_usage(c: &mut Conn<B>, item: Uuid, account: Option<Uuid>) -> Result<Usage> {
        Self::usage_of(c, FILE_USAGE, item, account).await
    }

    /// Replaces a row's data within the quotas; the row's item, or `None` when the row
    /// is unknown.
    pub async fn update_limited(
        &self,
        id: Uuid,
        data: &JsonObject,
        at: OffsetDateTime,
        limits: &Limits,
    ) -> Result<Option<Uuid>> {
        let bytes = json_len(data);
        let mut tx = self.0.write().begin().await?;
        let item: Option<(Uuid,)> = sqlx::query_as("SELECT item_id FROM app_data WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((item,)) = item else {
            return Ok(None);
        };
        Self::lock_item(&mut tx, item).await?;
        // Read again under the lock: the size may have changed meanwhile.
        let row: Option<(Option<Uuid>, i64)> =
            sqlx::query_as("SELECT creator_id, bytes FROM app_data WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((creator, old)) = row else {
            return Ok(None);
        };
        let u = Self::data_usage(&mut tx, item, creator).await?;
        limits.check_data(u, 0, bytes - old).map_err(refuse)?;
        sqlx::query("UPDATE app_data SET data = $1, updated_at = $2, bytes = $3 WHERE id = $4")
            .bind(Json(data))
            .bind(to_micros(at))
            .bind(bytes)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await?;
        Ok(Some(item))
    }

    /// Inserts a file's row and record within the quotas, in one transaction.
    pub async fn insert_file(
        &self,
        owner: FileOwner<'_>,
        f: &FileRecord,
        account: Uuid,
        limits: &Limits,
    ) -> Result<()> {
        let mut tx = self.0.write().begin().await?;
        Self::lock_item(&mut tx, f.item_id).await?;
        let u = Self::files_usage(&mut tx, f.item_id, Some(account)).await?;
        limits.check_file(u, f.size).map_err(refuse)?;
        match owner {
            FileOwner::Data(row) => Self::insert_data_within(&mut tx, row, limits).await?,
            FileOwner::Setting(row) => {
                sqlx::query(INSERT_SETTING)
                    .bind(row.id)
                    .bind(row.item_id)
                    .bind(row.creator.as_ref().map(|c| c.id.as_uuid()))
                    .bind(&row.name)
                    .bind(Json(&row.data))
                    .bind(to_micros(row.created_at))
                    .bind(to_micros(row.updated_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
        }
        sqlx::query(INSERT_FILE)
            .bind(f.row_id)
            .bind(f.item_id)
            .bind(&f.path)
            .bind(&f.name)
            .bind(&f.mimetype)
            .bind(f.size)
            .bind(to_micros(now()))
            .bind(account)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await?;
        Ok(())
    }

    /// One query on a reader, fed row by row into a small channel: the response body
    /// pulls rows as the client reads, so a slow client holds a few rows, not the list.
    pub fn stream(&self, q: DataQuery) -> RowStream {
        let pool = self.0.read().clone();
        let (tx, rx) = mpsc::channel::<Result<AppDataRow>>(STREAM_BUFFER);
        tokio::spawn(async move {
            let mut qb = Sql::new(DATA_SELECT);
            Self::push_filters(&mut qb, &q);
            if let Some((at, id)) = q.upto {
                qb.push(" AND (d.created_at, d.id) <= (")
                    .push_bind(at)
                    .push(", ")
                    .push_bind(id)
                    .push(")");
            }
            qb.push(" ORDER BY d.created_at, d.id");
            let mut rows = qb
                .query_as::<B::Db, <AppDataRow as FromTuple>::Tuple>()
                .fetch(&pool);
            while let Some(r) = rows.next().await {
                let r = r.map(AppDataRow::from_tuple).map_err(Error::from);
                let failed = r.is_err();
                // A closed channel means the client went away: stop reading.
                if tx.send(r).await.is_err() || failed {
                    break;
                }
            }
        });
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) })
            .boxed()
    }

    /// Positions of the first `limit` rows of a list.
    pub async fn positions(&self, q: &DataQuery, limit: i64) -> Result<Vec<(i64, Uuid)>> {
        let mut qb = Sql::new("SELECT d.created_at, d.id FROM app_data d");
        Self::push_filters(&mut qb, q);
        qb.push(" ORDER BY d.created_at, d.id LIMIT ")
            .push_bind(limit);
        Ok(qb.query_as().fetch_all(self.0.read()).await?)
    }
}
