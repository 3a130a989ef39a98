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
}

/// A type written as a JSON value.
pub(crate) trait ToJson {
    /// The JSON value of `self`.
    fn to_json(&self) -> Value;
}

fn expected(field: &str, what: &str) -> String {
    ["invalid field `", field, "`: expected ", what].concat()
}

/// `v` as an object.
pub(crate) fn object<'a>(v: &'a Value, what: &str) -> Result<&'a JsonObject, String> {
    v.as_object()
        .ok_or_else(|| ["expected ", what, " object"].concat())
}

/// A field that may be missing or `null`.
fn opt<'a>(o: &'a JsonObject, k: &str) -> Option<&'a Value> {
    o.get(k).filter(|v| !v.is_null())
}

fn req<'a>(o: &'a JsonObject, k: &str) -> Result<&'a Value, String> {
    opt(o, k).ok_or_else(|| ["missing field `", k, "`"].concat())
}

fn string(o: &JsonObject, k: &str) -> Result<String, String> {
    req(o, k)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| expected(k, "a string"))
}

fn opt_string(o: &JsonObject, k: &str) -> Result<Option<String>, String> {
    opt(o, k)
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| expected(k, "a string"))
        })
        .transpose()
}

fn flag(o: &JsonObject, k: &str) -> Result<bool, String> {
    opt(o, k).map_or(Ok(false), |v| {
        v.as_bool().ok_or_else(|| expected(k, "a boolean"))
    })
}

fn uint(o: &JsonObject, k: &str, max: u64) -> Result<u64, String> {
    req(o, k)?
        .as_u64()
        .filter(|n| *n <= max)
        .ok_or_else(|| expected(k, "an unsigned integer"))
}

fn map(o: &JsonObject, k: &str) -> Result<JsonObject, String> {
    object(req(o, k)?, k).cloned()
}

fn opt_map(o: &JsonObject, k: &str) -> Result<JsonObject, String> {
    opt(o, k).map_or(Ok(JsonObject::new()), |v| object(v, k).cloned())
}

fn uuid(o: &JsonObject, k: &str) -> Result<Uuid, String> {
    req(o, k)?
        .as_str()
        .and_then(parse_uuid)
        .ok_or_else(|| expected(k, "a UUID"))
}

fn opt_uuid(o: &JsonObject, k: &str) -> Result<Option<Uuid>, String> {
    opt(o, k)
        .map(|v| {
            v.as_str()
                .and_then(parse_uuid)
                .ok_or_else(|| expected(k, "a UUID"))
        })
        .transpose()
}

fn stamp(o: &JsonObject, k: &str) -> Result<OffsetDateTime, String> {
    req(o, k)?
        .as_str()
        .and_then(parse_time)
        .ok_or_else(|| expected(k, "a timestamp"))
}

fn nested<T: FromJson>(o: &JsonObject, k: &str) -> Result<T, String> {
    T::from_json(req(o, k)?).map_err(|e| [k, ": ", &e].concat())
}

fn opt_nested<T: FromJson>(o: &JsonObject, k: &str) -> Result<Option<T>, String> {
    opt(o, k)
        .map(|v| T::from_json(v).map_err(|e| [k, ": ", &e].concat()))
        .transpose()
}

fn list<T: FromJson>(o: &JsonObject, k: &str) -> Result<Vec<T>, String> {
    Vec::from_json(req(o, k)?).map_err(|e| [k, ": ", &e].concat())
}

/// An enum's wire name, mapped by `f`.
fn name_of<T>(v: &Value, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<T, String> {
    v.as_str()
        .and_then(f)
        .ok_or_else(|| ["unknown ", what].concat())
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Result<Self, String> {
        v.as_array()
            .ok_or_else(|| "expected an array".to_owned())?
            .iter()
            .map(T::from_json)
            .collect()
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
}

impl FromJson for String {
    fn from_json(v: &Value) -> Result<Self, String> {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| "expected a string".to_owned())
    }
}

impl FromJson for Permission {
    fn from_json(v: &Value) -> Result<Self, String> {
        name_of(v, "permission", Permission::parse)
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
}

impl FromJson for Member {
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "a member")?;
        Ok(Member {
            id: AccountId(uuid(o, "id")?),
            name: string(o, "name")?,
        })
    }
}

impl ToJson for Member {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), id_value(self.id.0));
        o.insert("name".into(), self.name.as_str().into());
        Value::Object(o)
    }
}

