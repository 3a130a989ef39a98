//! Hand-written readers and writers for every protocol shape the SDK itself reads or writes
//! (host messages, API responses and request bodies, the standalone database), over
//! `serde_json::Value`, plus the UUID and timestamp texts inside them.
//!
//! Why not serde derive: each derived `Deserialize` brings field-name visitors, a sequence
//! visitor JSON never uses and error paths, monomorphized per deserializer; with the `time` and
//! `uuid` parsers and printers that was about half of a minimal app's wasm. These readers follow
//! the derives' rules (unknown fields ignored, a missing or `null` optional field is `None`,
//! defaults where the protocol declares them) and the native tests check them against the
//! derives on the same texts. The JS facade still uses serde (`jsde.rs`) for its arguments.

use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppExtra, AppExtraApp, AppItem, AppSetting, Context,
    CreateAppAction, CreateAppData, CreateAppSetting, ErrorBody, HostCapabilities, ItemId, ItemRef,
    JsonObject, KeyOrigin, LocalContext, Member, PatchData, Permission, RowId, Visibility,
};
use serde_json::{Map, Number, Value};
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

impl FromJson for Member {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "a member");
        let m = Member {
            id: AccountId(f.uuid("id")),
            name: f.string("name"),
        };
        f.done(m)
    }
    fn placeholder() -> Self {
        Member {
            id: AccountId(Uuid::nil()),
            name: String::new(),
        }
    }
}

impl FromJson for HostCapabilities {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "appframe");
        let h = HostCapabilities {
            version: f.uint("version", u64::from(u32::MAX)) as u32,
            features: f.opt_nested("features").unwrap_or_default(),
        };
        f.done(h)
    }
    fn placeholder() -> Self {
        HostCapabilities::default()
    }
}

impl FromJson for LocalContext {
    /// The host's context, with `memberId` as the legacy spelling of `accountId`.
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "a context");
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
        f.done(c)
    }
    fn placeholder() -> Self {
        LocalContext::new(String::new(), ItemId(Uuid::nil()))
    }
}

impl FromJson for ItemRef {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "an item");
        let r = ItemRef {
            id: ItemId(f.uuid("id")),
        };
        f.done(r)
    }
    fn placeholder() -> Self {
        ItemRef {
            id: ItemId(Uuid::nil()),
        }
    }
}

impl FromJson for AppData {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "an app data");
        let d = AppData {
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
        };
        f.done(d)
    }
    fn placeholder() -> Self {
        AppData {
            id: RowId(Uuid::nil()),
            item: ItemRef::placeholder(),
            account: Member::placeholder(),
            member: Member::placeholder(),
            creator: None,
            ty: String::new(),
            visibility: Visibility::Member,
            data: JsonObject::new(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }
}

impl FromJson for AppAction {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "an app action");
        let a = AppAction {
            id: RowId(f.uuid("id")),
            account: f.nested("account"),
            member: f.nested("member"),
            ty: f.string("type"),
            data: f.map("data"),
            created_at: f.stamp("createdAt"),
        };
        f.done(a)
    }
    fn placeholder() -> Self {
        AppAction {
            id: RowId(Uuid::nil()),
            account: Member::placeholder(),
            member: Member::placeholder(),
            ty: String::new(),
            data: JsonObject::new(),
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }
}

impl FromJson for AppSetting {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "an app setting");
        let s = AppSetting {
            id: RowId(f.uuid("id")),
            name: f.string("name"),
            data: f.map("data"),
            creator: f.opt_nested("creator"),
            created_at: f.stamp("createdAt"),
            updated_at: f.stamp("updatedAt"),
        };
        f.done(s)
    }
    fn placeholder() -> Self {
        AppSetting {
            id: RowId(Uuid::nil()),
            name: String::new(),
            data: JsonObject::new(),
            creator: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }
}

impl FromJson for AppExtra {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "extra");
        let app = f.nested::<AppExtraApp>("app");
        f.done(AppExtra { app })
    }
    fn placeholder() -> Self {
        AppExtra {
            app: AppExtraApp::placeholder(),
        }
    }
}

impl FromJson for AppExtraApp {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "extra.app");
        let url = f.string("url");
        f.done(AppExtraApp { url })
    }
    fn placeholder() -> Self {
        AppExtraApp { url: String::new() }
    }
}

