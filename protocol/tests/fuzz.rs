//! Property tests ("fuzzing" on stable Rust) of every decoder of the wire format: the postMessage
//! codec, the REST bodies and their validation, the rows apps read (with their lenient
//! timestamps) and the websocket messages. Nothing panics, every refusal says why, and what is
//! accepted survives an encode/decode round trip.
//!
//! The CI runs few cases per property; `cargo xtask fuzz` runs many (`APPFRAME_FUZZ_CASES`).

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

mod strategies;

use appframe_protocol::{
    AppAction, AppData, AppSetting, CreateAppAction, CreateAppData, CreateAppSetting, LoginRequest,
    Message, MessageKind, PatchData, ProtocolError, TokenRequest, timestamp,
    ws::{ClientMessage, ServerMessage},
};
use proptest::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use strategies::*;

/// Decoded bodies encode to what decodes back to them; refusals have a message.
fn body_round_trip<T>(v: &Value) -> Result<Option<T>, TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match serde_json::from_value::<T>(v.clone()) {
        Ok(b) => {
            let again: T = serde_json::from_value(serde_json::to_value(&b).unwrap()).unwrap();
            prop_assert_eq!(&again, &b);
            Ok(Some(b))
        }
        Err(e) => {
            prop_assert!(!e.to_string().trim().is_empty());
            Ok(None)
        }
    }
}

/// A validation error names the field it is about.
fn explained(r: Result<(), ProtocolError>, field: &str) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        prop_assert!(
            matches!(&e, ProtocolError::Invalid { field: f, .. } if *f == field),
            "{e:?}"
        );
        prop_assert!(e.to_string().starts_with(field), "{e}");
    }
    Ok(())
}

fn valid_rows(item: &str, account: &str, stamp: &str) -> [Value; 3] {
    let member = json!({"id": account, "name": "Ann"});
    [
        json!({"id": item, "item": {"id": item}, "account": member, "member": member,
               "creator": member, "type": "note", "visibility": "item", "data": {"n": 1},
               "createdAt": stamp, "updatedAt": stamp}),
        json!({"id": item, "account": member, "member": member, "type": "vote", "data": {},
               "createdAt": stamp}),
        json!({"id": item, "name": "config", "data": {"a": true}, "creator": null,
               "createdAt": stamp, "updatedAt": stamp}),
    ]
}

