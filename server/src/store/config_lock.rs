//! One instance at a time applies the configuration to a shared database.
//!
//! Applying reads the registry, plans, then upserts; the upserts arbitrate one unique key each
//! (`ON CONFLICT (name)`), so two instances starting together on a fresh Postgres database can
//! both insert the same new API key and collide on its other unique key (the digest), a plain
//! unique violation. Holding a Postgres advisory lock while applying makes the second instance
//! read the registry only after the first has committed: it then finds every entry in place.
//! SQLite needs no lock: one connection writes, and a file is one server's.

use crate::error::Result;
use sqlx::{Postgres, pool::PoolConnection};

/// The advisory lock's key: "appframe config" in ASCII, far from sqlx's migration lock key
/// (derived from the database name).
const KEY: i64 = 0x6170_7066_636f_6e66;

/// Held while the configuration is applied; [`ConfigLock::release`] frees it.
#[derive(Debug, Default)]
pub struct ConfigLock {
    held: Option<PoolConnection<Postgres>>,
}

impl ConfigLock {
    /// A lock that holds nothing (a database no other instance writes to).
    pub fn none() -> Self {
        ConfigLock::default()
    }

    /// Waits for the configuration lock of a Postgres database, on a connection of its own
    /// (an advisory lock belongs to the session that took it).
    pub async fn postgres(pool: &sqlx::PgPool) -> Result<Self> {
        let mut conn = pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(KEY)
            .execute(&mut *conn)
            .await?;
        Ok(ConfigLock { held: Some(conn) })
    }

    /// Frees the lock; its connection goes back to the pool.
    pub async fn release(mut self) {
        let Some(mut conn) = self.held.take() else {
            return;
        };
        let unlocked = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
            .bind(KEY)
            .fetch_one(&mut *conn)
            .await;
        if !matches!(unlocked, Ok(true)) {
            // Closing the session frees whatever it still holds.
            tracing::warn!(
                "configuration lock: not released ({unlocked:?}); closing its connection"
            );
            drop(conn.detach());
        }
    }
}

impl Drop for ConfigLock {
    /// A lock dropped unreleased (its holder failed or was cancelled) must not go back to the
    /// pool with the session still holding it: every later start-up would wait on it. Its
    /// connection is closed instead, which ends the session and frees the lock.
    fn drop(&mut self) {
        if let Some(conn) = self.held.take() {
            drop(conn.detach());
        }
    }
}
