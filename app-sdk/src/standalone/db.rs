//! The standalone backend's database ([`MockDb`]) and the server's routes over it: who may do
//! what is decided by the same functions as on the server (`appframe_protocol::rules`), and
//! the refusals are the server's (status, Graasp code and name). [`super::backend`] persists it.
//!
//! Beyond the rules: a row is addressed only to a member of the item (400 AFERR025), file rows
//! are never patched, and strict routes (everything but listing settings and the context) need
//! an account.
//!
//! This module holds the database, the caller and what the tables share; each table's routes
//! are in `db/app_data.rs`, `db/app_actions.rs` and `db/app_settings.rs`.

use crate::{
    config::SeedAppData,
    error::Error,
    wire::{
        codec::{FromJson, ToJson, put, reader, writer},
        text::{concat, format_uuid, parse_uuid},
    },
};
use appframe_protocol::{
    AccountId, AppContext, AppData, AppExtra, AppExtraApp, AppItem, AppSetting, ItemId, ItemRef,
    JsonObject, Member, Permission, ProtocolError, RowId,
    rules::{self, Viewer},
    validate_setting_name, validate_type,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

mod app_actions;
mod app_data;
mod app_settings;

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

fn bad_request(message: &str) -> Error {
    Error::http(400, "FST_ERR_VALIDATION", message)
}

/// A failed field check as the server reports it (`<field>: <reason>`, the `Display` text of
/// `ProtocolError::Invalid`).
pub(crate) fn invalid(e: ProtocolError) -> Error {
    match e {
        ProtocolError::Invalid { field, reason } => bad_request(&concat(&[field, ": ", &reason])),
        _ => bad_request("invalid request"),
    }
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
    let path = concat(&[
        "apps/",
        kind,
        "/",
        &format_uuid(item.0),
        "/",
        &format_uuid(id.0),
    ]);
    let mut file = JsonObject::new();
    put(&mut file, "path", path.into());
    put(&mut file, "name", meta.name.as_str().into());
    put(&mut file, "mimetype", meta.mimetype.as_str().into());
    let mut data = JsonObject::new();
    put(&mut data, "file", Value::Object(file));
    data
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
