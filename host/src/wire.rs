//! The bridge's side of the postMessage strings, without a JSON library in the package: what the
//! app sends is read with the browser's `JSON.parse`, what the bridge sends is written here.
//!
//! Policy: serde_json's parser, serializer and float formatting were most of the host bridge
//! package's bytes, for four inbound shapes and four outbound ones. The strings are the ones
//! `appframe_protocol::Message` reads and writes (the browser tests decode every answer with it).

use crate::bridge::BRIDGE_VERSION;
use appframe_protocol::{Context, FailurePayload, ItemId, KeyOrigin, LocalContext, MessageKind};
use js_sys::{JSON, Reflect};
use serde_json::{Map, Value};
use std::borrow::Cow;
use uuid::Uuid;
use wasm_bindgen::JsValue;

/// An app-to-host message, as far as the bridge reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inbound {
    /// GET_CONTEXT with its key and origin.
    GetContext(KeyOrigin),
    /// GET_AUTH_TOKEN with its key and origin.
    GetAuthToken(KeyOrigin),
    /// POST_AUTO_RESIZE with a finite height.
    AutoResize(f64),
    /// POST_MAX_RESIZE.
    MaxResize,
    /// A kind only a host sends (`*_SUCCESS`, `*_FAILURE`); its payload is not read.
    HostToApp,
}

/// A message that could not be read: the `type` it named, if any, and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unreadable {
    /// The `type` string when the message is an object that has one.
    pub(crate) ty: Option<String>,
    /// What is wrong, for the log.
    pub(crate) reason: String,
}

/// Reads a postMessage string: its kind, item and what the bridge needs of the payload.
pub(crate) fn decode(text: &str) -> Result<(MessageKind, ItemId, Inbound), Unreadable> {
    let unreadable = |ty: Option<String>, reason: String| Unreadable { ty, reason };
    let value = JSON::parse(text)
        .map_err(|e| unreadable(None, concat(&["bad JSON: ", &crate::error::js_message(&e)])))?;
    if !value.is_object() {
        return Err(unreadable(None, "bad JSON: not an object".into()));
    }
    let Some(ty) = get(&value, "type").as_string() else {
        return Err(unreadable(None, "bad JSON: no string `type`".into()));
    };
    let Some((kind, item_id)) = split_type(&ty) else {
        let reason = concat(&["unrecognized message type ", &quoted(&ty)]);
        return Err(unreadable(Some(ty), reason));
    };
    let payload = get(&value, "payload");
    let bad = |what: &str| {
        unreadable(
            Some(ty.clone()),
            concat(&["bad payload for ", kind.prefix(), ": ", what]),
        )
    };
    let inbound = match kind {
        MessageKind::GetContext => Inbound::GetContext(
            key_origin(&payload)
                .ok_or_else(|| bad("expected an object with string `key` and `origin`"))?,
        ),
        MessageKind::GetAuthToken => Inbound::GetAuthToken(
            key_origin(&payload)
                .ok_or_else(|| bad("expected an object with string `key` and `origin`"))?,
        ),
        MessageKind::PostAutoResize => {
            let height = payload
                .as_f64()
                .ok_or_else(|| bad("height is not a number"))?;
            Inbound::AutoResize(height)
        }
        MessageKind::PostMaxResize => Inbound::MaxResize,
        MessageKind::GetContextSuccess
        | MessageKind::GetContextFailure
        | MessageKind::GetAuthTokenSuccess
        | MessageKind::GetAuthTokenFailure => Inbound::HostToApp,
    };
    Ok((kind, item_id, inbound))
}

/// Longest prefixes first, so `GET_CONTEXT_SUCCESS_x` is not read as `GET_CONTEXT` of item
/// `SUCCESS_x` (the order `MessageKind::split_type` uses).
const KINDS: [MessageKind; 8] = [
    MessageKind::GetContextSuccess,
    MessageKind::GetContextFailure,
    MessageKind::GetAuthTokenSuccess,
    MessageKind::GetAuthTokenFailure,
    MessageKind::GetContext,
    MessageKind::GetAuthToken,
    MessageKind::PostAutoResize,
    MessageKind::PostMaxResize,
];

