//! The postMessage messages the app sends and reads, written and read directly.
//!
//! `appframe_protocol::Message::{encode, decode}` handle every message kind in both directions
//! through serde_json; an app sends and reads a few, so doing just that here (through the
//! browser's JSON, see [`crate::wire::json`]) keeps the general codec out of the wasm. Kinds are
//! named by their wire prefix (`"PONG"`), not by `MessageKind`, whose `prefix()` would link every
//! kind's name into every app. The texts are the same as `Message::encode`'s (checked by the
//! tests below).

use crate::{
    error::Error,
    wire::codec::{self, object},
    wire::json,
    wire::text::{concat, format_uuid, int_text},
};
use appframe_protocol::{FailurePayload, ItemId, KeyOrigin, LocalContext};
use serde_json::Value;

/// What the app announces in `GET_CONTEXT` (protocol v2, docs/protocol-v2.md), as the JSON text
/// that ends the payload. `app-sdk/js/boot.js` posts the same text.
const ANNOUNCE: &str = r#","appframe":{"version":2,"features":["lifecycle"]}}"#;

/// `{"type":"<KIND>_<itemId>"}` plus the JSON text of the payload, if any.
pub(crate) fn envelope(kind: &str, item_id: ItemId, payload: Option<&str>) -> String {
    let mut out = String::with_capacity(96 + payload.map_or(0, str::len));
    out.push_str("{\"type\":\"");
    out.push_str(kind);
    out.push('_');
    out.push_str(&format_uuid(item_id.0));
    out.push('"');
    if let Some(p) = payload {
        out.push_str(",\"payload\":");
        out.push_str(p);
    }
    out.push('}');
    out
}

/// `GET_CONTEXT` with `{key, origin}` and the app's protocol-v2 announcement.
pub(crate) fn ask_context(item_id: ItemId, payload: &KeyOrigin) -> Result<String, Error> {
    let body = json::body(payload)?;
    // `{"key":..,"origin":..}`: the announcement replaces the closing brace.
    let open = body.strip_suffix('}').unwrap_or(&body);
    Ok(envelope(
        "GET_CONTEXT",
        item_id,
        Some(&concat(&[open, ANNOUNCE])),
    ))
}

/// `GET_AUTH_TOKEN` with `{key, origin}`.
pub(crate) fn ask_token(item_id: ItemId, payload: &KeyOrigin) -> Result<String, Error> {
    Ok(envelope(
        "GET_AUTH_TOKEN",
        item_id,
        Some(&json::body(payload)?),
    ))
}

/// `POST_AUTO_RESIZE` with a whole height (sent as an integer, as `Message::encode` does).
pub(crate) fn auto_resize(item_id: ItemId, height: i32) -> String {
    envelope(
        "POST_AUTO_RESIZE",
        item_id,
        Some(&int_text(i64::from(height))),
    )
}

/// `POST_MAX_RESIZE` (no payload).
pub(crate) fn max_resize(item_id: ItemId) -> String {
    envelope("POST_MAX_RESIZE", item_id, None)
}

/// A host reply for this app's item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    /// `GET_CONTEXT_SUCCESS`.
    Context(Box<LocalContext>),
    /// `GET_CONTEXT_FAILURE`.
    ContextRefused(FailurePayload),
    /// `GET_AUTH_TOKEN_SUCCESS`: the token.
    Token(String),
    /// `GET_AUTH_TOKEN_FAILURE`.
    TokenRefused(FailurePayload),
    /// Any other kind about this app's item (protocol v2's host messages among them): its
    /// prefix and payload.
    Other(String, Option<Value>),
}

/// Graasp defines FAILURE without a payload shape: a string is the message, an object may have
/// `code`/`message`, anything else is an empty reason (as `Message::decode` reads it).
pub(crate) fn failure(v: Option<&Value>) -> FailurePayload {
    let text = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    match v {
        Some(Value::String(message)) => FailurePayload {
            code: String::new(),
            message: message.clone(),
        },
        Some(Value::Object(o)) => FailurePayload {
            code: text(o, "code"),
            message: text(o, "message"),
        },
        _ => FailurePayload::default(),
    }
}