impl FromJson for HostCapabilities {
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "appframe")?;
        Ok(HostCapabilities {
            version: uint(o, "version", u64::from(u32::MAX))? as u32,
            features: opt(o, "features")
                .map_or(Ok(Vec::new()), Vec::from_json)
                .map_err(|e| ["features: ", &e].concat())?,
        })
    }
}

impl FromJson for LocalContext {
    /// The host's context, with `memberId` as the legacy spelling of `accountId`.
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "a context")?;
        let mut c = LocalContext::new(string(o, "apiHost")?, ItemId(uuid(o, "itemId")?));
        c.account_id = match opt_uuid(o, "accountId")? {
            Some(a) => Some(AccountId(a)),
            None => opt_uuid(o, "memberId")?.map(AccountId),
        };
        if let Some(p) = opt_nested(o, "permission")? {
            c.permission = p;
        }
        if let Some(x) = opt_nested(o, "context")? {
            c.context = x;
        }
        if let Some(lang) = opt_string(o, "lang")? {
            c.lang = lang;
        }
        c.settings = opt_map(o, "settings")?;
        c.offline = flag(o, "offline")?;
        c.dev = flag(o, "dev")?;
        c.mobile = flag(o, "mobile")?;
        c.appframe = opt_nested(o, "appframe")?;
        Ok(c)
    }
}

impl FromJson for AppData {
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "an app data")?;
        let item = object(req(o, "item")?, "item")?;
        Ok(AppData {
            id: RowId(uuid(o, "id")?),
            item: ItemRef {
                id: ItemId(uuid(item, "id")?),
            },
            account: nested(o, "account")?,
            member: nested(o, "member")?,
            creator: opt_nested(o, "creator")?,
            ty: string(o, "type")?,
            visibility: nested(o, "visibility")?,
            data: map(o, "data")?,
            created_at: stamp(o, "createdAt")?,
            updated_at: stamp(o, "updatedAt")?,
        })
    }
}

impl ToJson for AppData {
    fn to_json(&self) -> Value {
        let mut item = Map::new();
        item.insert("id".into(), id_value(self.item.id.0));
        let mut o = Map::new();
        o.insert("id".into(), id_value(self.id.0));
        o.insert("item".into(), Value::Object(item));
        o.insert("account".into(), self.account.to_json());
        o.insert("member".into(), self.member.to_json());
        o.insert(
            "creator".into(),
            self.creator.as_ref().map_or(Value::Null, ToJson::to_json),
        );
        o.insert("type".into(), self.ty.as_str().into());
        o.insert("visibility".into(), self.visibility.as_str().into());
        o.insert("data".into(), Value::Object(self.data.clone()));
        o.insert("createdAt".into(), format_time(&self.created_at).into());
        o.insert("updatedAt".into(), format_time(&self.updated_at).into());
        Value::Object(o)
    }
}

impl FromJson for AppAction {
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "an app action")?;
        Ok(AppAction {
            id: RowId(uuid(o, "id")?),
            account: nested(o, "account")?,
            member: nested(o, "member")?,
            ty: string(o, "type")?,
            data: map(o, "data")?,
            created_at: stamp(o, "createdAt")?,
        })
    }
}

impl ToJson for AppAction {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), id_value(self.id.0));
        o.insert("account".into(), self.account.to_json());
        o.insert("member".into(), self.member.to_json());
        o.insert("type".into(), self.ty.as_str().into());
        o.insert("data".into(), Value::Object(self.data.clone()));
        o.insert("createdAt".into(), format_time(&self.created_at).into());
        Value::Object(o)
    }
}

impl FromJson for AppSetting {
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "an app setting")?;
        Ok(AppSetting {
            id: RowId(uuid(o, "id")?),
            name: string(o, "name")?,
            data: map(o, "data")?,
            creator: opt_nested(o, "creator")?,
            created_at: stamp(o, "createdAt")?,
            updated_at: stamp(o, "updatedAt")?,
        })
    }
}

impl ToJson for AppSetting {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), id_value(self.id.0));
        o.insert("name".into(), self.name.as_str().into());
        o.insert("data".into(), Value::Object(self.data.clone()));
        o.insert(
            "creator".into(),
            self.creator.as_ref().map_or(Value::Null, ToJson::to_json),
        );
        o.insert("createdAt".into(), format_time(&self.created_at).into());
        o.insert("updatedAt".into(), format_time(&self.updated_at).into());
        Value::Object(o)
    }
}

