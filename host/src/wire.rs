//! The bridge's side of the postMessage strings, without a JSON library in the package: what the
//! app sends is read with the browser's `JSON.parse`, what the bridge sends is written here.
//!
//! Policy: serde_json's parser, serializer and float formatting were most of the host bridge
//! package's bytes, for four inbound shapes and four outbound ones. The strings are the ones
//! `appframe_protocol::Message` reads and writes (the unit tests compare them byte for byte, the
//! browser tests decode every answer with it). The text primitives are in `text.rs`.

use crate::provided::Provided;
use crate::text::{concat, parse_uuid, push_id, push_str, push_uint, push_uuid, quoted};
use appframe_protocol::{
    Context, FailurePayload, ItemId, KeyOrigin, MessageKind,
    lifecycle::{PROTOCOL_VERSION, feature},
};
use js_sys::{JSON, Reflect};

use wasm_bindgen::JsValue;

/// Version of the appframe bridge extensions advertised in `LocalContext.appframe`.
pub const BRIDGE_VERSION: u32 = PROTOCOL_VERSION;

/// An app-to-host message, as far as the bridge reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inbound {
    /// GET_CONTEXT with its key and origin, and what the app announced of protocol v2.
    GetContext(KeyOrigin, Announced),
    /// GET_AUTH_TOKEN with its key and origin.
    GetAuthToken(KeyOrigin),
    /// POST_AUTO_RESIZE with a finite height.
    AutoResize(f64),
    /// POST_MAX_RESIZE.
    MaxResize,
    /// A v2 message to the host (POST_READY, POST_FAILURE, TEARDOWN_ACK, REQUEST_CLOSE,
    /// REQUEST_DISPLAY_MODE, OPEN_LINK, PING, PONG) with its payload, read by `host/js/v2.js`.
    V2(JsValue),
    /// A kind only a host sends (`*_SUCCESS`, `*_FAILURE`); its payload is not read.
    HostToApp,
}

/// What an app announced in its GET_CONTEXT (`appframe`); Graasp apps announce nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Announced {
    /// `appframe.version` of 2 or more.
    pub(crate) v2: bool,
    /// A v2 app that listed [`feature::PUSH_TOKEN`]: it waits for the token instead of asking.
    pub(crate) push_token: bool,
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
            announced(&get(&payload, "appframe")),
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
        MessageKind::PostReady
        | MessageKind::PostFailure
        | MessageKind::TeardownAck
        | MessageKind::RequestClose
        | MessageKind::RequestDisplayMode
        | MessageKind::OpenLink
        | MessageKind::Ping
        | MessageKind::Pong => Inbound::V2(payload),
        MessageKind::GetContextSuccess
        | MessageKind::GetContextFailure
        | MessageKind::GetAuthTokenSuccess
        | MessageKind::GetAuthTokenFailure
        | MessageKind::ContextChanged
        | MessageKind::Teardown
        | MessageKind::RequestDisplayModeSuccess
        | MessageKind::RequestDisplayModeFailure
        | MessageKind::OpenLinkSuccess
        | MessageKind::OpenLinkFailure => Inbound::HostToApp,
    };
    Ok((kind, item_id, inbound))
}

