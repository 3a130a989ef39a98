//! The SQL of registry ownership (which entries `appframe.toml` manages, which it deactivated),
//! of API keys and of host sessions (the credentials the registry's members and keys hold),
//! for both backends. `sql.rs` delegates here.

use super::backend::{Affected, Args, Backend, Column, Conn, Param};
use super::rows::{self, FromTuple};
use super::*;
use crate::{error::Error, secret};
use sqlx::{
    ColumnIndex, Database, Encode, Executor, IntoArguments, Type, query::Query, types::Json,
};

/// The registry's queries on one store.
pub(super) struct Registry<'a, B>(pub &'a B);

/// The `(table, key column)` of an entry and its key, bound by the caller.
fn entry_sql(entry: &Entry, set: &str) -> String {
    let (table, key) = match entry {
        Entry::ApiKey(_) => ("api_keys", "name = $1"),
        Entry::Publisher(_) => ("publishers", "name = $1"),
        Entry::App(_) => ("apps", "name = $1"),
        Entry::Member(_) => ("accounts", "id = $1"),
        Entry::Item(_) => ("items", "id = $1"),
        Entry::Membership { .. } => ("memberships", "account_id = $1 AND item_id = $2"),
    };
    format!("UPDATE {table} SET {set} WHERE {key}")
}

