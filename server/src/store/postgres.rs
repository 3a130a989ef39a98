//! The Postgres store: one pool, shared by several server instances, so the quota-checked
//! writes of an item lock its row. Its SQL is the shared one of `sql.rs`; inserts of app data
//! and actions go through the group commit of `pg_batch.rs`, and the caches' stamps are kept by
//! `pg_listen.rs`.

use super::{
    AppActionRow, AppDataRow, ConfigLock, Stamps,
    backend::Backend,
    pg_batch,
    pg_listen::{self, Feed},
    usage::{self, Job, MAX_BATCH},
};
use crate::{error::Result, quota::Limits};
use sqlx::{
    migrate::Migrator,
    postgres::{PgPool, PgPoolOptions},
};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, watch};

/// Postgres store: one pool for reads and writes, the group-commit task, and the listener that
/// keeps the caches' stamps (its tasks stop when the last clone of the store is dropped).
#[derive(Clone)]
pub struct PgStore {
    read: PgPool,
    write: PgPool,
    batch: mpsc::Sender<Job>,
    feed: Arc<Feed>,
    _stop: Arc<watch::Sender<()>>,
}

impl PgStore {
    /// Connects to a Postgres database (it must exist).
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let (stop, stopped) = watch::channel(());
        let feed = pg_listen::start(&pool, stopped).await?;
        let (batch, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(pg_batch::batch_loop(pool.clone(), feed.clone(), rx));
        Ok(PgStore {
            read: pool.clone(),
            write: pool,
            batch,
            feed,
            _stop: Arc::new(stop),
        })
    }
}

static MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

impl Backend for PgStore {
    type Db = sqlx::Postgres;
    const NAME: &'static str = "postgres";
    const LOCK_ITEM: Option<&'static str> =
        Some("SELECT 1 FROM items WHERE id = $1 FOR NO KEY UPDATE");
    /// Several server instances may share a Postgres database: this process hears of the
    /// others' writes through notifications, current after a fence.
    const FENCED: bool = true;
    fn migrator() -> &'static Migrator {
        &MIGRATIONS
    }
    fn read(&self) -> &PgPool {
        &self.read
    }
    fn write(&self) -> &PgPool {
        &self.write
    }
    fn stamps(&self) -> Option<&Stamps> {
        Some(self.feed.stamps())
    }
    async fn fresh_stamps(&self, arrived: Instant) -> Option<&Stamps> {
        self.feed.fresh(arrived).await
    }
    async fn insert_app_data_row(&self, row: &AppDataRow, limits: &Limits) -> Result<()> {
        let (row, limits) = (row.clone(), *limits);
        usage::enqueue(&self.batch, |tx| Job::Data(row, limits, tx)).await
    }

    async fn insert_app_action_row(&self, row: &AppActionRow, limits: &Limits) -> Result<()> {
        let (row, limits) = (row.clone(), *limits);
        usage::enqueue(&self.batch, |tx| Job::Action(row, limits, tx)).await
    }

    async fn lock_configuration(&self) -> Result<ConfigLock> {
        ConfigLock::postgres(&self.write).await
    }
}
