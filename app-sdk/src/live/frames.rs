//! The frames of the live-update socket: the socket URL and subprotocols, the server's messages
//! as the hub acts on them, and the client's `subscribe`/`unsubscribe` requests (Graasp's
//! `notif` realm, `appframe_protocol::ws`).

#[cfg(target_arch = "wasm32")]
use crate::error::js_text;
use crate::wire::text::concat;
use crate::{error::Error, wire::codec::FromJson};
use appframe_protocol::{
    AppAction, AppData, AppSetting,
    ws::{
        INFO_CLOSING, INFO_RESYNC, Op, REALM, SERVER_ERROR, SUBPROTOCOL, TOKEN_PROTOCOL_PREFIX,
        Topic,
    },
};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsValue;

/// What a subscription receives.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// An app-data row was created (`Post`), changed (`Patch`) or deleted (`Delete`).
    AppData(Op, AppData),
    /// An app action was recorded.
    AppAction(Op, AppAction),
    /// An app setting was created, changed or deleted.
    AppSetting(Op, AppSetting),
    /// Updates may have been missed (the socket opened or reopened, the server said `resync`,
    /// another tab wrote in standalone mode): refetch the lists.
    Resync,
}

/// The socket URL for an `apiHost` (`http://h/api` → `ws://h/api/ws`, `https` → `wss`).
pub(crate) fn ws_url(api_host: &str) -> Result<String, Error> {
    let base = api_host.trim_end_matches('/');
    let (scheme, rest) = if let Some(r) = base.strip_prefix("https://") {
        ("wss://", r)
    } else if let Some(r) = base.strip_prefix("http://") {
        ("ws://", r)
    } else if let Some(r) = base.strip_prefix("wss://") {
        ("wss://", r)
    } else if let Some(r) = base.strip_prefix("ws://") {
        ("ws://", r)
    } else {
        return Err(Error::Decode(concat(&[
            "apiHost is not an http(s) URL: ",
            api_host,
        ])));
    };
    if rest.is_empty() {
        return Err(Error::Decode(concat(&["apiHost has no host: ", api_host])));
    }
    Ok(concat(&[scheme, rest, "/ws"]))
}

/// The subprotocols to open the socket with: the token ones only with the `"ws"` feature.
pub(crate) fn subprotocols(token: Option<&str>) -> Vec<String> {
    match token {
        Some(t) => vec![SUBPROTOCOL.to_owned(), concat(&[TOKEN_PROTOCOL_PREFIX, t])],
        None => Vec::new(),
    }
}

/// A server message, as the hub acts on it.
#[derive(Debug, Clone, PartialEq)]
// Short-lived (one per frame, moved once): boxing the update would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Incoming {
    /// An update on `topic` for item `channel`.
    Update {
        topic: Topic,
        channel: String,
        event: LiveEvent,
    },
    /// An error response (to the request on `topic`, when it names one).
    Failed { topic: Option<Topic>, error: Error },
    /// `info: resync`: events may have been lost.
    Resync,
    /// `info: closing` with the server's reason; the close frame follows.
    Closing(String),
    /// Heartbeats, success responses and other information: nothing to do.
    Other,
}

/// A parsed JSON frame, read field by field: in the browser the `JSON.parse` value (through
/// `Reflect`), natively a `serde_json::Value`. Only the entity is read into a type, by the
/// readers of list responses (size policy: [`crate::wire`]). The tests read frames written from
/// the protocol types
/// (`appframe_protocol::ws::ServerMessage`), so the two cannot drift apart.
trait FrameValue: Sized {
    /// Parses a JSON text.
    fn parse(text: &str) -> Result<Self, String>;
    /// A field of an object (`None` when absent, `null` or not an object).
    fn field(&self, key: &str) -> Option<Self>;
    /// The value as a string.
    fn text(&self) -> Option<String>;
    /// The value as an entity.
    fn entity<T: FromJson>(self) -> Result<T, String>;
}

