//! The `graasp-websockets` protocol (`realm: notif`) spoken on `/api/ws`.

use crate::dto::{AppAction, AppData, AppSetting};
use serde::{Deserialize, Serialize};

/// Topics an app can subscribe to; the channel is the item id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    /// Item-visible app data (and member-visible to those allowed).
    #[serde(rename = "app-data")]
    AppData,
    /// App actions (admins only).
    #[serde(rename = "app-actions")]
    AppActions,
    /// App settings.
    #[serde(rename = "app-settings")]
    AppSettings,
}

/// A client → server message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum ClientMessage {
    /// Subscribe to a topic on a channel.
    Subscribe {
        /// Always `notif`.
        realm: String,
        /// Topic.
        topic: String,
        /// Channel (item id).
        channel: String,
    },
    /// Unsubscribe.
    Unsubscribe {
        /// Always `notif`.
        realm: String,
        /// Topic.
        topic: String,
        /// Channel (item id).
        channel: String,
    },
    /// Drop every other subscription, then subscribe.
    SubscribeOnly {
        /// Always `notif`.
        realm: String,
        /// Topic.
        topic: String,
        /// Channel (item id).
        channel: String,
    },
    /// Close the connection.
    Disconnect {
        /// Always `notif`.
        realm: String,
    },
}

/// `error` of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WsError {
    /// `ACCESS_DENIED`, `BAD_REQUEST`, `NOT_FOUND` or `SERVER_ERROR`.
    pub name: String,
    /// Human-readable message.
    pub message: String,
}

/// Operation of an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// Created.
    Post,
    /// Updated.
    Patch,
    /// Deleted.
    Delete,
}

/// The body of an `update`: `{kind, op, appData|appAction|appSetting}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UpdateBody {
    /// An app-data event.
    AppData {
        /// `app-data`.
        kind: String,
        /// Operation.
        op: Op,
        /// The row.
        #[serde(rename = "appData")]
        app_data: Box<AppData>,
    },
    /// An app-action event.
    AppAction {
        /// `app-actions`.
        kind: String,
        /// Operation.
        op: Op,
        /// The action.
        #[serde(rename = "appAction")]
        app_action: Box<AppAction>,
    },
    /// An app-setting event.
    AppSetting {
        /// `app-settings`.
        kind: String,
        /// Operation.
        op: Op,
        /// The setting.
        #[serde(rename = "appSetting")]
        app_setting: Box<AppSetting>,
    },
}

/// A server → client message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMessage {
    /// The answer to a client message.
    Response {
        /// Always `notif`.
        realm: String,
        /// `success` or `error`.
        status: String,
        /// The request answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<serde_json::Value>,
        /// The error, when `status` is `error`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<WsError>,
    },
    /// A change on a subscribed topic.
    Update {
        /// Always `notif`.
        realm: String,
        /// Topic.
        topic: String,
        /// Channel (item id).
        channel: String,
        /// The change.
        body: UpdateBody,
    },
    /// Information (e.g. why the server closes the connection).
    Info {
        /// Always `notif`.
        realm: String,
        /// Message.
        message: String,
        /// Extra data.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<serde_json::Value>,
    },
}

/// The only realm: Graasp real-time notifications.
pub const REALM: &str = "notif";
/// The WebSocket subprotocol of the token extension; the server answers with it.
pub const SUBPROTOCOL: &str = "appframe.v1";
/// Prefix of the subprotocol entry that carries the app token (`appframe.token.<jwt>`).
pub const TOKEN_PROTOCOL_PREFIX: &str = "appframe.token.";
/// Close code when the app token expired (the client reconnects with a fresh token).
pub const CLOSE_TOKEN_EXPIRED: u16 = 4001;
/// `error.name` when the client may not access the resource.
pub const ACCESS_DENIED: &str = "ACCESS_DENIED";
/// `error.name` when the request was not understood.
pub const BAD_REQUEST: &str = "BAD_REQUEST";
/// `error.name` when the topic, channel or subscription does not exist.
pub const NOT_FOUND: &str = "NOT_FOUND";
/// `error.name` of an unexpected server failure.
pub const SERVER_ERROR: &str = "SERVER_ERROR";
/// `info.message` of the periodic heartbeat.
pub const INFO_HEARTBEAT: &str = "heartbeat";
/// `info.message` sent before the server closes the connection; `extra.reason` says why.
pub const INFO_CLOSING: &str = "closing";
/// `info.message` when updates may have been missed: refetch everything subscribed.
pub const INFO_RESYNC: &str = "resync";

impl Topic {
    /// The wire name (`app-data`, `app-actions`, `app-settings`).
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::AppData => "app-data",
            Topic::AppActions => "app-actions",
            Topic::AppSettings => "app-settings",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Topic> {
        match s {
            "app-data" => Some(Topic::AppData),
            "app-actions" => Some(Topic::AppActions),
            "app-settings" => Some(Topic::AppSettings),
            _ => None,
        }
    }
}

impl ServerMessage {
    /// A success response echoing the request.
    pub fn success(request: serde_json::Value) -> ServerMessage {
        ServerMessage::Response {
            realm: REALM.into(),
            status: "success".into(),
            request: Some(request),
            error: None,
        }
    }

    /// An error response; `request` is absent when the request could not be parsed.
    pub fn error(name: &str, message: &str, request: Option<serde_json::Value>) -> ServerMessage {
        ServerMessage::Response {
            realm: REALM.into(),
            status: "error".into(),
            request,
            error: Some(WsError {
                name: name.into(),
                message: message.into(),
            }),
        }
    }

    /// An info message.
    pub fn info(message: &str, extra: Option<serde_json::Value>) -> ServerMessage {
        ServerMessage::Info {
            realm: REALM.into(),
            message: message.into(),
            extra,
        }
    }

    /// The `closing` info with `extra.reason`.
    pub fn closing(reason: &str) -> ServerMessage {
        ServerMessage::info(INFO_CLOSING, Some(serde_json::json!({ "reason": reason })))
    }

    /// An update of `topic` on the item `channel`; the body's `kind` is the topic name.
    pub fn update(channel: String, op: Op, entity: UpdateEntity) -> ServerMessage {
        let (topic, body) = match entity {
            UpdateEntity::AppData(d) => (
                Topic::AppData,
                UpdateBody::AppData {
                    kind: Topic::AppData.as_str().into(),
                    op,
                    app_data: d,
                },
            ),
            UpdateEntity::AppAction(a) => (
                Topic::AppActions,
                UpdateBody::AppAction {
                    kind: Topic::AppActions.as_str().into(),
                    op,
                    app_action: a,
                },
            ),
            UpdateEntity::AppSetting(s) => (
                Topic::AppSettings,
                UpdateBody::AppSetting {
                    kind: Topic::AppSettings.as_str().into(),
                    op,
                    app_setting: s,
                },
            ),
        };
        ServerMessage::Update {
            realm: REALM.into(),
            topic: topic.as_str().into(),
            channel,
            body,
        }
    }
}

/// The entity an update carries (its variant decides the topic).
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateEntity {
    /// An app-data row.
    AppData(Box<AppData>),
    /// An app action.
    AppAction(Box<AppAction>),
    /// An app setting.
    AppSetting(Box<AppSetting>),
}
