//! The SQL shared by both backends. Placeholders are `$N`, which SQLite and Postgres both
//! accept; `INSERT ... ON CONFLICT`, `RETURNING` and row-value comparisons exist in both.
//! One macro instantiates the implementation per backend so each query is type-checked
//! against that backend's encoders.

use super::*;
use super::{backend::Backend, registry::Registry};
use crate::{error::Error, secret};
use sqlx::migrate::Migrator;
use sqlx::{
    QueryBuilder,
    postgres::{PgPool, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
    types::Json,
};
use std::{path::Path, str::FromStr, sync::Arc, time::Duration};
use tokio::sync::{mpsc, oneshot};
use usage::{Data, SizedRow};

#[path = "usage.rs"]
mod usage;

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
    pub(super) read: SqlitePool,
    pub(super) write: SqlitePool,
    batch: mpsc::Sender<Job>,
    stamps: Arc<Stamps>,
}

/// A row waiting for the group commit, and where to report its outcome.
enum Job {
    Data(AppDataRow, Limits, oneshot::Sender<Result<()>>),
    Action(AppActionRow, Limits, oneshot::Sender<Result<()>>),
}

/// Most rows written in one group-commit transaction.
const MAX_BATCH: usize = 256;

/// Rows per multi-row `INSERT` of a batch. Each statement is one round trip to the SQLite
/// worker thread, so a batch of n rows costs a few statements instead of n; the fixed sizes
/// keep the number of distinct (cached, prepared) statements small. 64 × 10 parameters stays
/// far below SQLite's limit of 32766.
const CHUNKS: [usize; 4] = [64, 16, 4, 1];

const INSERT_DATA: &str = "INSERT INTO app_data (id, item_id, account_id, creator_id, type, visibility, data, \
     created_at, updated_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

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
    let mut data = Vec::new();
    let mut data_replies = Vec::new();
    let mut actions = Vec::new();
    let mut action_replies = Vec::new();
    for job in jobs {
        match job {
            Job::Data(row, limits, reply) => {
                data.push((row, limits));
                data_replies.push(reply);
            }
            Job::Action(row, limits, reply) => {
                actions.push((row, limits));
                action_replies.push(reply);
            }
        }
    }
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let msg = e.to_string();
            for reply in data_replies.into_iter().chain(action_replies) {
                let _ = reply.send(Err(Error::Internal(format!("cannot begin: {msg}"))));
            }
            return;
        }
    };
    // The quota check runs on the one writer connection inside this transaction, so no other
    // write can come between it and the inserts; refused rows are answered now, stored never.
    let (data, data_replies) = usage::admit(&mut tx, data, data_replies).await;
    let (actions, action_replies) = usage::admit(&mut tx, actions, action_replies).await;
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

/// The group-commit loop: waits for a row, takes every row already queued, commits them.
/// Ends when the store (every sender) is dropped.
async fn batch_loop(pool: SqlitePool, stamps: Arc<Stamps>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        write_batch(&pool, &stamps, jobs).await;
    }
}

/// Postgres store: one pool for reads and writes.
#[derive(Clone)]
pub struct PgStore {
    pub(super) read: PgPool,
    pub(super) write: PgPool,
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
        tokio::spawn(batch_loop(write.clone(), stamps.clone(), rx));
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

    async fn enqueue(&self, make: impl FnOnce(oneshot::Sender<Result<()>>) -> Job) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.batch
            .send(make(tx))
            .await
            .map_err(|_| Error::Internal("the write task has stopped".into()))?;
        rx.await
            .map_err(|_| Error::Internal("the write task dropped a row".into()))?
    }
}

impl PgStore {
    /// Connects to a Postgres database (it must exist).
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(PgStore {
            read: pool.clone(),
            write: pool,
        })
    }
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static PG_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

impl Backend for SqliteStore {
    type Db = sqlx::Sqlite;
    const NAME: &'static str = "sqlite";
    const LOCK_ITEM: Option<&'static str> = None;
    fn migrator() -> &'static Migrator {
        &SQLITE_MIGRATIONS
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
        self.enqueue(|tx| Job::Data(row, limits, tx)).await
    }

    async fn insert_app_action_row(&self, row: &AppActionRow, limits: &Limits) -> Result<()> {
        let (row, limits) = (row.clone(), *limits);
        self.enqueue(|tx| Job::Action(row, limits, tx)).await
    }
}

