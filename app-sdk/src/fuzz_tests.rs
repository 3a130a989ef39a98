//! Property tests ("fuzzing" on stable Rust) of the SDK's own decoders, which replace serde in
//! the wasm (`wire/codec.rs`, `wire/message.rs`): on any input they return a value or an error that says
//! why, never panic, and agree with the protocol crate's serde decoding wherever both accept
//! an input. `cargo xtask fuzz` runs them with many more cases (`APPFRAME_FUZZ_CASES`).

#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "../../protocol/tests/strategies/mod.rs"]
mod strategies;

use crate::wire::message::{self as wire, Reply};
use crate::wire::{
    codec::{FromJson, ToJson},
    text::{parse_time, parse_uuid},
};
use appframe_protocol::{
    AppAction, AppContext, AppData, AppSetting, ErrorBody, ItemId, LocalContext, Message, timestamp,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use strategies::*;

/// What the SDK reads from a host message, as the protocol decodes the same text.
fn protocol_reply(text: &str, item: ItemId) -> Option<Reply> {
    match Message::decode(text).ok()? {
        m if m.item_id() != item => None,
        Message::GetContextSuccess { context, .. } => Some(Reply::Context(context)),
        Message::GetContextFailure { error, .. } => Some(Reply::ContextRefused(error)),
        Message::GetAuthTokenSuccess { payload, .. } => Some(Reply::Token(payload.token)),
        Message::GetAuthTokenFailure { error, .. } => Some(Reply::TokenRefused(error)),
        // Every other kind (protocol v2's among them) is passed on with its payload.
        m => {
            let v: Value = serde_json::from_str(text).ok()?;
            let payload = v.get("payload").filter(|p| !p.is_null()).cloned();
            Some(Reply::Other(m.kind().prefix().to_owned(), payload))
        }
    }
}

/// Reads `v` with the SDK's reader: an error has a message; a value writes back to what reads
/// as the same value, and equals serde's reading when serde accepts `v` too.
fn agrees<T>(v: &Value) -> Result<(), TestCaseError>
where
    T: FromJson + ToJson + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match T::from_json(v) {
        Ok(ours) => {
            let again = T::from_json(&ours.to_json());
            prop_assert_eq!(again.as_ref(), Ok(&ours));
            if let Ok(theirs) = serde_json::from_value::<T>(v.clone()) {
                prop_assert_eq!(ours, theirs);
            }
        }
        Err(e) => prop_assert!(!e.trim().is_empty()),
    }
    Ok(())
}

