//! JSON in and out of the SDK.
//!
//! In the browser the engine already has a JSON parser and printer: texts go through
//! `JSON.parse`/`JSON.stringify`, and the parsed JS values become `serde_json::Value`s by a
//! small hand-written walk, read into protocol types by [`crate::wire::codec`]. That keeps
//! serde_json's text parser and printer and serde's derived visitors out of the wasm. Native
//! builds (the unit tests of the pure logic) parse and print with serde_json, which reads and
//! writes the same JSON, and then use the same readers and writers.

use crate::{
    error::Error,
    wire::codec::{FromJson, ToJson},
};
#[cfg(feature = "js")]
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use wasm_bindgen::JsValue;

/// Parses a JSON text into `T`.
pub(crate) fn parse<T: FromJson>(text: &str) -> Result<T, String> {
    T::from_json(&imp::parse(text)?)
}

/// Parses a JSON text into a value (what [`parse`] reads from, without copying it).
pub(crate) fn value(text: &str) -> Result<Value, String> {
    imp::parse(text)
}

/// Writes `v` as a JSON text.
pub(crate) fn stringify<T: ToJson>(v: &T) -> Result<String, String> {
    imp::stringify(&v.to_json())
}

/// [`stringify`] for request bodies: a failure is a `Decode` error.
pub(crate) fn body<T: ToJson>(v: &T) -> Result<String, Error> {
    stringify(v).map_err(Error::Decode)
}

/// A JS value from `JSON.parse` or `Response.json()` as `T`.
pub(crate) fn from_js<T: FromJson>(v: &JsValue) -> Result<T, String> {
    T::from_json(&value_of(v)?)
}

/// A JS value (plain data: null, booleans, numbers, strings, arrays, objects) as a JSON value;
/// whole numbers become integers, as serde_json reads them. `undefined` is `null`.
pub(crate) fn value_of(v: &JsValue) -> Result<Value, String> {
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::JsCast;
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return crate::wire::text::number(n)
            .ok_or_else(|| "a number that is not finite".to_owned());
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::String(s));
    }
    // Index loops rather than `Array::iter` + `collect::<Result<..>>`: the iterator adapters
    // are separate functions in the wasm.
    if let Some(a) = v.dyn_ref::<Array>().filter(|_| Array::is_array(v)) {
        let mut items = Vec::new();
        for i in 0..a.length() {
            items.push(value_of(&a.get(i))?);
        }
        return Ok(Value::Array(items));
    }
    if v.is_object() && !v.is_function() {
        let mut map = serde_json::Map::new();
        let keys = Object::keys(v.unchecked_ref::<Object>());
        for i in 0..keys.length() {
            let key = keys.get(i);
            let k = key.as_string().unwrap_or_default();
            let x = Reflect::get(v, &key).map_err(|e| crate::error::js_text(&e))?;
            map.insert(k, value_of(&x)?);
        }
        return Ok(Value::Object(map));
    }
    Err("a value JSON cannot hold".to_owned())
}

/// A JSON value as a plain JS value (objects, arrays, numbers, strings, booleans, null).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn js_of(v: &Value) -> JsValue {
    use js_sys::{Array, Object, Reflect};
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or_default()),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => {
            // A loop rather than `map` + `collect`: the adapters are functions of their own.
            let a = Array::new();
            for x in items {
                a.push(&js_of(x));
            }
            a.into()
        }
        Value::Object(map) => {
            let o = Object::new();
            for (k, x) in map {
                // Setting a property on a fresh plain object cannot fail.
                let _ = Reflect::set(&o, &JsValue::from_str(k), &js_of(x));
            }
            o.into()
        }
    }
}

/// A JS value from a JS caller as `T`, through serde (the JS facade's arguments).
#[cfg(feature = "js")]
pub(crate) fn from_js_serde<T: DeserializeOwned>(v: JsValue) -> Result<T, String> {
    crate::wire::jsde::from_js(v).map_err(|e| e.0)
}

/// `v` as a plain JS value for a JS caller: objects (not `Map`s), numbers (not `BigInt`s),
/// `null` for `None`, so that `JSON.stringify` of it is the JSON serde_json would write.
#[cfg(feature = "js")]
pub(crate) fn to_js_serde<T: Serialize>(v: &T) -> Result<JsValue, String> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{js_of, value_of};
    use crate::error::js_text;
    use serde_json::Value;

    pub(super) fn parse(text: &str) -> Result<Value, String> {
        value_of(&js_sys::JSON::parse(text).map_err(|e| js_text(&e))?)
    }

    pub(super) fn stringify(v: &Value) -> Result<String, String> {
        js_sys::JSON::stringify(&js_of(v))
            .map_err(|e| js_text(&e))?
            .as_string()
            .ok_or_else(|| "not representable as JSON".to_owned())
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use serde_json::Value;

    pub(super) fn parse(text: &str) -> Result<Value, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    pub(super) fn stringify(v: &Value) -> Result<String, String> {
        serde_json::to_string(v).map_err(|e| e.to_string())
    }
}
