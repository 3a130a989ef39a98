//! HTTP over the browser's `fetch`, called through a function value so tests can pass a fake
//! `fetch` that answers with real `Response` objects (the response handling stays the real one).

use crate::{
    error::{Error, js_text},
    wire::text::format_uuid,
};
use appframe_protocol::{ItemId, RowId};
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
            set("Authorization", &["Bearer ", t].concat())?;
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

/// `apiHost` + a route template of `appframe_protocol::routes` with `{item_id}` and `{id}` filled
/// in: the same URL as `routes::*_url` (the tests check both agree).
pub(crate) fn route(
    api_host: &str,
    template: &str,
    item: Option<&ItemId>,
    id: Option<&RowId>,
) -> String {
    // `strip_suffix` in a loop rather than `trim_end_matches`: the latter's reverse char
    // searcher is two functions in the wasm that nothing else uses.
    let mut host = api_host;
    while let Some(h) = host.strip_suffix('/') {
        host = h;
    }
    let mut url = host.to_owned();
    // Walk the template once: `{name}` placeholders are replaced, everything else copied.
    // (Splitting rather than slicing by index: no slicing panic paths in the wasm.)
    let mut parts = template.split('{');
    url.push_str(parts.next().unwrap_or_default());
    for part in parts {
        let Some((name, tail)) = part.split_once('}') else {
            url.push('{');
            url.push_str(part);
            continue;
        };
        let value = match name {
            "item_id" => item.map(|i| i.0),
            "id" => id.map(|i| i.0),
            _ => None,
        };
        match value {
            Some(u) => url.push_str(&format_uuid(u)),
            None => {
                url.push('{');
                url.push_str(name);
                url.push('}');
            }
        }
        url.push_str(tail);
    }
    url
}

/// An upload route: the item travels as `?id=<itemId>`.
pub(crate) fn upload_route(api_host: &str, template: &str, item: &ItemId) -> String {
    with_query(
        route(api_host, template, None, None),
        &[("id", Some(format_uuid(item.0)))],
    )
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

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub(crate) fn encode_query(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (form encoding); `None` on malformed escapes or bad UTF-8.
/// In the browser this is `decodeURIComponent` (after `+` → space), which keeps Rust's UTF-8
/// validation and number parsing out of the wasm; natively the same rules by hand.
pub(crate) fn decode_query(v: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        // `+` → space.
        let mut spaced = String::with_capacity(v.len());
        for (i, part) in v.split('+').enumerate() {
            if i > 0 {
                spaced.push(' ');
            }
            spaced.push_str(part);
        }
        js_sys::decode_uri_component(&spaced).ok().map(String::from)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let b = v.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                    if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                        return None;
                    }
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).ok()
    }
}

/// Appends `?k=v&...` (values encoded) to `url`.
pub(crate) fn with_query(url: String, params: &[(&str, Option<String>)]) -> String {
    let mut url = url;
    for (k, v) in params {
        if let Some(v) = v {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(k);
            url.push('=');
            url.push_str(&encode_query(v));
        }
    }
    url
}

/// The `cursor` of the `rel="next"` link of a `Link` header.
pub(crate) fn next_cursor(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| matches!(p.trim_ascii(), "rel=\"next\"" | "rel=next"));
        if !is_next {
            return None;
        }
        let url = target.trim_ascii().strip_prefix('<')?.strip_suffix('>')?;
        let (_, query) = url.split_once('?')?;
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("cursor="))
            .and_then(decode_query)
    })
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

    #[test]
    fn query_values_round_trip_through_encoding() {
        let raw = "a b+c/=d?é&";
        let enc = encode_query(raw);
        assert_eq!(enc, "a%20b%2Bc%2F%3Dd%3F%C3%A9%26");
        assert_eq!(decode_query(&enc).unwrap(), raw);
        assert_eq!(decode_query("x+y").unwrap(), "x y");
        assert!(decode_query("%zz").is_none());
        assert!(decode_query("%4").is_none());
        assert!(decode_query("%+1").is_none());
        assert!(decode_query("%80").is_none());
    }

    #[test]
    fn query_parameters_are_appended_only_when_present() {
        let u = with_query(
            "http://h/api/x".into(),
            &[
                ("type", Some("a b".into())),
                ("limit", None),
                ("cursor", Some("c".into())),
            ],
        );
        assert_eq!(u, "http://h/api/x?type=a%20b&cursor=c");
        assert_eq!(
            with_query("http://h/x?id=1".into(), &[("k", Some("v".into()))]),
            "http://h/x?id=1&k=v"
        );
        assert_eq!(with_query("http://h/x".into(), &[]), "http://h/x");
    }

    #[test]
    fn routes_are_the_protocol_urls() {
        use appframe_protocol::routes::{self, *};
        let host = "http://h:1/api/";
        let item: ItemId = "1b4e28ba-2fa1-41d2-883f-0016d3cca427".parse().unwrap();
        let id: RowId = "9B1DEB4D-3B7D-4BAD-9BDD-2B0D7B3DCB6D".parse().unwrap();
        let (i, r) = (Some(&item), Some(&id));
        assert_eq!(
            route(host, PATH_APP_DATA, i, None),
            routes::app_data_url(host, &item)
        );
        assert_eq!(
            route(host, PATH_APP_DATA_ONE, i, r),
            routes::app_data_one_url(host, &item, &id)
        );
        assert_eq!(
            route(host, PATH_APP_ACTION, i, None),
            routes::app_action_url(host, &item)
        );
        assert_eq!(
            route(host, PATH_APP_SETTINGS, i, None),
            routes::app_settings_url(host, &item)
        );
        assert_eq!(
            route(host, PATH_APP_SETTINGS_ONE, i, r),
            routes::app_settings_one_url(host, &item, &id)
        );
        assert_eq!(
            route(host, PATH_CONTEXT, i, None),
            routes::context_url(host, &item)
        );
        assert_eq!(
            route(host, PATH_APP_DATA_DOWNLOAD, None, r),
            routes::app_data_download_url(host, &id)
        );
        assert_eq!(
            route(host, PATH_APP_SETTINGS_DOWNLOAD, None, r),
            routes::app_settings_download_url(host, &id)
        );
        assert_eq!(
            upload_route(host, PATH_APP_DATA_UPLOAD, &item),
            routes::app_data_upload_url(host, &item)
        );
        assert_eq!(
            upload_route(host, PATH_APP_SETTINGS_UPLOAD, &item),
            routes::app_settings_upload_url(host, &item)
        );
        // Unknown or unclosed placeholders are kept as they are.
        assert_eq!(route("h", "/a/{x}/b/{id", i, r), "h/a/{x}/b/{id");
    }

    #[test]
    fn the_next_cursor_is_read_from_the_link_header() {
        let h = r#"<http://h/api/app-items/1/app-data?limit=2&cursor=MTIz%3D%3D>; rel="next""#;
        assert_eq!(next_cursor(h).unwrap(), "MTIz==");
        let two = r#"<http://h/x?cursor=p>; rel="prev", <http://h/x?limit=1&cursor=n>; rel="next""#;
        assert_eq!(next_cursor(two).unwrap(), "n");
        assert_eq!(next_cursor(r#"<http://h/x?cursor=p>; rel="prev""#), None);
        assert_eq!(next_cursor("garbage"), None);
    }
}