impl FromJson for AppItem {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "an item");
        let i = AppItem {
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
        };
        f.done(i)
    }
    fn placeholder() -> Self {
        AppItem {
            id: ItemId(Uuid::nil()),
            name: String::new(),
            description: None,
            path: String::new(),
            lang: String::new(),
            settings: JsonObject::new(),
            ty: String::new(),
            extra: AppExtra::placeholder(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }
}

impl FromJson for AppContext {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "an app context");
        let c = AppContext {
            item: f.nested("item"),
            members: f.nested("members"),
        };
        f.done(c)
    }
    fn placeholder() -> Self {
        AppContext {
            item: AppItem::placeholder(),
            members: Vec::new(),
        }
    }
}

impl FromJson for ErrorBody {
    fn from_json(v: &Value) -> Result<Self, String> {
        let mut f = Fields::of(v, "an error body");
        let b = ErrorBody {
            name: f.string("name"),
            code: f.string("code"),
            message: f.string("message"),
            status_code: f.uint("statusCode", u64::from(u16::MAX)) as u16,
            data: f.opt_nested("data"),
            origin: f.opt_string("origin"),
        };
        f.done(b)
    }
    fn placeholder() -> Self {
        ErrorBody {
            name: String::new(),
            code: String::new(),
            message: String::new(),
            status_code: 0,
            data: None,
            origin: None,
        }
    }
}

/// Sets one member of an object being written. Out of line: one call per member at every
/// writer instead of a key allocation, an insert and a drop of the replaced value.
#[inline(never)]
pub(crate) fn put(o: &mut JsonObject, k: &str, v: Value) {
    o.insert(k.to_owned(), v);
}

impl ToJson for Member {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "id", id_value(self.id.0));
        put(&mut o, "name", self.name.as_str().into());
        Value::Object(o)
    }
}

impl ToJson for AppData {
    fn to_json(&self) -> Value {
        let mut item = Map::new();
        put(&mut item, "id", id_value(self.item.id.0));
        let mut o = Map::new();
        put(&mut o, "id", id_value(self.id.0));
        put(&mut o, "item", Value::Object(item));
        put(&mut o, "account", self.account.to_json());
        put(&mut o, "member", self.member.to_json());
        put(
            &mut o,
            "creator",
            self.creator.as_ref().map_or(Value::Null, ToJson::to_json),
        );
        put(&mut o, "type", self.ty.as_str().into());
        put(&mut o, "visibility", self.visibility.as_str().into());
        put(&mut o, "data", Value::Object(self.data.clone()));
        put(&mut o, "createdAt", format_time(&self.created_at).into());
        put(&mut o, "updatedAt", format_time(&self.updated_at).into());
        Value::Object(o)
    }
}

impl ToJson for AppAction {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "id", id_value(self.id.0));
        put(&mut o, "account", self.account.to_json());
        put(&mut o, "member", self.member.to_json());
        put(&mut o, "type", self.ty.as_str().into());
        put(&mut o, "data", Value::Object(self.data.clone()));
        put(&mut o, "createdAt", format_time(&self.created_at).into());
        Value::Object(o)
    }
}

impl ToJson for AppSetting {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "id", id_value(self.id.0));
        put(&mut o, "name", self.name.as_str().into());
        put(&mut o, "data", Value::Object(self.data.clone()));
        put(
            &mut o,
            "creator",
            self.creator.as_ref().map_or(Value::Null, ToJson::to_json),
        );
        put(&mut o, "createdAt", format_time(&self.created_at).into());
        put(&mut o, "updatedAt", format_time(&self.updated_at).into());
        Value::Object(o)
    }
}

impl ToJson for KeyOrigin {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "key", self.key.as_str().into());
        put(&mut o, "origin", self.origin.as_str().into());
        Value::Object(o)
    }
}

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

impl ToJson for PatchData {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "data", Value::Object(self.data.clone()));
        Value::Object(o)
    }
}

impl ToJson for CreateAppAction {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "data", Value::Object(self.data.clone()));
        put(&mut o, "type", self.ty.as_str().into());
        Value::Object(o)
    }
}

impl ToJson for CreateAppSetting {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "name", self.name.as_str().into());
        put(&mut o, "data", Value::Object(self.data.clone()));
        Value::Object(o)
    }
}

/// An integer in decimal (without core::fmt's integer printing).
pub(crate) fn int_text(n: i64) -> String {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(21 - i);
    if n < 0 {
        out.push('-');
    }
    out.extend(buf[i..].iter().map(|&c| char::from(c)));
    out
}