/// Found by `fuzz_sdk_reads_host_replies`: a FAILURE payload whose `code` was not a string lost
/// its readable `message` in `Message::decode` (the SDK kept it).
#[test]
fn a_failure_keeps_its_message_when_the_code_has_another_type() {
    let ty = "GET_AUTH_TOKEN_FAILURE_5f0b7a3e-3d0c-4f77-9a58-2b3a7c1d9e10";
    for code in ["null", "7", "{}"] {
        let text = format!(r#"{{"type":"{ty}","payload":{{"code":{code},"message":"refused"}}}}"#);
        match Message::decode(&text).unwrap() {
            Message::GetAuthTokenFailure { error, .. } => {
                assert_eq!(
                    (error.code.as_str(), error.message.as_str()),
                    ("", "refused")
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

/// Found by `fuzz_message_round_trip`: without serde_json's `float_roundtrip`, a number in the
/// context's settings came back one ULP off.
#[test]
fn numbers_in_a_context_survive_the_round_trip_exactly() {
    let ty = "GET_CONTEXT_SUCCESS_5f0b7a3e-3d0c-4f77-9a58-2b3a7c1d9e10";
    let text = format!(
        r#"{{"type":"{ty}","payload":{{"apiHost":"h","itemId":"5f0b7a3e-3d0c-4f77-9a58-2b3a7c1d9e10","settings":{{"x":-3.2114922852785047e196,"y":-7.838945026733992e102}}}}}}"#
    );
    let m = Message::decode(&text).unwrap();
    let Message::GetContextSuccess { context, .. } = &m else {
        panic!("{m:?}")
    };
    assert_eq!(
        context.settings["x"].as_f64(),
        Some(-3.2114922852785047e196)
    );
    assert_eq!(context.settings["y"].as_f64(), Some(-7.838945026733992e102));
    assert_eq!(Message::decode(&m.encode()).unwrap(), m);
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text a window or port may deliver decodes to a message or to an error that says
    /// why; what decodes encodes to the same message.
    #[test]
    fn fuzz_message_decode(s in message_text()) {
        match Message::decode(&s) {
            Ok(m) => prop_assert_eq!(Message::decode(&m.encode()), Ok(m)),
            Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
        }
    }

    /// Every valid message survives encode → decode.
    #[test]
    fn fuzz_message_round_trip(m in message()) {
        prop_assert_eq!(Message::decode(&m.encode()), Ok(m));
    }

    /// The `<KIND>_<itemId>` split: a kind and an id, or an error naming the type.
    #[test]
    fn fuzz_message_type_split(ty in prop_oneof![message_type(), text()]) {
        match MessageKind::split_type(&ty) {
            Ok((kind, id)) => prop_assert_eq!(MessageKind::split_type(&kind.type_for(&id)), Ok((kind, id))),
            Err(e) => prop_assert_eq!(e, ProtocolError::UnknownType(ty)),
        }
    }

    /// Request bodies (near-valid or arbitrary): accepted ones round-trip and pass or fail
    /// their validation with the field named; refused ones have serde's message.
    #[test]
    fn fuzz_body_requests(
        data in mutate_object(json!({"type": "note", "data": {"text": "hi"}, "visibility": "item",
                                     "accountId": "dca3c530-eff8-4c46-8172-bd614654a02d"})),
        action in mutate_object(json!({"type": "vote", "data": {"n": 1}})),
        setting in mutate_object(json!({"name": "config", "data": {"a": [1, 2]}})),
        patch in mutate_object(json!({"data": {"text": "new"}})),
        token in mutate_object(json!({"key": "1d85bd0c-7c60-49cd-9775-9898fcb16668",
                                      "origin": "http://127.0.0.1:8081"})),
        login in mutate_object(json!({"memberId": "dca3c530-eff8-4c46-8172-bd614654a02d"})),
        any in json_value(),
    ) {
        for v in [&data, &any] {
            if let Some(b) = body_round_trip::<CreateAppData>(v)? {
                explained(b.validate(), "type")?;
            }
        }
        for v in [&action, &any] {
            if let Some(b) = body_round_trip::<CreateAppAction>(v)? {
                explained(b.validate(), "type")?;
            }
        }
        for v in [&setting, &any] {
            if let Some(b) = body_round_trip::<CreateAppSetting>(v)? {
                explained(b.validate(), "name")?;
            }
        }
        for v in [&patch, &any] {
            body_round_trip::<PatchData>(v)?;
        }
        for v in [&token, &any] {
            body_round_trip::<TokenRequest>(v)?;
        }
        for v in [&login, &any] {
            body_round_trip::<LoginRequest>(v)?;
        }
    }

    /// Rows as apps read them, with timestamps in every form and nearly so: decoded or refused
    /// with a message, never a panic.
    #[test]
    fn fuzz_body_rows(
        id in uuid(),
        account in uuid(),
        stamp in timestamp_text(),
        which in 0usize..3,
        mutate in any::<bool>(),
        noise in json_value(),
    ) {
        let row = valid_rows(&id.to_string(), &account.to_string(), &stamp)[which].clone();
        let inputs = if mutate { vec![row.clone(), noise] } else { vec![row] };
        for v in &inputs {
            match which {
                0 => { body_round_trip::<AppData>(v)?; }
                1 => { body_round_trip::<AppAction>(v)?; }
                _ => { body_round_trip::<AppSetting>(v)?; }
            }
        }
    }

    /// Lenient timestamps: never a panic; what parses prints as RFC 3339 that parses to the
    /// same instant.
    #[test]
    fn fuzz_body_timestamps(s in prop_oneof![timestamp_text(), text()]) {
        if let Some(t) = timestamp::parse(&s) {
            prop_assert_eq!(timestamp::parse(&timestamp::format(&t)), Some(t));
        }
    }

    /// Websocket client messages (what the server parses) and server messages (what clients
    /// parse): decoded and round-tripped, or refused with a message.
    #[test]
    fn fuzz_ws_messages(
        text in prop_oneof![
            text(),
            json_value().prop_map(|v| v.to_string()),
            mutate_object(json!({"action": "subscribe", "realm": "notif", "topic": "app-data",
                                 "channel": "860336f0-9317-4193-91ad-5d58f6a975d8"}))
                .prop_map(|v| v.to_string()),
            mutate_object(json!({"type": "response", "realm": "notif", "status": "error",
                                 "error": {"name": "BAD_REQUEST", "message": "m"}}))
                .prop_map(|v| v.to_string()),
            mutate_object(json!({"type": "info", "realm": "notif", "message": "closing",
                                 "extra": {"reason": "idle"}}))
                .prop_map(|v| v.to_string()),
        ],
    ) {
        match serde_json::from_str::<ClientMessage>(&text) {
            Ok(m) => prop_assert_eq!(
                serde_json::from_str::<ClientMessage>(&serde_json::to_string(&m).unwrap()).unwrap(),
                m
            ),
            Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
        }
        match serde_json::from_str::<ServerMessage>(&text) {
            Ok(m) => prop_assert_eq!(
                serde_json::from_str::<ServerMessage>(&serde_json::to_string(&m).unwrap()).unwrap(),
                m
            ),
            Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
        }
    }
}
