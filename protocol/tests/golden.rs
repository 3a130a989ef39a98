#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]
//! Golden strings from the spec's "Observed on the wire" (apps-query-client 4.1.0 in Chromium).

use appframe_protocol::*;

const ID: &str = "5f0b7a3e-3d0c-4f77-9a58-2b3a7c1d9e10";
const KEY: &str = "0c8b5d6e-1a2b-4c3d-8e9f-a1b2c3d4e5f6";

fn item() -> ItemId {
    ID.parse().unwrap()
}

#[test]
fn get_context_matches_the_official_client_byte_for_byte() {
    let wire = format!(
        r#"{{"type":"GET_CONTEXT_{ID}","payload":{{"key":"{KEY}","origin":"http://127.0.0.1:8702"}}}}"#
    );
    let msg = Message::decode(&wire).unwrap();
    assert_eq!(
        msg,
        Message::GetContext {
            item_id: item(),
            payload: ContextRequest {
                key: KEY.into(),
                origin: "http://127.0.0.1:8702".into(),
                appframe: None,
            }
        }
    );
    assert_eq!(msg.encode(), wire);
}

#[test]
fn get_auth_token_matches_the_official_client_byte_for_byte() {
    let wire = format!(
        r#"{{"type":"GET_AUTH_TOKEN_{ID}","payload":{{"key":"{KEY}","origin":"http://127.0.0.1:8702"}}}}"#
    );
    let msg = Message::decode(&wire).unwrap();
    assert_eq!(msg.kind(), MessageKind::GetAuthToken);
    assert_eq!(msg.encode(), wire);
}

