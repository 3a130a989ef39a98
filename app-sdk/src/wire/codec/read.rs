//! The readers of the protocol's shapes the SDK reads: enums by their wire names, DTOs by
//! field lists with [`reader!`].

use super::{FromJson, reader};
use crate::wire::text::concat;
use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppExtra, AppExtraApp, AppItem, AppSetting,
    ChatBotAnswer, Context, ErrorBody, HostCapabilities, ItemId, ItemRef, LocalContext, Member,
    Permission, RowId, Visibility,
};
use serde_json::Value;

/// An enum's wire name, mapped by `f`.
fn name_of<T>(v: &Value, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, String> {
    v.as_str().and_then(f).ok_or_else(|| unknown(what))
}

/// The error of [`name_of`], kept out of it: that one is copied for every enum read.
#[inline(never)]
fn unknown(what: &str) -> String {
    concat(&["unknown ", what])
}

impl FromJson for Permission {
    fn from_json(v: &Value) -> Result<Self, String> {
        name_of(v, "permission", Permission::parse)
    }
    fn placeholder() -> Self {
        Permission::Read
    }
}

impl FromJson for Visibility {
    fn from_json(v: &Value) -> Result<Self, String> {
        name_of(v, "visibility", |s| match s {
            "member" => Some(Visibility::Member),
            "item" => Some(Visibility::Item),
            _ => None,
        })
    }
    fn placeholder() -> Self {
        Visibility::Member
    }
}

impl FromJson for Context {
    /// Unknown names are `Context::Unknown` (`#[serde(other)]`).
    fn from_json(v: &Value) -> Result<Self, String> {
        name_of(v, "context", |s| {
            Some(match s {
                "builder" => Context::Builder,
                "player" => Context::Player,
                "library" => Context::Library,
                "analytics" => Context::Analytics,
                "account" => Context::Account,
                "auth" => Context::Auth,
                "home" => Context::Home,
                "standalone" => Context::Standalone,
                _ => Context::Unknown,
            })
        })
    }
    fn placeholder() -> Self {
        Context::Standalone
    }
}

reader!(read_member, Member, "a member", |f| Member {
    id: AccountId(f.uuid("id")),
    name: f.string("name"),
});

reader!(read_host_capabilities, HostCapabilities, "appframe", |f| {
    HostCapabilities {
        version: f.uint("version", u64::from(u32::MAX)) as u32,
        features: f.opt_nested("features").unwrap_or_default(),
        granted: f.opt_nested("granted"),
    }
});

// The host's context, with `memberId` as the legacy spelling of `accountId`.
reader!(read_local_context, LocalContext, "a context", |f| {
    let mut c = LocalContext::new(f.string("apiHost"), ItemId(f.uuid("itemId")));
    let account = f.opt_uuid("accountId");
    let member = f.opt_uuid("memberId");
    c.account_id = account.or(member).map(AccountId);
    c.permission = f.opt_nested("permission").unwrap_or_default();
    c.context = f.opt_nested("context").unwrap_or_default();
    if let Some(lang) = f.opt_string("lang") {
        c.lang = lang;
    }
    c.settings = f.opt_map("settings");
    c.offline = f.flag("offline");
    c.dev = f.flag("dev");
    c.mobile = f.flag("mobile");
    c.appframe = f.opt_nested("appframe");
    c
});

reader!(read_item_ref, ItemRef, "an item", |f| ItemRef {
    id: ItemId(f.uuid("id")),
});

reader!(read_app_data, AppData, "an app data", |f| AppData {
    id: RowId(f.uuid("id")),
    item: f.nested("item"),
    account: f.nested("account"),
    member: f.nested("member"),
    creator: f.opt_nested("creator"),
    ty: f.string("type"),
    visibility: f.nested("visibility"),
    data: f.map("data"),
    created_at: f.stamp("createdAt"),
    updated_at: f.stamp("updatedAt"),
});

reader!(read_app_action, AppAction, "an app action", |f| AppAction {
    id: RowId(f.uuid("id")),
    account: f.nested("account"),
    member: f.nested("member"),
    ty: f.string("type"),
    data: f.map("data"),
    created_at: f.stamp("createdAt"),
});

reader!(read_app_setting, AppSetting, "an app setting", |f| {
    AppSetting {
        id: RowId(f.uuid("id")),
        name: f.string("name"),
        data: f.map("data"),
        creator: f.opt_nested("creator"),
        created_at: f.stamp("createdAt"),
        updated_at: f.stamp("updatedAt"),
    }
});

reader!(read_app_extra, AppExtra, "extra", |f| AppExtra {
    app: f.nested("app"),
});

reader!(read_app_extra_app, AppExtraApp, "extra.app", |f| {
    AppExtraApp {
        url: f.string("url"),
    }
});

reader!(read_app_item, AppItem, "an item", |f| AppItem {
    id: ItemId(f.uuid("id")),
    name: f.string("name"),
    description: f.opt_string("description"),
    path: f.string("path"),
    lang: f.string("lang"),
    settings: f.map("settings"),
    ty: f.string("type"),
    extra: f.nested("extra"),
    created_at: f.stamp("createdAt"),
    updated_at: f.stamp("updatedAt"),
});

reader!(read_app_context, AppContext, "an app context", |f| {
    AppContext {
        item: f.nested("item"),
        members: f.nested("members"),
    }
});

reader!(read_error_body, ErrorBody, "an error body", |f| ErrorBody {
    name: f.string("name"),
    code: f.string("code"),
    message: f.string("message"),
    status_code: f.uint("statusCode", u64::from(u16::MAX)) as u16,
    data: f.opt_nested("data"),
    origin: f.opt_string("origin"),
});

reader!(
    read_chat_bot_answer,
    ChatBotAnswer,
    "a chat-bot answer",
    |f| {
        ChatBotAnswer {
            completion: f.opt_string("completion"),
            model: f.opt_string("model"),
        }
    }
);
