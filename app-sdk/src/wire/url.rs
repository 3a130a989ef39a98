//! The URLs of the app routes: a route template filled in, query strings written and read,
//! the `next` cursor of a `Link` header (size policy: [`crate::wire`]; the tests compare them
//! with the protocol's URL builders).

use super::text::format_uuid;
use appframe_protocol::{ItemId, RowId};

/// `s` cut at its first `sep` (an ASCII byte): what comes before and after it, as
/// `str::split_once` with a `char` would. A byte loop: the `char` patterns of `split`,
/// `split_once` and `contains` search with `memchr` and a char searcher, two functions in the
/// wasm (about 0.6 KB) that nothing but these URL helpers needed.
fn cut(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The pieces of `s` between its `sep`s, as `str::split` with a `char` (see [`cut`]).
fn pieces(s: &str, sep: u8) -> Pieces<'_> {
    Pieces { rest: Some(s), sep }
}

/// The iterator of [`pieces`].
struct Pieces<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match cut(s, self.sep) {
            Some((head, tail)) => {
                self.rest = Some(tail);
                Some(head)
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
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
    let mut parts = pieces(template, b'{');
    url.push_str(parts.next().unwrap_or_default());
    for part in parts {
        let Some((name, tail)) = cut(part, b'}') else {
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
        for (i, part) in pieces(v, b'+').enumerate() {
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
            url.push(if url.bytes().any(|b| b == b'?') {
                '&'
            } else {
                '?'
            });
            url.push_str(k);
            url.push('=');
            url.push_str(&encode_query(v));
        }
    }
    url
}

/// The `cursor` of the `rel="next"` link of a `Link` header.
pub(crate) fn next_cursor(link: &str) -> Option<String> {
    pieces(link, b',').find_map(|part| {
        let (target, params) = cut(part, b';')?;
        let is_next =
            pieces(params, b';').any(|p| matches!(p.trim_ascii(), "rel=\"next\"" | "rel=next"));
        if !is_next {
            return None;
        }
        let url = target.trim_ascii().strip_prefix('<')?.strip_suffix('>')?;
        let (_, query) = cut(url, b'?')?;
        pieces(query, b'&')
            .find_map(|kv| kv.strip_prefix("cursor="))
            .and_then(decode_query)
    })
}

/// Whether `url` is an absolute `http:` or `https:` link, the only links protocol v2 opens.
/// Strict on purpose: URL parsers drop leading spaces and tabs or newlines anywhere, so only
/// texts that begin with the scheme and `//` exactly (in any case) pass.
pub(crate) fn is_web_link(url: &str) -> bool {
    let rest = url
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("http://"))
        .map(|_| &url[7..])
        .or_else(|| {
            url.get(..8)
                .filter(|p| p.eq_ignore_ascii_case("https://"))
                .map(|_| &url[8..])
        });
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_control))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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

    #[test]
    fn only_absolute_web_links_are_links() {
        for ok in [
            "https://example.org/a?b#c",
            "HTTP://example.org",
            "http://127.0.0.1:8080",
        ] {
            assert!(is_web_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "/relative",
            "relative",
            "file:///etc/passwd",
            "http:example.org",
            "https:///x",
            "http://",
            "http://exa\tmple.org",
            "java\nscript:alert(1)",
            "",
        ] {
            assert!(!is_web_link(bad), "{bad:?}");
        }
    }
}