/// `MessageKind::split_type` with this module's UUID reader: a type string's kind and item.
pub(crate) fn split_type(ty: &str) -> Option<(MessageKind, ItemId)> {
    KINDS.into_iter().find_map(|kind| {
        let rest = ty.strip_prefix(kind.prefix())?.strip_prefix('_')?;
        Some((kind, parse_uuid(rest)?.into()))
    })
}

/// A UUID in any form the `uuid` crate reads (hyphenated, simple, braced, `urn:uuid:`; hex digits
/// of either case), read here because that crate's error reporting slices the input, and a
/// slice that may panic brings Debug formatting and its Unicode tables into the package.
pub(crate) fn parse_uuid(s: &str) -> Option<Uuid> {
    const HYPHENS: [usize; 4] = [8, 13, 18, 23];
    let hyphenated = |h: &str| {
        let b = h.as_bytes();
        (b.len() == 36 && HYPHENS.iter().all(|&i| b[i] == b'-')).then(|| {
            b.iter()
                .enumerate()
                .filter(|(i, _)| !HYPHENS.contains(i))
                .map(|(_, c)| *c)
                .collect::<Vec<u8>>()
        })
    };
    let hex = match s.len() {
        32 => Some(s.as_bytes().to_vec()),
        36 => hyphenated(s),
        38 => s
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .and_then(hyphenated),
        45 => s.strip_prefix("urn:uuid:").and_then(hyphenated),
        _ => None,
    }?;
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut bytes = [0u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(Uuid::from_bytes(bytes))
}

fn key_origin(payload: &JsValue) -> Option<KeyOrigin> {
    if !payload.is_object() {
        return None;
    }
    Some(KeyOrigin {
        key: get(payload, "key").as_string()?,
        origin: get(payload, "origin").as_string()?,
    })
}

/// A property of a JS value; `undefined` when it has none (or is not an object).
pub(crate) fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A bridge-to-app message: its kind (for the log) and its JSON string.
pub(crate) struct Outbound {
    pub(crate) kind: MessageKind,
    pub(crate) wire: String,
}

impl Outbound {
    fn new(kind: MessageKind, item_id: &ItemId, payload: impl FnOnce(&mut String)) -> Self {
        let mut w = String::from("{\"type\":\"");
        w.push_str(kind.prefix());
        w.push('_');
        push_id(&mut w, item_id);
        w.push_str("\",\"payload\":");
        payload(&mut w);
        w.push('}');
        Outbound { kind, wire: w }
    }

    /// GET_CONTEXT_SUCCESS with the context (the `LocalContext` wire shape).
    pub(crate) fn context(sent: &Sent<'_>) -> Self {
        Self::new(MessageKind::GetContextSuccess, &sent.item_id, |w| {
            push_context(w, sent)
        })
    }

    /// GET_CONTEXT_FAILURE with why.
    pub(crate) fn context_failure(item_id: &ItemId, error: &FailurePayload) -> Self {
        Self::new(MessageKind::GetContextFailure, item_id, |w| {
            push_failure(w, error)
        })
    }

    /// GET_AUTH_TOKEN_SUCCESS with the token.
    pub(crate) fn token(item_id: &ItemId, token: &str) -> Self {
        Self::new(MessageKind::GetAuthTokenSuccess, item_id, |w| {
            w.push_str("{\"token\":");
            push_str(w, token);
            w.push('}');
        })
    }

    /// GET_AUTH_TOKEN_FAILURE with why.
    pub(crate) fn token_failure(item_id: &ItemId, error: &FailurePayload) -> Self {
        Self::new(MessageKind::GetAuthTokenFailure, item_id, |w| {
            push_failure(w, error)
        })
    }
}

/// `{"key":…,"origin":…}`, the body of the token request.
pub(crate) fn key_origin_json(body: &KeyOrigin) -> String {
    let mut w = String::from("{\"key\":");
    push_str(&mut w, &body.key);
    w.push_str(",\"origin\":");
    push_str(&mut w, &body.origin);
    w.push('}');
    w
}

fn push_failure(w: &mut String, error: &FailurePayload) {
    w.push_str("{\"code\":");
    push_str(w, &error.code);
    w.push_str(",\"message\":");
    push_str(w, &error.message);
    w.push('}');
}

/// A context as the bridge sends it: the provider's, with the bridge's item, the absolute
/// `apiHost` and the bridge's extensions in place of its own.
pub(crate) struct Sent<'a> {
    /// The provider's context (a fixed one is lent, not cloned).
    pub(crate) ctx: Cow<'a, LocalContext>,
    /// The bridge's item.
    pub(crate) item_id: ItemId,
    /// `apiHost` resolved against the page, without a trailing slash.
    pub(crate) api_host: String,
    /// `appframe.features`: the bridge's, then the server's.
    pub(crate) features: Vec<&'a str>,
}

