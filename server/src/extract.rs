//! Extractors whose rejections are Graasp error bodies (axum's defaults answer in plain text),
//! and the cursor pagination extension.

use crate::{
    error::{Error, Result},
    store::{Page, to_micros},
};
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, Uri, header, request::Parts},
};
use base64::Engine;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

/// The credential of `Authorization: Bearer <credential>` (scheme `Bearer` or `bearer`),
/// trimmed. As an extractor it is required: a missing, non-ASCII or non-Bearer header is 401
/// `GERR027`. Routes with other ways to pass a credential read [`Bearer::from_headers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bearer(pub String);

impl Bearer {
    /// The credential, or why there is none.
    pub fn from_headers(headers: &HeaderMap) -> Result<Bearer> {
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| Error::InvalidToken("missing Authorization header".into()))?
            .to_str()
            .map_err(|_| Error::InvalidToken("malformed Authorization header".into()))?;
        let credential = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| Error::InvalidToken("expected a Bearer token".into()))?;
        Ok(Bearer(credential.trim().to_owned()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        Bearer::from_headers(&parts.headers)
    }
}

/// A JSON body: `Content-Type: application/json`, within the body limit (413), and matching
/// `T` exactly (400 with serde's message, which names unknown fields and wrong types).
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Reads a body, mapping a length-limit rejection to 413.
pub(crate) async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes> {
    Bytes::from_request(req, state)
        .await
        .map_err(|e: BytesRejection| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge("the request body is larger than allowed".into())
            } else {
                Error::BadRequest(format!("cannot read the body: {e}"))
            }
        })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;
    async fn from_request(req: Request, state: &S) -> Result<Self> {
        // Every object body of this API; serde would also accept a struct as an array.
        json_body(req, state, b'{', "a JSON object")
            .await
            .map(ApiJson)
    }
}

/// A JSON array body (the chat bot's messages), with the checks of [`ApiJson`].
#[derive(Debug, Clone)]
pub struct ApiJsonList<T>(pub Vec<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJsonList<T> {
    type Rejection = Error;
    async fn from_request(req: Request, state: &S) -> Result<Self> {
        json_body(req, state, b'[', "a JSON array")
            .await
            .map(ApiJsonList)
    }
}

/// A JSON body whose first non-blank byte is `open` (`what` names it in the 400).
async fn json_body<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
    open: u8,
    what: &str,
) -> Result<T> {
    if !is_json(req.headers()) {
        return Err(Error::UnsupportedMediaType(
            "expected Content-Type: application/json".into(),
        ));
    }
    let bytes = read_body(req, state).await?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&open) {
        return Err(Error::BadRequest(format!("body must be {what}")));
    }
    if has_nul_escape(&bytes) {
        return Err(Error::BadRequest(
            "body: strings may not contain the character U+0000 (\\u0000)".into(),
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::BadRequest(format!("body: {e}")))
}

/// Whether a JSON text holds the escape `\u0000` (U+0000 in a string or key). PostgreSQL can
/// store U+0000 neither in `jsonb` nor in `text`, so such a body would be a 500 there and
/// stored on SQLite; it is refused on both. Outside strings JSON has no backslashes, so an
/// escape is a `\u0000` after an even number of other backslashes (`\\u0000` is a backslash
/// and the text `u0000`).
fn has_nul_escape(json: &[u8]) -> bool {
    json.windows(6).enumerate().any(|(i, w)| {
        w == b"\\u0000" && json[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    })
}

/// Whether a URI path or query holds `%00`, which decodes to U+0000: PostgreSQL cannot take it
/// in a `text` parameter (a 500), so it is refused before any handler runs.
fn has_nul(uri_part: &str) -> bool {
    uri_part.contains("%00")
}

/// Path parameters, 400 on a malformed value (e.g. a non-UUID id).
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        if has_nul(parts.uri.path()) {
            return Err(Error::BadRequest(
                "params: may not contain the character U+0000 (%00)".into(),
            ));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| Error::BadRequest(format!("params: {}", e.body_text())))
    }
}

/// Query string, 400 on a malformed value.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        if parts.uri.query().is_some_and(has_nul) {
            return Err(Error::BadRequest(
                "querystring: may not contain the character U+0000 (%00)".into(),
            ));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| Error::BadRequest(format!("querystring: {}", e.body_text())))
    }
}

pub use crate::quota::MAX_UNPAGED;
/// Largest `limit` accepted.
pub const MAX_LIMIT: i64 = 1_000;

/// `?limit=&cursor=` of list routes (an appframe extension).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PageQuery {
    /// Page size, 1–1000.
    pub limit: Option<i64>,
    /// Opaque cursor from a previous `Link` header.
    pub cursor: Option<String>,
}

/// Encodes the position of a row as an opaque cursor.
pub fn encode_cursor(created_at: OffsetDateTime, id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}:{}",
        to_micros(created_at),
        id.simple()
    ))
}

/// Decodes a cursor.
pub fn decode_cursor(c: &str) -> Result<(i64, Uuid)> {
    let bad = || Error::BadRequest("querystring/cursor is not a valid cursor".into());
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = s.split_once(':').ok_or_else(bad)?;
    Ok((
        at.parse().map_err(|_| bad())?,
        Uuid::parse_str(id).map_err(|_| bad())?,
    ))
}

