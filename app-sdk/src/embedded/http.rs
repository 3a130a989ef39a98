//! HTTP over the browser's `fetch`, called through a function value so tests can pass a fake
//! `fetch` that answers with real `Response` objects (the response handling stays the real one).

use crate::error::{Error, js_text};
use crate::wire::text::concat;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{FormData, Headers, RequestCredentials, RequestInit, Response};

/// A request body.
#[derive(Clone)]
pub(crate) enum Body {
    /// No body (GET, DELETE).
    None,
    /// A JSON text (`Content-Type: application/json`, as Graasp's client sends it).
    Json(String),
    /// A multipart form (the browser sets the boundary).
    Form(FormData),
}

/// One API request; re-sendable (for the retry after a 401).
#[derive(Clone)]
pub(crate) struct Request {
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Body.
    pub body: Body,
}

/// A `fetch` function and the `this` to call it on.
#[derive(Clone)]
pub(crate) struct Fetch {
    func: js_sys::Function,
    this: JsValue,
}

impl Fetch {
    /// `window.fetch`.
    pub(crate) fn from_window(w: &web_sys::Window) -> Result<Fetch, Error> {
        let func = js_sys::Reflect::get(w, &"fetch".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or_else(|| Error::Browser("fetch is not available".into()))?;
        Ok(Fetch {
            func,
            this: w.into(),
        })
    }

    /// Any function with `fetch`'s signature (tests).
    #[cfg_attr(not(all(test, target_arch = "wasm32")), allow(dead_code))]
    pub(crate) fn from_function(func: js_sys::Function) -> Fetch {
        Fetch {
            func,
            this: JsValue::UNDEFINED,
        }
    }

    /// Sends `req` with an optional bearer token; any HTTP status is `Ok`.
    pub(crate) async fn send(&self, req: &Request, token: Option<&str>) -> Result<Response, Error> {
        let init = RequestInit::new();
        init.set_method(req.method);
        let headers = Headers::new().map_err(|e| Error::Browser(js_text(&e)))?;
        let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| Error::Browser(js_text(&e)));
        set("Accept", "application/json, text/plain, */*")?;
        if let Some(t) = token {
            set("Authorization", &concat(&["Bearer ", t]))?;
        }
        match &req.body {
            Body::None => {}
            Body::Json(text) => {
                set("Content-Type", "application/json")?;
                init.set_body(&JsValue::from_str(text));
            }
            Body::Form(form) => init.set_body(form),
        }
        init.set_headers(&headers);
        // The token authenticates; the host's cookies must not ride along (unlike Graasp's axios).
        init.set_credentials(RequestCredentials::Omit);
        self.raw(&req.url, &init).await
    }

    /// A credential-less GET (signed file URLs).
    pub(crate) async fn get_plain(&self, url: &str) -> Result<Response, Error> {
        let init = RequestInit::new();
        init.set_method("GET");
        init.set_credentials(RequestCredentials::Omit);
        self.raw(url, &init).await
    }

    async fn raw(&self, url: &str, init: &RequestInit) -> Result<Response, Error> {
        let promise = self
            .func
            .call2(&self.this, &JsValue::from_str(url), init)
            .map_err(|e| Error::Network(js_text(&e)))?;
        let promise = promise
            .dyn_into::<js_sys::Promise>()
            .map_err(|_| Error::Browser("fetch did not return a promise".into()))?;
        let resp = JsFuture::from(promise)
            .await
            .map_err(|e| Error::Network(js_text(&e)))?;
        resp.dyn_into::<Response>()
            .map_err(|_| Error::Decode("fetch did not resolve to a Response".into()))
    }
}

/// The body as text.
pub(crate) async fn text(resp: &Response) -> Result<String, Error> {
    let p = resp.text().map_err(|e| Error::Decode(js_text(&e)))?;
    let v = JsFuture::from(p)
        .await
        .map_err(|e| Error::Network(js_text(&e)))?;
    v.as_string()
        .ok_or_else(|| Error::Decode("body is not text".into()))
}

