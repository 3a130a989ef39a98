//! A serde `Deserializer` over the JS values `JSON.parse` produces (null, booleans, numbers,
//! strings, arrays, plain objects), reading them as serde_json reads the same JSON text: whole
//! numbers as integers, unknown fields left to the target type (`deny_unknown_fields` holds).
//!
//! Why not serde-wasm-bindgen's deserializer: its error type renders serde's `Unexpected` with
//! `Display`, which links Rust's float printing and string escaping (~20 KB of wasm) for error
//! texts alone. [`DeError`] names the kind of the unexpected value instead.

use crate::wire::text::concat;
use js_sys::{Array, Object, Reflect};
use serde::de::{
    self, DeserializeSeed, Expected, IntoDeserializer, Unexpected, Visitor,
    value::StringDeserializer,
};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// Why a JS value does not fit the target type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeError(pub String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

/// The kind of an unexpected value, without printing it (see the module docs).
fn kind(u: &Unexpected<'_>) -> &'static str {
    match u {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) | Unexpected::Float(_) => "a number",
        Unexpected::Char(_) | Unexpected::Str(_) => "a string",
        Unexpected::Bytes(_) => "bytes",
        Unexpected::Unit => "null",
        Unexpected::Seq => "an array",
        Unexpected::Map => "an object",
        _ => "another kind of value",
    }
}

fn with_expected(head: &str, what: &str, exp: &dyn Expected) -> DeError {
    DeError(concat(&[head, what, ", expected ", &exp.to_string()]))
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        with_expected("invalid type: ", kind(&unexp), exp)
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        with_expected("invalid value: ", kind(&unexp), exp)
    }

    fn invalid_length(_len: usize, exp: &dyn Expected) -> Self {
        with_expected("invalid length", "", exp)
    }

    fn unknown_variant(variant: &str, _expected: &'static [&'static str]) -> Self {
        DeError(concat(&["unknown variant `", variant, "`"]))
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        DeError(concat(&["unknown field `", field, "`"]))
    }

    fn missing_field(field: &'static str) -> Self {
        DeError(concat(&["missing field `", field, "`"]))
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError(concat(&["duplicate field `", field, "`"]))
    }
}

/// Reads `T` from a JS value.
pub(crate) fn from_js<T: de::DeserializeOwned>(v: JsValue) -> Result<T, DeError> {
    T::deserialize(De(v))
}

/// The deserializer of one JS value.
struct De(JsValue);

