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
