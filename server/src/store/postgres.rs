//! The Postgres store: one pool, shared by several server instances, so the quota-checked
//! writes of an item lock its row. Its SQL is the shared one of `sql.rs`.

use super::{AppActionRow, AppDataRow, Stamps, backend::Backend, usage::Data};
use crate::{error::Result, quota::Limits};
use sqlx::{
    migrate::Migrator,
    postgres::{PgPool, PgPoolOptions},
};
use std::time::Duration;

/// Postgres store: one pool for reads and writes.
#[derive(Clone)]
pub struct PgStore {
    read: PgPool,
    write: PgPool,
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

static MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

impl Backend for PgStore {
    type Db = sqlx::Postgres;
    const NAME: &'static str = "postgres";
    const LOCK_ITEM: Option<&'static str> =
        Some("SELECT 1 FROM items WHERE id = $1 FOR NO KEY UPDATE");
    fn migrator() -> &'static Migrator {
        &MIGRATIONS
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