impl Backend for PgStore {
    type Db = sqlx::Postgres;
    const NAME: &'static str = "postgres";
    const LOCK_ITEM: Option<&'static str> =
        Some("SELECT 1 FROM items WHERE id = $1 FOR NO KEY UPDATE");
    fn migrator() -> &'static Migrator {
        &PG_MIGRATIONS
    }
    fn read(&self) -> &PgPool {
        &self.read
    }
    fn write(&self) -> &PgPool {
        &self.write
    }
    /// Several server instances may share a Postgres database, so this process does not see
    /// every write: no stamps, no process-local caching.
    fn stamps(&self) -> Option<&Stamps> {
        None
    }
    async fn insert_app_data_row(&self, row: &AppDataRow, limits: &Limits) -> Result<()> {
        let mut tx = self.write.begin().await?;
        Data::<Self>::lock_item(&mut tx, row.item_id).await?;
        Data::<Self>::insert_data_within(&mut tx, row, limits).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_app_action_row(&self, row: &AppActionRow, limits: &Limits) -> Result<()> {
        let mut tx = self.write.begin().await?;
        Data::<Self>::lock_item(&mut tx, row.item_id).await?;
        Data::<Self>::insert_action_within(&mut tx, row, limits).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Maps constraint violations to 409 so bad admin input is not a 500.
fn db(e: sqlx::Error) -> Error {
    if let Some(d) = e.as_database_error() {
        match d.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
                return Error::Conflict("a record with this name, key or id already exists".into());
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                return Error::Conflict("the record references an unknown record".into());
            }
            sqlx::error::ErrorKind::CheckViolation => {
                return Error::BadRequest("a value is out of range".into());
            }
            _ => {}
        }
    }
    Error::Db(e)
}

fn kind(s: &str) -> AccountKind {
    AccountKind::parse(s).unwrap_or_default()
}
fn perm(s: &str) -> Permission {
    Permission::parse(s).unwrap_or(Permission::Read)
}
fn vis(s: &str) -> Visibility {
    if s == "item" {
        Visibility::Item
    } else {
        Visibility::Member
    }
}
fn member(id: Uuid, name: String) -> Member {
    Member {
        id: id.into(),
        name,
    }
}
fn opt_member(id: Option<Uuid>, name: Option<String>) -> Option<Member> {
    Some(member(id?, name.unwrap_or_default()))
}

/// A record read from one SQL row: the tuple sqlx decodes (its columns in `SELECT` order)
/// and the conversion to the record. One impl per entity, so every query of an entity maps
/// its rows the same way.
trait FromTuple: Sized {
    /// The decoded columns.
    type Tuple;
    /// The record of a row.
    fn from_tuple(t: Self::Tuple) -> Self;
}

impl FromTuple for Publisher {
    type Tuple = (String, Json<Vec<String>>);
    fn from_tuple((name, origins): Self::Tuple) -> Self {
        Publisher {
            name,
            origins: origins.0,
        }
    }
}

/// Columns of [`AppRecord`].
const APP_COLUMNS: &str = "name, key, url, publisher, description, thumbnail";

impl FromTuple for AppRecord {
    type Tuple = (String, Uuid, String, String, Option<String>, Option<String>);
    fn from_tuple(t: Self::Tuple) -> Self {
        AppRecord {
            name: t.0,
            key: t.1,
            url: t.2,
            publisher: t.3,
            description: t.4,
            thumbnail: t.5,
        }
    }
}

impl FromTuple for Account {
    /// `id, name, kind`.
    type Tuple = (Uuid, String, String);
    fn from_tuple((id, name, k): Self::Tuple) -> Self {
        Account {
            id,
            name,
            kind: kind(&k),
        }
    }
}

impl FromTuple for MembershipRecord {
    /// `account_id, item_id, permission`.
    type Tuple = (Uuid, Uuid, String);
    fn from_tuple((member, item, p): Self::Tuple) -> Self {
        MembershipRecord {
            member,
            item,
            permission: perm(&p),
        }
    }
}

/// Columns of [`ItemRecord`] (`i` is the `items` alias), of active items of active apps only:
/// what the configuration deactivated is invisible until it declares it again. Callers add
/// `AND ...` conditions.
const ITEM_SELECT: &str = "SELECT i.id, i.name, i.app, i.description, i.lang, i.settings, i.created_at, i.updated_at \
     FROM items i JOIN apps p ON p.name = i.app WHERE i.active AND p.active";

