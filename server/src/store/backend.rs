//! What the SQL of the store needs from a database, and the few things SQLite and Postgres do
//! differently. The queries are written once, generic over [`Backend`]; `SqliteStore` and
//! `PgStore` implement it.
//!
//! The sqlx bounds the generic code needs (executors, arguments, the types it binds and
//! decodes) cannot be stated once on the trait: Rust does not carry a trait's `where` clauses
//! to its users (rust-lang/rust#20671), so each generic `impl` repeats them. [`Param`] and
//! [`Column`] keep each of those lines short.

use super::{AppActionRow, AppDataRow, ConfigLock, Stamps};
use crate::{error::Result, quota::Limits};
use sqlx::{Database, Decode, Encode, Pool, Type, migrate::Migrate, migrate::Migrator};
use std::{future::Future, time::Instant};
use uuid::Uuid;

/// A Rust type the database binds as a parameter.
pub trait Param<D: Database>: for<'q> Encode<'q, D> + Type<D> + Send {}
impl<D: Database, T: for<'q> Encode<'q, D> + Type<D> + Send> Param<D> for T {}

/// A Rust type the database decodes from a column.
pub trait Column<D: Database>: for<'r> Decode<'r, D> + Type<D> + Send + Unpin {}
impl<D: Database, T: for<'r> Decode<'r, D> + Type<D> + Send + Unpin> Column<D> for T {}

/// The outcome of a statement: how many rows it changed (an inherent method of each
/// backend's result type in sqlx).
pub trait Affected {
    /// Rows inserted, updated or deleted.
    fn rows_affected(&self) -> u64;
}

impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// A database the store runs on, with what differs between SQLite and Postgres.
pub trait Backend: Send + Sync + 'static {
    /// The sqlx database.
    type Db: Database<Connection: Migrate, QueryResult: Affected>;
    /// Its name (`sqlite` or `postgres`).
    const NAME: &'static str;
    /// The statement that serializes the quota-checked writes of one item (`$1`) until the
    /// transaction ends; `None` where one connection writes anyway.
    const LOCK_ITEM: Option<&'static str>;
    /// This backend's migrations.
    fn migrator() -> &'static Migrator;
    /// The pool reads go to.
    fn read(&self) -> &Pool<Self::Db>;
    /// The pool writes go to.
    fn write(&self) -> &Pool<Self::Db>;
    /// Change stamps the writes of this process tick, when it keeps any.
    fn stamps(&self) -> Option<&Stamps>;
    /// Whether [`Backend::stamps`] are current only after [`Backend::fresh_stamps`] (Postgres:
    /// other processes write too, and their changes are heard through notifications).
    const FENCED: bool;
    /// The stamps, once every write committed before `arrived` has ticked them; `None` when
    /// this cannot be known (then nothing may be served from a cache).
    fn fresh_stamps(&self, arrived: Instant) -> impl Future<Output = Option<&Stamps>> + Send {
        let _ = arrived;
        std::future::ready(self.stamps())
    }
    /// Inserts an app-data row within the quotas of `limits`, through the backend's group
    /// commit (answered after its commit).
    fn insert_app_data_row(
        &self,
        row: &AppDataRow,
        limits: &Limits,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Inserts an app action within the quotas of `limits`, as
    /// [`Backend::insert_app_data_row`] does.
    fn insert_app_action_row(
        &self,
        row: &AppActionRow,
        limits: &Limits,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Held while this process applies the configuration ([`ConfigLock`]); none by default.
    fn lock_configuration(&self) -> impl Future<Output = Result<ConfigLock>> + Send {
        std::future::ready(Ok(ConfigLock::none()))
    }

    /// The configuration's entries changed.
    fn registry_changed(&self) {
        if let Some(s) = self.stamps() {
            s.registry_changed();
        }
    }
    /// A session ended.
    fn sessions_changed(&self) {
        if let Some(s) = self.stamps() {
            s.sessions_changed();
        }
    }
    /// The app data of `item` changed.
    fn data_changed(&self, item: Uuid) {
        if let Some(s) = self.stamps() {
            s.data_changed(item);
        }
    }
}

/// The connection type of a backend (what a transaction derefs to).
pub type Conn<B> = <<B as Backend>::Db as Database>::Connection;

/// The argument buffer of a backend's queries.
pub type Args<'q, B> = <<B as Backend>::Db as Database>::Arguments<'q>;