#[test]
fn fractional_auto_resize_is_read_as_is() {
    let wire = format!(r#"{{"type":"POST_AUTO_RESIZE_{ID}","payload":619.75}}"#);
    let msg = Message::decode(&wire).unwrap();
    assert_eq!(
        msg,
        Message::PostAutoResize {
            item_id: item(),
            height: 619.75
        }
    );
    assert_eq!(msg.encode(), wire);
}

#[test]
fn integer_auto_resize_encodes_without_fraction_noise() {
    let wire = format!(r#"{{"type":"POST_AUTO_RESIZE_{ID}","payload":620}}"#);
    let msg = Message::decode(&wire).unwrap();
    assert_eq!(
        msg,
        Message::PostAutoResize {
            item_id: item(),
            height: 620.0
        }
    );
    assert_eq!(msg.encode(), wire);
}

#[test]
fn max_resize_has_no_payload() {
    let wire = format!(r#"{{"type":"POST_MAX_RESIZE_{ID}"}}"#);
    let msg = Message::decode(&wire).unwrap();
    assert_eq!(msg, Message::PostMaxResize { item_id: item() });
    assert_eq!(msg.encode(), wire);
}

#[test]
fn token_success_is_the_api_access_token_json() {
    let wire = format!(r#"{{"type":"GET_AUTH_TOKEN_SUCCESS_{ID}","payload":{{"token":"a.b.c"}}}}"#);
    let msg = Message::decode(&wire).unwrap();
    assert_eq!(
        msg,
        Message::GetAuthTokenSuccess {
            item_id: item(),
            payload: TokenPayload {
                token: "a.b.c".into()
            }
        }
    );
    assert_eq!(msg.encode(), wire);
}

#[test]
fn success_prefix_is_not_mistaken_for_get_context() {
    let (kind, id) = MessageKind::split_type(&format!("GET_CONTEXT_SUCCESS_{ID}")).unwrap();
    assert_eq!(kind, MessageKind::GetContextSuccess);
    assert_eq!(id, item());
}

#[test]
fn context_success_from_a_graasp_host_decodes_with_defaults_and_legacy_member_id() {
    // What graasp/client's builder sends: a subset, memberId beside accountId, extra fields ignored.
    let acc = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";
    let wire = format!(
        r#"{{"type":"GET_CONTEXT_SUCCESS_{ID}","payload":{{"apiHost":"http://127.0.0.1:8080/api","itemId":"{ID}","accountId":"{acc}","memberId":"{acc}","permission":"admin","settings":{{"isResizable":true}},"lang":"fr","context":"builder","somethingNew":1}}}}"#
    );
    let Message::GetContextSuccess { context, .. } = Message::decode(&wire).unwrap() else {
        panic!("wrong kind")
    };
    assert_eq!(context.account_id.unwrap().to_string(), acc);
    assert_eq!(context.permission, Permission::Admin);
    assert_eq!(context.context, Context::Builder);
    assert_eq!(context.lang, "fr");
    assert!(!context.mobile && !context.dev && !context.offline);
    assert_eq!(context.appframe, None);
}

#[test]
fn context_encodes_member_id_beside_account_id() {
    let mut ctx = LocalContext::new("http://127.0.0.1:8080/api", item());
    ctx.account_id = Some("9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d".parse().unwrap());
    ctx.context = Context::Player;
    let json: serde_json::Value = serde_json::to_value(&ctx).unwrap();
    assert_eq!(json["accountId"], json["memberId"]);
    assert_eq!(json["apiHost"], "http://127.0.0.1:8080/api");
    assert_eq!(json["context"], "player");
    assert_eq!(json["permission"], "read");
}

#[test]
fn only_member_id_is_accepted_as_the_account() {
    let acc = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";
    let ctx: LocalContext = serde_json::from_str(&format!(
        r#"{{"apiHost":"http://h/api","itemId":"{ID}","memberId":"{acc}"}}"#
    ))
    .unwrap();
    assert_eq!(ctx.account_id.unwrap().to_string(), acc);
    assert_eq!(ctx.context, Context::Standalone);
    assert_eq!(ctx.permission, Permission::Read);
}

#[test]
fn legacy_explorer_context_is_unknown_not_an_error() {
    let ctx: LocalContext = serde_json::from_str(&format!(
        r#"{{"apiHost":"http://h/api","itemId":"{ID}","context":"explorer"}}"#
    ))
    .unwrap();
    assert_eq!(ctx.context, Context::Unknown);
}

#[test]
fn unrelated_and_malformed_messages_are_typed_errors() {
    assert!(matches!(
        Message::decode(r#"{"type":"UNRELATED"}"#),
        Err(ProtocolError::UnknownType(_))
    ));
    assert!(matches!(
        Message::decode("not json"),
        Err(ProtocolError::BadJson(_))
    ));
    assert!(matches!(
        Message::decode(r#"{"type":"GET_CONTEXT_not-a-uuid"}"#),
        Err(ProtocolError::UnknownType(_))
    ));
    assert!(matches!(
        Message::decode(&format!(
            r#"{{"type":"POST_AUTO_RESIZE_{ID}","payload":"tall"}}"#
        )),
        Err(ProtocolError::BadPayload { .. })
    ));
    assert!(matches!(
        Message::decode(&format!(
            r#"{{"type":"GET_CONTEXT_{ID}","payload":{{"key":1}}}}"#
        )),
        Err(ProtocolError::BadPayload { .. })
    ));
}

#[test]
fn failure_without_payload_still_decodes() {
    let msg = Message::decode(&format!(r#"{{"type":"GET_AUTH_TOKEN_FAILURE_{ID}"}}"#)).unwrap();
    assert_eq!(msg.kind(), MessageKind::GetAuthTokenFailure);
    let msg = Message::GetContextFailure {
        item_id: item(),
        error: FailurePayload {
            code: "INVALID_APP_ORIGIN".into(),
            message: "no".into(),
        },
    };
    assert_eq!(Message::decode(&msg.encode()).unwrap(), msg);
}

#[test]
fn request_bodies_from_the_official_client_are_accepted() {
    let b: CreateAppData =
        serde_json::from_str(r#"{"type":"note","data":{"text":"hello from graasp client"}}"#)
            .unwrap();
    assert!(b.validate().is_ok());
    assert_eq!(b.visibility, None);
    let a: CreateAppAction = serde_json::from_str(r#"{"type":"load","data":{"at":"x"}}"#).unwrap();
    assert!(a.validate().is_ok());
}

#[test]
fn strict_bodies_refuse_unknown_fields_and_bad_types() {
    assert!(
        serde_json::from_str::<CreateAppData>(r#"{"type":"note","data":{},"extra":1}"#).is_err()
    );
    assert!(serde_json::from_str::<CreateAppData>(r#"{"type":"note","data":[]}"#).is_err());
    assert!(serde_json::from_str::<PatchData>(r#"{"data":{},"visibility":"item"}"#).is_err());
    assert!(serde_json::from_str::<TokenRequest>(r#"{"key":"nope","origin":"x"}"#).is_err());
    let short: CreateAppData = serde_json::from_str(r#"{"type":"no","data":{}}"#).unwrap();
    assert!(short.validate().is_err());
    let long: CreateAppData =
        serde_json::from_str(&format!(r#"{{"type":"{}","data":{{}}}}"#, "x".repeat(26))).unwrap();
    assert!(long.validate().is_err());
}

#[test]
fn urls_have_no_double_slash_and_use_singular_app_action() {
    let id = item();
    assert_eq!(
        routes::app_action_url("http://h/api/", &id),
        format!("http://h/api/app-items/{ID}/app-action")
    );
    assert_eq!(
        routes::app_data_url("http://h/api", &id),
        format!("http://h/api/app-items/{ID}/app-data")
    );
    assert_eq!(routes::ws_url("https://h/api"), "wss://h/api/ws");
    assert_eq!(routes::ws_url("http://h/api"), "ws://h/api/ws");
}

#[test]
fn error_body_uses_status_code_camel_case() {
    let e = ErrorBody {
        name: "APP_DATA_NOT_FOUND".into(),
        code: "GAERR004".into(),
        message: "APP_DATA_NOT_FOUND".into(),
        status_code: 404,
        data: None,
        origin: Some("graasp-plugin-apps/app-data".into()),
    };
    let s = serde_json::to_string(&e).unwrap();
    assert_eq!(
        s,
        r#"{"name":"APP_DATA_NOT_FOUND","code":"GAERR004","message":"APP_DATA_NOT_FOUND","statusCode":404,"origin":"graasp-plugin-apps/app-data"}"#
    );
}

// ---- websocket (`graasp-websockets`, realm `notif`; shapes from Graasp's API.md and its
// message builders `createServer{Success,Error}Response`, `createServerUpdate`,
// `createServerInfo`, and the app events `{kind, op, appData|appAction|appSetting}`) ----

mod ws_golden {
    use appframe_protocol::ws::*;
    use appframe_protocol::{AppAction, AppData, AppSetting};
    use serde_json::{Value, json};

    const ITEM: &str = "5f0b7a3e-3d0c-4f77-9a58-2b3a7c1d9e10";
    const ACCOUNT: &str = "dca3c530-eff8-4c46-8172-bd614654a02d";

    fn encode(m: &ServerMessage) -> Value {
        serde_json::to_value(m).unwrap()
    }

    #[test]
    fn client_requests_decode_from_graasp_json() {
        for (action, expected) in [
            (
                "subscribe",
                ClientMessage::Subscribe {
                    realm: "notif".into(),
                    topic: "app-data".into(),
                    channel: ITEM.into(),
                },
            ),
            (
                "unsubscribe",
                ClientMessage::Unsubscribe {
                    realm: "notif".into(),
                    topic: "app-data".into(),
                    channel: ITEM.into(),
                },
            ),
            (
                "subscribeOnly",
                ClientMessage::SubscribeOnly {
                    realm: "notif".into(),
                    topic: "app-data".into(),
                    channel: ITEM.into(),
                },
            ),
        ] {
            let wire =
                json!({"realm": "notif", "action": action, "topic": "app-data", "channel": ITEM});
            let got: ClientMessage = serde_json::from_value(wire.clone()).unwrap();
            assert_eq!(got, expected);
            assert_eq!(serde_json::to_value(&got).unwrap(), wire);
        }
        let d: ClientMessage =
            serde_json::from_str(r#"{"realm":"notif","action":"disconnect"}"#).unwrap();
        assert_eq!(
            d,
            ClientMessage::Disconnect {
                realm: "notif".into()
            }
        );
        assert!(
            serde_json::from_str::<ClientMessage>(r#"{"realm":"notif","action":"dance"}"#).is_err()
        );
    }

    #[test]
    fn responses_are_graasp_server_responses() {
        let req =
            json!({"realm": "notif", "action": "subscribe", "topic": "app-data", "channel": ITEM});
        assert_eq!(
            encode(&ServerMessage::success(req.clone())),
            json!({"realm": "notif", "type": "response", "status": "success", "request": req})
        );
        assert_eq!(
            encode(&ServerMessage::error(
                ACCESS_DENIED,
                "no",
                Some(req.clone())
            )),
            json!({"realm": "notif", "type": "response", "status": "error",
                   "error": {"name": "ACCESS_DENIED", "message": "no"}, "request": req})
        );
        // An unparsable request is not echoed.
        assert_eq!(
            encode(&ServerMessage::error(BAD_REQUEST, "bad", None)),
            json!({"realm": "notif", "type": "response", "status": "error",
                   "error": {"name": "BAD_REQUEST", "message": "bad"}})
        );
    }

    #[test]
    fn info_messages_carry_realm_message_and_optional_extra() {
        assert_eq!(
            encode(&ServerMessage::info(INFO_HEARTBEAT, None)),
            json!({"realm": "notif", "type": "info", "message": "heartbeat"})
        );
        assert_eq!(
            encode(&ServerMessage::info(INFO_RESYNC, None)),
            json!({"realm": "notif", "type": "info", "message": "resync"})
        );
        assert_eq!(
            encode(&ServerMessage::closing("token-expired")),
            json!({"realm": "notif", "type": "info", "message": "closing",
                   "extra": {"reason": "token-expired"}})
        );
    }

    fn member() -> Value {
        json!({"id": ACCOUNT, "name": "Alice"})
    }

    #[test]
    fn app_data_updates_are_kind_op_app_data() {
        let row = json!({"id": "0b1d7a4e-53c1-4f0e-9d3c-6f1f2b7a9c01", "item": {"id": ITEM},
            "account": member(), "member": member(), "creator": member(), "type": "note",
            "visibility": "item", "data": {"text": "hi"},
            "createdAt": "2026-11-23T10:00:00.123Z", "updatedAt": "2026-11-23T10:00:00.123Z"});
        let d: AppData = serde_json::from_value(row.clone()).unwrap();
        for (op, name) in [
            (Op::Post, "post"),
            (Op::Patch, "patch"),
            (Op::Delete, "delete"),
        ] {
            let m =
                ServerMessage::update(ITEM.into(), op, UpdateEntity::AppData(Box::new(d.clone())));
            assert_eq!(
                encode(&m),
                json!({"realm": "notif", "type": "update", "topic": "app-data", "channel": ITEM,
                       "body": {"kind": "app-data", "op": name, "appData": row}})
            );
            let back: ServerMessage = serde_json::from_value(encode(&m)).unwrap();
            assert_eq!(back, m);
        }
    }

    #[test]
    fn app_action_and_app_setting_updates_use_their_topic_and_field() {
        let action = json!({"id": "0b1d7a4e-53c1-4f0e-9d3c-6f1f2b7a9c01", "account": member(),
            "member": member(), "type": "click", "data": {}, "createdAt": "2026-11-23T10:00:00.123Z"});
        let a: AppAction = serde_json::from_value(action.clone()).unwrap();
        assert_eq!(
            encode(&ServerMessage::update(
                ITEM.into(),
                Op::Post,
                UpdateEntity::AppAction(Box::new(a))
            )),
            json!({"realm": "notif", "type": "update", "topic": "app-actions", "channel": ITEM,
                   "body": {"kind": "app-actions", "op": "post", "appAction": action}})
        );
        let setting = json!({"id": "0b1d7a4e-53c1-4f0e-9d3c-6f1f2b7a9c01", "name": "cfg",
            "data": {"a": 1}, "creator": member(),
            "createdAt": "2026-11-23T10:00:00.123Z", "updatedAt": "2026-11-23T10:00:00.123Z"});
        let s: AppSetting = serde_json::from_value(setting.clone()).unwrap();
        assert_eq!(
            encode(&ServerMessage::update(
                ITEM.into(),
                Op::Patch,
                UpdateEntity::AppSetting(Box::new(s))
            )),
            json!({"realm": "notif", "type": "update", "topic": "app-settings", "channel": ITEM,
                   "body": {"kind": "app-settings", "op": "patch", "appSetting": setting}})
        );
    }

    #[test]
    fn topics_round_trip_their_wire_names() {
        for t in [Topic::AppData, Topic::AppActions, Topic::AppSettings] {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
        }
        assert_eq!(Topic::parse("items"), None);
    }
}

/// Protocol v2 (docs/protocol-v2.md): every message byte for byte, fields in the documented order.
mod v2 {
    use super::*;
    use appframe_protocol::lifecycle::{PROTOCOL_VERSION, code, feature};

    /// Decodes the golden text to `msg` and encodes `msg` back to the very same text.
    fn golden(wire: String, msg: Message) {
        assert_eq!(Message::decode(&wire).unwrap(), msg, "{wire}");
        assert_eq!(msg.encode(), wire);
        assert!(msg.kind().is_v2());
    }

    #[test]
    fn get_context_of_a_v2_app_announces_its_version_and_features() {
        let wire = format!(
            r#"{{"type":"GET_CONTEXT_{ID}","payload":{{"key":"{KEY}","origin":"http://127.0.0.1:8702","appframe":{{"version":2,"features":["lifecycle"]}}}}}}"#
        );
        let msg = Message::GetContext {
            item_id: item(),
            payload: ContextRequest {
                key: KEY.into(),
                origin: "http://127.0.0.1:8702".into(),
                appframe: Some(HostCapabilities {
                    version: PROTOCOL_VERSION,
                    features: vec![feature::LIFECYCLE.into()],
                    granted: None,
                }),
            },
        };
        assert_eq!(Message::decode(&wire).unwrap(), msg);
        assert_eq!(msg.encode(), wire);
        assert!(!msg.kind().is_v2(), "GET_CONTEXT itself is v1 traffic");
    }

    #[test]
    fn only_version_two_or_later_speaks_v2() {
        let caps = |version| HostCapabilities {
            version,
            features: vec![],
            granted: None,
        };
        assert!(!caps(1).speaks_v2());
        assert!(caps(2).speaks_v2());
        assert!(caps(3).speaks_v2());
    }

    #[test]
    fn context_changed_with_every_field() {
        let wire = format!(
            r##"{{"type":"CONTEXT_CHANGED_{ID}","payload":{{"lang":"fr","theme":{{"mode":"dark","vars":{{"--accent":"#0a6","--bg":"#111"}}}},"permission":"admin","context":"builder","container":{{"width":640,"maxHeight":480.5,"displayMode":"fullscreen"}}}}}}"##
        );
        let vars = [("--accent", "#0a6"), ("--bg", "#111")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into_iter()
            .collect();
        golden(
            wire,
            Message::ContextChanged {
                item_id: item(),
                change: ContextChange {
                    lang: Some("fr".into()),
                    theme: Some(Theme {
                        mode: ThemeMode::Dark,
                        vars,
                    }),
                    permission: Some(Permission::Admin),
                    context: Some(Context::Builder),
                    container: Some(Container {
                        width: Some(640.0),
                        max_height: Some(480.5),
                        display_mode: DisplayMode::Fullscreen,
                    }),
                },
            },
        );
    }

    #[test]
    fn context_changed_carries_only_what_changed() {
        golden(
            format!(r#"{{"type":"CONTEXT_CHANGED_{ID}","payload":{{"lang":"de"}}}}"#),
            Message::ContextChanged {
                item_id: item(),
                change: ContextChange {
                    lang: Some("de".into()),
                    ..Default::default()
                },
            },
        );
        golden(
            format!(
                r#"{{"type":"CONTEXT_CHANGED_{ID}","payload":{{"container":{{"displayMode":"inline"}}}}}}"#
            ),
            Message::ContextChanged {
                item_id: item(),
                change: ContextChange {
                    container: Some(Container::default()),
                    ..Default::default()
                },
            },
        );
        // A theme without vars reads as an empty set.
        let wire = format!(
            r#"{{"type":"CONTEXT_CHANGED_{ID}","payload":{{"theme":{{"mode":"light"}}}}}}"#
        );
        let Message::ContextChanged { change, .. } = Message::decode(&wire).unwrap() else {
            panic!("not a context change");
        };
        assert_eq!(change.theme, Some(Theme::default()));
    }

    #[test]
    fn a_bad_theme_mode_or_permission_is_a_typed_error() {
        for payload in [
            r#"{"theme":{"mode":"sepia","vars":{}}}"#,
            r#"{"permission":"owner"}"#,
            r#"{"container":{"displayMode":"pip"}}"#,
            r#""fr""#,
        ] {
            let wire = format!(r#"{{"type":"CONTEXT_CHANGED_{ID}","payload":{payload}}}"#);
            assert!(
                matches!(
                    Message::decode(&wire),
                    Err(ProtocolError::BadPayload {
                        kind: "CONTEXT_CHANGED",
                        ..
                    })
                ),
                "{wire}"
            );
        }
    }

    #[test]
    fn lifecycle_messages_without_payload() {
        let item_id = item();
        for (ty, msg) in [
            ("POST_READY", Message::PostReady { item_id }),
            ("TEARDOWN_ACK", Message::TeardownAck { item_id }),
            ("REQUEST_CLOSE", Message::RequestClose { item_id }),
            ("OPEN_LINK_SUCCESS", Message::OpenLinkSuccess { item_id }),
            ("PING", Message::Ping { item_id }),
            ("PONG", Message::Pong { item_id }),
        ] {
            golden(format!(r#"{{"type":"{ty}_{ID}"}}"#), msg);
        }
    }

    #[test]
    fn failures_are_code_then_message() {
        let item_id = item();
        type Make = fn(ItemId, FailurePayload) -> Message;
        let cases: [(&str, &str, Make); 3] = [
            ("POST_FAILURE", "NO_WEBGL", |item_id, error| {
                Message::PostFailure { item_id, error }
            }),
            (
                "REQUEST_DISPLAY_MODE_FAILURE",
                code::USER_GESTURE_REQUIRED,
                |item_id, error| Message::RequestDisplayModeFailure { item_id, error },
            ),
            ("OPEN_LINK_FAILURE", code::LINK_REFUSED, |item_id, error| {
                Message::OpenLinkFailure { item_id, error }
            }),
        ];
        for (ty, code, make) in cases {
            let error = FailurePayload {
                code: code.into(),
                message: "no".into(),
            };
            golden(
                format!(r#"{{"type":"{ty}_{ID}","payload":{{"code":"{code}","message":"no"}}}}"#),
                make(item_id, error),
            );
        }
        assert_eq!(code::DISPLAY_MODE_UNSUPPORTED, "DISPLAY_MODE_UNSUPPORTED");
    }

    #[test]
    fn teardown_carries_its_reason() {
        golden(
            format!(r#"{{"type":"TEARDOWN_{ID}","payload":{{"reason":"navigation"}}}}"#),
            Message::Teardown {
                item_id: item(),
                payload: TeardownPayload {
                    reason: "navigation".into(),
                },
            },
        );
        // The ack is owed even when a host leaves the reason out.
        assert_eq!(
            Message::decode(&format!(r#"{{"type":"TEARDOWN_{ID}"}}"#)).unwrap(),
            Message::Teardown {
                item_id: item(),
                payload: TeardownPayload::default(),
            }
        );
    }

    #[test]
    fn display_mode_request_and_grant() {
        golden(
            format!(r#"{{"type":"REQUEST_DISPLAY_MODE_{ID}","payload":{{"mode":"fullscreen"}}}}"#),
            Message::RequestDisplayMode {
                item_id: item(),
                payload: ModePayload {
                    mode: DisplayMode::Fullscreen,
                },
            },
        );
        golden(
            format!(
                r#"{{"type":"REQUEST_DISPLAY_MODE_SUCCESS_{ID}","payload":{{"mode":"inline"}}}}"#
            ),
            Message::RequestDisplayModeSuccess {
                item_id: item(),
                payload: ModePayload {
                    mode: DisplayMode::Inline,
                },
            },
        );
    }

    #[test]
    fn open_link_carries_the_url() {
        golden(
            format!(
                r#"{{"type":"OPEN_LINK_{ID}","payload":{{"url":"https://example.org/a?b=c"}}}}"#
            ),
            Message::OpenLink {
                item_id: item(),
                payload: UrlPayload {
                    url: "https://example.org/a?b=c".into(),
                },
            },
        );
    }

    #[test]
    fn longer_prefixes_are_not_read_as_shorter_ones() {
        for (ty, kind) in [
            ("TEARDOWN_ACK", MessageKind::TeardownAck),
            ("OPEN_LINK_SUCCESS", MessageKind::OpenLinkSuccess),
            ("OPEN_LINK_FAILURE", MessageKind::OpenLinkFailure),
            (
                "REQUEST_DISPLAY_MODE_SUCCESS",
                MessageKind::RequestDisplayModeSuccess,
            ),
            (
                "REQUEST_DISPLAY_MODE_FAILURE",
                MessageKind::RequestDisplayModeFailure,
            ),
        ] {
            assert_eq!(
                MessageKind::split_type(&format!("{ty}_{ID}")).unwrap(),
                (kind, item())
            );
        }
    }
}