/// Reads a message text: `None` for anything that is not a well-formed reply about `item_id`
/// (other apps' traffic, other items, our own requests, malformed payloads).
pub(crate) fn read(text: &str, item_id: ItemId) -> Option<Reply> {
    let msg = json::value(text).ok()?;
    let msg = object(&msg, "a message").ok()?;
    let ty = msg.get("type")?.as_str()?;
    // `<KIND>_<itemId>`: the id is compared as text (any case), which is what parsing it and
    // comparing the UUIDs would decide.
    let id = format_uuid(item_id.0);
    let split = ty.len().checked_sub(id.len() + 1)?;
    let (prefix, suffix) = (ty.get(..split)?, ty.get(split..)?);
    if !suffix
        .strip_prefix('_')
        .is_some_and(|s| s.eq_ignore_ascii_case(&id))
    {
        return None;
    }
    let payload = msg.get("payload").filter(|p| !p.is_null());
    Some(match prefix {
        "GET_CONTEXT_SUCCESS" => {
            Reply::Context(Box::new(codec::FromJson::from_json(payload?).ok()?))
        }
        "GET_AUTH_TOKEN_SUCCESS" => {
            let mut f = codec::Fields::of(payload?, "a token");
            let token = f.string("token");
            Reply::Token(f.done(token).ok()?)
        }
        "GET_CONTEXT_FAILURE" => Reply::ContextRefused(failure(payload)),
        "GET_AUTH_TOKEN_FAILURE" => Reply::TokenRefused(failure(payload)),
        _ => Reply::Other(prefix.to_owned(), payload.cloned()),
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::{
        ContextRequest, HostCapabilities, Message, TokenPayload,
        lifecycle::{PROTOCOL_VERSION, feature},
    };

    fn item() -> ItemId {
        "1b4e28ba-2fa1-41d2-883f-0016d3cca427".parse().unwrap()
    }

    #[test]
    fn sent_messages_are_the_protocol_encoding() {
        let ko = KeyOrigin {
            key: "k\"ey".into(),
            origin: "http://127.0.0.1:8081".into(),
        };
        let context = Message::GetContext {
            item_id: item(),
            payload: ContextRequest {
                key: ko.key.clone(),
                origin: ko.origin.clone(),
                appframe: Some(HostCapabilities {
                    version: PROTOCOL_VERSION,
                    features: vec![feature::LIFECYCLE.into()],
                    granted: None,
                }),
            },
        };
        assert_eq!(ask_context(item(), &ko).unwrap(), context.encode());
        let token = Message::GetAuthToken {
            item_id: item(),
            payload: ko.clone(),
        };
        assert_eq!(ask_token(item(), &ko).unwrap(), token.encode());
        let resize = Message::PostAutoResize {
            item_id: item(),
            height: 316.0,
        };
        assert_eq!(auto_resize(item(), 316), resize.encode());
        let max = Message::PostMaxResize { item_id: item() };
        assert_eq!(max_resize(item()), max.encode());
    }

    #[test]
    fn replies_read_as_the_protocol_decodes_them() {
        let mut ctx = LocalContext::new("http://h/api", item());
        ctx.lang = "fr".into();
        let success = Message::GetContextSuccess {
            item_id: item(),
            context: Box::new(ctx.clone()),
        };
        assert_eq!(
            read(&success.encode(), item()),
            Some(Reply::Context(Box::new(ctx)))
        );
        let token = Message::GetAuthTokenSuccess {
            item_id: item(),
            payload: TokenPayload { token: "t".into() },
        };
        assert_eq!(
            read(&token.encode(), item()),
            Some(Reply::Token("t".into()))
        );
        let refused = FailurePayload {
            code: "INVALID_APP_ORIGIN".into(),
            message: "no".into(),
        };
        let failure = Message::GetAuthTokenFailure {
            item_id: item(),
            error: refused.clone(),
        };
        assert_eq!(
            read(&failure.encode(), item()),
            Some(Reply::TokenRefused(refused))
        );
        let ty = format!("GET_CONTEXT_FAILURE_{}", item());
        assert_eq!(
            read(&format!(r#"{{"type":"{ty}","payload":"denied"}}"#), item()),
            Some(Reply::ContextRefused(FailurePayload {
                code: String::new(),
                message: "denied".into()
            }))
        );
        assert_eq!(
            read(&format!(r#"{{"type":"{ty}"}}"#), item()),
            Some(Reply::ContextRefused(FailurePayload::default()))
        );
    }

    #[test]
    fn unrelated_or_malformed_messages_are_ignored() {
        let other: ItemId = "00000000-0000-4000-8000-000000000001".parse().unwrap();
        let token = Message::GetAuthTokenSuccess {
            item_id: other,
            payload: TokenPayload { token: "t".into() },
        };
        assert_eq!(read(&token.encode(), item()), None);
        // Other kinds about this item are passed on with their payload (the v2 listener
        // decides): our own request among them, on a window that echoes.
        let ask = Message::GetContext {
            item_id: item(),
            payload: ContextRequest {
                key: "k".into(),
                origin: "o".into(),
                appframe: None,
            },
        };
        assert_eq!(
            read(&ask.encode(), item()),
            Some(Reply::Other(
                "GET_CONTEXT".into(),
                Some(serde_json::json!({"key": "k", "origin": "o"}))
            ))
        );
        let ping = Message::Ping { item_id: item() };
        assert_eq!(
            read(&ping.encode(), item()),
            Some(Reply::Other("PING".into(), None))
        );
        let ty = format!("GET_AUTH_TOKEN_SUCCESS_{}", item());
        for text in [
            "not json".to_owned(),
            "42".to_owned(),
            r#"{"type":7}"#.to_owned(),
            format!(r#"{{"type":"{ty}"}}"#),
            format!(r#"{{"type":"{ty}","payload":{{"token":1}}}}"#),
        ] {
            assert_eq!(read(&text, item()), None, "{text}");
        }
    }
}
