//! The postMessage protocol: `{"type":"<KIND>_<itemId>","payload":...}` as a JSON string.

use crate::{context::LocalContext, error::ProtocolError, ids::ItemId};
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
}

impl MessageKind {
    /// Longest prefixes first, so `GET_CONTEXT_SUCCESS_x` is not read as `GET_CONTEXT` of item `SUCCESS_x`.
    const ALL: [MessageKind; 8] = [
        MessageKind::GetContextSuccess,
        MessageKind::GetContextFailure,
        MessageKind::GetAuthTokenSuccess,
        MessageKind::GetAuthTokenFailure,
        MessageKind::GetContext,
        MessageKind::GetAuthToken,
        MessageKind::PostAutoResize,
        MessageKind::PostMaxResize,
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
        }
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
        /// App key and origin.
        payload: KeyOrigin,
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
            | Message::PostMaxResize { item_id } => *item_id,
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
            Message::GetContext { payload, .. } | Message::GetAuthToken { payload, .. } => {
                env(ty, Some(payload))
            }
            Message::GetContextSuccess { context, .. } => env(ty, Some(context.as_ref())),
            Message::GetContextFailure { error, .. }
            | Message::GetAuthTokenFailure { error, .. } => env(ty, Some(error)),
            Message::GetAuthTokenSuccess { payload, .. } => env(ty, Some(payload)),
            // Whole heights go out as integers, as `scrollHeight` would in JS.
            Message::PostAutoResize { height, .. }
                if height.fract() == 0.0 && height.abs() < 1e15 =>
            {
                env(ty, Some(&(*height as i64)))
            }
            Message::PostAutoResize { height, .. } => env(ty, Some(height)),
            Message::PostMaxResize { .. } => env::<()>(ty, None),
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
