//! The integration API's key check, a layer in front of every `/api/admin` route: the key
//! comes from `Authorization: Bearer`, `?apiKey=` or an `apiKey` field of a form body; GET
//! needs the `read` scope, everything else `write`. A form body's other fields become the
//! JSON body the handlers read.

use crate::{
    AppState,
    auth::{self, ApiKey},
    error::{Error, Result},
    extract::{Bearer, read_body},
};
use appframe_protocol::JsonObject;
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

fn is_form(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Finds the key (header, query, or form field), checks its scope for the method, and for a
/// form body turns the remaining fields into the JSON body the handlers read.
pub(super) async fn require_api_key(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    match check_api_key(&state, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check_api_key(state: &AppState, req: Request) -> Result<Request> {
    // Without a Bearer header the key may still come from the query or the form.
    let from_header = Bearer::from_headers(req.headers()).ok().map(|Bearer(k)| k);
    let from_query = req.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "apiKey")
            .map(|(_, v)| percent_decode(v))
    });
    let method = req.method().clone();
    let (req, from_form) = if is_form(&req) {
        let (mut parts, body) = req.into_parts();
        let bytes = read_body(Request::from_parts(parts.clone(), body), state).await?;
        let mut key = None;
        let mut obj = JsonObject::new();
        for kv in std::str::from_utf8(&bytes)
            .map_err(|_| Error::BadRequest("form body is not UTF-8".into()))?
            .split('&')
            .filter(|s| !s.is_empty())
        {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            if k == "apiKey" {
                key = Some(v);
            } else {
                obj.insert(k, serde_json::Value::String(v));
            }
        }
        let json = serde_json::to_vec(&obj).map_err(|e| Error::Internal(e.to_string()))?;
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        parts.headers.remove(header::CONTENT_LENGTH);
        (Request::from_parts(parts, Body::from(json)), key)
    } else {
        (req, None)
    };
    let key = from_header
        .or(from_query)
        .or(from_form)
        .ok_or_else(|| Error::ApiKey("an API key is required".into()))?;
    let api_key: ApiKey = auth::find_api_key(state, &key).await?;
    api_key.check_method(&method)?;
    let mut req = req;
    // Routes that limit per key (token minting) read which key called.
    req.extensions_mut().insert(api_key);
    Ok(req)
}

/// Decodes `%XX` and `+` of a query or form value.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_percent_decoded() {
        assert_eq!(percent_decode("a%20b+c%2F"), "a b c/");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