impl<B> Registry<'_, B>
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
    bool: Column<B::Db>,
    Json<Vec<String>>: Param<B::Db> + Column<B::Db>,
    Json<Vec<Scope>>: Column<B::Db>,
    for<'q> Json<&'q [Scope]>: Param<B::Db>,
{
    /// Reads every registry entry with its ownership through one connection (so a
    /// preview can read inside its transaction).
    async fn read_state(c: &mut Conn<B>) -> Result<RegistryState> {
        let mut entries = Vec::new();
        let keys: Vec<(String, bool, String)> =
            sqlx::query_as("SELECT name, managed, key_hash FROM api_keys ORDER BY name")
                .fetch_all(&mut *c)
                .await?;
        for (name, managed, hash) in keys {
            entries.push(EntryState {
                entry: Entry::ApiKey(name),
                managed,
                active: true,
                detail: vec![hash],
            });
        }
        let publishers: Vec<(String, bool, Json<Vec<String>>)> =
            sqlx::query_as("SELECT name, managed, origins FROM publishers ORDER BY name")
                .fetch_all(&mut *c)
                .await?;
        for (name, managed, origins) in publishers {
            entries.push(EntryState {
                entry: Entry::Publisher(name),
                managed,
                active: true,
                detail: origins.0,
            });
        }
        let apps: Vec<(String, bool, bool)> =
            sqlx::query_as("SELECT name, managed, active FROM apps ORDER BY name")
                .fetch_all(&mut *c)
                .await?;
        for (name, managed, active) in apps {
            entries.push(EntryState {
                entry: Entry::App(name),
                managed,
                active,
                detail: vec![],
            });
        }
        let accounts: Vec<(Uuid, bool, bool)> =
            sqlx::query_as("SELECT id, managed, active FROM accounts ORDER BY id")
                .fetch_all(&mut *c)
                .await?;
        for (id, managed, active) in accounts {
            entries.push(EntryState {
                entry: Entry::Member(id),
                managed,
                active,
                detail: vec![],
            });
        }
        let items: Vec<(Uuid, bool, bool)> =
            sqlx::query_as("SELECT id, managed, active FROM items ORDER BY id")
                .fetch_all(&mut *c)
                .await?;
        for (id, managed, active) in items {
            entries.push(EntryState {
                entry: Entry::Item(id),
                managed,
                active,
                detail: vec![],
            });
        }
        let memberships: Vec<(Uuid, Uuid, bool, String)> = sqlx::query_as(
            "SELECT account_id, item_id, managed, permission FROM memberships \
             ORDER BY account_id, item_id",
        )
        .fetch_all(&mut *c)
        .await?;
        for (member, item, managed, permission) in memberships {
            entries.push(EntryState {
                entry: Entry::Membership { member, item },
                managed,
                active: true,
                detail: vec![permission],
            });
        }
        Ok(RegistryState { entries })
    }

    /// Binds the key of an entry to a query built by [`entry_sql`].
    fn bind_entry<'q>(
        q: Query<'q, B::Db, Args<'q, B>>,
        entry: &'q Entry,
    ) -> Query<'q, B::Db, Args<'q, B>> {
        match entry {
            Entry::ApiKey(n) | Entry::Publisher(n) | Entry::App(n) => q.bind(n.as_str()),
            Entry::Member(id) | Entry::Item(id) => q.bind(*id),
            Entry::Membership { member, item } => q.bind(*member).bind(*item),
        }
    }

    pub async fn registry_state(&self) -> Result<RegistryState> {
        let mut c = self.0.write().acquire().await?;
        Self::read_state(&mut c).await
    }

    pub async fn preview_registry_state(&self) -> Result<RegistryState> {
        let mut tx = self.0.write().begin().await?;
        // The migrator opens nested transactions (savepoints) inside this one; DDL is
        // transactional on both backends, so the rollback undoes all of it.
        B::migrator().run_direct(&mut *tx).await?;
        let state = Self::read_state(&mut tx).await;
        tx.rollback().await?;
        state
    }

    pub async fn mark_declared(&self, entry: &Entry) -> Result<bool> {
        let set = match entry {
            Entry::App(_) | Entry::Member(_) | Entry::Item(_) => "managed = TRUE, active = TRUE",
            _ => "managed = TRUE",
        };
        let sql = entry_sql(entry, set);
        let r = Self::bind_entry(sqlx::query(&sql), entry)
            .execute(self.0.write())
            .await
            .map_err(db)?;
        self.0.registry_changed();
        Ok(r.rows_affected() > 0)
    }

    pub async fn revoke(&self, entry: &Entry) -> Result<bool> {
        let mut tx = self.0.write().begin().await?;
        let done = match entry {
            Entry::ApiKey(name) => sqlx::query("DELETE FROM api_keys WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            Entry::Membership { member, item } => {
                sqlx::query("DELETE FROM memberships WHERE account_id = $1 AND item_id = $2")
                    .bind(member)
                    .bind(item)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            }
            // Deleting a publisher would cascade to its apps, items and their data.
            Entry::Publisher(name) => {
                sqlx::query("UPDATE publishers SET origins = $2 WHERE name = $1")
                    .bind(name)
                    .bind(Json(Vec::<String>::new()))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            }
            Entry::Member(id) => {
                sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let sql = entry_sql(entry, "active = FALSE");
                Self::bind_entry(sqlx::query(&sql), entry)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            }
            Entry::App(_) | Entry::Item(_) => {
                let sql = entry_sql(entry, "active = FALSE");
                Self::bind_entry(sqlx::query(&sql), entry)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            }
        };
        tx.commit().await?;
        self.0.registry_changed();
        Ok(done > 0)
    }

    pub async fn deactivated(&self, entry: &Entry) -> Result<bool> {
        let sql = match entry {
            Entry::App(_) => "SELECT active FROM apps WHERE name = $1",
            Entry::Member(_) => "SELECT active FROM accounts WHERE id = $1",
            Entry::Item(_) => "SELECT active FROM items WHERE id = $1",
            _ => return Ok(false),
        };
        let q = Self::bind_entry(sqlx::query(sql), entry);
        let row = q.fetch_optional(self.0.read()).await?;
        Ok(match row {
            Some(r) => !sqlx::Row::try_get::<bool, _>(&r, 0)?,
            None => false,
        })
    }

    pub async fn upsert_api_key(&self, name: &str, key: &str, scopes: &[Scope]) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, key_hash, scopes, managed, created_at) \
             VALUES ($1, $2, $3, $4, FALSE, $5) ON CONFLICT (name) DO UPDATE SET \
             key_hash = excluded.key_hash, scopes = excluded.scopes",
        )
        .bind(Uuid::new_v4())
        .bind(name)
        .bind(secret::digest(key))
        .bind(Json(scopes))
        .bind(to_micros(now()))
        .execute(self.0.write())
        .await
        .map_err(db)?;
        Ok(())
    }

    pub async fn create_api_key(
        &self,
        name: &str,
        key: &str,
        scopes: &[Scope],
    ) -> Result<ApiKeyEntry> {
        let info = ApiKeyEntry {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            from_config: false,
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO api_keys (id, name, key_hash, scopes, managed, created_at) \
             VALUES ($1, $2, $3, $4, FALSE, $5)",
        )
        .bind(info.id)
        .bind(name)
        .bind(secret::digest(key))
        .bind(Json(scopes))
        .bind(to_micros(info.created_at))
        .execute(self.0.write())
        .await
        .map_err(db)?;
        Ok(info)
    }

    pub async fn find_api_key(&self, key: &str) -> Result<Option<ApiKeyRecord>> {
        // The database is asked for the digest, never the key; the final comparison
        // is done here in constant time.
        let row: Option<(String, Json<Vec<Scope>>, String)> =
            sqlx::query_as("SELECT name, scopes, key_hash FROM api_keys WHERE key_hash = $1")
                .bind(secret::digest(key))
                .fetch_optional(self.0.read())
                .await?;
        Ok(row
            .filter(|(_, _, stored)| secret::matches(stored, key))
            .map(|(name, s, _)| ApiKeyRecord { name, scopes: s.0 }))
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyEntry>> {
        /// `id, name, scopes, managed, created_at`.
        type KeyRow = (Uuid, String, Json<Vec<Scope>>, bool, i64);
        let rows: Vec<KeyRow> = sqlx::query_as(
            "SELECT id, name, scopes, managed, created_at FROM api_keys \
             ORDER BY created_at, name",
        )
        .fetch_all(self.0.read())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, scopes, managed, at)| ApiKeyEntry {
                id,
                name,
                scopes: scopes.0,
                from_config: managed,
                created_at: from_micros(at),
            })
            .collect())
    }

    pub async fn delete_api_key(&self, id: Uuid) -> Result<bool> {
        let r = sqlx::query("DELETE FROM api_keys WHERE id = $1")
            .bind(id)
            .execute(self.0.write())
            .await
            .map_err(db)?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn create_session(
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
        .execute(self.0.write())
        .await
        .map_err(rows::db)?;
        Ok(())
    }

    pub async fn session(&self, id: &str, now: OffsetDateTime) -> Result<Option<SessionInfo>> {
        let row: Option<(Uuid, String, String, String)> = sqlx::query_as(
            "SELECT a.id, a.name, a.kind, s.handle FROM sessions s \
             JOIN accounts a ON a.id = s.account_id \
             WHERE s.id = $1 AND s.expires_at > $2 AND a.active",
        )
        .bind(secret::digest(id))
        .bind(to_micros(now))
        .fetch_optional(self.0.read())
        .await?;
        Ok(row.map(|(id, name, k, handle)| SessionInfo {
            account: Account::from_tuple((id, name, k)),
            handle,
        }))
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        let r = sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(secret::digest(id))
            .execute(self.0.write())
            .await?;
        if r.rows_affected() > 0 {
            self.0.sessions_changed();
        }
        Ok(())
    }

    pub async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_micros(now))
            .execute(self.0.write())
            .await?;
        if r.rows_affected() > 0 {
            self.0.sessions_changed();
        }
        Ok(r.rows_affected())
    }
}

/// Maps constraint violations to 409 (a duplicate key name from the integration API).
fn db(e: sqlx::Error) -> Error {
    if let Some(d) = e.as_database_error()
        && d.kind() == sqlx::error::ErrorKind::UniqueViolation
    {
        return Error::Conflict("an API key with this name already exists".into());
    }
    Error::Db(e)
}
