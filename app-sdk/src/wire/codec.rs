//! Readers and writers for every protocol shape the SDK itself reads or writes (host
//! messages, API responses and request bodies, the standalone database), over
//! `serde_json::Value`, generated from field lists by [`reader!`] and [`writer!`]. They follow
//! the serde derives' rules (unknown fields ignored, a missing or `null` optional field is
//! `None`, defaults where the protocol declares them); the tests check them against the derives
//! on the same texts. Why not the derives themselves: see the size policy in [`crate::wire`].

use super::text::{format_time, format_uuid, parse_time, parse_uuid};
use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppExtra, AppExtraApp, AppItem, AppSetting,
    ChatBotAnswer, ChatBotMessage, Context, CreateAppAction, CreateAppData, CreateAppSetting,
    ErrorBody, HostCapabilities, ItemId, ItemRef, JsonObject, KeyOrigin, LocalContext, Member,
    PatchData, Permission, RowId, Visibility,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

/// A type read from a JSON value.
pub(crate) trait FromJson: Sized {
    /// Reads `v`; the error names the offending field.
    fn from_json(v: &Value) -> Result<Self, String>;
    /// A stand-in while a reader that already failed reads on (see [`Fields`]); never returned.
    fn placeholder() -> Self;
}

/// A type written as a JSON value.
pub(crate) trait ToJson {
    /// The JSON value of `self`.
    fn to_json(&self) -> Value;
}

/// `v` as an object.
pub(crate) fn object<'a>(v: &'a Value, what: &str) -> Result<&'a JsonObject, String> {
    v.as_object()
        .ok_or_else(|| ["expected ", what, " object"].concat())
}

/// Reads the fields of one object. The first problem is kept and reported by [`Fields::done`];
/// after it, fields read as placeholders. One exit per reader, instead of one per field with
/// the drop code of every field read so far, is what keeps the readers small.
pub(crate) struct Fields<'a> {
    o: Option<&'a JsonObject>,
    err: Option<String>,
}

impl<'a> Fields<'a> {
    /// The fields of `v`, which must be an object (`what` names it in the error).
    pub(crate) fn of(v: &'a Value, what: &str) -> Fields<'a> {
        let o = v.as_object();
        let err = o.is_none().then(|| ["expected ", what, " object"].concat());
        Fields { o, err }
    }

    /// Fields of no object, already failed: every field reads as its empty value (what the
    /// placeholders of the generated readers are made of).
    pub(crate) fn empty() -> Fields<'a> {
        Fields {
            o: None,
            err: Some(String::new()),
        }
    }

    /// `value` if every field read well, else the first error.
    pub(crate) fn done<T>(self, value: T) -> Result<T, String> {
        match self.err {
            None => Ok(value),
            Some(e) => Err(e),
        }
    }

    fn fail(&mut self, k: &str, what: &str) {
        if self.err.is_none() {
            self.err = Some(["invalid field `", k, "`: expected ", what].concat());
        }
    }

