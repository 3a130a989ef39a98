//! The storage shim over the server's extension route
//! `/app-items/{itemId}/appframe/storage[/{key}]`: string values per member and item.
//!
//! The answers are read with `Reflect` from the browser's parsed JSON rather than through the
//! DTO codecs: two fields, and none of it is linked into apps that never call `storage()`.

use super::{
    backend::Embedded,
    http::{self, Body, Request},
};
use crate::wire::text::concat;
use crate::{error::Error, wire::url::encode_query};
use appframe_protocol::routes::PATH_STORAGE;
use wasm_bindgen::JsValue;

/// The server's code for a key that is not stored (404).
const KEY_NOT_FOUND: &str = "AFERR047";

/// `field` of a parsed answer.
fn field(v: &JsValue, field: &str) -> Result<JsValue, Error> {
    js_sys::Reflect::get(v, &field.into()).map_err(|_| Error::Decode(field.to_owned()))
}

impl Embedded {
    /// The URL of the member's storage, or of one key in it.
    fn storage_url(&self, key: Option<&str>) -> String {
        let base = self.route(PATH_STORAGE, None);
        match key {
            Some(k) => concat(&[base.as_str(), "/", &encode_query(k)]),
            None => base,
        }
    }

    async fn storage_send(
        &self,
        method: &'static str,
        key: Option<&str>,
        body: Body,
    ) -> Result<web_sys::Response, Error> {
        let url = self.storage_url(key);
        self.send(Request { method, url, body }).await
    }

    /// The value of `key`, `None` when it is not stored.
    pub(crate) async fn storage_get(&self, key: &str) -> Result<Option<String>, Error> {
        match self.storage_send("GET", Some(key), Body::None).await {
            Ok(resp) => {
                let v = http::json_value(&resp).await?;
                field(&v, "value")?
                    .as_string()
                    .map(Some)
                    .ok_or_else(|| Error::Decode("value".to_owned()))
            }
            Err(Error::Http {
                status: 404, code, ..
            }) if code == KEY_NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores `value` under `key`.
    pub(crate) async fn storage_set(&self, key: &str, value: &str) -> Result<(), Error> {
        // The browser's JSON printer quotes the string, so no escaper is linked into the wasm.
        let quoted = js_sys::JSON::stringify(&JsValue::from_str(value))
            .map(String::from)
            .map_err(|_| Error::Decode("value".to_owned()))?;
        let body = Body::Json(concat(&["{\"value\":", &quoted, "}"]));
        self.storage_send("PUT", Some(key), body).await.map(|_| ())
    }

    /// Removes `key` (stored or not).
    pub(crate) async fn storage_remove(&self, key: &str) -> Result<(), Error> {
        self.storage_send("DELETE", Some(key), Body::None)
            .await
            .map(|_| ())
    }

    /// The member's keys, in byte order.
    pub(crate) async fn storage_keys(&self) -> Result<Vec<String>, Error> {
        let resp = self.storage_send("GET", None, Body::None).await?;
        let v = http::json_value(&resp).await?;
        let keys = field(&v, "keys")?;
        if !js_sys::Array::is_array(&keys) {
            return Err(Error::Decode("keys".to_owned()));
        }
        let keys = js_sys::Array::from(&keys);
        let mut out = Vec::with_capacity(keys.length() as usize);
        for i in 0..keys.length() {
            out.push(
                keys.get(i)
                    .as_string()
                    .ok_or_else(|| Error::Decode("keys".to_owned()))?,
            );
        }
        Ok(out)
    }
}
