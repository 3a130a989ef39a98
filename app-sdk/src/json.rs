//! JSON in and out of the SDK.
//!
//! In the browser the engine already has a JSON parser and printer: texts go through
//! `JSON.parse`/`JSON.stringify` and values cross into Rust types with serde-wasm-bindgen. That
//! keeps serde_json's text parser and printer (number parsing and printing, escapes, its error
//! texts) out of the wasm, which was a large share of the SDK's size. Native builds (the unit
//! tests of the pure logic) use serde_json, which reads and writes the same JSON.

use crate::error::Error;
use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::JsValue;

/// Parses a JSON text into `T`.
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    imp::parse(text)
}

/// Writes `v` as a JSON text.
pub(crate) fn stringify<T: Serialize>(v: &T) -> Result<String, String> {
    imp::stringify(v)
}

/// [`stringify`] for request bodies: a failure is a `Decode` error.
pub(crate) fn body<T: Serialize>(v: &T) -> Result<String, Error> {
    stringify(v).map_err(Error::Decode)
}

/// A JS value (from `JSON.parse`, `Response.json()` or a JS caller) as `T`.
pub(crate) fn from_js<T: DeserializeOwned>(v: JsValue) -> Result<T, String> {
    crate::jsde::from_js(v).map_err(|e| e.0)
}

#[cfg_attr(
    not(any(target_arch = "wasm32", feature = "js")),
    allow(dead_code) // native builds stringify with serde_json
)]
/// `v` as a plain JS value: objects (not `Map`s), numbers (not `BigInt`s), `null` for `None`, so
/// that `JSON.stringify` of it is the JSON serde_json would write.
pub(crate) fn to_js<T: Serialize>(v: &T) -> Result<JsValue, String> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{from_js, to_js};
    use crate::error::js_text;
    use serde::{Serialize, de::DeserializeOwned};

    pub(super) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
        from_js(js_sys::JSON::parse(text).map_err(|e| js_text(&e))?)
    }

    pub(super) fn stringify<T: Serialize>(v: &T) -> Result<String, String> {
        js_sys::JSON::stringify(&to_js(v)?)
            .map_err(|e| js_text(&e))?
            .as_string()
            .ok_or_else(|| "not representable as JSON".to_owned())
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use serde::{Serialize, de::DeserializeOwned};

    pub(super) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    pub(super) fn stringify<T: Serialize>(v: &T) -> Result<String, String> {
        serde_json::to_string(v).map_err(|e| e.to_string())
    }
}