// ---- UUIDs ----

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The hyphenated lower-case form (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).
pub(crate) fn format_uuid(u: Uuid) -> String {
    // Byte by byte rather than through `as_u128`: the 128-bit shifts and byte swap cost wasm.
    let mut out = String::with_capacity(36);
    for (i, &b) in u.as_bytes().iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

fn id_value(u: Uuid) -> Value {
    Value::String(format_uuid(u))
}

/// Parses the hyphenated form (any case) or 32 bare hex digits, as the server writes and
/// accepts ids; `None` for anything else.
pub(crate) fn parse_uuid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    let hyphenated = b.len() == 36;
    if !hyphenated && b.len() != 32 {
        return None;
    }
    // Nibbles into a byte array rather than a `u128`: 128-bit arithmetic costs wasm size.
    let mut bytes = [0u8; 16];
    let mut nibble = 0;
    for (i, &c) in b.iter().enumerate() {
        if hyphenated && matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let d = char::from(c).to_digit(16)? as u8;
        let byte = bytes.get_mut(nibble / 2)?;
        *byte = (*byte << 4) | d;
        nibble += 1;
    }
    Some(Uuid::from_bytes(bytes))
}

// ---- timestamps ----

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// A run of ASCII digits as a number.
fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0i64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

/// The date and time fields of `YYYY-MM-DD?hh:mm:ss` (`?` is `T`, `t` or a space).
const SHAPE: &[u8; 19] = b"0000-00-00T00:00:00";