impl PageQuery {
    /// The page to fetch: one row more than returned, to learn whether a next page exists.
    pub fn page(&self) -> Result<Page> {
        let limit = match self.limit {
            None => MAX_UNPAGED,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(n) => {
                return Err(Error::BadRequest(format!(
                    "querystring/limit must be between 1 and {MAX_LIMIT}, got {n}"
                )));
            }
        };
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(Page {
            after,
            limit: limit + 1,
        })
    }
}

/// Trims a fetched page to its size and builds the `Link: <...>; rel="next"` header value
/// when more rows exist. `pos` gives a row's `(created_at, id)`.
pub fn paginate<T>(
    mut rows: Vec<T>,
    page: Page,
    public_url: &str,
    uri: &Uri,
    pos: impl Fn(&T) -> (OffsetDateTime, Uuid),
) -> (Vec<T>, Option<HeaderValue>) {
    let size = usize::try_from(page.limit - 1).unwrap_or(usize::MAX);
    if rows.len() <= size {
        return (rows, None);
    }
    rows.truncate(size);
    let Some(last) = rows.last() else {
        return (rows, None);
    };
    let (at, id) = pos(last);
    let link = next_link(public_url, uri, at, id);
    (rows, link)
}

/// The `Link: <...>; rel="next"` header value of a page whose last row is at `(at, id)`: the
/// request's URL with its cursor replaced (other filters kept).
pub fn next_link(public_url: &str, uri: &Uri, at: OffsetDateTime, id: Uuid) -> Option<HeaderValue> {
    let cursor = encode_cursor(at, id);
    let mut query: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("cursor="))
        .collect();
    let c = format!("cursor={cursor}");
    query.push(&c);
    let url = format!(
        "{}{}?{}",
        public_url.trim_end_matches('/'),
        uri.path(),
        query.join("&")
    );
    HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_credential_is_read_from_the_authorization_header_only() {
        let with = |v: &[u8]| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_bytes(v).unwrap());
            Bearer::from_headers(&h)
        };
        assert_eq!(with(b"Bearer abc").unwrap(), Bearer("abc".into()));
        assert_eq!(with(b"bearer  abc ").unwrap(), Bearer("abc".into()));
        let message = |r: Result<Bearer>| match r {
            Err(Error::InvalidToken(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(message(with(b"Basic abc")), "expected a Bearer token");
        assert_eq!(message(with(b"BEARER abc")), "expected a Bearer token");
        assert_eq!(
            message(with(b"Bearer \xff")),
            "malformed Authorization header"
        );
        assert_eq!(
            message(Bearer::from_headers(&HeaderMap::new())),
            "missing Authorization header"
        );
    }

    #[test]
    fn only_a_real_nul_escape_is_found() {
        assert!(has_nul_escape(br#"{"data":{"t":"\u0000"}}"#));
        assert!(has_nul_escape(br#"{"\u0000":1}"#));
        assert!(has_nul_escape(br#"{"t":"a\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"t":"\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"t":"\u00001"}"#[..10].as_ref()));
        assert!(!has_nul_escape(br#"{"t":"u0000 \u0001"}"#));
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_a_400() {
        let t = crate::store::now();
        let id = Uuid::new_v4();
        let c = encode_cursor(t, id);
        assert_eq!(decode_cursor(&c).unwrap(), (to_micros(t), id));
        assert!(matches!(decode_cursor("!!"), Err(Error::BadRequest(_))));
        assert!(matches!(decode_cursor("YWJj"), Err(Error::BadRequest(_))));
    }

    #[test]
    fn the_next_link_replaces_the_cursor_and_keeps_the_filters() {
        let t = crate::store::now();
        let rows: Vec<(OffsetDateTime, Uuid)> = (0..3).map(|_| (t, Uuid::new_v4())).collect();
        let q = PageQuery {
            limit: Some(2),
            cursor: None,
        };
        let page = q.page().unwrap();
        let uri: Uri = "/api/app-items/x/app-data?type=note&limit=2&cursor=old"
            .parse()
            .unwrap();
        let (rows2, link) = paginate(rows.clone(), page, "http://h:1/", &uri, |r| *r);
        assert_eq!(rows2.len(), 2);
        let link = link.unwrap().to_str().unwrap().to_owned();
        let c = encode_cursor(t, rows[1].1);
        assert_eq!(
            link,
            format!(
                "<http://h:1/api/app-items/x/app-data?type=note&limit=2&cursor={c}>; rel=\"next\""
            )
        );
        let (rows3, none) = paginate(rows[..2].to_vec(), page, "http://h:1", &uri, |r| *r);
        assert_eq!(rows3.len(), 2);
        assert!(none.is_none());
    }

    #[test]
    fn limits_out_of_range_are_rejected() {
        for bad in [0, -1, MAX_LIMIT + 1] {
            let q = PageQuery {
                limit: Some(bad),
                cursor: None,
            };
            assert!(q.page().is_err());
        }
        assert_eq!(PageQuery::default().page().unwrap().limit, MAX_UNPAGED + 1);
    }
}