/// The `LocalContext` wire shape, fields in its order: the account id twice (`accountId` and
/// the legacy `memberId`), then `appframe` with [`BRIDGE_VERSION`].
fn push_context(w: &mut String, sent: &Sent<'_>) {
    let c = sent.ctx.as_ref();
    w.push_str("{\"apiHost\":");
    push_str(w, &sent.api_host);
    w.push_str(",\"itemId\":\"");
    push_id(w, &sent.item_id);
    w.push('"');
    if let Some(account) = &c.account_id {
        for key in [",\"accountId\":\"", "\",\"memberId\":\""] {
            w.push_str(key);
            push_uuid(w, account.as_uuid().as_bytes());
        }
        w.push('"');
    }
    w.push_str(",\"permission\":\"");
    w.push_str(c.permission.as_str());
    w.push_str("\",\"context\":\"");
    w.push_str(context_name(c.context));
    w.push_str("\",\"lang\":");
    push_str(w, &c.lang);
    w.push_str(",\"settings\":");
    push_object(w, &c.settings);
    for (key, on) in [
        (",\"offline\":", c.offline),
        (",\"dev\":", c.dev),
        (",\"mobile\":", c.mobile),
    ] {
        w.push_str(key);
        w.push_str(if on { "true" } else { "false" });
    }
    w.push_str(",\"appframe\":{\"version\":");
    push_uint(w, u64::from(BRIDGE_VERSION));
    w.push_str(",\"features\":[");
    for (i, f) in sent.features.iter().enumerate() {
        if i > 0 {
            w.push(',');
        }
        push_str(w, f);
    }
    w.push_str("]}}");
}

/// The wire name of a view (what `Context`'s serde derive writes).
pub(crate) fn context_name(c: Context) -> &'static str {
    match c {
        Context::Builder => "builder",
        Context::Player => "player",
        Context::Library => "library",
        Context::Analytics => "analytics",
        Context::Account => "account",
        Context::Auth => "auth",
        Context::Home => "home",
        Context::Standalone => "standalone",
        Context::Unknown => "unknown",
    }
}

/// A view from its wire name; any other name is `Unknown` (as the serde derive reads it).
#[cfg(any(feature = "js", test))]
pub(crate) fn context_from_name(name: &str) -> Context {
    [
        Context::Builder,
        Context::Player,
        Context::Library,
        Context::Analytics,
        Context::Account,
        Context::Auth,
        Context::Home,
        Context::Standalone,
    ]
    .into_iter()
    .find(|c| context_name(*c) == name)
    .unwrap_or(Context::Unknown)
}

fn push_object(w: &mut String, map: &Map<String, Value>) {
    w.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            w.push(',');
        }
        push_str(w, k);
        w.push(':');
        push_value(w, v);
    }
    w.push('}');
}

fn push_value(w: &mut String, v: &Value) {
    match v {
        Value::Null => w.push_str("null"),
        Value::Bool(b) => w.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => push_int(w, i),
            (None, Some(u), _) => push_uint(w, u),
            (None, None, Some(f)) => w.push_str(&number(f)),
            // A number is one of the three; `null` keeps the JSON valid if that ever changes.
            (None, None, None) => w.push_str("null"),
        },
        Value::String(s) => push_str(w, s),
        Value::Array(items) => {
            w.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.push(',');
                }
                push_value(w, item);
            }
            w.push(']');
        }
        Value::Object(map) => push_object(w, map),
    }
}