impl FromTuple for ItemRecord {
    type Tuple = (
        Uuid,
        String,
        String,
        Option<String>,
        String,
        Json<JsonObject>,
        i64,
        i64,
    );
    fn from_tuple(t: Self::Tuple) -> Self {
        ItemRecord {
            id: t.0,
            name: t.1,
            app: t.2,
            description: t.3,
            lang: t.4,
            settings: t.5.0,
            created_at: from_micros(t.6),
            updated_at: from_micros(t.7),
        }
    }
}

/// Columns of [`AppDataRow`] (`d` is the `app_data` alias).
const DATA_SELECT: &str = "SELECT d.id, d.item_id, d.account_id, a.name, d.creator_id, c.name, \
     d.type, d.visibility, d.data, d.created_at, d.updated_at FROM app_data d \
     JOIN accounts a ON a.id = d.account_id LEFT JOIN accounts c ON c.id = d.creator_id";

impl FromTuple for AppDataRow {
    type Tuple = (
        Uuid,
        Uuid,
        Uuid,
        String,
        Option<Uuid>,
        Option<String>,
        String,
        String,
        Json<JsonObject>,
        i64,
        i64,
    );
    fn from_tuple(t: Self::Tuple) -> Self {
        AppDataRow {
            id: t.0,
            item_id: t.1,
            account: member(t.2, t.3),
            creator: opt_member(t.4, t.5),
            ty: t.6,
            visibility: vis(&t.7),
            data: t.8.0,
            created_at: from_micros(t.9),
            updated_at: from_micros(t.10),
        }
    }
}

/// Columns of [`AppActionRow`] (`x` is the `app_action` alias).
const ACTION_SELECT: &str = "SELECT x.id, x.item_id, x.account_id, a.name, x.type, x.data, \
     x.created_at FROM app_action x JOIN accounts a ON a.id = x.account_id";

impl FromTuple for AppActionRow {
    type Tuple = (Uuid, Uuid, Uuid, String, String, Json<JsonObject>, i64);
    fn from_tuple(t: Self::Tuple) -> Self {
        AppActionRow {
            id: t.0,
            item_id: t.1,
            account: member(t.2, t.3),
            ty: t.4,
            data: t.5.0,
            created_at: from_micros(t.6),
        }
    }
}

/// Columns of [`AppSettingRow`] (`s` is the `app_setting` alias).
const SETTING_SELECT: &str = "SELECT s.id, s.item_id, s.name, s.data, s.creator_id, c.name, \
     s.created_at, s.updated_at FROM app_setting s LEFT JOIN accounts c ON c.id = s.creator_id";

impl FromTuple for AppSettingRow {
    type Tuple = (
        Uuid,
        Uuid,
        String,
        Json<JsonObject>,
        Option<Uuid>,
        Option<String>,
        i64,
        i64,
    );
    fn from_tuple(t: Self::Tuple) -> Self {
        AppSettingRow {
            id: t.0,
            item_id: t.1,
            name: t.2,
            data: t.3.0,
            creator: opt_member(t.4, t.5),
            created_at: from_micros(t.6),
            updated_at: from_micros(t.7),
        }
    }
}

/// Columns of [`FileRecord`].
const FILE_SELECT: &str = "SELECT row_id, item_id, path, name, mimetype, size FROM files";

impl FromTuple for FileRecord {
    type Tuple = (Uuid, Uuid, String, String, String, i64);
    fn from_tuple(t: Self::Tuple) -> Self {
        FileRecord {
            row_id: t.0,
            item_id: t.1,
            path: t.2,
            name: t.3,
            mimetype: t.4,
            size: t.5,
        }
    }
}

/// `FROM` and `WHERE` of the memberships that grant something: of active members on active
/// items of active apps (`m` is the `memberships` alias). Callers add `AND ...` conditions.
const LIVE_MEMBERSHIPS: &str = "FROM memberships m JOIN accounts a ON a.id = m.account_id \
     JOIN items i ON i.id = m.item_id JOIN apps p ON p.name = i.app \
     WHERE a.active AND i.active AND p.active";

