//! The SQL of registry ownership (which entries `appframe.toml` manages, which it deactivated)
//! and of API keys, for both backends. Kept apart from `sql.rs` so that file stays about app
//! data; the `Store` impls there delegate here.

use super::*;
use crate::{error::Error, secret};
use sqlx::types::Json;

macro_rules! registry_impl {
    ($Store:ident, $Db:ty, $Conn:ty, $migrations:literal) => {
        /// Reads every registry entry with its ownership through one connection (so a
        /// preview can read inside its transaction).
        async fn read_state(c: &mut $Conn) -> Result<RegistryState> {
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

        /// Binds the key of an entry to a query built by [`entry_sql`].
        fn bind_entry<'q>(
            q: sqlx::query::Query<'q, $Db, <$Db as sqlx::Database>::Arguments<'q>>,
            entry: &'q Entry,
        ) -> sqlx::query::Query<'q, $Db, <$Db as sqlx::Database>::Arguments<'q>> {
            match entry {
                Entry::ApiKey(n) | Entry::Publisher(n) | Entry::App(n) => q.bind(n.as_str()),
                Entry::Member(id) | Entry::Item(id) => q.bind(*id),
                Entry::Membership { member, item } => q.bind(*member).bind(*item),
            }
        }

        impl $Store {
            pub(in crate::store) async fn registry_state_impl(&self) -> Result<RegistryState> {
                let mut c = self.write.acquire().await?;
                read_state(&mut c).await
            }

            pub(in crate::store) async fn preview_registry_state_impl(
                &self,
            ) -> Result<RegistryState> {
                let mut tx = self.write.begin().await?;
                // The migrator opens nested transactions (savepoints) inside this one; DDL is
                // transactional on both backends, so the rollback undoes all of it.
                sqlx::migrate!($migrations).run_direct(&mut *tx).await?;
                let state = read_state(&mut tx).await;
                tx.rollback().await?;
                state
            }

            pub(in crate::store) async fn mark_declared_impl(&self, entry: &Entry) -> Result<bool> {
                let set = match entry {
                    Entry::App(_) | Entry::Member(_) | Entry::Item(_) => {
                        "managed = TRUE, active = TRUE"
                    }
                    _ => "managed = TRUE",
                };
                let sql = entry_sql(entry, set);
                let r = bind_entry(sqlx::query(&sql), entry)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                self.registry_changed();
                Ok(r.rows_affected() > 0)
            }

            pub(in crate::store) async fn revoke_impl(&self, entry: &Entry) -> Result<bool> {
                let mut tx = self.write.begin().await?;
                let done = match entry {
                    Entry::ApiKey(name) => sqlx::query("DELETE FROM api_keys WHERE name = $1")
                        .bind(name)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected(),
                    Entry::Membership { member, item } => sqlx::query(
                        "DELETE FROM memberships WHERE account_id = $1 AND item_id = $2",
                    )
                    .bind(member)
                    .bind(item)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
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
                        bind_entry(sqlx::query(&sql), entry)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected()
                    }
                    Entry::App(_) | Entry::Item(_) => {
                        let sql = entry_sql(entry, "active = FALSE");
                        bind_entry(sqlx::query(&sql), entry)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected()
                    }
                };
                tx.commit().await?;
                self.registry_changed();
                Ok(done > 0)
            }

            pub(in crate::store) async fn deactivated_impl(&self, entry: &Entry) -> Result<bool> {
                let sql = match entry {
                    Entry::App(_) => "SELECT active FROM apps WHERE name = $1",
                    Entry::Member(_) => "SELECT active FROM accounts WHERE id = $1",
                    Entry::Item(_) => "SELECT active FROM items WHERE id = $1",
                    _ => return Ok(false),
                };
                let q = bind_entry(sqlx::query(sql), entry);
                let row = q.fetch_optional(&self.read).await?;
                Ok(match row {
                    Some(r) => !sqlx::Row::try_get::<bool, _>(&r, 0)?,
                    None => false,
                })
            }

            pub(in crate::store) async fn upsert_api_key_impl(
                &self,
                name: &str,
                key: &str,
                scopes: &[Scope],
            ) -> Result<()> {
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
                .execute(&self.write)
                .await
                .map_err(db)?;
                Ok(())
            }

            pub(in crate::store) async fn create_api_key_impl(
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
                .execute(&self.write)
                .await
                .map_err(db)?;
                Ok(info)
            }

            pub(in crate::store) async fn find_api_key_impl(
                &self,
                key: &str,
            ) -> Result<Option<ApiKeyRecord>> {
                // The database is asked for the digest, never the key; the final comparison
                // is done here in constant time.
                let row: Option<(String, Json<Vec<Scope>>, String)> = sqlx::query_as(
                    "SELECT name, scopes, key_hash FROM api_keys WHERE key_hash = $1",
                )
                .bind(secret::digest(key))
                .fetch_optional(&self.read)
                .await?;
                Ok(row
                    .filter(|(_, _, stored)| secret::matches(stored, key))
                    .map(|(name, s, _)| ApiKeyRecord { name, scopes: s.0 }))
            }

            pub(in crate::store) async fn list_api_keys_impl(&self) -> Result<Vec<ApiKeyEntry>> {
                let rows: Vec<(Uuid, String, Json<Vec<Scope>>, bool, i64)> = sqlx::query_as(
                    "SELECT id, name, scopes, managed, created_at FROM api_keys \
                     ORDER BY created_at, name",
                )
                .fetch_all(&self.read)
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

            pub(in crate::store) async fn delete_api_key_impl(&self, id: Uuid) -> Result<bool> {
                let r = sqlx::query("DELETE FROM api_keys WHERE id = $1")
                    .bind(id)
                    .execute(&self.write)
                    .await
                    .map_err(db)?;
                Ok(r.rows_affected() > 0)
            }
        }
    };
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

mod sqlite_impl {
    use super::*;
    use crate::store::SqliteStore;
    registry_impl!(
        SqliteStore,
        sqlx::Sqlite,
        sqlx::SqliteConnection,
        "migrations/sqlite"
    );
}

mod pg_impl {
    use super::*;
    use crate::store::PgStore;
    registry_impl!(
        PgStore,
        sqlx::Postgres,
        sqlx::PgConnection,
        "migrations/postgres"
    );
}
