//! Readers and writers for every protocol shape the SDK itself reads or writes (host
//! messages, API responses and request bodies, the standalone database), over
//! `serde_json::Value`, generated from field lists by [`reader!`] and [`writer!`]. They follow
//! the serde derives' rules (unknown fields ignored, a missing or `null` optional field is
//! `None`, defaults where the protocol declares them); the tests check them against the derives
//! on the same texts. Why not the derives themselves: see the size policy in [`crate::wire`].
//!
//! This module holds the two traits, the field reader and the two macros; the readers are in
//! `codec/read.rs`, the writers in `codec/write.rs`.

use super::text::{concat, parse_time, parse_uuid};
use appframe_protocol::JsonObject;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

mod read;
mod write;

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
        .ok_or_else(|| concat(&["expected ", what, " object"]))
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
        let err = o.is_none().then(|| concat(&["expected ", what, " object"]));
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
            self.err = Some(concat(&["invalid field `", k, "`: expected ", what]));
        }
    }

    /// A field that may be missing or `null`.
    fn opt(&self, k: &str) -> Option<&'a Value> {
        self.o?.get(k).filter(|v| !v.is_null())
    }

    fn req(&mut self, k: &str) -> Option<&'a Value> {
        let v = self.opt(k);
        if v.is_none() && self.err.is_none() {
            self.err = Some(concat(&["missing field `", k, "`"]));
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
            self.err = Some(concat(&[k, ": ", e]));
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
pub(crate) use writer;

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
        // A loop rather than `map` + `collect`: one `push` of values for every `T` instead of
        // an adapter chain per `T`.
        let mut items = Vec::with_capacity(self.len());
        for x in self {
            items.push(x.to_json());
        }
        Value::Array(items)
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

/// Sets one member of an object being written. Out of line: one call per member at every
/// writer instead of a key allocation, an insert and a drop of the replaced value.
#[inline(never)]
pub(crate) fn put(o: &mut JsonObject, k: &str, v: Value) {
    o.insert(k.to_owned(), v);
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