/// The body as bytes.
pub(crate) async fn bytes(resp: &Response) -> Result<Vec<u8>, Error> {
    let p = resp
        .array_buffer()
        .map_err(|e| Error::Decode(js_text(&e)))?;
    let v = JsFuture::from(p)
        .await
        .map_err(|e| Error::Network(js_text(&e)))?;
    Ok(js_sys::Uint8Array::new(&v).to_vec())
}

/// The body parsed by the browser (`Response.json()`).
pub(crate) async fn json_value(resp: &Response) -> Result<JsValue, Error> {
    let p = resp.json().map_err(|e| Error::Decode(js_text(&e)))?;
    // A body that is not JSON rejects here: that is a decoding failure, not a network one.
    JsFuture::from(p)
        .await
        .map_err(|e| Error::Decode(js_text(&e)))
}

/// A parsed body as `T`.
pub(crate) fn from_value<T: crate::wire::codec::FromJson>(v: &JsValue) -> Result<T, Error> {
    crate::wire::json::from_js(v).map_err(Error::Decode)
}

/// The body as JSON.
pub(crate) async fn json<T: crate::wire::codec::FromJson>(resp: &Response) -> Result<T, Error> {
    from_value(&json_value(resp).await?)
}

/// The `Error::Http` of a failed response (Graasp error body when present).
pub(crate) async fn error_of(resp: &Response) -> Error {
    let body = text(resp).await.unwrap_or_default();
    error_from(resp.status(), &body)
}

/// Builds an `Http` error from a status and a response body, reading the Graasp error body
/// when there is one (any other body becomes the message).
pub(crate) fn error_from(status: u16, body: &str) -> Error {
    match crate::wire::json::parse::<appframe_protocol::ErrorBody>(body) {
        Ok(b) => Error::Http {
            status,
            code: b.code,
            message: b.message,
        },
        Err(_) => Error::Http {
            status,
            code: String::new(),
            message: chars_prefix(body, 200).to_owned(),
        },
    }
}

/// The first `n` chars of `s` (all of it when shorter).
fn chars_prefix(s: &str, n: usize) -> &str {
    let mut seen = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        // Every byte but a continuation byte (0b10xx_xxxx) starts a char.
        if (b as i8) >= -0x40 {
            if seen == n {
                return s.get(..i).unwrap_or(s);
            }
            seen += 1;
        }
    }
    s
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn graasp_error_body_is_parsed_into_code_and_message() {
        let e = error_from(
            404,
            r#"{"name":"APP_DATA_NOT_FOUND","code":"GAERR004","message":"APP_DATA_NOT_FOUND","statusCode":404,"origin":"graasp-plugin-apps/app-data"}"#,
        );
        assert_eq!(e, Error::http(404, "GAERR004", "APP_DATA_NOT_FOUND"));
        assert_eq!(e.code(), "Http");
        assert!(e.is_not_found());
        assert!(!e.is_forbidden());
    }

    #[test]
    fn a_non_graasp_body_becomes_the_message() {
        let e = error_from(502, "Bad Gateway");
        assert_eq!(e, Error::http(502, "", "Bad Gateway"));
    }

    #[test]
    fn a_long_body_is_cut_after_200_chars_on_a_char_boundary() {
        let body = ["é".repeat(150), "x".repeat(100)].concat();
        let first_200: String = body.chars().take(200).collect();
        assert_eq!(first_200.len(), 150 * 2 + 50);
        assert_eq!(error_from(500, &body), Error::http(500, "", &first_200));
        assert_eq!(chars_prefix("aé", 0), "");
        assert_eq!(chars_prefix("aé", 2), "aé");
        assert_eq!(chars_prefix("aé", 5), "aé");
        assert_eq!(chars_prefix("aéb", 2), "aé");
        assert_eq!(chars_prefix("", 3), "");
    }
}