/// A float as text: the browser's shortest round-trip form (`Number#toString`), so the package
/// carries no float formatting of its own. In JSON it may differ from serde_json's in notation
/// only (`1e+21` for `1e21`), never in value.
#[cfg(target_arch = "wasm32")]
pub(crate) fn number(f: f64) -> String {
    js_sys::Number::from(f)
        .to_string_with_radix(10)
        .map_or_else(|_| "null".to_owned(), String::from)
}

/// Natively (unit tests) serde_json's form, `f64`'s `Display` for what JSON cannot hold.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn number(f: f64) -> String {
    serde_json::Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string())
}

/// An unsigned integer as text, without `core::fmt`.
pub(crate) fn uint(u: u64) -> String {
    let mut w = String::new();
    push_uint(&mut w, u);
    w
}

fn push_int(w: &mut String, i: i64) {
    if i < 0 {
        w.push('-');
    }
    push_uint(w, i.unsigned_abs());
}

fn push_uint(w: &mut String, mut u: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    for d in &digits[at..] {
        w.push(char::from(*d));
    }
}

pub(crate) fn push_id(w: &mut String, id: &ItemId) {
    push_uuid(w, id.as_uuid().as_bytes());
}

/// Lower-case hyphenated text of a UUID (what its `Display` writes) without `core::fmt`.
fn push_uuid(w: &mut String, bytes: &[u8; 16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            w.push('-');
        }
        w.push(char::from(HEX[usize::from(b >> 4)]));
        w.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// A JSON string literal, escaped as serde_json escapes (quote, backslash, control characters;
/// everything else as is).
pub(crate) fn push_str(w: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    w.push('"');
    for c in s.chars() {
        match c {
            '"' => w.push_str("\\\""),
            '\\' => w.push_str("\\\\"),
            '\n' => w.push_str("\\n"),
            '\r' => w.push_str("\\r"),
            '\t' => w.push_str("\\t"),
            '\u{8}' => w.push_str("\\b"),
            '\u{c}' => w.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let b = u32::from(c) as usize;
                w.push_str("\\u00");
                w.push(char::from(HEX[b >> 4]));
                w.push(char::from(HEX[b & 0xf]));
            }
            c => w.push(c),
        }
    }
    w.push('"');
}

/// `"text"` with JSON escapes, for log reasons.
pub(crate) fn quoted(s: &str) -> String {
    let mut w = String::new();
    push_str(&mut w, s);
    w
}