/// JS numbers are doubles: integers are exact up to 2^53 - 1.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl<'de> de::Deserializer<'de> for De {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let v = self.0;
        if v.is_null() || v.is_undefined() {
            return visitor.visit_unit();
        }
        if let Some(b) = v.as_bool() {
            return visitor.visit_bool(b);
        }
        if let Some(n) = v.as_f64() {
            // Whole numbers as integers (as serde_json reads `3`), so they print back as `3`.
            if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER {
                return if n < 0.0 {
                    visitor.visit_i64(n as i64)
                } else {
                    visitor.visit_u64(n as u64)
                };
            }
            return visitor.visit_f64(n);
        }
        if let Some(s) = v.as_string() {
            return visitor.visit_string(s);
        }
        if Array::is_array(&v) {
            let items: Array = v.unchecked_into();
            return visitor.visit_seq(Seq { items, next: 0 });
        }
        match De(v).object() {
            Some(fields) => visitor.visit_map(fields),
            None => Err(DeError("not a JSON value".into())),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // The protocol's enums are unit variants written as strings (`"admin"`, `"item"`).
        match self.0.as_string() {
            Some(s) => {
                let variant: StringDeserializer<DeError> = s.into_deserializer();
                visitor.visit_enum(variant)
            }
            None => Err(DeError("invalid type: expected a string variant".into())),
        }
    }

    // The typed entry points below call only the visitor method that can succeed, so the other
    // methods of each derived visitor (a struct's whole `visit_seq`, say) are never instantiated:
    // that is most of the size of deserializing many DTO types.

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.object() {
            Some(fields) => visitor.visit_map(fields),
            None => Err(DeError("invalid type: expected an object".into())),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.as_string() {
            Some(s) => visitor.visit_string(s),
            None => Err(DeError("invalid type: expected a string".into())),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.as_bool() {
            Some(b) => visitor.visit_bool(b),
            None => Err(DeError("invalid type: expected a boolean".into())),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0.as_f64() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER => {
                visitor.visit_u64(n as u64)
            }
            _ => Err(DeError("invalid type: expected an unsigned integer".into())),
        }
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.object() {
            Some(fields) => visitor.visit_map(fields),
            None => Err(DeError("invalid type: expected an object".into())),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if Array::is_array(&self.0) {
            visitor.visit_seq(Seq {
                items: self.0.unchecked_into(),
                next: 0,
            })
        } else {
            Err(DeError("invalid type: expected an array".into()))
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u128 f32 f64 char
        bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any
    }
}

impl De {
    /// The fields of a plain object (not an array, not a primitive).
    fn object(self) -> Option<Fields> {
        let v = self.0;
        if !v.is_object() || Array::is_array(&v) {
            return None;
        }
        let keys = Object::keys(v.unchecked_ref::<Object>());
        Some(Fields {
            obj: v,
            keys,
            next: 0,
            value: None,
        })
    }
}

struct Seq {
    items: Array,
    next: u32,
}

impl<'de> de::SeqAccess<'de> for Seq {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.next >= self.items.length() {
            return Ok(None);
        }
        let item = self.items.get(self.next);
        self.next += 1;
        seed.deserialize(De(item)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.length().saturating_sub(self.next) as usize)
    }
}

struct Fields {
    obj: JsValue,
    keys: Array,
    next: u32,
    value: Option<JsValue>,
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.next);
        self.next += 1;
        self.value = Some(Reflect::get(&self.obj, &key).unwrap_or(JsValue::UNDEFINED));
        let name: StringDeserializer<DeError> =
            key.as_string().unwrap_or_default().into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        seed.deserialize(De(self.value.take().unwrap_or(JsValue::UNDEFINED)))
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::{AppData, Context, CreateAppData, HostCapabilities, LocalContext};
    use serde_json::Value;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn parse(text: &str) -> JsValue {
        js_sys::JSON::parse(text).unwrap()
    }

    #[wasm_bindgen_test]
    fn values_read_as_serde_json_reads_the_same_text() {
        let text = r#"{"a":1,"b":-2,"c":1.5,"d":[true,null,"x"],"e":{"f":{}}}"#;
        let v: Value = from_js(parse(text)).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
        let row = r#"{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca427",
            "item":{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca428"},
            "account":{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca429","name":"A"},
            "member":{"id":"1b4e28ba-2fa1-41d2-883f-0016d3cca429","name":"A"},
            "creator":null,"type":"note","visibility":"item","data":{"n":3,"t":"x"},
            "createdAt":"2025-04-17 11:07:30.123+00","updatedAt":"2025-04-17T11:07:30.123Z",
            "somethingNew":[1]}"#;
        let d: AppData = from_js(parse(row)).unwrap();
        assert_eq!(d, serde_json::from_str::<AppData>(row).unwrap());
    }

    #[wasm_bindgen_test]
    fn structs_follow_their_serde_attributes_and_bad_input_is_an_error() {
        let c: LocalContext = from_js(parse(
            r#"{"apiHost":"http://h/api","itemId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427",
               "memberId":"1b4e28ba-2fa1-41d2-883f-0016d3cca428","context":"explorer",
               "permission":"admin","extra":1}"#,
        ))
        .unwrap();
        assert_eq!(c.context, Context::Unknown);
        assert!(c.account_id.is_some());
        assert_eq!(c.lang, "en");
        let e = from_js::<CreateAppData>(parse(r#"{"type":"abc","data":{},"bogus":1}"#));
        assert!(e.unwrap_err().0.contains("unknown field `bogus`"));
        let e = from_js::<CreateAppData>(parse(r#"{"type":"abc","data":{},"visibility":"x"}"#));
        assert!(e.unwrap_err().0.contains("unknown variant `x`"));
        let e = from_js::<CreateAppData>(parse(r#"{"type":"abc"}"#));
        assert!(e.unwrap_err().0.contains("missing field `data`"));
        assert!(from_js::<LocalContext>(parse("[1,2]")).is_err());
        assert!(from_js::<LocalContext>(parse(r#"{"apiHost":3,"itemId":"x"}"#)).is_err());
        assert!(from_js::<HostCapabilities>(parse(r#"{"version":1.5}"#)).is_err());
        assert!(from_js::<HostCapabilities>(parse(r#"{"version":-1}"#)).is_err());
        assert!(from_js::<Vec<u32>>(parse(r#"{"0":1}"#)).is_err());
    }
}
