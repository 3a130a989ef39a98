//! The SQL of the registry's entries, for both backends (`sql.rs` delegates here): publishers,
//! apps, accounts, items and memberships, and the reads of who may reach an item
//! (`permission`, `item_access`, `item_members`). Every write ticks the registry stamp.

use super::*;
use super::{
    backend::{Affected, Args, Backend, Column, Conn, Param},
    query::{Sql, fetch_list, fetch_opt},
    rows::*,
};
use sqlx::{ColumnIndex, Database, Encode, Executor, IntoArguments, Type, types::Json};

/// The registry entries' queries on one store.
pub(super) struct Entries<'a, B>(pub &'a B);

impl<B> Entries<'_, B>
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
    Option<String>: Param<B::Db>,
    for<'q> Option<&'q str>: Encode<'q, B::Db>,
    i64: Param<B::Db> + Column<B::Db>,
    bool: Column<B::Db>,
    Json<Vec<String>>: Param<B::Db> + Column<B::Db>,
    Json<Vec<Scope>>: Column<B::Db>,
    Json<JsonObject>: Column<B::Db>,
    for<'q> Json<&'q [Scope]>: Param<B::Db>,
    for<'q> Json<&'q JsonObject>: Param<B::Db>,
    for<'q> Json<&'q Vec<String>>: Param<B::Db>,
{
    pub async fn upsert_publisher(&self, p: &Publisher) -> Result<()> {
        sqlx::query(
            "INSERT INTO publishers (name, origins, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET origins = excluded.origins",
        )
        .bind(&p.name)
        .bind(Json(&p.origins))
        .bind(to_micros(now()))
        .execute(self.0.write())
        .await
        .map_err(db)?;
        self.0.registry_changed();
        Ok(())
    }

    pub async fn list_publishers(&self) -> Result<Vec<Publisher>> {
        fetch_list(
            self.0.read(),
            Sql::new("SELECT name, origins FROM publishers ORDER BY name"),
        )
        .await
    }

    pub async fn delete_publisher(&self, name: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM publishers WHERE name = $1")
            .bind(name)
            .execute(self.0.write())
            .await
            .map_err(db)?;
        self.0.registry_changed();
        Ok(r.rows_affected() > 0)
    }

    pub async fn upsert_app(&self, a: &AppRecord) -> Result<()> {
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
        .execute(self.0.write())
        .await
        .map_err(db)?;
        self.0.registry_changed();
        Ok(())
    }

    pub async fn list_apps(&self) -> Result<Vec<AppRecord>> {
        fetch_list(
            self.0.read(),
            Sql::new(format!(
                "SELECT {APP_COLUMNS} FROM apps WHERE active ORDER BY name"
            )),
        )
        .await
    }

    pub async fn get_app(&self, name: &str) -> Result<Option<AppRecord>> {
        fetch_opt(
            self.0.read(),
            &format!("SELECT {APP_COLUMNS} FROM apps WHERE active AND name = $1"),
            name,
        )
        .await
    }

    pub async fn delete_app(&self, name: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM apps WHERE name = $1")
            .bind(name)
            .execute(self.0.write())
            .await
            .map_err(db)?;
        self.0.registry_changed();
        Ok(r.rows_affected() > 0)
    }

    pub async fn upsert_account(&self, a: &Account) -> Result<()> {
        sqlx::query(
            "INSERT INTO accounts (id, name, kind, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind",
        )
        .bind(a.id)
        .bind(&a.name)
        .bind(a.kind.as_str())
        .bind(to_micros(now()))
        .execute(self.0.write())
        .await
        .map_err(db)?;
        self.0.registry_changed();
        Ok(())
    }

    pub async fn get_account(&self, id: Uuid) -> Result<Option<Account>> {
        fetch_opt(
            self.0.read(),
            "SELECT id, name, kind FROM accounts WHERE active AND id = $1",
            id,
        )
        .await
    }

    pub async fn list_accounts(&self) -> Result<Vec<Account>> {
        fetch_list(
            self.0.read(),
            Sql::new("SELECT id, name, kind FROM accounts WHERE active ORDER BY name, id"),
        )
        .await
    }

    pub async fn delete_account(&self, id: Uuid) -> Result<bool> {
        let r = sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(id)
            .execute(self.0.write())
            .await
            .map_err(db)?;
        self.0.registry_changed();
        Ok(r.rows_affected() > 0)
    }

    pub async fn upsert_item(&self, i: &ItemRecord) -> Result<()> {
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
        .execute(self.0.write())
        .await
        .map_err(db)?;
        self.0.registry_changed();
        Ok(())
    }

    pub async fn get_item(&self, id: Uuid) -> Result<Option<ItemRecord>> {
        fetch_opt(self.0.read(), &format!("{ITEM_SELECT} AND i.id = $1"), id).await
    }

    pub async fn list_items(&self) -> Result<Vec<ItemRecord>> {
        fetch_list(
            self.0.read(),
            Sql::new(format!("{ITEM_SELECT} ORDER BY i.created_at, i.id")),
        )
        .await
    }

    pub async fn delete_item(&self, id: Uuid) -> Result<bool> {
        let r = sqlx::query("DELETE FROM items WHERE id = $1")
            .bind(id)
            .execute(self.0.write())
            .await
            .map_err(db)?;
        self.0.registry_changed();
        Ok(r.rows_affected() > 0)
    }

    pub async fn set_membership(&self, m: &MembershipRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO memberships (account_id, item_id, permission, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, item_id) DO UPDATE SET \
             permission = excluded.permission",
        )
        .bind(m.member)
        .bind(m.item)
        .bind(m.permission.as_str())
        .bind(to_micros(now()))
        .execute(self.0.write())
        .await
        .map_err(db)?;
        self.0.registry_changed();
        Ok(())
    }

    pub async fn delete_membership(&self, member: Uuid, item: Uuid) -> Result<bool> {
        let r = sqlx::query("DELETE FROM memberships WHERE account_id = $1 AND item_id = $2")
            .bind(member)
            .bind(item)
            .execute(self.0.write())
            .await
            .map_err(db)?;
        self.0.registry_changed();
        Ok(r.rows_affected() > 0)
    }

    pub async fn permission(&self, member: Uuid, item: Uuid) -> Result<Option<Permission>> {
        let row: Option<(String,)> = sqlx::query_as(&format!(
            "SELECT m.permission {LIVE_MEMBERSHIPS} AND m.account_id = $1 AND m.item_id = $2"
        ))
        .bind(member)
        .bind(item)
        .fetch_optional(self.0.read())
        .await?;
        Ok(row.map(|(p,)| perm(&p)))
    }

    pub async fn list_memberships(
        &self,
        item: Option<Uuid>,
        member: Option<Uuid>,
    ) -> Result<Vec<MembershipRecord>> {
        let mut qb = Sql::new(format!(
            "SELECT m.account_id, m.item_id, m.permission {LIVE_MEMBERSHIPS}"
        ));
        if let Some(i) = item {
            qb.push(" AND m.item_id = ").push_bind(i);
        }
        if let Some(m) = member {
            qb.push(" AND m.account_id = ").push_bind(m);
        }
        qb.push(" ORDER BY m.created_at, m.account_id, m.item_id");
        fetch_list(self.0.read(), qb).await
    }

    pub async fn item_access(
        &self,
        item: Uuid,
        account: Option<Uuid>,
        session_handle: Option<&str>,
    ) -> Result<Option<ItemAccess>> {
        let row: Option<<ItemAccess as FromTuple>::Tuple> = sqlx::query_as(ITEM_ACCESS_SELECT)
            .bind(item)
            .bind(account)
            .bind(session_handle)
            .fetch_optional(self.0.read())
            .await?;
        Ok(row.map(ItemAccess::from_tuple))
    }

    pub async fn item_members(&self, item: Uuid) -> Result<Vec<Member>> {
        let rows: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT a.id, a.name FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE a.active AND m.item_id = $1 ORDER BY a.name, a.id",
        )
        .bind(item)
        .fetch_all(self.0.read())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| member(id, name))
            .collect())
    }
}
