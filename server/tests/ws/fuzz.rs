//! Property test ("fuzzing" on stable Rust) of what `/api/ws` does with client messages, over
//! one real socket: arbitrary text and binary frames and near-valid requests each get one
//! Graasp-style response (`BAD_REQUEST`, `NOT_FOUND`, `ACCESS_DENIED` or a success), never
//! `SERVER_ERROR`, a panic or a closed connection. `cargo xtask fuzz` runs many more cases
//! (`APPFRAME_FUZZ_CASES`).

use super::{Seen, WAIT, Ws, connect, cookie_auth, session_cookie};
use crate::api_tests;
use crate::common::*;
use crate::strategies::*;
use appframe_protocol::ws::ClientMessage;
use futures::SinkExt;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestRunner;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// A client frame: text (arbitrary, any JSON, or a request with its fields mutated) or binary.
fn frame() -> impl Strategy<Value = Message> {
    let request = (
        select(
            &[
                "subscribe",
                "unsubscribe",
                "subscribeOnly",
                "disconnect",
                "Subscribe",
            ][..],
        ),
        select(&["app-data", "app-actions", "app-settings", "items", ""][..]),
        select(&[COUNTER_ITEM, NOTES_ITEM, FOREIGN_ITEM, UNREGISTERED_KEY][..]),
    )
        .prop_flat_map(|(action, topic, channel)| {
            mutate_object(
                json!({"realm": "notif", "action": action, "topic": topic, "channel": channel}),
            )
        });
    prop_oneof![
        1 => text().prop_map(|t| Message::Text(t.into())),
        1 => json_value().prop_map(|v| Message::Text(v.to_string().into())),
        4 => request.prop_map(|v| Message::Text(v.to_string().into())),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Message::Binary(b.into())),
    ]
}

/// A valid `disconnect` ends the connection by design; every other frame must be answered.
fn is_disconnect(m: &Message) -> bool {
    let Message::Text(t) = m else { return false };
    matches!(
        serde_json::from_str::<ClientMessage>(t.as_str()),
        Ok(ClientMessage::Disconnect { realm }) if realm == "notif"
    )
}

/// Sends `frame` and checks the one response; `Err` says what went wrong.
async fn answered(ws: &mut Ws, frame: Message) -> Result<(), String> {
    ws.s.send(frame).await.map_err(|e| format!("send: {e}"))?;
    let v = match ws.next_within(WAIT).await {
        Some(Seen::Json(v)) => v,
        other => return Err(format!("no response: {other:?}")),
    };
    if v["type"] != "response" || v["realm"] != "notif" {
        return Err(format!("not a response: {v}"));
    }
    match v["status"].as_str() {
        Some("success") => Ok(()),
        Some("error") => {
            let name = v["error"]["name"].as_str().unwrap_or_default();
            let message = v["error"]["message"].as_str().unwrap_or_default();
            if !["BAD_REQUEST", "NOT_FOUND", "ACCESS_DENIED"].contains(&name) || message.is_empty()
            {
                return Err(format!("unexpected error: {v}"));
            }
            Ok(())
        }
        _ => Err(format!("no status: {v}")),
    }
}

api_tests! {
    /// Many frames on one connection (a host session): each answered, none closes it.
    async fn fuzz_ws_client_messages(t) {
        let cookie = session_cookie(t, ALICE).await;
        let ws = connect(t, &cookie_auth(cookie)).await;
        let rt = tokio::runtime::Handle::current();
        let (outcome, mut ws) = tokio::task::spawn_blocking(move || {
            let mut runner = TestRunner::new(config(128));
            // The runner takes an `Fn`; the cases run one after another on this thread.
            let ws = std::cell::RefCell::new(ws);
            let outcome = runner.run(&frame(), |frame| {
                prop_assume!(!is_disconnect(&frame));
                let shown = format!("{frame:?}");
                rt.block_on(answered(&mut ws.borrow_mut(), frame))
                    .map_err(|e| TestCaseError::fail(format!("{shown}: {e}")))
            });
            (outcome.map_err(|e| e.to_string()), ws.into_inner())
        })
        .await
        .unwrap();
        if let Err(e) = outcome {
            panic!("{}: {e}", t.backend);
        }
        // Still open and serving.
        let r = ws.request("subscribe", "app-data", COUNTER_ITEM).await;
        assert_eq!(r["status"], "success", "{r}");
    }
}
