//! The standalone backend's database ([`MockDb`]) and the server's routes over it: who may do
//! what is decided by the same functions as on the server (`appframe_protocol::rules`), and
//! the refusals are the server's (status, Graasp code and name). [`super::backend`] persists it.
//!
//! Beyond the rules: a row is addressed only to a member of the item (400 AFERR025), file rows
//! are never patched, and strict routes (everything but listing settings and the context) need
//! an account.

use crate::{
    config::SeedAppData,
    error::Error,
    types::{ListFilter, NewAppData, Page},
    wire::{
        codec::{FromJson, ToJson, put, reader, writer},
        text::{format_uuid, parse_uuid},
    },
};
use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppExtra, AppExtraApp, AppItem, AppSetting, ItemId,
    ItemRef, JsonObject, Member, Permission, ProtocolError, RowId, Visibility,
    rules::{self, ActionScope, RowParties, Viewer},
    validate_setting_name, validate_type,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
#[cfg(all(test, not(target_arch = "wasm32")))]
use serde_json::json;
use time::OffsetDateTime;

/// Who is calling, as the server would read it from the token and the membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The account; `None` for an anonymous viewer.
    pub account: Option<AccountId>,
    /// The permission on the item.
    pub permission: Permission,
}

impl Caller {
    /// The caller as the access rules (`appframe_protocol::rules`) see it: a member of the item.
    fn viewer(&self) -> Viewer {
        Viewer {
            account: self.account,
            permission: Some(self.permission),
        }
    }

    /// Strict routes need an account (401 GERR027 as the server).
    fn account(&self) -> Result<AccountId, Error> {
        self.account
            .ok_or_else(|| Error::http(401, "GERR027", "NOT_AUTHENTICATED"))
    }

    /// Settings are written by those the rules let (403 GERR004 otherwise).
    fn require_admin(&self) -> Result<AccountId, Error> {
        let me = self.account()?;
        if !rules::can_write_settings(Some(self.permission)) {
            return Err(Error::http(403, "GERR004", "MEMBER_CANNOT_ADMIN_ITEM"));
        }
        Ok(me)
    }
}

/// A fresh row id and the current time, chosen by the caller (browser or test).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    /// The new row's id.
    pub id: RowId,
    /// Now.
    pub now: OffsetDateTime,
}

/// The account the standalone user acts as after `switch_account` (persisted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Acting {
    /// The account.
    pub account: AccountId,
    /// Its permission.
    pub permission: Permission,
}

/// File metadata of a file row, as the server stores it in `data.file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileMeta {
    /// The file name.
    pub name: String,
    /// The MIME type.
    pub mimetype: String,
}

/// Everything the mock server stores for one item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MockDb {
    /// Schema version of this JSON (bumped on incompatible changes; older data is reseeded).
    pub version: u32,
    /// Accounts known to the item.
    pub members: Vec<Member>,
    /// Account override set by `switch_account`.
    #[serde(default)]
    pub acting: Option<Acting>,
    /// App data, in creation order.
    pub app_data: Vec<AppData>,
    /// App actions, in creation order, as stored JSON: read into [`AppAction`]s only by the
    /// operations on actions.
    pub app_actions: Vec<Value>,
    /// App settings, in creation order, as stored JSON (typed only where used, as actions).
    pub app_settings: Vec<Value>,
}

/// Rows of a table kept as stored JSON, read into `T`; an unreadable row is a storage error.
fn rows<T: FromJson>(stored: &[Value]) -> Result<Vec<T>, Error> {
    stored.iter().map(|v| row(v)).collect()
}

/// One stored row read into `T`.
fn row<T: FromJson>(stored: &Value) -> Result<T, Error> {
    T::from_json(stored).map_err(Error::Storage)
}

/// The `id` of a stored row, read without its type's reader (`None` if it has none).
pub(crate) fn stored_id(stored: &Value) -> Option<RowId> {
    stored
        .get("id")
        .and_then(Value::as_str)
        .and_then(parse_uuid)
        .map(RowId)
}