#[cfg(target_arch = "wasm32")]
impl FrameValue for JsValue {
    fn parse(text: &str) -> Result<Self, String> {
        js_sys::JSON::parse(text).map_err(|e| js_text(&e))
    }
    fn field(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        js_sys::Reflect::get(self, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }
    fn text(&self) -> Option<String> {
        self.as_string()
    }
    fn entity<T: FromJson>(self) -> Result<T, String> {
        crate::wire::json::from_js(&self)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl FrameValue for serde_json::Value {
    fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
    fn field(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_null()).cloned()
    }
    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn entity<T: FromJson>(self) -> Result<T, String> {
        T::from_json(&self)
    }
}

#[cfg(target_arch = "wasm32")]
type Json = JsValue;
#[cfg(not(target_arch = "wasm32"))]
type Json = serde_json::Value;

fn bad_frame(what: &str) -> Error {
    Error::Decode(concat(&["live message: ", what]))
}

fn field_text(v: &Json, key: &str) -> Option<String> {
    v.field(key).and_then(|f| f.text())
}

fn op_of(s: &str) -> Option<Op> {
    match s {
        "post" => Some(Op::Post),
        "patch" => Some(Op::Patch),
        "delete" => Some(Op::Delete),
        _ => None,
    }
}

/// Reads one text frame of the server.
pub(crate) fn parse_incoming(text: &str) -> Result<Incoming, Error> {
    let f = Json::parse(text).map_err(|e| bad_frame(&e))?;
    let ty = field_text(&f, "type").ok_or_else(|| bad_frame("no type"))?;
    Ok(match ty.as_str() {
        "update" => {
            let Some(topic) = field_text(&f, "topic").as_deref().and_then(Topic::parse) else {
                return Ok(Incoming::Other);
            };
            let body = f
                .field("body")
                .ok_or_else(|| bad_frame("update without a body"))?;
            let op = field_text(&body, "op")
                .as_deref()
                .and_then(op_of)
                .ok_or_else(|| bad_frame("update without a known op"))?;
            let key = match topic {
                Topic::AppData => "appData",
                Topic::AppActions => "appAction",
                Topic::AppSettings => "appSetting",
            };
            let entity = body
                .field(key)
                .ok_or_else(|| bad_frame("update without the entity of its topic"))?;
            let event = match topic {
                Topic::AppData => {
                    LiveEvent::AppData(op, entity.entity().map_err(|e| bad_frame(&e))?)
                }
                Topic::AppActions => {
                    LiveEvent::AppAction(op, entity.entity().map_err(|e| bad_frame(&e))?)
                }
                Topic::AppSettings => {
                    LiveEvent::AppSetting(op, entity.entity().map_err(|e| bad_frame(&e))?)
                }
            };
            Incoming::Update {
                topic,
                channel: field_text(&f, "channel").unwrap_or_default(),
                event,
            }
        }
        "response" if field_text(&f, "status").as_deref() == Some("error") => {
            let error = f.field("error");
            Incoming::Failed {
                topic: f
                    .field("request")
                    .and_then(|r| field_text(&r, "topic"))
                    .as_deref()
                    .and_then(Topic::parse),
                error: Error::Live {
                    name: error
                        .as_ref()
                        .and_then(|e| field_text(e, "name"))
                        .unwrap_or_else(|| SERVER_ERROR.into()),
                    message: error
                        .as_ref()
                        .and_then(|e| field_text(e, "message"))
                        .unwrap_or_default(),
                },
            }
        }
        "info" => match field_text(&f, "message").as_deref() {
            Some(INFO_RESYNC) => Incoming::Resync,
            Some(INFO_CLOSING) => Incoming::Closing(
                f.field("extra")
                    .and_then(|x| field_text(&x, "reason"))
                    .unwrap_or_default(),
            ),
            _ => Incoming::Other,
        },
        "response" => Incoming::Other,
        other => return Err(bad_frame(&concat(&["unknown type ", other]))),
    })
}

/// The client message `action` on `topic` for item `channel` (the names and a UUID need no
/// escaping; the tests compare it with the protocol's `ClientMessage`).
pub(crate) fn client_message(action: &str, topic: Topic, channel: &str) -> String {
    concat(&[
        r#"{"realm":""#,
        REALM,
        r#"","action":""#,
        action,
        r#"","topic":""#,
        topic.as_str(),
        r#"","channel":""#,
        channel,
        r#""}"#,
    ])
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::live::merge::tests::row;
    use appframe_protocol::ws::{ClientMessage, ServerMessage, UpdateBody, WsError};
    use serde_json::json;

    #[test]
    fn the_socket_url_keeps_the_api_path_and_follows_the_scheme() {
        assert_eq!(
            ws_url("http://localhost:3000/api").unwrap(),
            "ws://localhost:3000/api/ws"
        );
        assert_eq!(
            ws_url("https://apps.example.org/api/").unwrap(),
            "wss://apps.example.org/api/ws"
        );
        assert_eq!(ws_url("wss://h/api").unwrap(), "wss://h/api/ws");
        assert_eq!(ws_url("ftp://h/api").unwrap_err().code(), "Decode");
        assert_eq!(ws_url("https://").unwrap_err().code(), "Decode");
        assert_eq!(ws_url("").unwrap_err().code(), "Decode");
    }

    #[test]
    fn the_token_rides_as_a_subprotocol_only_when_given() {
        assert!(subprotocols(None).is_empty());
        assert_eq!(
            subprotocols(Some("a.b.c")),
            vec!["appframe.v1".to_owned(), "appframe.token.a.b.c".to_owned()]
        );
    }

    /// A frame as the server writes it, from the protocol types.
    fn server(m: &ServerMessage) -> String {
        serde_json::to_string(m).unwrap()
    }

    #[test]
    fn an_update_message_becomes_a_typed_event() {
        let r = row(1, "note", "hi", 1);
        let text = server(&ServerMessage::Update {
            realm: "notif".into(),
            topic: "app-data".into(),
            channel: "c1".into(),
            body: UpdateBody::AppData {
                kind: "app-data".into(),
                op: Op::Post,
                app_data: Box::new(r.clone()),
            },
        });
        assert_eq!(
            parse_incoming(&text).unwrap(),
            Incoming::Update {
                topic: Topic::AppData,
                channel: "c1".into(),
                event: LiveEvent::AppData(Op::Post, r)
            }
        );
    }

    #[test]
    fn setting_and_action_updates_carry_their_entity() {
        let setting: AppSetting = serde_json::from_value(json!({"id": uuid::Uuid::from_u128(5),
            "name": "colors", "data": {}, "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z"}))
        .unwrap();
        let text = server(&ServerMessage::Update {
            realm: "notif".into(),
            topic: "app-settings".into(),
            channel: "c1".into(),
            body: UpdateBody::AppSetting {
                kind: "app-settings".into(),
                op: Op::Delete,
                app_setting: Box::new(setting.clone()),
            },
        });
        let Incoming::Update { event, .. } = parse_incoming(&text).unwrap() else {
            panic!("not an update");
        };
        assert_eq!(event, LiveEvent::AppSetting(Op::Delete, setting));
        // An update whose body does not match its topic is an error, not a wrong event.
        let wrong = text.replace("\"topic\":\"app-settings\"", "\"topic\":\"app-data\"");
        assert_eq!(parse_incoming(&wrong).unwrap_err().code(), "Decode");
    }

    #[test]
    fn an_error_response_names_its_topic_and_keeps_the_server_error() {
        let text = server(&ServerMessage::Response {
            realm: "notif".into(),
            status: "error".into(),
            request: Some(json!({"realm": "notif", "action": "subscribe",
                "topic": "app-actions", "channel": "c1"})),
            error: Some(WsError {
                name: "ACCESS_DENIED".into(),
                message: "admins only".into(),
            }),
        });
        let Incoming::Failed { topic, error } = parse_incoming(&text).unwrap() else {
            panic!("not a failure");
        };
        assert_eq!(topic, Some(Topic::AppActions));
        assert_eq!(error.code(), "Live");
        assert_eq!(
            error,
            Error::Live {
                name: "ACCESS_DENIED".into(),
                message: "admins only".into()
            }
        );
        // Bad JSON has no request to name: the error goes to every topic.
        let text = server(&ServerMessage::Response {
            realm: "notif".into(),
            status: "error".into(),
            request: None,
            error: Some(WsError {
                name: "BAD_REQUEST".into(),
                message: "not JSON".into(),
            }),
        });
        assert!(matches!(
            parse_incoming(&text).unwrap(),
            Incoming::Failed { topic: None, .. }
        ));
    }

    #[test]
    fn info_messages_are_heartbeat_resync_or_closing_with_its_reason() {
        let info = |message: &str, extra: Option<serde_json::Value>| {
            parse_incoming(&server(&ServerMessage::Info {
                realm: "notif".into(),
                message: message.into(),
                extra,
            }))
            .unwrap()
        };
        assert_eq!(info("heartbeat", None), Incoming::Other);
        assert_eq!(info("resync", None), Incoming::Resync);
        assert_eq!(
            info("closing", Some(json!({"reason": "token-expired"}))),
            Incoming::Closing("token-expired".into())
        );
        let ok = server(&ServerMessage::Response {
            realm: "notif".into(),
            status: "success".into(),
            request: None,
            error: None,
        });
        assert_eq!(parse_incoming(&ok).unwrap(), Incoming::Other);
    }

    #[test]
    fn garbage_and_unknown_topics_do_not_become_updates() {
        assert_eq!(parse_incoming("not json").unwrap_err().code(), "Decode");
        assert_eq!(
            parse_incoming(r#"{"type":"nope"}"#).unwrap_err().code(),
            "Decode"
        );
        assert_eq!(
            parse_incoming(r#"{"type":"update","topic":"app-data"}"#)
                .unwrap_err()
                .code(),
            "Decode"
        );
        let r = row(1, "note", "hi", 1);
        let text = json!({"realm": "notif", "type": "update", "topic": "items",
            "channel": "c1", "body": {"kind": "app-data", "op": "post", "appData": r}})
        .to_string();
        assert_eq!(parse_incoming(&text).unwrap(), Incoming::Other);
    }

    #[test]
    fn client_messages_are_the_protocol_notif_requests() {
        let ours: serde_json::Value =
            serde_json::from_str(&client_message("subscribe", Topic::AppSettings, "c1")).unwrap();
        let protocol = serde_json::to_value(ClientMessage::Subscribe {
            realm: "notif".into(),
            topic: "app-settings".into(),
            channel: "c1".into(),
        })
        .unwrap();
        assert_eq!(ours, protocol);
        let ours: serde_json::Value =
            serde_json::from_str(&client_message("unsubscribe", Topic::AppData, "c1")).unwrap();
        let protocol = serde_json::to_value(ClientMessage::Unsubscribe {
            realm: "notif".into(),
            topic: "app-data".into(),
            channel: "c1".into(),
        })
        .unwrap();
        assert_eq!(ours, protocol);
    }
}
