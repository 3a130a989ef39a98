//! The postMessage protocol: `{"type":"<KIND>_<itemId>","payload":...}` as a JSON string.

use crate::{
    context::LocalContext,
    error::ProtocolError,
    ids::ItemId,
    lifecycle::{ContextChange, ContextRequest, ModePayload, TeardownPayload, UrlPayload},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{key, origin}`: the app key and the app's own origin, sent with GET_CONTEXT and GET_AUTH_TOKEN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOrigin {
    /// The app key as configured in the app (a UUID for registered apps).
    pub key: String,
    /// `window.location.origin` of the app.
    pub origin: String,
}

/// `{token}`: the payload of GET_AUTH_TOKEN_SUCCESS, exactly the api-access-token response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPayload {
    /// The app token (a JWT).
    pub token: String,
}

/// Why a host refused (appframe hosts send FAILURE; Graasp hosts never do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FailurePayload {
    /// Stable machine code, e.g. `INVALID_APP_ORIGIN`, `TOKEN_REQUEST_FAILED`.
    #[serde(default)]
    pub code: String,
    /// Human-readable reason.
    #[serde(default)]
    pub message: String,
}

/// The kind of a message: its type string without the `_<itemId>` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// `GET_CONTEXT`
    GetContext,
    /// `GET_CONTEXT_SUCCESS`
    GetContextSuccess,
    /// `GET_CONTEXT_FAILURE`
    GetContextFailure,
    /// `GET_AUTH_TOKEN`
    GetAuthToken,
    /// `GET_AUTH_TOKEN_SUCCESS`
    GetAuthTokenSuccess,
    /// `GET_AUTH_TOKEN_FAILURE`
    GetAuthTokenFailure,
    /// `POST_AUTO_RESIZE`
    PostAutoResize,
    /// `POST_MAX_RESIZE`
    PostMaxResize,
    /// `CONTEXT_CHANGED` (v2)
    ContextChanged,
    /// `POST_READY` (v2)
    PostReady,
    /// `POST_FAILURE` (v2)
    PostFailure,
    /// `TEARDOWN` (v2)
    Teardown,
    /// `TEARDOWN_ACK` (v2)
    TeardownAck,
    /// `REQUEST_CLOSE` (v2)
    RequestClose,
    /// `REQUEST_DISPLAY_MODE` (v2)
    RequestDisplayMode,
    /// `REQUEST_DISPLAY_MODE_SUCCESS` (v2)
    RequestDisplayModeSuccess,
    /// `REQUEST_DISPLAY_MODE_FAILURE` (v2)
    RequestDisplayModeFailure,
    /// `OPEN_LINK` (v2)
    OpenLink,
    /// `OPEN_LINK_SUCCESS` (v2)
    OpenLinkSuccess,
    /// `OPEN_LINK_FAILURE` (v2)
    OpenLinkFailure,
    /// `PING` (v2)
    Ping,
    /// `PONG` (v2)
    Pong,
}

impl MessageKind {
    /// Every kind. Longest prefixes first, so `GET_CONTEXT_SUCCESS_x` is not read as `GET_CONTEXT` of item `SUCCESS_x`.
    pub const ALL: [MessageKind; 22] = [
        MessageKind::GetContextSuccess,
        MessageKind::GetContextFailure,
        MessageKind::GetAuthTokenSuccess,
        MessageKind::GetAuthTokenFailure,
        MessageKind::GetContext,
        MessageKind::GetAuthToken,
        MessageKind::PostAutoResize,
        MessageKind::PostMaxResize,
        MessageKind::ContextChanged,
        MessageKind::PostReady,
        MessageKind::PostFailure,
        MessageKind::TeardownAck,
        MessageKind::Teardown,
        MessageKind::RequestClose,
        MessageKind::RequestDisplayModeSuccess,
        MessageKind::RequestDisplayModeFailure,
        MessageKind::RequestDisplayMode,
        MessageKind::OpenLinkSuccess,
        MessageKind::OpenLinkFailure,
        MessageKind::OpenLink,
        MessageKind::Ping,
        MessageKind::Pong,
    ];

    /// The type prefix on the wire.
    pub fn prefix(&self) -> &'static str {
        match self {
            MessageKind::GetContext => "GET_CONTEXT",
            MessageKind::GetContextSuccess => "GET_CONTEXT_SUCCESS",
            MessageKind::GetContextFailure => "GET_CONTEXT_FAILURE",
            MessageKind::GetAuthToken => "GET_AUTH_TOKEN",
            MessageKind::GetAuthTokenSuccess => "GET_AUTH_TOKEN_SUCCESS",
            MessageKind::GetAuthTokenFailure => "GET_AUTH_TOKEN_FAILURE",
            MessageKind::PostAutoResize => "POST_AUTO_RESIZE",
            MessageKind::PostMaxResize => "POST_MAX_RESIZE",
            MessageKind::ContextChanged => "CONTEXT_CHANGED",
            MessageKind::PostReady => "POST_READY",
            MessageKind::PostFailure => "POST_FAILURE",
            MessageKind::Teardown => "TEARDOWN",
            MessageKind::TeardownAck => "TEARDOWN_ACK",
            MessageKind::RequestClose => "REQUEST_CLOSE",
            MessageKind::RequestDisplayMode => "REQUEST_DISPLAY_MODE",
            MessageKind::RequestDisplayModeSuccess => "REQUEST_DISPLAY_MODE_SUCCESS",
            MessageKind::RequestDisplayModeFailure => "REQUEST_DISPLAY_MODE_FAILURE",
            MessageKind::OpenLink => "OPEN_LINK",
            MessageKind::OpenLinkSuccess => "OPEN_LINK_SUCCESS",
            MessageKind::OpenLinkFailure => "OPEN_LINK_FAILURE",
            MessageKind::Ping => "PING",
            MessageKind::Pong => "PONG",
        }
    }

    /// Whether this kind belongs to protocol v2: sent only to a peer that announced version 2.
    pub fn is_v2(&self) -> bool {
        !matches!(
            self,
            MessageKind::GetContext
                | MessageKind::GetContextSuccess
                | MessageKind::GetContextFailure
                | MessageKind::GetAuthToken
                | MessageKind::GetAuthTokenSuccess
                | MessageKind::GetAuthTokenFailure
                | MessageKind::PostAutoResize
                | MessageKind::PostMaxResize
        )
    }

    /// The full type string for an item: `<PREFIX>_<itemId>`.
    pub fn type_for(&self, item_id: &ItemId) -> String {
        format!("{}_{}", self.prefix(), item_id)
    }

    /// Splits a type string into kind and item id.
    pub fn split_type(ty: &str) -> Result<(MessageKind, ItemId), ProtocolError> {
        for kind in Self::ALL {
            if let Some(rest) = ty
                .strip_prefix(kind.prefix())
                .and_then(|r| r.strip_prefix('_'))
                && let Ok(id) = rest.parse::<ItemId>()
            {
                return Ok((kind, id));
            }
        }
        Err(ProtocolError::UnknownType(ty.to_owned()))
    }
}

/// One postMessage message of the Graasp apps protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// App → host (window): asks for the context.
    GetContext {
        /// The item.
        item_id: ItemId,
        /// App key and origin, and what a v2 app announces.
        payload: ContextRequest,
    },
    /// Host → app (window, with a transferred port): the context.
    GetContextSuccess {
        /// The item.
        item_id: ItemId,
        /// The context.
        context: Box<LocalContext>,
    },
    /// Host → app (window): the context is refused.
    GetContextFailure {
        /// The item.
        item_id: ItemId,
        /// Why.
        error: FailurePayload,
    },
    /// App → host (port): asks for a token.
    GetAuthToken {
        /// The item.
        item_id: ItemId,
        /// App key and origin.
        payload: KeyOrigin,
    },
    /// Host → app (port): the token.
    GetAuthTokenSuccess {
        /// The item.
        item_id: ItemId,
        /// The token.
        payload: TokenPayload,
    },
    /// Host → app (port): no token.
    GetAuthTokenFailure {
        /// The item.
        item_id: ItemId,
        /// Why.
        error: FailurePayload,
    },
    /// App → host (port): the content height in px (may be fractional).
    PostAutoResize {
        /// The item.
        item_id: ItemId,
        /// Height in CSS px.
        height: f64,
    },
    /// App → host (port): make the iframe as tall as the viewport.
    PostMaxResize {
        /// The item.
        item_id: ItemId,
    },
    /// Host → app (port, v2): some context fields changed.
    ContextChanged {
        /// The item.
        item_id: ItemId,
        /// The changed fields.
        change: ContextChange,
    },
    /// App → host (port, v2): the app is ready to be shown.
    PostReady {
        /// The item.
        item_id: ItemId,
    },
    /// App → host (port, v2): the app cannot run.
    PostFailure {
        /// The item.
        item_id: ItemId,
        /// Why.
        error: FailurePayload,
    },
    /// Host → app (port, v2): the frame is about to be removed.
    Teardown {
        /// The item.
        item_id: ItemId,
        /// Why.
        payload: TeardownPayload,
    },
    /// App → host (port, v2): the app is done tearing down.
    TeardownAck {
        /// The item.
        item_id: ItemId,
    },
    /// App → host (port, v2): the app asks to be closed.
    RequestClose {
        /// The item.
        item_id: ItemId,
    },
    /// App → host (port, v2): asks for a display mode.
    RequestDisplayMode {
        /// The item.
        item_id: ItemId,
        /// The asked mode.
        payload: ModePayload,
    },
    /// Host → app (port, v2): the granted display mode.
    RequestDisplayModeSuccess {
        /// The item.
        item_id: ItemId,
        /// The granted mode.
        payload: ModePayload,
    },
    /// Host → app (port, v2): the display mode is refused.
    RequestDisplayModeFailure {
        /// The item.
        item_id: ItemId,
        /// Why.
        error: FailurePayload,
    },
    /// App → host (port, v2): asks the host to open a link in a new tab.
    OpenLink {
        /// The item.
        item_id: ItemId,
        /// The link.
        payload: UrlPayload,
    },
    /// Host → app (port, v2): the link was opened.
    OpenLinkSuccess {
        /// The item.
        item_id: ItemId,
    },
    /// Host → app (port, v2): the link is refused.
    OpenLinkFailure {
        /// The item.
        item_id: ItemId,
        /// Why.
        error: FailurePayload,
    },
    /// Either way (port, v2): are you there?
    Ping {
        /// The item.
        item_id: ItemId,
    },
    /// Either way (port, v2): the answer to PING.
    Pong {
        /// The item.
        item_id: ItemId,
    },
}

#[derive(Serialize)]
struct Envelope<'a, P: Serialize> {
    #[serde(rename = "type")]
    ty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a P>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    payload: Option<Value>,
}

impl Message {
    /// The kind of this message.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::GetContext { .. } => MessageKind::GetContext,
            Message::GetContextSuccess { .. } => MessageKind::GetContextSuccess,
            Message::GetContextFailure { .. } => MessageKind::GetContextFailure,
            Message::GetAuthToken { .. } => MessageKind::GetAuthToken,
            Message::GetAuthTokenSuccess { .. } => MessageKind::GetAuthTokenSuccess,
            Message::GetAuthTokenFailure { .. } => MessageKind::GetAuthTokenFailure,
            Message::PostAutoResize { .. } => MessageKind::PostAutoResize,
            Message::PostMaxResize { .. } => MessageKind::PostMaxResize,
            Message::ContextChanged { .. } => MessageKind::ContextChanged,
            Message::PostReady { .. } => MessageKind::PostReady,
            Message::PostFailure { .. } => MessageKind::PostFailure,
            Message::Teardown { .. } => MessageKind::Teardown,
            Message::TeardownAck { .. } => MessageKind::TeardownAck,
            Message::RequestClose { .. } => MessageKind::RequestClose,
            Message::RequestDisplayMode { .. } => MessageKind::RequestDisplayMode,
            Message::RequestDisplayModeSuccess { .. } => MessageKind::RequestDisplayModeSuccess,
            Message::RequestDisplayModeFailure { .. } => MessageKind::RequestDisplayModeFailure,
            Message::OpenLink { .. } => MessageKind::OpenLink,
            Message::OpenLinkSuccess { .. } => MessageKind::OpenLinkSuccess,
            Message::OpenLinkFailure { .. } => MessageKind::OpenLinkFailure,
            Message::Ping { .. } => MessageKind::Ping,
            Message::Pong { .. } => MessageKind::Pong,
        }
    }

    /// The item this message is about.
    pub fn item_id(&self) -> ItemId {
        match self {
            Message::GetContext { item_id, .. }
            | Message::GetContextSuccess { item_id, .. }
            | Message::GetContextFailure { item_id, .. }
            | Message::GetAuthToken { item_id, .. }
            | Message::GetAuthTokenSuccess { item_id, .. }
            | Message::GetAuthTokenFailure { item_id, .. }
            | Message::PostAutoResize { item_id, .. }
            | Message::PostMaxResize { item_id }
            | Message::ContextChanged { item_id, .. }
            | Message::PostReady { item_id }
            | Message::PostFailure { item_id, .. }
            | Message::Teardown { item_id, .. }
            | Message::TeardownAck { item_id }
            | Message::RequestClose { item_id }
            | Message::RequestDisplayMode { item_id, .. }
            | Message::RequestDisplayModeSuccess { item_id, .. }
            | Message::RequestDisplayModeFailure { item_id, .. }
            | Message::OpenLink { item_id, .. }
            | Message::OpenLinkSuccess { item_id }
            | Message::OpenLinkFailure { item_id, .. }
            | Message::Ping { item_id }
            | Message::Pong { item_id } => *item_id,
        }
    }

    /// Encodes as the JSON string that goes into `postMessage` (`type` first).
    pub fn encode(&self) -> String {
        let ty = self.kind().type_for(&self.item_id());
        fn env<P: Serialize>(ty: String, payload: Option<&P>) -> String {
            // Serializing these plain structs cannot fail: no maps with non-string keys.
            serde_json::to_string(&Envelope { ty, payload }).unwrap_or_default()
        }
        match self {
            Message::GetContext { payload, .. } => env(ty, Some(payload)),
            Message::GetAuthToken { payload, .. } => env(ty, Some(payload)),
            Message::GetContextSuccess { context, .. } => env(ty, Some(context.as_ref())),
            Message::GetContextFailure { error, .. }
            | Message::GetAuthTokenFailure { error, .. }
            | Message::PostFailure { error, .. }
            | Message::RequestDisplayModeFailure { error, .. }
            | Message::OpenLinkFailure { error, .. } => env(ty, Some(error)),
            Message::ContextChanged { change, .. } => env(ty, Some(change)),
            Message::Teardown { payload, .. } => env(ty, Some(payload)),
            Message::RequestDisplayMode { payload, .. }
            | Message::RequestDisplayModeSuccess { payload, .. } => env(ty, Some(payload)),
            Message::OpenLink { payload, .. } => env(ty, Some(payload)),
            Message::GetAuthTokenSuccess { payload, .. } => env(ty, Some(payload)),
            // Whole heights go out as integers, as `scrollHeight` would in JS.
            Message::PostAutoResize { height, .. }
                if height.fract() == 0.0 && height.abs() < 1e15 =>
            {
                env(ty, Some(&(*height as i64)))
            }
            Message::PostAutoResize { height, .. } => env(ty, Some(height)),
            Message::PostMaxResize { .. }
            | Message::PostReady { .. }
            | Message::TeardownAck { .. }
            | Message::RequestClose { .. }
            | Message::OpenLinkSuccess { .. }
            | Message::Ping { .. }
            | Message::Pong { .. } => env::<()>(ty, None),
        }
    }

    /// Decodes a JSON string received from `postMessage`.
    pub fn decode(s: &str) -> Result<Message, ProtocolError> {
        let raw: RawEnvelope =
            serde_json::from_str(s).map_err(|e| ProtocolError::BadJson(e.to_string()))?;
        let (kind, item_id) = MessageKind::split_type(&raw.ty)?;
        let payload = raw.payload.unwrap_or(Value::Null);
        fn parse<T: serde::de::DeserializeOwned>(
            kind: MessageKind,
            v: Value,
        ) -> Result<T, ProtocolError> {
            serde_json::from_value(v).map_err(|e| ProtocolError::BadPayload {
                kind: kind.prefix(),
                reason: e.to_string(),
            })
        }
        Ok(match kind {
            MessageKind::GetContext => Message::GetContext {
                item_id,
                payload: parse(kind, payload)?,
            },
            MessageKind::GetAuthToken => Message::GetAuthToken {
                item_id,
                payload: parse(kind, payload)?,
            },
            MessageKind::GetContextSuccess => Message::GetContextSuccess {
                item_id,
                context: Box::new(parse(kind, payload)?),
            },
            MessageKind::GetAuthTokenSuccess => Message::GetAuthTokenSuccess {
                item_id,
                payload: parse(kind, payload)?,
            },
            // Graasp defines FAILURE without a payload shape: accept anything, keep what we can read.
            MessageKind::GetContextFailure => Message::GetContextFailure {
                item_id,
                error: failure(payload),
            },
            MessageKind::GetAuthTokenFailure => Message::GetAuthTokenFailure {
                item_id,
                error: failure(payload),
            },
            MessageKind::PostAutoResize => {
                let height = payload.as_f64().ok_or_else(|| ProtocolError::BadPayload {
                    kind: kind.prefix(),
                    reason: "height is not a number".into(),
                })?;
                if !height.is_finite() {
                    return Err(ProtocolError::BadPayload {
                        kind: kind.prefix(),
                        reason: "height is not finite".into(),
                    });
                }
                Message::PostAutoResize { item_id, height }
            }
            MessageKind::PostMaxResize => Message::PostMaxResize { item_id },
            MessageKind::ContextChanged => Message::ContextChanged {
                item_id,
                change: parse(kind, payload)?,
            },
            MessageKind::PostReady => Message::PostReady { item_id },
            MessageKind::PostFailure => Message::PostFailure {
                item_id,
                error: failure(payload),
            },
            // A reason is informative only: a TEARDOWN without one still asks for the ack.
            MessageKind::Teardown if payload.is_null() => Message::Teardown {
                item_id,
                payload: TeardownPayload::default(),
            },
            MessageKind::Teardown => Message::Teardown {
                item_id,
                payload: parse(kind, payload)?,
            },
            MessageKind::TeardownAck => Message::TeardownAck { item_id },
            MessageKind::RequestClose => Message::RequestClose { item_id },
            MessageKind::RequestDisplayMode => Message::RequestDisplayMode {
                item_id,
                payload: parse(kind, payload)?,
            },
            MessageKind::RequestDisplayModeSuccess => Message::RequestDisplayModeSuccess {
                item_id,
                payload: parse(kind, payload)?,
            },
            MessageKind::RequestDisplayModeFailure => Message::RequestDisplayModeFailure {
                item_id,
                error: failure(payload),
            },
            MessageKind::OpenLink => Message::OpenLink {
                item_id,
                payload: parse(kind, payload)?,
            },
            MessageKind::OpenLinkSuccess => Message::OpenLinkSuccess { item_id },
            MessageKind::OpenLinkFailure => Message::OpenLinkFailure {
                item_id,
                error: failure(payload),
            },
            MessageKind::Ping => Message::Ping { item_id },
            MessageKind::Pong => Message::Pong { item_id },
        })
    }
}

/// A string is the message; an object gives its `code` and `message` each when it is a string
/// (one field of another type must not cost the other); anything else is an empty reason.
fn failure(v: Value) -> FailurePayload {
    let text = |o: &serde_json::Map<String, Value>, k: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    match v {
        Value::String(message) => FailurePayload {
            code: String::new(),
            message,
        },
        Value::Object(o) => FailurePayload {
            code: text(&o, "code"),
            message: text(&o, "message"),
        },
        _ => FailurePayload::default(),
    }
}