reader!(read_acting, Acting, "acting", |f| Acting {
    account: AccountId(f.uuid("account")),
    permission: f.nested("permission"),
});

// The stored database, in the shape serde wrote it before (`acting` may be missing). Actions
// and settings are only checked to be arrays here; their rows are read when used.
reader!(read_mock_db, MockDb, "the standalone database", |f| {
    MockDb {
        version: f.uint("version", u64::from(u32::MAX)) as u32,
        members: f.nested("members"),
        acting: f.opt_nested("acting"),
        app_data: f.nested("appData"),
        app_actions: f.nested("appActions"),
        app_settings: f.nested("appSettings"),
    }
});

writer!(Acting, |a| {
    "account" => format_uuid(a.account.0).into(),
    "permission" => a.permission.to_json(),
});

writer!(MockDb, |db| {
    "version" => db.version.into(),
    "members" => db.members.to_json(),
    "acting" => db.acting.map_or(Value::Null, |a| a.to_json()),
    "appData" => db.app_data.to_json(),
    "appActions" => db.app_actions.to_json(),
    "appSettings" => db.app_settings.to_json(),
});

/// The current schema version of [`MockDb`].
pub(crate) const DB_VERSION: u32 = 1;

/// The time a patch stamps: `now`, or a microsecond after the row's last change when the
/// millisecond browser clock has not moved since. Live lists drop a patch that is not newer
/// than the row they hold (spec §5), so a create and a quick patch must not share a time; the
/// server's microsecond timestamps do not.
fn after(last: OffsetDateTime, now: OffsetDateTime) -> OffsetDateTime {
    if now > last {
        now
    } else {
        last + time::Duration::microseconds(1)
    }
}

fn not_found_data() -> Error {
    Error::http(404, "GAERR004", "APP_DATA_NOT_FOUND")
}

fn not_found_setting() -> Error {
    Error::http(404, "GAERR005", "APP_SETTING_NOT_FOUND")
}

fn bad_request(message: &str) -> Error {
    Error::http(400, "FST_ERR_VALIDATION", message)
}

/// A failed field check as the server reports it (`<field>: <reason>`, the `Display` text of
/// `ProtocolError::Invalid`).
pub(crate) fn invalid(e: ProtocolError) -> Error {
    match e {
        ProtocolError::Invalid { field, reason } => bad_request(&[field, ": ", &reason].concat()),
        _ => bad_request("invalid request"),
    }
}

fn is_file(d: &AppData) -> bool {
    d.ty == "file" || d.data.contains_key("file")
}

/// Reads `data.file` of a file row or setting.
pub(crate) fn file_meta(data: &JsonObject) -> Option<FileMeta> {
    let f = data.get("file")?.as_object()?;
    Some(FileMeta {
        name: f.get("name")?.as_str()?.to_owned(),
        mimetype: f
            .get("mimetype")
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream")
            .to_owned(),
    })
}

fn file_data(kind: &str, item: ItemId, id: RowId, meta: &FileMeta) -> JsonObject {
    let path = [
        "apps/",
        kind,
        "/",
        &format_uuid(item.0),
        "/",
        &format_uuid(id.0),
    ]
    .concat();
    let mut file = JsonObject::new();
    put(&mut file, "path", path.into());
    put(&mut file, "name", meta.name.as_str().into());
    put(&mut file, "mimetype", meta.mimetype.as_str().into());
    let mut data = JsonObject::new();
    put(&mut data, "file", Value::Object(file));
    data
}