/// [`agrees`] for types the SDK only reads.
fn reads<T>(v: &Value) -> Result<(), TestCaseError>
where
    T: FromJson + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match T::from_json(v) {
        Ok(ours) => {
            if let Ok(theirs) = serde_json::from_value::<T>(v.clone()) {
                prop_assert_eq!(ours, theirs);
            }
        }
        Err(e) => prop_assert!(!e.trim().is_empty()),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// Host replies: whatever the window or port delivers, the SDK reads the reply the
    /// protocol's decoder reads, or ignores the text; valid replies are never ignored.
    #[test]
    fn fuzz_sdk_reads_host_replies(text in message_text(), m in message(), other in item_id()) {
        for item in [other, Message::decode(&text).map_or(other, |m| m.item_id())] {
            if let (Some(ours), Some(theirs)) = (wire::read(&text, item), protocol_reply(&text, item)) {
                prop_assert_eq!(ours, theirs);
            }
        }
        let wire = m.encode();
        prop_assert_eq!(wire::read(&wire, m.item_id()), protocol_reply(&wire, m.item_id()));
    }

    /// Contexts, rows and error bodies as the SDK reads them from hosts and the API.
    #[test]
    fn fuzz_sdk_reads_api_shapes(
        id in uuid(),
        stamp in timestamp_text(),
        which in 0usize..6,
        mutate in any::<bool>(),
        noise in json_value(),
        ctx in item_id().prop_flat_map(local_context),
    ) {
        let (id, member) = (id.to_string(), json!({"id": id.to_string(), "name": "Ann"}));
        let valid = match which {
            0 => json!({"id": id, "item": {"id": id}, "account": member, "member": member,
                        "creator": member, "type": "note", "visibility": "item",
                        "data": {"n": 1}, "createdAt": stamp, "updatedAt": stamp}),
            1 => json!({"id": id, "account": member, "member": member, "type": "vote",
                        "data": {}, "createdAt": stamp}),
            2 => json!({"id": id, "name": "config", "data": {"a": true}, "creator": member,
                        "createdAt": stamp, "updatedAt": stamp}),
            3 => serde_json::to_value(&ctx).unwrap(),
            4 => json!({"name": "GAERR004", "code": "X", "message": "m", "statusCode": 404}),
            _ => json!({"item": {"id": id, "name": "n", "description": null, "path": "p",
                        "lang": "en", "settings": {}, "type": "app",
                        "extra": {"app": {"url": "http://a"}},
                        "createdAt": stamp, "updatedAt": stamp},
                        "members": [member]}),
        };
        let mut inputs = vec![valid.clone()];
        if mutate {
            inputs.push(noise);
        }
        for v in &inputs {
            match which {
                0 => agrees::<AppData>(v)?,
                1 => agrees::<AppAction>(v)?,
                2 => agrees::<AppSetting>(v)?,
                3 => reads::<LocalContext>(v)?,
                4 => reads::<ErrorBody>(v)?,
                _ => reads::<AppContext>(v)?,
            }
        }
    }

    /// The same, on objects with fields dropped, retyped or added.
    #[test]
    fn fuzz_sdk_reads_mutated_rows(
        row in mutate_object(json!({"id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
            "item": {"id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427"},
            "account": {"id": "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b", "name": "Ann"},
            "member": {"id": "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b", "name": "Ann"},
            "creator": null, "type": "note", "visibility": "item", "data": {"n": 1},
            "createdAt": "2025-04-17 11:07:30.123+00", "updatedAt": "2025-04-17T11:07:31Z",
            "name": "config"})),
        ctx in mutate_object(json!({"apiHost": "http://h/api",
            "itemId": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "memberId": null,
            "permission": "admin", "context": "builder", "lang": "fr", "settings": {},
            "appframe": {"version": 1, "features": ["ws"]}})),
    ) {
        agrees::<AppData>(&row)?;
        agrees::<AppAction>(&row)?;
        agrees::<AppSetting>(&row)?;
        reads::<LocalContext>(&ctx)?;
    }

    /// The SDK's timestamp parser reads the instant the protocol's reads, or refuses.
    #[test]
    fn fuzz_sdk_timestamps(s in prop_oneof![timestamp_text(), text()]) {
        if let Some(ours) = parse_time(&s) {
            let theirs = timestamp::parse(&s);
            prop_assert_eq!(Some(ours), theirs, "{:?}", s);
        }
    }

    /// The SDK's UUID parser reads the id `uuid` reads, or refuses.
    #[test]
    fn fuzz_sdk_uuids(s in prop_oneof![uuid_text(), text()]) {
        if let Some(ours) = parse_uuid(&s) {
            prop_assert_eq!(uuid::Uuid::parse_str(&s), Ok(ours));
        }
    }

    /// The standalone database comes back from `localStorage`, which anyone may edit.
    #[test]
    fn fuzz_sdk_reads_a_stored_database(v in prop_oneof![
        json_value(),
        mutate_object(json!({"version": 1, "members": [], "appData": [], "appActions": [],
                             "appSettings": [], "acting": {"account":
                             "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b", "permission": "admin"}})),
    ]) {
        if let Err(e) = crate::standalone::db::MockDb::from_json(&v) {
            prop_assert!(!e.trim().is_empty());
        }
    }
}