/// Parses RFC 3339 (`2025-04-17T11:07:30.123Z`, `+02:00` offsets) and the Postgres text forms
/// Graasp passes through (`2025-04-17 11:07:30.123+00`, `+0200`), as
/// `appframe_protocol::timestamp::parse` does; the result is in UTC (the same instant).
/// Only ASCII spaces around the text are ignored (the protocol's `trim` also drops Unicode
/// ones, which no server sends; their table would cost every app about 0.3 KB gzip).
///
/// One pass over the fixed-width head against [`SHAPE`] rather than a slice per field: every
/// slice brought its own bounds checks and panic paths into the wasm.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let (head, rest) = s.trim_ascii().as_bytes().split_at_checked(SHAPE.len())?;
    // Year, month, day, hour, minute, second.
    let mut f = [0i64; 6];
    let mut k = 0;
    for (i, &c) in head.iter().enumerate() {
        match SHAPE.get(i) {
            Some(b'0') => {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    return None;
                }
                let n = f.get_mut(k)?;
                *n = *n * 10 + i64::from(d);
            }
            Some(b'T') if matches!(c, b'T' | b't' | b' ') => k += 1,
            Some(&sep) if sep == c && sep != b'T' => k += 1,
            _ => return None,
        }
    }
    let [y, mo, d, h, mi, sec] = f;
    let max_day = match mo {
        2 => 28 + i64::from(is_leap(y)),
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if d < 1 || d > max_day || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut rest = rest;
    let mut nanos = 0u32;
    if let [b'.', frac @ ..] = rest {
        // Nanosecond precision; further digits are dropped, as `time` does.
        let mut scale = 100_000_000;
        rest = frac;
        while let [c @ b'0'..=b'9', tail @ ..] = rest {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            rest = tail;
        }
        if rest.len() == frac.len() {
            return None;
        }
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (oh, om) = match tail {
                [a, b] => ([*a, *b], *b"00"),
                [a, b, b':', c, d] | [a, b, c, d] => ([*a, *b], [*c, *d]),
                _ => return None,
            };
            let (oh, om) = (digits(&oh)?, digits(&om)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = oh * 3600 + om * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let unix = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset;
    time_of(unix, nanos)
}

/// The UTC time `secs` seconds and `nanos` nanoseconds after the Unix epoch (`None` out of
/// `time`'s range). Not `from_unix_timestamp_nanos`: its i128 division links a 128-bit
/// division routine into the wasm.
pub(crate) fn time_of(secs: i64, nanos: u32) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .replace_nanosecond(nanos)
        .ok()
}

fn push_2(out: &mut String, n: i64) {
    out.push(char::from(b'0' + (n / 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// RFC 3339 in UTC with the shortest exact fraction (`2025-04-17T11:07:30.123Z`), the text
/// `appframe_protocol::timestamp::format` writes for a UTC time. Years outside 0–9999 are not
/// representable in RFC 3339 and are clamped to them.
pub(crate) fn format_time(t: &OffsetDateTime) -> String {
    let secs = t.unix_timestamp();
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    let y = y.clamp(0, 9999);
    let mut out = String::with_capacity(30);
    push_2(&mut out, y / 100);
    push_2(&mut out, y % 100);
    out.push('-');
    push_2(&mut out, m);
    out.push('-');
    push_2(&mut out, d);
    out.push('T');
    push_2(&mut out, tod / 3600);
    out.push(':');
    push_2(&mut out, tod / 60 % 60);
    out.push(':');
    push_2(&mut out, tod % 60);
    let mut nanos = t.nanosecond();
    if nanos > 0 {
        out.push('.');
        // Digit by digit from the tenths until nothing is left: the shortest exact fraction.
        let mut scale = 100_000_000;
        while nanos > 0 && scale > 0 {
            out.push(char::from(b'0' + (nanos / scale) as u8));
            nanos %= scale;
            scale /= 10;
        }
    }
    out.push('Z');
    out
}

/// A JSON number from a whole or fractional value (`None` for NaN and infinities).
pub(crate) fn number(n: f64) -> Option<Value> {
    // Whole numbers within 2^53 are integers, as serde_json reads `1` (JSON.parse cannot tell).
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() <= EXACT {
        return Some(if n < 0.0 {
            Value::Number(Number::from(n as i64))
        } else {
            Value::Number(Number::from(n as u64))
        });
    }
    Number::from_f64(n).map(Value::Number)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::timestamp;

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

    #[test]
    fn uuids_round_trip_and_match_the_uuid_crate() {
        for s in [
            "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "1B4E28BA-2FA1-41D2-883F-0016D3CCA427",
            "1b4e28ba2fa141d2883f0016d3cca427",
        ] {
            let u = parse_uuid(s).unwrap();
            assert_eq!(u, Uuid::parse_str(s).unwrap());
            assert_eq!(format_uuid(u), u.hyphenated().to_string());
        }
        for s in [
            "",
            "1b4e28ba-2fa1-41d2-883f-0016d3cca42",
            "1b4e28ba_2fa1-41d2-883f-0016d3cca427",
            "1b4e28ba-2fa1-41d2-883f-0016d3cca42g",
            "+b4e28ba-2fa1-41d2-883f-0016d3cca427",
        ] {
            assert_eq!(parse_uuid(s), None, "{s}");
        }
    }

    #[test]
    fn timestamps_parse_and_print_as_the_protocol_does() {
        for s in [
            "2025-04-17 11:07:30.123+00",
            "2025-04-17T11:07:30.123+00:00",
            "2025-04-17T11:07:30.123Z",
            "2025-04-17 13:07:30.123+0200",
            "2025-04-17T06:07:30.000123456-05:00",
            "2024-02-29T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "2000-03-01T00:00:00.1Z",
            "2030-12-31T12:00:00.120Z",
            "2025-04-17t11:07:30.1234567891Z",
            "2000-02-29T00:00:00.5-23:59",
        ] {
            let ours = parse_time(s).unwrap();
            let theirs = timestamp::parse(s).unwrap();
            assert_eq!(ours, theirs, "{s}");
            assert_eq!(
                format_time(&ours),
                timestamp::format(&theirs.to_offset(time::UtcOffset::UTC)),
                "{s}"
            );
        }
        for s in [
            "",
            "yesterday",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-04-17T24:00:00Z",
            "2025-04-17T11:07:30",
            "2025-04-17T11:07:30.Z",
            "2025-04-17T11:07:30+1",
            "2025-04-31T00:00:00Z",
            "2025-00-10T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "20x5-04-17T11:07:30Z",
            "2025-04-17T11:07:30+",
            "2025-04-17T11:07:3Z",
        ] {
            assert_eq!(parse_time(s), None, "{s}");
            assert_eq!(timestamp::parse(s), None, "{s}");
        }
        // Stricter than `time`, which takes any separator character.
        assert_eq!(parse_time("2025-04-17X11:07:30Z"), None);
    }

    #[test]
    fn integers_print_as_display_does() {
        for n in [0, 7, -7, 316, i64::from(u32::MAX), i64::MIN, i64::MAX] {
            assert_eq!(int_text(n), n.to_string());
        }
    }

    #[test]
    fn whole_numbers_become_integers() {
        assert_eq!(number(3.0), Some(Value::from(3u64)));
        assert_eq!(number(-3.0), Some(Value::from(-3i64)));
        assert_eq!(number(2.5), Some(Value::from(2.5)));
        assert_eq!(number(f64::NAN), None);
    }
}