/// Applies `limit`/`cursor` to rows in creation order; the cursor is the last row id returned.
fn paginate<T: Clone>(
    rows: Vec<&T>,
    id: impl Fn(&T) -> RowId,
    f: &ListFilter,
) -> Result<Page<T>, Error> {
    let start = match &f.cursor {
        None => 0,
        Some(c) => {
            let after = parse_uuid(c)
                .map(RowId)
                .ok_or_else(|| bad_request("invalid cursor"))?;
            rows.iter()
                .position(|r| id(r) == after)
                .map(|i| i + 1)
                .ok_or_else(|| bad_request("unknown cursor"))?
        }
    };
    let rest = rows.get(start..).unwrap_or_default();
    let take = f.limit.map_or(rest.len(), |l| (l as usize).min(rest.len()));
    // A plain loop rather than `take().map().collect()`: each adapter chain is its own
    // function in the wasm.
    let mut items: Vec<T> = Vec::with_capacity(take);
    for r in rest.get(..take).unwrap_or(rest) {
        items.push((*r).clone());
    }
    let next_cursor = if take < rest.len() {
        items.last().map(|r| format_uuid(id(r).0))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

impl MockDb {
    /// The `{id, name}` of a known account (404 GERR005 otherwise).
    pub(crate) fn member(&self, id: AccountId) -> Result<Member, Error> {
        self.members
            .iter()
            .find(|m| m.id == id)
            .cloned()
            .ok_or_else(|| Error::http(404, "GERR005", "MEMBER_NOT_FOUND"))
    }

    fn can_see(c: &Caller, d: &AppData) -> bool {
        rules::can_see_row(c.viewer(), RowParties::of(d))
    }

    fn can_modify(c: &Caller, d: &AppData) -> bool {
        rules::can_modify_row(c.viewer(), RowParties::of(d))
    }

    /// `GET .../app-data?type=`: visible rows of the type, in creation order.
    pub(crate) fn list_app_data(&self, c: &Caller, f: &ListFilter) -> Result<Page<AppData>, Error> {
        c.account()?;
        let mut rows: Vec<&AppData> = Vec::new();
        for d in &self.app_data {
            if f.ty.as_deref().is_none_or(|t| d.ty == t) && Self::can_see(c, d) {
                rows.push(d);
            }
        }
        paginate(rows, |d| d.id, f)
    }

    /// `POST .../app-data`.
    pub(crate) fn create_app_data(
        &mut self,
        c: &Caller,
        item: ItemId,
        input: &NewAppData,
        s: Stamp,
    ) -> Result<AppData, Error> {
        let me = c.account()?;
        validate_type(&input.ty).map_err(invalid)?;
        let creator = self.member(me)?;
        // As the server: a row is addressed only to a member of the item (400 AFERR025).
        let account = match input.account_id {
            Some(id) if id != me => self
                .member(id)
                .map_err(|_| Error::http(400, "AFERR025", "ACCOUNT_NOT_A_MEMBER"))?,
            _ => creator.clone(),
        };
        let row = AppData {
            id: s.id,
            item: ItemRef { id: item },
            member: account.clone(),
            account,
            creator: Some(creator),
            ty: input.ty.clone(),
            visibility: input.visibility.unwrap_or_default(),
            data: input.data.clone(),
            created_at: s.now,
            updated_at: s.now,
        };
        self.app_data.push(row.clone());
        Ok(row)
    }

    /// Stores the seed's rows as `author` (the configured account, already a member) with admin
    /// rights would create them: the endpoints' checks of the name, the type and the addressed
    /// account, without the caller checks that cannot fail here and the copy each endpoint
    /// returns (together about 1 KB gzip of a minimal app, which only ever seeds).
    pub(crate) fn seed(
        &mut self,
        author: &Member,
        item: ItemId,
        settings: &[(String, JsonObject)],
        data: &[SeedAppData],
        mut stamp: impl FnMut() -> Stamp,
    ) -> Result<(), Error> {
        for (name, data) in settings {
            validate_setting_name(name).map_err(invalid)?;
            let s = stamp();
            self.app_settings.push(
                AppSetting {
                    id: s.id,
                    name: name.clone(),
                    data: data.clone(),
                    creator: Some(author.clone()),
                    created_at: s.now,
                    updated_at: s.now,
                }
                .to_json(),
            );
        }
        for d in data {
            validate_type(&d.ty).map_err(invalid)?;
            let account = self.member(d.account_id.unwrap_or(author.id))?;
            let s = stamp();
            self.app_data.push(AppData {
                id: s.id,
                item: ItemRef { id: item },
                member: account.clone(),
                account,
                creator: Some(author.clone()),
                ty: d.ty.clone(),
                visibility: d.visibility,
                data: d.data.clone(),
                created_at: s.now,
                updated_at: s.now,
            });
        }
        Ok(())
    }

    /// `POST .../app-data/upload`: a `file` row addressed to the caller.
    pub(crate) fn create_app_data_file(
        &mut self,
        c: &Caller,
        item: ItemId,
        meta: &FileMeta,
        s: Stamp,
    ) -> Result<AppData, Error> {
        let input = NewAppData::new("file", file_data("app-data", item, s.id, meta))
            .with_visibility(Visibility::Member);
        self.create_app_data(c, item, &input, s)
    }

    /// `PATCH .../app-data/:id`.
    pub(crate) fn patch_app_data(
        &mut self,
        c: &Caller,
        id: RowId,
        data: JsonObject,
        now: OffsetDateTime,
    ) -> Result<AppData, Error> {
        c.account()?;
        let row = self
            .app_data
            .iter_mut()
            .find(|d| d.id == id)
            .ok_or_else(not_found_data)?;
        if is_file(row) {
            return Err(Error::http(403, "GAERR008", "PREVENT_UPDATE_APP_DATA_FILE"));
        }
        if !Self::can_modify(c, row) {
            return Err(Error::http(403, "GAERR009", "CANNOT_MODIFY_OTHER_MEMBERS"));
        }
        row.data = data;
        row.updated_at = after(row.updated_at, now);
        Ok(row.clone())
    }

    /// `DELETE .../app-data/:id`; returns the deleted row (the caller removes its file).
    pub(crate) fn delete_app_data(&mut self, c: &Caller, id: RowId) -> Result<AppData, Error> {
        c.account()?;
        let i = self
            .app_data
            .iter()
            .position(|d| d.id == id)
            .ok_or_else(not_found_data)?;
        if !Self::can_modify(c, &self.app_data[i]) {
            return Err(Error::http(403, "GAERR009", "CANNOT_MODIFY_OTHER_MEMBERS"));
        }
        Ok(self.app_data.remove(i))
    }

    /// `GET .../app-data/:id/download`: the file row, if the caller may see it.
    pub(crate) fn app_data_file(&self, c: &Caller, id: RowId) -> Result<FileMeta, Error> {
        c.account()?;
        let row = self
            .app_data
            .iter()
            .find(|d| d.id == id && Self::can_see(c, d))
            .ok_or_else(not_found_data)?;
        file_meta(&row.data).ok_or_else(not_found_data)
    }

    /// `GET .../app-action?accountId=`.
    pub(crate) fn list_app_actions(
        &self,
        c: &Caller,
        account: Option<AccountId>,
    ) -> Result<Vec<AppAction>, Error> {
        let me = c.account()?;
        let who = match rules::actions_of(me, Some(c.permission), account) {
            Some(ActionScope::All) => None,
            Some(ActionScope::Of(a)) => Some(a),
            None => return Err(Error::http(403, "GAERR006", "MEMBER_CANNOT_ADMIN_ITEM")),
        };
        let mut all: Vec<AppAction> = rows(&self.app_actions)?;
        all.retain(|a| who.is_none_or(|w| a.account.id == w));
        Ok(all)
    }

    /// `POST .../app-action` (the server answers 204; the action is returned for the live event).
    pub(crate) fn create_app_action(
        &mut self,
        c: &Caller,
        ty: &str,
        data: JsonObject,
        s: Stamp,
    ) -> Result<AppAction, Error> {
        let me = self.member(c.account()?)?;
        validate_type(ty).map_err(invalid)?;
        let action = AppAction {
            id: s.id,
            account: me.clone(),
            member: me,
            ty: ty.to_owned(),
            data,
            created_at: s.now,
        };
        self.app_actions.push(action.to_json());
        Ok(action)
    }

    /// `GET .../app-settings?name=` (optional auth: readers and anonymous viewers alike).
    pub(crate) fn list_app_settings(&self, name: Option<&str>) -> Result<Vec<AppSetting>, Error> {
        let mut all: Vec<AppSetting> = rows(&self.app_settings)?;
        all.retain(|s| name.is_none_or(|n| s.name == n));
        Ok(all)
    }

    /// The index of the stored setting `id`.
    fn setting_index(&self, id: RowId) -> Result<usize, Error> {
        self.app_settings
            .iter()
            .position(|s| stored_id(s) == Some(id))
            .ok_or_else(not_found_setting)
    }

    /// The stored setting `id`, read.
    pub(crate) fn app_setting(&self, id: RowId) -> Result<AppSetting, Error> {
        row(&self.app_settings[self.setting_index(id)?])
    }

    /// `POST .../app-settings` (admin only).
    pub(crate) fn create_app_setting(
        &mut self,
        c: &Caller,
        name: &str,
        data: JsonObject,
        s: Stamp,
    ) -> Result<AppSetting, Error> {
        let me = c.require_admin()?;
        validate_setting_name(name).map_err(invalid)?;
        let row = AppSetting {
            id: s.id,
            name: name.to_owned(),
            data,
            creator: Some(self.member(me)?),
            created_at: s.now,
            updated_at: s.now,
        };
        self.app_settings.push(row.to_json());
        Ok(row)
    }

    /// `POST .../app-settings/upload` (admin only; the name defaults to `file`).
    pub(crate) fn create_app_setting_file(
        &mut self,
        c: &Caller,
        item: ItemId,
        name: Option<&str>,
        meta: &FileMeta,
        s: Stamp,
    ) -> Result<AppSetting, Error> {
        let name: String = name.unwrap_or("file").chars().take(500).collect();
        let data = file_data("app-setting", item, s.id, meta);
        self.create_app_setting(c, &name, data, s)
    }

    /// `PATCH .../app-settings/:id` (admin only; file settings are documented as immutable).
    pub(crate) fn patch_app_setting(
        &mut self,
        c: &Caller,
        id: RowId,
        data: JsonObject,
        now: OffsetDateTime,
    ) -> Result<AppSetting, Error> {
        c.require_admin()?;
        let i = self.setting_index(id)?;
        let mut row: AppSetting = row(&self.app_settings[i])?;
        if row.data.contains_key("file") {
            return Err(Error::http(403, "GAERR009", "CANNOT_MODIFY_OTHER_MEMBERS"));
        }
        row.data = data;
        row.updated_at = after(row.updated_at, now);
        self.app_settings[i] = row.to_json();
        Ok(row)
    }

    /// `DELETE .../app-settings/:id` (admin only); returns the deleted setting.
    pub(crate) fn delete_app_setting(
        &mut self,
        c: &Caller,
        id: RowId,
    ) -> Result<AppSetting, Error> {
        c.require_admin()?;
        let i = self.setting_index(id)?;
        let row = row(&self.app_settings[i])?;
        self.app_settings.remove(i);
        Ok(row)
    }

    /// `GET .../app-settings/:id/download`.
    pub(crate) fn app_setting_file(&self, c: &Caller, id: RowId) -> Result<FileMeta, Error> {
        c.account()?;
        let row = self.app_setting(id)?;
        file_meta(&row.data).ok_or_else(not_found_setting)
    }

    /// `GET .../context`: the item and its members (none for an anonymous viewer).
    pub(crate) fn app_context(&self, c: &Caller, item: AppItem) -> AppContext {
        AppContext {
            item,
            members: if c.account.is_some() {
                self.members.clone()
            } else {
                Vec::new()
            },
        }
    }
}

/// The app item shown by the standalone backend's `app_context`.
pub(crate) fn standalone_item(
    id: ItemId,
    name: &str,
    lang: &str,
    settings: JsonObject,
    url: String,
    now: OffsetDateTime,
) -> AppItem {
    AppItem {
        id,
        name: name.to_owned(),
        description: None,
        path: format_uuid(id.0).replace('-', "_"),
        lang: lang.to_owned(),
        settings,
        ty: "app".into(),
        extra: AppExtra {
            app: AppExtraApp { url },
        },
        created_at: now,
        updated_at: now,
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
