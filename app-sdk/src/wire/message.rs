//! The few postMessage messages the app sends and reads, written and read directly.
//!
//! `appframe_protocol::Message::{encode, decode}` handle every message kind in both directions
//! through serde_json; an app sends and reads only some kinds, one way each, so doing just that here
//! (through the browser's JSON, see [`crate::wire::json`]) keeps the general codec out of the wasm.
//! The texts are the same as `Message::encode`'s (checked by the tests below).

use crate::{
    error::Error,
    wire::codec::{self, object},
    wire::json,
    wire::text::{format_uuid, int_text},
};
use appframe_protocol::{
    ContextChange, DisplayMode, FailurePayload, ItemId, KeyOrigin, LocalContext, MessageKind,
};
use serde_json::Value;

/// `{"type":"<KIND>_<itemId>"}` plus the JSON text of the payload, if any.
fn envelope(kind: MessageKind, item_id: ItemId, payload: Option<&str>) -> String {
    let mut out = String::with_capacity(96 + payload.map_or(0, str::len));
    out.push_str("{\"type\":\"");
    out.push_str(kind.prefix());
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

/// `GET_AUTH_TOKEN` with `{key, origin}`.
pub(crate) fn ask_token(item_id: ItemId, payload: &KeyOrigin) -> Result<String, Error> {
    Ok(envelope(
        MessageKind::GetAuthToken,
        item_id,
        Some(&json::body(payload)?),
    ))
}

/// What the SDK announces with GET_CONTEXT: protocol v2, and that it handles CONTEXT_CHANGED,
/// TEARDOWN and PING. The page's boot script (`app-sdk/js/boot.js`) writes the same text.
const ANNOUNCE: &str = r#","appframe":{"version":2,"features":["lifecycle"]}}"#;

/// `GET_CONTEXT` with `{key, origin, appframe}`: the `{key, origin}` object with the
/// announcement added as its last member (the order `Message::encode` writes).
pub(crate) fn ask_context(item_id: ItemId, payload: &KeyOrigin) -> Result<String, Error> {
    let mut body = json::body(payload)?;
    body.pop();
    body.push_str(ANNOUNCE);
    Ok(envelope(MessageKind::GetContext, item_id, Some(&body)))
}

/// A message without payload: `POST_READY`, `TEARDOWN_ACK`, `REQUEST_CLOSE`, `PING`, `PONG`,
/// `POST_MAX_RESIZE`.
pub(crate) fn bare(kind: MessageKind, item_id: ItemId) -> String {
    envelope(kind, item_id, None)
}

/// `POST_FAILURE` with `{code, message}`.
pub(crate) fn post_failure(item_id: ItemId, error: &FailurePayload) -> Result<String, Error> {
    Ok(envelope(
        MessageKind::PostFailure,
        item_id,
        Some(&json::body(error)?),
    ))
}

/// `REQUEST_DISPLAY_MODE` with `{mode}`.
pub(crate) fn request_display_mode(item_id: ItemId, mode: DisplayMode) -> String {
    let body = ["{\"mode\":\"", mode.as_str(), "\"}"].concat();
    envelope(MessageKind::RequestDisplayMode, item_id, Some(&body))
}

/// `OPEN_LINK` with `{url}`.
pub(crate) fn open_link(item_id: ItemId, url: &str) -> Result<String, Error> {
    let url = json::stringify(&serde_json::Value::from(url)).map_err(Error::Decode)?;
    let body = ["{\"url\":", &url, "}"].concat();
    Ok(envelope(MessageKind::OpenLink, item_id, Some(&body)))
}

/// `POST_AUTO_RESIZE` with a whole height (sent as an integer, as `Message::encode` does).
pub(crate) fn auto_resize(item_id: ItemId, height: i32) -> String {
    envelope(
        MessageKind::PostAutoResize,
        item_id,
        Some(&int_text(i64::from(height))),
    )
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
    /// `CONTEXT_CHANGED`: the changed fields.
    ContextChanged(ContextChange),
    /// `TEARDOWN`: the reason.
    Teardown(String),
    /// `PING`.
    Ping,
    /// `PONG`.
    Pong,
    /// `REQUEST_DISPLAY_MODE_SUCCESS`: the granted mode.
    ModeGranted(DisplayMode),
    /// `REQUEST_DISPLAY_MODE_FAILURE`.
    ModeRefused(FailurePayload),
    /// `OPEN_LINK_SUCCESS`.
    LinkOpened,
    /// `OPEN_LINK_FAILURE`.
    LinkRefused(FailurePayload),
}

/// Graasp defines FAILURE without a payload shape: a string is the message, an object may have
/// `code`/`message`, anything else is an empty reason (as `Message::decode` reads it).
fn failure(v: Option<&Value>) -> FailurePayload {
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

/// The kinds an app reads, by wire prefix.
const READ: [MessageKind; 12] = [
    MessageKind::GetContextSuccess,
    MessageKind::GetContextFailure,
    MessageKind::GetAuthTokenSuccess,
    MessageKind::GetAuthTokenFailure,
    MessageKind::ContextChanged,
    MessageKind::Teardown,
    MessageKind::Ping,
    MessageKind::Pong,
    MessageKind::RequestDisplayModeSuccess,
    MessageKind::RequestDisplayModeFailure,
    MessageKind::OpenLinkSuccess,
    MessageKind::OpenLinkFailure,
];

/// Reads a message text: `None` for anything that is not a well-formed reply about `item_id`
/// (other apps' traffic, other items, our own requests, malformed payloads).
pub(crate) fn read(text: &str, item_id: ItemId) -> Option<Reply> {
    let msg: Value = json::parse(text).ok()?;
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
    let kind = READ.into_iter().find(|k| k.prefix() == prefix)?;
    let payload = msg.get("payload").filter(|p| !p.is_null());
    Some(match kind {
        MessageKind::GetContextSuccess => {
            Reply::Context(Box::new(codec::FromJson::from_json(payload?).ok()?))
        }
        MessageKind::GetAuthTokenSuccess => {
            let mut f = codec::Fields::of(payload?, "a token");
            let token = f.string("token");
            Reply::Token(f.done(token).ok()?)
        }
        MessageKind::GetContextFailure => Reply::ContextRefused(failure(payload)),
        MessageKind::GetAuthTokenFailure => Reply::TokenRefused(failure(payload)),
        MessageKind::ContextChanged => {
            Reply::ContextChanged(codec::FromJson::from_json(payload?).ok()?)
        }
        // A reason is informative: a TEARDOWN without one still asks for the ack.
        MessageKind::Teardown => Reply::Teardown(match payload {
            None => String::new(),
            Some(p) => {
                let mut f = codec::Fields::of(p, "a teardown");
                let reason = f.opt_string("reason").unwrap_or_default();
                f.done(reason).ok()?
            }
        }),
        MessageKind::Ping => Reply::Ping,
        MessageKind::Pong => Reply::Pong,
        MessageKind::RequestDisplayModeSuccess => {
            let mut f = codec::Fields::of(payload?, "a display mode");
            let mode = f.nested("mode");
            Reply::ModeGranted(f.done(mode).ok()?)
        }
        MessageKind::RequestDisplayModeFailure => Reply::ModeRefused(failure(payload)),
        MessageKind::OpenLinkSuccess => Reply::LinkOpened,
        _ => Reply::LinkRefused(failure(payload)),
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::{
        Container, Context, ContextRequest, HostCapabilities, Message, ModePayload, Permission,
        TeardownPayload, Theme, ThemeMode, TokenPayload, UrlPayload,
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
        let ask = Message::GetContext {
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
        assert_eq!(ask_context(item(), &ko).unwrap(), ask.encode());
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
        let item_id = item();
        for msg in [
            Message::PostMaxResize { item_id },
            Message::PostReady { item_id },
            Message::TeardownAck { item_id },
            Message::RequestClose { item_id },
            Message::Ping { item_id },
            Message::Pong { item_id },
        ] {
            assert_eq!(bare(msg.kind(), item_id), msg.encode());
        }
        let error = FailurePayload {
            code: "NO_WEBGL".into(),
            message: "WebGL \"2\" is off".into(),
        };
        let failed = Message::PostFailure {
            item_id,
            error: error.clone(),
        };
        assert_eq!(post_failure(item_id, &error).unwrap(), failed.encode());
        for mode in [DisplayMode::Inline, DisplayMode::Fullscreen] {
            let msg = Message::RequestDisplayMode {
                item_id,
                payload: ModePayload { mode },
            };
            assert_eq!(request_display_mode(item_id, mode), msg.encode());
        }
        let url = "https://example.org/a?b=\"c\"&d=é";
        let link = Message::OpenLink {
            item_id,
            payload: UrlPayload { url: url.into() },
        };
        assert_eq!(open_link(item_id, url).unwrap(), link.encode());
    }

    #[test]
    fn v2_replies_read_as_the_protocol_decodes_them() {
        let item_id = item();
        let change = ContextChange {
            lang: Some("de".into()),
            theme: Some(Theme {
                mode: ThemeMode::Dark,
                vars: [("--bg".to_owned(), "#000".to_owned())].into(),
            }),
            permission: Some(Permission::Read),
            context: Some(Context::Player),
            container: Some(Container {
                width: Some(320.5),
                max_height: None,
                display_mode: DisplayMode::Fullscreen,
            }),
        };
        let refused = FailurePayload {
            code: "LINK_REFUSED".into(),
            message: "no".into(),
        };
        for (msg, reply) in [
            (
                Message::ContextChanged {
                    item_id,
                    change: change.clone(),
                },
                Reply::ContextChanged(change),
            ),
            (
                Message::Teardown {
                    item_id,
                    payload: TeardownPayload {
                        reason: "navigation".into(),
                    },
                },
                Reply::Teardown("navigation".into()),
            ),
            (Message::Ping { item_id }, Reply::Ping),
            (Message::Pong { item_id }, Reply::Pong),
            (
                Message::RequestDisplayModeSuccess {
                    item_id,
                    payload: ModePayload {
                        mode: DisplayMode::Fullscreen,
                    },
                },
                Reply::ModeGranted(DisplayMode::Fullscreen),
            ),
            (
                Message::RequestDisplayModeFailure {
                    item_id,
                    error: refused.clone(),
                },
                Reply::ModeRefused(refused.clone()),
            ),
            (Message::OpenLinkSuccess { item_id }, Reply::LinkOpened),
            (
                Message::OpenLinkFailure {
                    item_id,
                    error: refused.clone(),
                },
                Reply::LinkRefused(refused),
            ),
        ] {
            assert_eq!(
                read(&msg.encode(), item_id),
                Some(reply),
                "{}",
                msg.encode()
            );
        }
        // What the app itself sends is not read back as a reply.
        for msg in [
            Message::PostReady { item_id },
            Message::TeardownAck { item_id },
            Message::OpenLink {
                item_id,
                payload: UrlPayload { url: "x".into() },
            },
        ] {
            assert_eq!(read(&msg.encode(), item_id), None);
        }
        let ty = format!("TEARDOWN_{item_id}");
        assert_eq!(
            read(&format!(r#"{{"type":"{ty}"}}"#), item_id),
            Some(Reply::Teardown(String::new()))
        );
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
        let ask = Message::GetContext {
            item_id: item(),
            payload: ContextRequest {
                key: "k".into(),
                origin: "o".into(),
                appframe: None,
            },
        };
        assert_eq!(read(&ask.encode(), item()), None);
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