impl FromJson for AppItem {
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "an item")?;
        let extra = object(req(o, "extra")?, "extra")?;
        let app = object(req(extra, "app")?, "extra.app")?;
        Ok(AppItem {
            id: ItemId(uuid(o, "id")?),
            name: string(o, "name")?,
            description: opt_string(o, "description")?,
            path: string(o, "path")?,
            lang: string(o, "lang")?,
            settings: map(o, "settings")?,
            ty: string(o, "type")?,
            extra: AppExtra {
                app: AppExtraApp {
                    url: string(app, "url")?,
                },
            },
            created_at: stamp(o, "createdAt")?,
            updated_at: stamp(o, "updatedAt")?,
        })
    }
}

impl FromJson for AppContext {
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "an app context")?;
        Ok(AppContext {
            item: nested(o, "item")?,
            members: list(o, "members")?,
        })
    }
}

impl FromJson for ErrorBody {
    fn from_json(v: &Value) -> Result<Self, String> {
        let o = object(v, "an error body")?;
        Ok(ErrorBody {
            name: string(o, "name")?,
            code: string(o, "code")?,
            message: string(o, "message")?,
            status_code: uint(o, "statusCode", u64::from(u16::MAX))? as u16,
            data: opt(o, "data").cloned(),
            origin: opt_string(o, "origin")?,
        })
    }
}

impl ToJson for KeyOrigin {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("key".into(), self.key.as_str().into());
        o.insert("origin".into(), self.origin.as_str().into());
        Value::Object(o)
    }
}

impl ToJson for CreateAppData {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("data".into(), Value::Object(self.data.clone()));
        o.insert("type".into(), self.ty.as_str().into());
        if let Some(v) = self.visibility {
            o.insert("visibility".into(), v.as_str().into());
        }
        if let Some(a) = self.account_id {
            o.insert("accountId".into(), id_value(a.0));
        }
        if let Some(m) = self.member_id {
            o.insert("memberId".into(), id_value(m.0));
        }
        Value::Object(o)
    }
}

impl ToJson for PatchData {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("data".into(), Value::Object(self.data.clone()));
        Value::Object(o)
    }
}

impl ToJson for CreateAppAction {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("data".into(), Value::Object(self.data.clone()));
        o.insert("type".into(), self.ty.as_str().into());
        Value::Object(o)
    }
}

impl ToJson for CreateAppSetting {
    fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("name".into(), self.name.as_str().into());
        o.insert("data".into(), Value::Object(self.data.clone()));
        Value::Object(o)
    }
}

/// Reads an optional member of an object (for callers outside this module).
#[cfg(feature = "standalone")]
pub(crate) fn field<T: FromJson>(o: &JsonObject, k: &str) -> Result<Option<T>, String> {
    opt_nested(o, k)
}

/// A required member of an object (for callers outside this module).
pub(crate) fn required<T: FromJson>(o: &JsonObject, k: &str) -> Result<T, String> {
    nested(o, k)
}

/// An unsigned integer member (for callers outside this module).
#[cfg(feature = "standalone")]
pub(crate) fn required_u32(o: &JsonObject, k: &str) -> Result<u32, String> {
    uint(o, k, u64::from(u32::MAX)).map(|n| n as u32)
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
    let n = u.as_u128();
    let mut out = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(char::from(HEX[((n >> (124 - 4 * i)) & 15) as usize]));
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
    let mut n: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if hyphenated && matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let d = char::from(c).to_digit(16)?;
        n = (n << 4) | u128::from(d);
    }
    Some(Uuid::from_u128(n))
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

/// Parses RFC 3339 (`2025-04-17T11:07:30.123Z`, `+02:00` offsets) and the Postgres text forms
/// Graasp passes through (`2025-04-17 11:07:30.123+00`, `+0200`), as
/// `appframe_protocol::timestamp::parse` does; the result is in UTC (the same instant).
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let b = s.trim().as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let month_days = [
        31,
        if is_leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_day = *month_days.get(usize::try_from(mo - 1).ok()?)?;
    if d < 1 || d > max_day || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0i64;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // Nanosecond precision; further digits are dropped, as `time` does.
        let kept = &frac[..n.min(9)];
        nanos = digits(kept)? * 10i64.pow(9 - kept.len() as u32);
        rest = &frac[n..];
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
    time_of(unix, nanos as u32)
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
        let mut width = 9;
        while nanos.is_multiple_of(10) {
            nanos /= 10;
            width -= 1;
        }
        let mut buf = [b'0'; 9];
        for slot in buf[..width].iter_mut().rev() {
            *slot = b'0' + (nanos % 10) as u8;
            nanos /= 10;
        }
        out.extend(buf[..width].iter().map(|&c| char::from(c)));
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