macro_rules! store_impl {
    ($Store:ident, $Db:ty, $backend:literal, $migrations:literal) => {
        /// The record of the row `sql` selects with `key` as `$1`, if any.
        async fn fetch_opt<'q, T, K>(
            pool: &sqlx::Pool<$Db>,
            sql: &'q str,
            key: K,
        ) -> Result<Option<T>>
        where
            T: FromTuple,
            for<'r> T::Tuple: sqlx::FromRow<'r, <$Db as sqlx::Database>::Row> + Send + Unpin,
            K: 'q + Send + sqlx::Encode<'q, $Db> + sqlx::Type<$Db>,
        {
            let row: Option<T::Tuple> = sqlx::query_as(sql).bind(key).fetch_optional(pool).await?;
            Ok(row.map(T::from_tuple))
        }

        /// The records of every row a built query selects.
        async fn fetch_list<'q, T>(
            pool: &sqlx::Pool<$Db>,
            mut qb: QueryBuilder<'q, $Db>,
        ) -> Result<Vec<T>>
        where
            T: FromTuple,
            for<'r> T::Tuple: sqlx::FromRow<'r, <$Db as sqlx::Database>::Row> + Send + Unpin,
        {
            let rows: Vec<T::Tuple> = qb.build_query_as().fetch_all(pool).await?;
            Ok(rows.into_iter().map(T::from_tuple).collect())
        }

        /// Appends the keyset condition and limit of a page (`alias` is the table alias).
        fn push_page<'a>(qb: &mut QueryBuilder<'a, $Db>, alias: &str, page: Page) {
            if let Some((at, id)) = page.after {
                qb.push(format!(" AND ({alias}.created_at, {alias}.id) > ("));
                qb.push_bind(at);
                qb.push(", ");
                qb.push_bind(id);
                qb.push(")");
            }
            qb.push(format!(" ORDER BY {alias}.created_at, {alias}.id LIMIT "));
            qb.push_bind(page.limit);
        }

        #[async_trait::async_trait]
        impl Store for $Store {
            async fn migrate(&self) -> Result<()> {
                Self::migrator().run(&self.write).await?;
                self.registry_changed();
                Ok(())
            }

            fn backend(&self) -> &'static str {
                <Self as Backend>::NAME
            }

            fn stamps(&self) -> Option<&Stamps> {
                Backend::stamps(self)
            }

            async fn upsert_publisher(&self, p: &Publisher) -> Result<()> {
                sqlx::query(
                    "INSERT INTO publishers (name, origins, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET origins = excluded.origins",
                )
                .bind(&p.name)
                .bind(Json(&p.origins))
                .bind(to_micros(now()))
                .execute(&self.write)
                .await
                .map_err(db)?;
                self.registry_changed();
                Ok(())
            }

            async fn list_publishers(&self) -> Result<Vec<Publisher>> {
                fetch_list(
                    &self.read,
                    QueryBuilder::new("SELECT name, origins FROM publishers ORDER BY name"),
                )
                .await
            }

            async fn delete_publisher(&self, name: &str) -> Result<bool> {
                let r = sqlx::query("DELETE FROM publishers WHERE name = $1")
                    .bind(name)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                self.registry_changed();
                Ok(r.rows_affected() > 0)
            }

            async fn upsert_app(&self, a: &AppRecord) -> Result<()> {
                sqlx::query(
                    "INSERT INTO apps (name, key, url, publisher, description, thumbnail, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO UPDATE SET \
                     key = excluded.key, url = excluded.url, publisher = excluded.publisher, \
                     description = excluded.description, thumbnail = excluded.thumbnail",
                )
                .bind(&a.name)
                .bind(a.key)
                .bind(&a.url)
                .bind(&a.publisher)
                .bind(&a.description)
                .bind(&a.thumbnail)
                .bind(to_micros(now()))
                .execute(&self.write)
                .await
                .map_err(db)?;
                self.registry_changed();
                Ok(())
            }

            async fn list_apps(&self) -> Result<Vec<AppRecord>> {
                fetch_list(
                    &self.read,
                    QueryBuilder::new(format!(
                        "SELECT {APP_COLUMNS} FROM apps WHERE active ORDER BY name"
                    )),
                )
                .await
            }

            async fn get_app(&self, name: &str) -> Result<Option<AppRecord>> {
                fetch_opt(
                    &self.read,
                    &format!("SELECT {APP_COLUMNS} FROM apps WHERE active AND name = $1"),
                    name,
                )
                .await
            }

            async fn delete_app(&self, name: &str) -> Result<bool> {
                let r = sqlx::query("DELETE FROM apps WHERE name = $1")
                    .bind(name)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                self.registry_changed();
                Ok(r.rows_affected() > 0)
            }

            async fn upsert_account(&self, a: &Account) -> Result<()> {
                sqlx::query(
                    "INSERT INTO accounts (id, name, kind, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind",
                )
                .bind(a.id)
                .bind(&a.name)
                .bind(a.kind.as_str())
                .bind(to_micros(now()))
                .execute(&self.write)
                .await
                .map_err(db)?;
                self.registry_changed();
                Ok(())
            }

            async fn get_account(&self, id: Uuid) -> Result<Option<Account>> {
                fetch_opt(
                    &self.read,
                    "SELECT id, name, kind FROM accounts WHERE active AND id = $1",
                    id,
                )
                .await
            }

            async fn list_accounts(&self) -> Result<Vec<Account>> {
                fetch_list(
                    &self.read,
                    QueryBuilder::new(
                        "SELECT id, name, kind FROM accounts WHERE active ORDER BY name, id",
                    ),
                )
                .await
            }

            async fn delete_account(&self, id: Uuid) -> Result<bool> {
                let r = sqlx::query("DELETE FROM accounts WHERE id = $1")
                    .bind(id)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                self.registry_changed();
                Ok(r.rows_affected() > 0)
            }

            async fn upsert_item(&self, i: &ItemRecord) -> Result<()> {
                // Only touch updated_at when something changed, so re-applying the same
                // config at every start is a no-op.
                sqlx::query(
                    "INSERT INTO items (id, name, app, description, lang, settings, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET \
                     name = excluded.name, app = excluded.app, description = excluded.description, \
                     lang = excluded.lang, settings = excluded.settings, updated_at = excluded.updated_at \
                     WHERE items.name IS DISTINCT FROM excluded.name OR items.app IS DISTINCT FROM excluded.app \
                     OR items.description IS DISTINCT FROM excluded.description \
                     OR items.lang IS DISTINCT FROM excluded.lang OR items.settings IS DISTINCT FROM excluded.settings",
                )
                .bind(i.id)
                .bind(&i.name)
                .bind(&i.app)
                .bind(&i.description)
                .bind(&i.lang)
                .bind(Json(&i.settings))
                .bind(to_micros(i.created_at))
                .bind(to_micros(i.updated_at))
                .execute(&self.write)
                .await
                .map_err(db)?;
                self.registry_changed();
                Ok(())
            }

            async fn get_item(&self, id: Uuid) -> Result<Option<ItemRecord>> {
                fetch_opt(&self.read, &format!("{ITEM_SELECT} AND i.id = $1"), id).await
            }

            async fn list_items(&self) -> Result<Vec<ItemRecord>> {
                fetch_list(
                    &self.read,
                    QueryBuilder::new(format!("{ITEM_SELECT} ORDER BY i.created_at, i.id")),
                )
                .await
            }

            async fn delete_item(&self, id: Uuid) -> Result<bool> {
                let r = sqlx::query("DELETE FROM items WHERE id = $1")
                    .bind(id)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                self.registry_changed();
                Ok(r.rows_affected() > 0)
            }

            async fn set_membership(&self, m: &MembershipRecord) -> Result<()> {
                sqlx::query(
                    "INSERT INTO memberships (account_id, item_id, permission, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, item_id) DO UPDATE SET \
                     permission = excluded.permission",
                )
                .bind(m.member)
                .bind(m.item)
                .bind(m.permission.as_str())
                .bind(to_micros(now()))
                .execute(&self.write)
                .await
                .map_err(db)?;
                self.registry_changed();
                Ok(())
            }

            async fn delete_membership(&self, member: Uuid, item: Uuid) -> Result<bool> {
                let r = sqlx::query("DELETE FROM memberships WHERE account_id = $1 AND item_id = $2")
                    .bind(member)
                    .bind(item)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                self.registry_changed();
                Ok(r.rows_affected() > 0)
            }

            async fn permission(&self, member: Uuid, item: Uuid) -> Result<Option<Permission>> {
                let row: Option<(String,)> = sqlx::query_as(&format!(
                    "SELECT m.permission {LIVE_MEMBERSHIPS} AND m.account_id = $1 AND m.item_id = $2"
                ))
                .bind(member)
                .bind(item)
                .fetch_optional(&self.read)
                .await?;
                Ok(row.map(|(p,)| perm(&p)))
            }

            async fn list_memberships(
                &self,
                item: Option<Uuid>,
                member: Option<Uuid>,
            ) -> Result<Vec<MembershipRecord>> {
                let mut qb = QueryBuilder::<$Db>::new(format!(
                    "SELECT m.account_id, m.item_id, m.permission {LIVE_MEMBERSHIPS}"
                ));
                if let Some(i) = item {
                    qb.push(" AND m.item_id = ").push_bind(i);
                }
                if let Some(m) = member {
                    qb.push(" AND m.account_id = ").push_bind(m);
                }
                qb.push(" ORDER BY m.created_at, m.account_id, m.item_id");
                fetch_list(&self.read, qb).await
            }

            async fn item_access(
                &self,
                item: Uuid,
                account: Option<Uuid>,
                session_handle: Option<&str>,
            ) -> Result<Option<ItemAccess>> {
                type Row = (
                    Uuid, String, String, Option<String>, String, Json<JsonObject>, i64, i64,
                    Option<Uuid>, Option<String>, Option<String>, Option<String>,
                    Uuid, Option<Json<Vec<String>>>, Option<Uuid>, Option<i64>,
                );
                // One round trip for everything an app token's check needs: with several
                // instances on one Postgres nothing of it may be cached in process.
                let row: Option<Row> = sqlx::query_as(
                    "SELECT i.id, i.name, i.app, i.description, i.lang, i.settings, i.created_at, \
                     i.updated_at, a.id, a.name, a.kind, m.permission, p.key, pb.origins, \
                     s.account_id, s.expires_at FROM items i \
                     JOIN apps p ON p.name = i.app AND p.active \
                     LEFT JOIN publishers pb ON pb.name = p.publisher \
                     LEFT JOIN accounts a ON a.id = $2 AND a.active \
                     LEFT JOIN memberships m ON m.item_id = i.id AND m.account_id = a.id \
                     LEFT JOIN sessions s ON s.handle = $3 \
                     WHERE i.id = $1 AND i.active",
                )
                .bind(item)
                .bind(account)
                .bind(session_handle)
                .fetch_optional(&self.read)
                .await?;
                let Some(r) = row else {
                    return Ok(None);
                };
                let account = match (r.8, r.9, r.10) {
                    (Some(id), Some(name), Some(k)) => Some(Account::from_tuple((id, name, k))),
                    _ => None,
                };
                Ok(Some(ItemAccess {
                    item: ItemRecord::from_tuple((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7)),
                    account,
                    permission: r.11.as_deref().map(perm),
                    app_key: r.12,
                    origins: r.13.map(|o| o.0).unwrap_or_default(),
                    session: r.14.zip(r.15).map(|(a, at)| (a, from_micros(at))),
                }))
            }

            async fn item_members(&self, item: Uuid) -> Result<Vec<Member>> {
                let rows: Vec<(Uuid, String)> = sqlx::query_as(
                    "SELECT a.id, a.name FROM memberships m JOIN accounts a ON a.id = m.account_id \
                     WHERE a.active AND m.item_id = $1 ORDER BY a.name, a.id",
                )
                .bind(item)
                .fetch_all(&self.read)
                .await?;
                Ok(rows.into_iter().map(|(id, name)| member(id, name)).collect())
            }

            async fn upsert_api_key(&self, name: &str, key: &str, scopes: &[Scope]) -> Result<()> {
                Registry(self).upsert_api_key(name, key, scopes).await
            }

            async fn create_api_key(
                &self,
                name: &str,
                key: &str,
                scopes: &[Scope],
            ) -> Result<ApiKeyEntry> {
                Registry(self).create_api_key(name, key, scopes).await
            }

            async fn find_api_key(&self, key: &str) -> Result<Option<ApiKeyRecord>> {
                Registry(self).find_api_key(key).await
            }

            async fn list_api_keys(&self) -> Result<Vec<ApiKeyEntry>> {
                Registry(self).list_api_keys().await
            }

            async fn delete_api_key(&self, id: Uuid) -> Result<bool> {
                Registry(self).delete_api_key(id).await
            }

            async fn registry_state(&self) -> Result<RegistryState> {
                Registry(self).registry_state().await
            }

            async fn preview_registry_state(&self) -> Result<RegistryState> {
                Registry(self).preview_registry_state().await
            }

            async fn mark_declared(&self, entry: &Entry) -> Result<bool> {
                Registry(self).mark_declared(entry).await
            }

            async fn revoke(&self, entry: &Entry) -> Result<bool> {
                Registry(self).revoke(entry).await
            }

            async fn deactivated(&self, entry: &Entry) -> Result<bool> {
                Registry(self).deactivated(entry).await
            }

            async fn create_session(
                &self,
                id: &str,
                account: Uuid,
                expires_at: OffsetDateTime,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO sessions (id, account_id, expires_at, handle) VALUES ($1, $2, $3, $4)",
                )
                    .bind(secret::digest(id))
                    .bind(account)
                    .bind(to_micros(expires_at))
                    .bind(secret::random())
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn session(&self, id: &str, now: OffsetDateTime) -> Result<Option<SessionInfo>> {
                let row: Option<(Uuid, String, String, String)> = sqlx::query_as(
                    "SELECT a.id, a.name, a.kind, s.handle FROM sessions s \
                     JOIN accounts a ON a.id = s.account_id \
                     WHERE s.id = $1 AND s.expires_at > $2 AND a.active",
                )
                .bind(secret::digest(id))
                .bind(to_micros(now))
                .fetch_optional(&self.read)
                .await?;
                Ok(row.map(|(id, name, k, handle)| SessionInfo {
                    account: Account::from_tuple((id, name, k)),
                    handle,
                }))
            }

            async fn delete_session(&self, id: &str) -> Result<()> {
                let r = sqlx::query("DELETE FROM sessions WHERE id = $1")
                    .bind(secret::digest(id))
                    .execute(&self.write)
                    .await?;
                if r.rows_affected() > 0 {
                    self.sessions_changed();
                }
                Ok(())
            }

            async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64> {
                let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(to_micros(now))
                    .execute(&self.write)
                    .await?;
                if r.rows_affected() > 0 {
                    self.sessions_changed();
                }
                Ok(r.rows_affected())
            }

            async fn insert_app_data(&self, row: &AppDataRow, limits: &Limits) -> Result<()> {
                Backend::insert_app_data_row(self, row, limits).await
            }

            async fn get_app_data(&self, id: Uuid) -> Result<Option<AppDataRow>> {
                fetch_opt(&self.read, &format!("{DATA_SELECT} WHERE d.id = $1"), id).await
            }

            async fn update_app_data(
                &self,
                id: Uuid,
                data: &JsonObject,
                at: OffsetDateTime,
                limits: &Limits,
            ) -> Result<bool> {
                let item = Data(self).update_limited(id, data, at, limits).await?;
                if let Some(item) = item {
                    // The item whose cached list this write makes stale.
                    self.data_changed(item);
                }
                Ok(item.is_some())
            }

            fn stream_app_data(&self, q: DataQuery) -> RowStream {
                Data(self).stream(q)
            }

            async fn app_data_positions(
                &self,
                q: &DataQuery,
                limit: i64,
            ) -> Result<Vec<(i64, Uuid)>> {
                Data(self).positions(q, limit).await
            }

            async fn delete_app_data(&self, id: Uuid) -> Result<bool> {
                let r: Option<(Uuid,)> =
                    sqlx::query_as("DELETE FROM app_data WHERE id = $1 RETURNING item_id")
                        .bind(id)
                        .fetch_optional(&self.write)
                        .await
                        .map_err(db)?;
                if let Some((item,)) = r {
                    self.data_changed(item);
                }
                Ok(r.is_some())
            }

            async fn insert_app_action(&self, row: &AppActionRow, limits: &Limits) -> Result<()> {
                Backend::insert_app_action_row(self, row, limits).await
            }

            async fn list_app_actions(
                &self,
                item: Uuid,
                account: Option<Uuid>,
                page: Page,
            ) -> Result<Vec<AppActionRow>> {
                let mut qb = QueryBuilder::<$Db>::new(ACTION_SELECT);
                qb.push(" WHERE x.item_id = ").push_bind(item);
                if let Some(a) = account {
                    qb.push(" AND x.account_id = ").push_bind(a);
                }
                push_page(&mut qb, "x", page);
                fetch_list(&self.read, qb).await
            }

            async fn app_action_page_end(
                &self,
                item: Uuid,
                account: Option<Uuid>,
                page: Page,
            ) -> Result<Option<(i64, Uuid)>> {
                // The page's last row and the one after it, read from the index: two rows
                // mean the page is followed by more.
                let mut qb = QueryBuilder::<$Db>::new(
                    "SELECT x.created_at, x.id FROM app_action x WHERE x.item_id = ",
                );
                qb.push_bind(item);
                if let Some(a) = account {
                    qb.push(" AND x.account_id = ").push_bind(a);
                }
                let size = (page.limit - 1).max(1);
                push_page(&mut qb, "x", Page { limit: 2, ..page });
                qb.push(" OFFSET ").push_bind(size - 1);
                let rows: Vec<(i64, Uuid)> = qb.build_query_as().fetch_all(&self.read).await?;
                Ok(if rows.len() == 2 { rows.first().copied() } else { None })
            }

            async fn insert_app_setting(&self, row: &AppSettingRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO app_setting (id, item_id, creator_id, name, data, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(row.id)
                .bind(row.item_id)
                .bind(row.creator.as_ref().map(|c| c.id.as_uuid()))
                .bind(&row.name)
                .bind(Json(&row.data))
                .bind(to_micros(row.created_at))
                .bind(to_micros(row.updated_at))
                .execute(&self.write)
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn get_app_setting(&self, id: Uuid) -> Result<Option<AppSettingRow>> {
                fetch_opt(&self.read, &format!("{SETTING_SELECT} WHERE s.id = $1"), id).await
            }

            async fn list_app_settings(
                &self,
                item: Uuid,
                name: Option<&str>,
                page: Page,
            ) -> Result<Vec<AppSettingRow>> {
                let mut qb = QueryBuilder::<$Db>::new(SETTING_SELECT);
                qb.push(" WHERE s.item_id = ").push_bind(item);
                if let Some(n) = name {
                    qb.push(" AND s.name = ").push_bind(n.to_owned());
                }
                push_page(&mut qb, "s", page);
                fetch_list(&self.read, qb).await
            }

            async fn update_app_setting(
                &self,
                id: Uuid,
                data: &JsonObject,
                at: OffsetDateTime,
            ) -> Result<bool> {
                let r = sqlx::query("UPDATE app_setting SET data = $1, updated_at = $2 WHERE id = $3")
                    .bind(Json(data))
                    .bind(to_micros(at))
                    .bind(id)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                Ok(r.rows_affected() > 0)
            }

            async fn delete_app_setting(&self, id: Uuid) -> Result<bool> {
                let r = sqlx::query("DELETE FROM app_setting WHERE id = $1")
                    .bind(id)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                Ok(r.rows_affected() > 0)
            }

            async fn file_usage(&self, item: Uuid, account: Uuid) -> Result<Usage> {
                let mut c = self.read.acquire().await?;
                Data::<Self>::files_usage(&mut c, item, Some(account)).await
            }

            async fn insert_file(
                &self,
                owner: FileOwner<'_>,
                f: &FileRecord,
                account: Uuid,
                limits: &Limits,
            ) -> Result<()> {
                Data(self).insert_file(owner, f, account, limits).await?;
                if let FileOwner::Data(row) = owner {
                    self.data_changed(row.item_id);
                }
                Ok(())
            }

            async fn get_file(&self, row_id: Uuid) -> Result<Option<FileRecord>> {
                fetch_opt(&self.read, &format!("{FILE_SELECT} WHERE row_id = $1"), row_id).await
            }

            async fn delete_file(&self, row_id: Uuid) -> Result<()> {
                sqlx::query("DELETE FROM files WHERE row_id = $1")
                    .bind(row_id)
                    .execute(&self.write)
                    .await?;
                Ok(())
            }

            async fn item_files(&self, item: Uuid) -> Result<Vec<FileRecord>> {
                let mut qb = QueryBuilder::<$Db>::new(FILE_SELECT);
                qb.push(" WHERE item_id = ").push_bind(item);
                fetch_list(&self.read, qb).await
            }
        }
    };
}

mod sqlite_impl {
    use super::*;
    store_impl!(SqliteStore, sqlx::Sqlite, "sqlite", "migrations/sqlite");
}

mod pg_impl {
    use super::*;
    store_impl!(PgStore, sqlx::Postgres, "postgres", "migrations/postgres");
}