    /// A field that may be missing or `null`.
    fn opt(&self, k: &str) -> Option<&'a Value> {
        self.o?.get(k).filter(|v| !v.is_null())
    }

    fn req(&mut self, k: &str) -> Option<&'a Value> {
        let v = self.opt(k);
        if v.is_none() && self.err.is_none() {
            self.err = Some(["missing field `", k, "`"].concat());
        }
        v
    }

    /// Reads a present value with `f`; `None` (and the error recorded) when `f` refuses it.
    fn with<T>(
        &mut self,
        v: Option<&'a Value>,
        k: &str,
        what: &str,
        f: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let out = v.and_then(f);
        if out.is_none() && v.is_some() {
            self.fail(k, what);
        }
        out
    }

    /// A required string.
    pub(crate) fn string(&mut self, k: &str) -> String {
        let v = self.req(k);
        self.with(v, k, "a string", |v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    fn opt_string(&mut self, k: &str) -> Option<String> {
        let v = self.opt(k);
        self.with(v, k, "a string", |v| v.as_str().map(str::to_owned))
    }

    fn flag(&mut self, k: &str) -> bool {
        let v = self.opt(k);
        self.with(v, k, "a boolean", Value::as_bool)
            .unwrap_or_default()
    }

    /// A required unsigned integer up to `max`.
    pub(crate) fn uint(&mut self, k: &str, max: u64) -> u64 {
        let v = self.req(k);
        self.with(v, k, "an unsigned integer", |v| {
            v.as_u64().filter(|n| *n <= max)
        })
        .unwrap_or_default()
    }

    fn map(&mut self, k: &str) -> JsonObject {
        let v = self.req(k);
        self.with(v, k, "an object", |v| v.as_object().cloned())
            .unwrap_or_default()
    }

    fn opt_map(&mut self, k: &str) -> JsonObject {
        let v = self.opt(k);
        self.with(v, k, "an object", |v| v.as_object().cloned())
            .unwrap_or_default()
    }

    /// A required UUID.
    pub(crate) fn uuid(&mut self, k: &str) -> Uuid {
        let v = self.req(k);
        self.with(v, k, "a UUID", |v| v.as_str().and_then(parse_uuid))
            .unwrap_or_default()
    }

    fn opt_uuid(&mut self, k: &str) -> Option<Uuid> {
        let v = self.opt(k);
        self.with(v, k, "a UUID", |v| v.as_str().and_then(parse_uuid))
    }

    fn stamp(&mut self, k: &str) -> OffsetDateTime {
        let v = self.req(k);
        self.with(v, k, "a timestamp", |v| v.as_str().and_then(parse_time))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    fn nested_of<T: FromJson>(&mut self, v: Option<&'a Value>, k: &str) -> Option<T> {
        match T::from_json(v?) {
            Ok(x) => Some(x),
            Err(e) => {
                self.nested_failed(k, &e);
                None
            }
        }
    }

    /// The error path of [`Fields::nested_of`], kept out of it: that one is copied for every
    /// type read, this one is not.
    #[inline(never)]
    fn nested_failed(&mut self, k: &str, e: &str) {
        if self.err.is_none() {
            self.err = Some([k, ": ", e].concat());
        }
    }

    /// A required value of a readable type.
    pub(crate) fn nested<T: FromJson>(&mut self, k: &str) -> T {
        let v = self.req(k);
        self.nested_of(v, k).unwrap_or_else(T::placeholder)
    }

    /// An optional value of a readable type (missing or `null` is `None`).
    pub(crate) fn opt_nested<T: FromJson>(&mut self, k: &str) -> Option<T> {
        let v = self.opt(k);
        self.nested_of(v, k)
    }
}

/// [`FromJson`] for a struct from one expression that builds it from its [`Fields`]:
/// `reader!(read_x, X, "an x", |f| X { id: RowId(f.uuid("id")), name: f.string("name") });`
/// defines the function `read_x` and the impl. The placeholder is the same function over
/// [`Fields::empty`], so each reader is written once, as a field list.
macro_rules! reader {
    ($read:ident, $ty:ty, $what:literal, |$f:ident| $build:expr) => {
        fn $read($f: &mut $crate::wire::codec::Fields<'_>) -> $ty {
            $build
        }

        impl $crate::wire::codec::FromJson for $ty {
            fn from_json(v: &serde_json::Value) -> Result<Self, String> {
                let mut f = $crate::wire::codec::Fields::of(v, $what);
                let value = $read(&mut f);
                f.done(value)
            }
            fn placeholder() -> Self {
                $read(&mut $crate::wire::codec::Fields::empty())
            }
        }
    };
}
#[cfg(feature = "standalone")]
pub(crate) use reader;

/// [`ToJson`] for a struct as the object of the listed members, in order:
/// `writer!(X, |x| { "id" => id_value(x.id.0), "name" => x.name.as_str().into() });`
/// (members that are left out when `None` are written by hand: see `CreateAppData`).
macro_rules! writer {
    ($ty:ty, |$s:ident| { $($key:literal => $value:expr),* $(,)? }) => {
        impl $crate::wire::codec::ToJson for $ty {
            fn to_json(&self) -> serde_json::Value {
                let $s = self;
                let mut o = serde_json::Map::new();
                $($crate::wire::codec::put(&mut o, $key, $value);)*
                serde_json::Value::Object(o)
            }
        }
    };
}
#[cfg(feature = "standalone")]
pub(crate) use writer;

/// An enum's wire name, mapped by `f`.
fn name_of<T>(v: &Value, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, String> {
    v.as_str().and_then(f).ok_or_else(|| unknown(what))
}

/// The error of [`name_of`], kept out of it: that one is copied for every enum read.
#[inline(never)]
fn unknown(what: &str) -> String {
    ["unknown ", what].concat()
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Result<Self, String> {
        let items = v.as_array().ok_or_else(|| "expected an array".to_owned())?;
        let mut out = Vec::with_capacity(items.len());
        for x in items {
            out.push(T::from_json(x)?);
        }
        Ok(out)
    }
    fn placeholder() -> Self {
        Vec::new()
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl FromJson for Value {
    fn from_json(v: &Value) -> Result<Self, String> {
        Ok(v.clone())
    }
    fn placeholder() -> Self {
        Value::Null
    }
}

impl ToJson for Value {
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl FromJson for String {
    fn from_json(v: &Value) -> Result<Self, String> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| "expected a string".to_owned())
    }
    fn placeholder() -> Self {
        String::new()
    }
}

impl FromJson for Permission {
    fn from_json(v: &Value) -> Result<Self, String> {
        name_of(v, "permission", Permission::parse)
    }
    fn placeholder() -> Self {
        Permission::Read
    }
}

impl ToJson for Permission {
    fn to_json(&self) -> Value {
        self.as_str().into()
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

/// Sets one member of an object being written. Out of line: one call per member at every
/// writer instead of a key allocation, an insert and a drop of the replaced value.
#[inline(never)]
pub(crate) fn put(o: &mut JsonObject, k: &str, v: Value) {
    o.insert(k.to_owned(), v);
}

writer!(Member, |m| {
    "id" => id_value(m.id.0),
    "name" => m.name.as_str().into(),
});

writer!(ItemRef, |r| {
    "id" => id_value(r.id.0),
});

writer!(AppData, |d| {
    "id" => id_value(d.id.0),
    "item" => d.item.to_json(),
    "account" => d.account.to_json(),
    "member" => d.member.to_json(),
    "creator" => d.creator.as_ref().map_or(Value::Null, ToJson::to_json),
    "type" => d.ty.as_str().into(),
    "visibility" => d.visibility.as_str().into(),
    "data" => Value::Object(d.data.clone()),
    "createdAt" => format_time(&d.created_at).into(),
    "updatedAt" => format_time(&d.updated_at).into(),
});

writer!(AppAction, |a| {
    "id" => id_value(a.id.0),
    "account" => a.account.to_json(),
    "member" => a.member.to_json(),
    "type" => a.ty.as_str().into(),
    "data" => Value::Object(a.data.clone()),
    "createdAt" => format_time(&a.created_at).into(),
});

writer!(AppSetting, |s| {
    "id" => id_value(s.id.0),
    "name" => s.name.as_str().into(),
    "data" => Value::Object(s.data.clone()),
    "creator" => s.creator.as_ref().map_or(Value::Null, ToJson::to_json),
    "createdAt" => format_time(&s.created_at).into(),
    "updatedAt" => format_time(&s.updated_at).into(),
});

writer!(KeyOrigin, |k| {
    "key" => k.key.as_str().into(),
    "origin" => k.origin.as_str().into(),
});

impl ToJson for CreateAppData {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "data", Value::Object(self.data.clone()));
        put(&mut o, "type", self.ty.as_str().into());
        if let Some(v) = self.visibility {
            put(&mut o, "visibility", v.as_str().into());
        }
        if let Some(a) = self.account_id {
            put(&mut o, "accountId", id_value(a.0));
        }
        if let Some(m) = self.member_id {
            put(&mut o, "memberId", id_value(m.0));
        }
        Value::Object(o)
    }
}

writer!(PatchData, |p| {
    "data" => Value::Object(p.data.clone()),
});

writer!(CreateAppAction, |a| {
    "data" => Value::Object(a.data.clone()),
    "type" => a.ty.as_str().into(),
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

writer!(ChatBotMessage, |m| {
    "role" => m.role.as_str().into(),
    "content" => m.content.as_str().into(),
});

writer!(CreateAppSetting, |c| {
    "name" => c.name.as_str().into(),
    "data" => Value::Object(c.data.clone()),
});

fn id_value(u: Uuid) -> Value {
    Value::String(format_uuid(u))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn read<T: FromJson>(text: &str) -> Result<T, String> {
        T::from_json(&serde_json::from_str(text).unwrap())
    }

    const ROW: &str = r#"{"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","item":{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca427"},
        "account":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"Ann"},"member":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"Ann"},
        "creator":null,"type":"note","visibility":"item","data":{"n":1,"x":[true,null,"s",2.5]},
        "createdAt":"2025-04-17 11:07:30.123+00","updatedAt":"2025-04-17T11:07:31Z","extra":"ignored"}"#;

    #[test]
    fn rows_read_as_the_serde_derives_read_them() {
        let ours: AppData = read(ROW).unwrap();
        assert_eq!(ours, serde_json::from_str::<AppData>(ROW).unwrap());
        let action = r#"{"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","account":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"A"},
            "member":{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"A"},"type":"vote","data":{},"createdAt":"2025-01-01T00:00:00Z"}"#;
        let ours: AppAction = read(action).unwrap();
        assert_eq!(ours, serde_json::from_str::<AppAction>(action).unwrap());
        let setting = r#"{"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","name":"config","data":{"a":{"b":"c"}},
            "createdAt":"2025-01-01T00:00:00.5+02:00","updatedAt":"2025-01-01T00:00:00Z"}"#;
        let ours: AppSetting = read(setting).unwrap();
        assert_eq!(ours, serde_json::from_str::<AppSetting>(setting).unwrap());
        assert_eq!(ours.creator, None);
        for answer in [
            r#"{"completion":"hi","model":"m"}"#,
            r#"{"completion":null,"model":"m"}"#,
            r#"{"completion":"hi"}"#,
        ] {
            let ours: ChatBotAnswer = read(answer).unwrap();
            assert_eq!(ours, serde_json::from_str::<ChatBotAnswer>(answer).unwrap());
        }
        assert!(read::<ChatBotAnswer>(r#"{"completion":7}"#).is_err());
    }

    #[test]
    fn rows_written_read_back_equal_and_match_the_serde_text() {
        let row: AppData = read(ROW).unwrap();
        assert_eq!(AppData::from_json(&row.to_json()).unwrap(), row);
        assert_eq!(row.to_json(), serde_json::to_value(&row).unwrap());
        let setting = AppSetting {
            id: row.id,
            name: "n".into(),
            data: row.data.clone(),
            creator: Some(row.account.clone()),
            created_at: row.created_at,
            updated_at: row.updated_at,
        };
        assert_eq!(setting.to_json(), serde_json::to_value(&setting).unwrap());
        let action = AppAction {
            id: row.id,
            account: row.account.clone(),
            member: row.member.clone(),
            ty: "vote".into(),
            data: row.data.clone(),
            created_at: row.created_at,
        };
        assert_eq!(action.to_json(), serde_json::to_value(&action).unwrap());
    }

    #[test]
    fn request_bodies_are_the_serde_encoding() {
        let row: AppData = read(ROW).unwrap();
        let create = CreateAppData {
            data: row.data.clone(),
            ty: "note".into(),
            visibility: Some(Visibility::Member),
            account_id: Some(row.account.id),
            member_id: None,
        };
        assert_eq!(create.to_json(), serde_json::to_value(&create).unwrap());
        let bare = CreateAppData {
            visibility: None,
            account_id: None,
            ..create
        };
        assert_eq!(bare.to_json(), serde_json::to_value(&bare).unwrap());
        let patch = PatchData {
            data: row.data.clone(),
        };
        assert_eq!(patch.to_json(), serde_json::to_value(&patch).unwrap());
        let action = CreateAppAction {
            data: JsonObject::new(),
            ty: "abc".into(),
        };
        assert_eq!(action.to_json(), serde_json::to_value(&action).unwrap());
        let message = ChatBotMessage {
            role: appframe_protocol::ChatBotRole::Assistant,
            content: "ok".into(),
        };
        assert_eq!(message.to_json(), serde_json::to_value(&message).unwrap());
        let setting = CreateAppSetting {
            name: "n".into(),
            data: JsonObject::new(),
        };
        assert_eq!(setting.to_json(), serde_json::to_value(&setting).unwrap());
        let ko = KeyOrigin {
            key: "k".into(),
            origin: "o".into(),
        };
        assert_eq!(ko.to_json(), serde_json::to_value(&ko).unwrap());
    }

    #[test]
    fn contexts_read_with_the_protocol_defaults_and_legacy_member_id() {
        for text in [
            r#"{"apiHost":"http://h/api","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427"}"#,
            r#"{"apiHost":"http://h/api","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","memberId":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
                "permission":"admin","context":"player","lang":"fr","settings":{"a":1},"dev":true,"mobile":true,
                "appframe":{"version":1,"features":["ws"]},"unknown":5}"#,
            r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","accountId":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b",
                "memberId":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d","context":"somewhere-new","appframe":{"version":2}}"#,
        ] {
            let ours: LocalContext = read(text).unwrap();
            assert_eq!(
                ours,
                serde_json::from_str::<LocalContext>(text).unwrap(),
                "{text}"
            );
        }
        let bad = [
            "[1,2]",
            r#"{"apiHost":3,"itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427"}"#,
            r#"{"apiHost":"h","itemId":"x"}"#,
            r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","permission":"root"}"#,
            r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","appframe":{"version":1.5}}"#,
            r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","appframe":{"version":-1}}"#,
            r#"{"apiHost":"h","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","dev":"yes"}"#,
        ];
        for text in bad {
            assert!(read::<LocalContext>(text).is_err(), "{text}");
            assert!(
                serde_json::from_str::<LocalContext>(text).is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn app_contexts_and_error_bodies_read_as_the_derives() {
        let ctx = r#"{"item":{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","name":"App","description":null,"path":"1b4e28ba_2fa1",
            "lang":"en","settings":{},"type":"app","extra":{"app":{"url":"http://a/"}},"createdAt":"2025-01-01T00:00:00Z",
            "updatedAt":"2025-01-01T00:00:00Z"},"members":[{"id":"6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b","name":"Ann"}]}"#;
        let ours: AppContext = read(ctx).unwrap();
        assert_eq!(ours, serde_json::from_str::<AppContext>(ctx).unwrap());
        let body = r#"{"name":"N","code":"GAERR004","message":"M","statusCode":404,"origin":"o","data":{"a":1}}"#;
        let ours: ErrorBody = read(body).unwrap();
        assert_eq!(ours, serde_json::from_str::<ErrorBody>(body).unwrap());
        assert!(read::<ErrorBody>(r#"{"code":"c","message":"m"}"#).is_err());
        assert!(read::<AppData>(r#"{"id":"9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"}"#).is_err());
        assert!(read::<Vec<AppData>>(r#"{"0":1}"#).is_err());
    }
}