/// `MessageKind::split_type` with [`text::parse_uuid`]: a type string's kind and item.
pub(crate) fn split_type(ty: &str) -> Option<(MessageKind, ItemId)> {
    // Longest prefixes first (the order of `MessageKind::ALL`), so `GET_CONTEXT_SUCCESS_x` is not
    // read as `GET_CONTEXT` of item `SUCCESS_x`.
    MessageKind::ALL.into_iter().find_map(|kind| {
        let rest = ty.strip_prefix(kind.prefix())?.strip_prefix('_')?;
        Some((kind, parse_uuid(rest)?.into()))
    })
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

/// Reads `appframe` of a GET_CONTEXT: a version of 2 or more is v2 (anything else, such as
/// nothing at all from a Graasp app, is v1), and only a v2 app's features count.
fn announced(appframe: &JsValue) -> Announced {
    let v2 = get(appframe, "version")
        .as_f64()
        .is_some_and(|v| v >= f64::from(PROTOCOL_VERSION));
    let features = get(appframe, "features");
    let push_token = v2
        && js_sys::Array::is_array(&features)
        && js_sys::Array::from(&features).includes(&JsValue::from_str(feature::PUSH_TOKEN), 0);
    Announced { v2, push_token }
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

    /// Any `*_FAILURE` with why.
    fn failure(kind: MessageKind, item_id: &ItemId, error: &FailurePayload) -> Self {
        Self::new(kind, item_id, |w| push_failure(w, error))
    }

    /// GET_CONTEXT_SUCCESS with the context (the `LocalContext` wire shape).
    pub(crate) fn context(sent: &Sent<'_>) -> Self {
        Self::new(MessageKind::GetContextSuccess, &sent.item_id, |w| {
            push_context(w, sent)
        })
    }

    /// GET_CONTEXT_FAILURE with why.
    pub(crate) fn context_failure(item_id: &ItemId, error: &FailurePayload) -> Self {
        Self::failure(MessageKind::GetContextFailure, item_id, error)
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
        Self::failure(MessageKind::GetAuthTokenFailure, item_id, error)
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
    /// The provider's context.
    pub(crate) ctx: Provided,
    /// The bridge's item.
    pub(crate) item_id: ItemId,
    /// `apiHost` resolved against the page, without a trailing slash.
    pub(crate) api_host: String,
    /// `appframe.features`: the bridge's, then the server's.
    pub(crate) features: Vec<&'a str>,
    /// The items of `appframe.granted` (JSON text): the permissions the frame's `allow` and
    /// `sandbox` grant.
    pub(crate) granted: &'a str,
}

/// The `LocalContext` wire shape, fields in its order: the account id twice (`accountId` and
/// the legacy `memberId`), then `appframe` with [`BRIDGE_VERSION`].
fn push_context(w: &mut String, sent: &Sent<'_>) {
    let c = &sent.ctx;
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
    w.push_str(&c.settings);
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
    w.push_str("],\"granted\":[");
    w.push_str(sent.granted);
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::{HostCapabilities, LocalContext, Message, Permission, TokenPayload};
    use serde_json::Value;

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
            granted: Some(vec!["fullscreen".into()]),
        });
        c
    }

    /// What the bridge would send for `ctx` (its item, `apiHost`, these features and
    /// grants kept).
    fn sent<'a>(ctx: LocalContext, features: &[&'a str], granted: &'a str) -> Sent<'a> {
        Sent {
            item_id: ctx.item_id,
            api_host: ctx.api_host.clone(),
            features: features.to_vec(),
            granted,
            ctx: Provided::from(ctx),
        }
    }

    #[test]
    fn every_outbound_message_is_byte_for_byte_what_the_protocol_encodes() {
        let id = item();
        let fullscreen = "\"fullscreen\"";
        let error = FailurePayload {
            code: "TOKEN_TIMEOUT".into(),
            message: "no token \"now\"\u{7f}".into(),
        };
        let cases = [
            (
                Outbound::context(&sent(full_context(), &["failure", "ws"], fullscreen)),
                Message::GetContextSuccess {
                    item_id: id,
                    context: Box::new(full_context()),
                },
            ),
            (
                Outbound::context(&sent(LocalContext::new("/api", id), &[], "")),
                Message::GetContextSuccess {
                    item_id: id,
                    context: Box::new(LocalContext {
                        appframe: Some(HostCapabilities {
                            version: BRIDGE_VERSION,
                            features: Vec::new(),
                            granted: Some(Vec::new()),
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
    fn type_strings_are_split_as_the_protocol_splits_them() {
        let id = item();
        for kind in MessageKind::ALL {
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
}