/// Joins string pieces (instead of `format!`, whose machinery the package does not need).
pub(crate) fn concat(parts: &[&str]) -> String {
    parts.concat()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::{HostCapabilities, Message, Permission, TokenPayload};

    fn item() -> ItemId {
        "860336f0-9317-4193-91ad-5d58f6a975d8".parse().unwrap()
    }

    fn full_context() -> LocalContext {
        let mut c = LocalContext::new("http://127.0.0.1:8080/api", item());
        c.account_id = Some("dca3c530-eff8-4c46-8172-bd614654a02d".parse().unwrap());
        c.permission = Permission::Admin;
        c.context = Context::Builder;
        c.lang = "fr \"q\" \\ \n\t\u{1}é".into();
        c.settings = serde_json::json!({
            "isResizable": true, "n": -3, "big": u64::MAX, "f": 0.5, "none": null,
            "list": [1, "two", {"three": [false]}], "empty": {}
        })
        .as_object()
        .unwrap()
        .clone();
        c.mobile = true;
        c.appframe = Some(HostCapabilities {
            version: BRIDGE_VERSION,
            features: vec!["failure".into(), "ws".into()],
        });
        c
    }

    /// What the bridge would send for `ctx` (its item, `apiHost` and these features kept).
    fn sent<'a>(ctx: LocalContext, features: &[&'a str]) -> Sent<'a> {
        Sent {
            item_id: ctx.item_id,
            api_host: ctx.api_host.clone(),
            features: features.to_vec(),
            ctx: Cow::Owned(ctx),
        }
    }

    #[test]
    fn every_outbound_message_is_byte_for_byte_what_the_protocol_encodes() {
        let id = item();
        let error = FailurePayload {
            code: "TOKEN_TIMEOUT".into(),
            message: "no token \"now\"\u{7f}".into(),
        };
        let cases = [
            (
                Outbound::context(&sent(full_context(), &["failure", "ws"])),
                Message::GetContextSuccess {
                    item_id: id,
                    context: Box::new(full_context()),
                },
            ),
            (
                Outbound::context(&sent(LocalContext::new("/api", id), &[])),
                Message::GetContextSuccess {
                    item_id: id,
                    context: Box::new(LocalContext {
                        appframe: Some(HostCapabilities {
                            version: BRIDGE_VERSION,
                            features: Vec::new(),
                        }),
                        ..LocalContext::new("/api", id)
                    }),
                },
            ),
            (
                Outbound::context_failure(&id, &error),
                Message::GetContextFailure {
                    item_id: id,
                    error: error.clone(),
                },
            ),
            (
                Outbound::token(&id, "a.b\"c"),
                Message::GetAuthTokenSuccess {
                    item_id: id,
                    payload: TokenPayload {
                        token: "a.b\"c".into(),
                    },
                },
            ),
            (
                Outbound::token_failure(&id, &error),
                Message::GetAuthTokenFailure {
                    item_id: id,
                    error: error.clone(),
                },
            ),
        ];
        for (ours, theirs) in cases {
            assert_eq!(ours.wire, theirs.encode());
            assert_eq!(ours.kind, theirs.kind());
            assert_eq!(Message::decode(&ours.wire).unwrap(), theirs);
        }
    }

    #[test]
    fn the_token_request_body_is_the_serde_form() {
        let body = KeyOrigin {
            key: "k\"1".into(),
            origin: "http://a:1".into(),
        };
        assert_eq!(
            key_origin_json(&body),
            serde_json::to_string(&body).unwrap()
        );
    }

    #[test]
    fn context_names_round_trip_and_unknown_names_are_unknown() {
        for c in [
            Context::Builder,
            Context::Player,
            Context::Library,
            Context::Analytics,
            Context::Account,
            Context::Auth,
            Context::Home,
            Context::Standalone,
            Context::Unknown,
        ] {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                Value::String(context_name(c).into())
            );
            assert_eq!(context_from_name(context_name(c)), c);
        }
        assert_eq!(context_from_name("explorer"), Context::Unknown);
    }

    #[test]
    fn uuids_and_type_strings_are_read_as_the_protocol_reads_them() {
        let forms = [
            "860336f0-9317-4193-91ad-5d58f6a975d8",
            "860336F0-9317-4193-91AD-5D58F6A975D8",
            "860336f0931741939 1ad5d58f6a975d8",
            "860336f09317419391ad5d58f6a975d8",
            "{860336f0-9317-4193-91ad-5d58f6a975d8}",
            "{860336f09317419391ad5d58f6a975d8}",
            "urn:uuid:860336f0-9317-4193-91ad-5d58f6a975d8",
            "urn:uuid:860336f09317419391ad5d58f6a975d8",
            "860336f0-9317-4193-91ad-5d58f6a975d",
            "860336f0-9317-4193-91ad-5d58f6a975d8x",
            "860336f0_9317-4193-91ad-5d58f6a975d8",
            "g60336f0-9317-4193-91ad-5d58f6a975d8",
            "860336f0-9317-4193-91ad-5d58f6a975é",
            "",
            "{}",
        ];
        for form in forms {
            assert_eq!(parse_uuid(form), Uuid::parse_str(form).ok(), "{form:?}");
        }
        let id = item();
        for kind in KINDS {
            let ty = kind.type_for(&id);
            assert_eq!(split_type(&ty), MessageKind::split_type(&ty).ok(), "{ty}");
        }
        for ty in [
            "GET_CONTEXT",
            "GET_CONTEXT_",
            "GET_CONTEXT_SUCCESS",
            "NOPE_x",
            "GET_CONTEXTx860336f0-9317-4193-91ad-5d58f6a975d8",
        ] {
            assert_eq!(split_type(ty), MessageKind::split_type(ty).ok(), "{ty}");
        }
    }

    #[test]
    fn integers_are_written_in_full() {
        for i in [0, 7, -7, 10, i64::MIN, i64::MAX] {
            let mut w = String::new();
            push_int(&mut w, i);
            assert_eq!(w, i.to_string());
        }
    }
}
