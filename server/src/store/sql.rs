//! The SQL of the store, written once for both backends: `impl Store` for every
//! [`Backend`]. Placeholders are `$N`, which SQLite and Postgres both accept;
//! `INSERT ... ON CONFLICT`, `RETURNING` and row-value comparisons exist in both. What the two
//! do differently (the group commit, row locking, change stamps) is behind [`Backend`].

use super::*;
use super::{
    backend::{Affected, Args, Backend, Column, Conn, Param},
    entries::Entries,
    query::{Sql, fetch_list, fetch_opt, push_page},
    registry::Registry,
    rows::*,
    storage::Storage,
    usage::Data,
};
use sqlx::{ColumnIndex, Database, Encode, Executor, IntoArguments, Type, types::Json};

/// Every [`Backend`] is a [`Store`]. The bounds name what its queries bind and decode; each
/// generic impl states them again (see `backend.rs`).
#[async_trait::async_trait]
impl<B> Store for B
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
    async fn migrate(&self) -> Result<()> {
        B::migrator().run(self.write()).await?;
        self.registry_changed();
        Ok(())
    }

    fn backend(&self) -> &'static str {
        B::NAME
    }

    async fn lock_configuration(&self) -> Result<ConfigLock> {
        Backend::lock_configuration(self).await
    }

    fn stamps(&self) -> Option<&Stamps> {
        if B::FENCED {
            None
        } else {
            Backend::stamps(self)
        }
    }

    async fn fresh_stamps(&self, arrived: std::time::Instant) -> Option<&Stamps> {
        Backend::fresh_stamps(self, arrived).await
    }

    async fn upsert_publisher(&self, p: &Publisher) -> Result<()> {
        Entries(self).upsert_publisher(p).await
    }

    async fn list_publishers(&self) -> Result<Vec<Publisher>> {
        Entries(self).list_publishers().await
    }

    async fn delete_publisher(&self, name: &str) -> Result<bool> {
        Entries(self).delete_publisher(name).await
    }

    async fn upsert_app(&self, a: &AppRecord) -> Result<()> {
        Entries(self).upsert_app(a).await
    }

    async fn list_apps(&self) -> Result<Vec<AppRecord>> {
        Entries(self).list_apps().await
    }

    async fn get_app(&self, name: &str) -> Result<Option<AppRecord>> {
        Entries(self).get_app(name).await
    }

    async fn delete_app(&self, name: &str) -> Result<bool> {
        Entries(self).delete_app(name).await
    }

    async fn upsert_account(&self, a: &Account) -> Result<()> {
        Entries(self).upsert_account(a).await
    }

    async fn get_account(&self, id: Uuid) -> Result<Option<Account>> {
        Entries(self).get_account(id).await
    }

    async fn list_accounts(&self) -> Result<Vec<Account>> {
        Entries(self).list_accounts().await
    }

    async fn delete_account(&self, id: Uuid) -> Result<bool> {
        Entries(self).delete_account(id).await
    }

    async fn upsert_item(&self, i: &ItemRecord) -> Result<()> {
        Entries(self).upsert_item(i).await
    }

    async fn get_item(&self, id: Uuid) -> Result<Option<ItemRecord>> {
        Entries(self).get_item(id).await
    }

    async fn list_items(&self) -> Result<Vec<ItemRecord>> {
        Entries(self).list_items().await
    }

    async fn delete_item(&self, id: Uuid) -> Result<bool> {
        Entries(self).delete_item(id).await
    }

    async fn set_membership(&self, m: &MembershipRecord) -> Result<()> {
        Entries(self).set_membership(m).await
    }

    async fn delete_membership(&self, member: Uuid, item: Uuid) -> Result<bool> {
        Entries(self).delete_membership(member, item).await
    }

    async fn permission(&self, member: Uuid, item: Uuid) -> Result<Option<Permission>> {
        Entries(self).permission(member, item).await
    }

    async fn list_memberships(
        &self,
        item: Option<Uuid>,
        member: Option<Uuid>,
    ) -> Result<Vec<MembershipRecord>> {
        Entries(self).list_memberships(item, member).await
    }

    async fn item_access(
        &self,
        item: Uuid,
        account: Option<Uuid>,
        session_handle: Option<&str>,
    ) -> Result<Option<ItemAccess>> {
        Entries(self)
            .item_access(item, account, session_handle)
            .await
    }

    async fn item_members(&self, item: Uuid) -> Result<Vec<Member>> {
        Entries(self).item_members(item).await
    }

    async fn upsert_api_key(&self, name: &str, key: &str, scopes: &[Scope]) -> Result<()> {
        Registry(self).upsert_api_key(name, key, scopes).await
    }

    async fn create_api_key(&self, name: &str, key: &str, scopes: &[Scope]) -> Result<ApiKeyEntry> {
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
        Registry(self).create_session(id, account, expires_at).await
    }

    async fn session(&self, id: &str, now: OffsetDateTime) -> Result<Option<SessionInfo>> {
        Registry(self).session(id, now).await
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        Registry(self).delete_session(id).await
    }

    async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        Registry(self).purge_sessions(now).await
    }

    async fn insert_app_data(&self, row: &AppDataRow, limits: &Limits) -> Result<()> {
        Backend::insert_app_data_row(self, row, limits).await
    }

    async fn get_app_data(&self, id: Uuid) -> Result<Option<AppDataRow>> {
        fetch_opt(self.read(), &format!("{DATA_SELECT} WHERE d.id = $1"), id).await
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

    async fn app_data_positions(&self, q: &DataQuery, limit: i64) -> Result<Vec<(i64, Uuid)>> {
        Data(self).positions(q, limit).await
    }

    async fn delete_app_data(&self, id: Uuid) -> Result<bool> {
        let r: Option<(Uuid,)> =
            sqlx::query_as("DELETE FROM app_data WHERE id = $1 RETURNING item_id")
                .bind(id)
                .fetch_optional(self.write())
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

    async fn get_app_action(&self, id: Uuid) -> Result<Option<AppActionRow>> {
        fetch_opt(self.read(), &format!("{ACTION_SELECT} WHERE x.id = $1"), id).await
    }

    async fn list_app_actions(
        &self,
        item: Uuid,
        account: Option<Uuid>,
        page: Page,
    ) -> Result<Vec<AppActionRow>> {
        let mut qb = Sql::new(ACTION_SELECT);
        qb.push(" WHERE x.item_id = ").push_bind(item);
        if let Some(a) = account {
            qb.push(" AND x.account_id = ").push_bind(a);
        }
        push_page(&mut qb, "x", page);
        fetch_list(self.read(), qb).await
    }

    async fn app_action_page_end(
        &self,
        item: Uuid,
        account: Option<Uuid>,
        page: Page,
    ) -> Result<Option<(i64, Uuid)>> {
        // The page's last row and the one after it, read from the index: two rows
        // mean the page is followed by more.
        let mut qb = Sql::new("SELECT x.created_at, x.id FROM app_action x WHERE x.item_id = ");
        qb.push_bind(item);
        if let Some(a) = account {
            qb.push(" AND x.account_id = ").push_bind(a);
        }
        let size = (page.limit - 1).max(1);
        push_page(&mut qb, "x", Page { limit: 2, ..page });
        qb.push(" OFFSET ").push_bind(size - 1);
        let rows: Vec<(i64, Uuid)> = qb.query_as().fetch_all(self.read()).await?;
        Ok(if rows.len() == 2 {
            rows.first().copied()
        } else {
            None
        })
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
        .execute(self.write())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_app_setting(&self, id: Uuid) -> Result<Option<AppSettingRow>> {
        fetch_opt(
            self.read(),
            &format!("{SETTING_SELECT} WHERE s.id = $1"),
            id,
        )
        .await
    }

    async fn list_app_settings(
        &self,
        item: Uuid,
        name: Option<&str>,
        page: Page,
    ) -> Result<Vec<AppSettingRow>> {
        let mut qb = Sql::new(SETTING_SELECT);
        qb.push(" WHERE s.item_id = ").push_bind(item);
        if let Some(n) = name {
            qb.push(" AND s.name = ").push_bind(n.to_owned());
        }
        push_page(&mut qb, "s", page);
        fetch_list(self.read(), qb).await
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
            .execute(self.write())
            .await
            .map_err(db)?;
        Ok(r.rows_affected() > 0)
    }

    async fn delete_app_setting(&self, id: Uuid) -> Result<bool> {
        let r = sqlx::query("DELETE FROM app_setting WHERE id = $1")
            .bind(id)
            .execute(self.write())
            .await
            .map_err(db)?;
        Ok(r.rows_affected() > 0)
    }

    async fn file_usage(&self, item: Uuid, account: Uuid) -> Result<Usage> {
        let mut c = self.read().acquire().await?;
        Data::<B>::files_usage(&mut c, item, Some(account)).await
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
        fetch_opt(
            self.read(),
            &format!("{FILE_SELECT} WHERE row_id = $1"),
            row_id,
        )
        .await
    }

    async fn delete_file(&self, row_id: Uuid) -> Result<()> {
        sqlx::query("DELETE FROM files WHERE row_id = $1")
            .bind(row_id)
            .execute(self.write())
            .await?;
        Ok(())
    }

    async fn item_files(&self, item: Uuid) -> Result<Vec<FileRecord>> {
        let mut qb = Sql::new(FILE_SELECT);
        qb.push(" WHERE item_id = ").push_bind(item);
        fetch_list(self.read(), qb).await
    }

    async fn storage_get(
        &self,
        item: Uuid,
        account: Uuid,
        key: &str,
    ) -> Result<Option<(String, OffsetDateTime)>> {
        let got = Storage(self).get(item, account, key).await?;
        Ok(got.map(|(value, at)| (value, from_micros(at))))
    }

    async fn storage_keys(&self, item: Uuid, account: Uuid) -> Result<Vec<String>> {
        Storage(self).keys(item, account).await
    }

    async fn storage_set(
        &self,
        item: Uuid,
        account: Uuid,
        key: &str,
        value: &str,
        at: OffsetDateTime,
        limits: &Limits,
    ) -> Result<()> {
        Storage(self)
            .set(item, account, key, value, at, limits)
            .await
    }

    async fn storage_remove(&self, item: Uuid, account: Uuid, key: &str) -> Result<bool> {
        Storage(self).remove(item, account, key).await
    }
}
