//! The host's protocol-v2 messages handed to the app's [`Lifecycle`]: `CONTEXT_CHANGED` into the
//! context and the listeners, `TEARDOWN` through the app's handlers to `TEARDOWN_ACK` (within
//! [`TEARDOWN_BOUND`]), `PING` answered, and the answers to the app's requests settled.

use super::Lifecycle;
use crate::embedded::{
    backend::Embedded,
    channel::plain_answer,
    signal::{Slot, take_or},
};
use appframe_protocol::ContextChange;
use serde_json::Value;
use std::{
    rc::{Rc, Weak},
    time::Duration,
};

/// How long the app's teardown handlers may run before the SDK acknowledges anyway: inside
/// the host's 500 ms, with room for the acknowledgement to arrive.
pub(crate) const TEARDOWN_BOUND: Duration = Duration::from_millis(450);

/// Puts `lc`'s listener on `e`'s channels (the current one and those of later handshakes).
pub(crate) fn install(e: &Embedded, lc: &Rc<Lifecycle>) {
    let weak = Rc::downgrade(lc);
    *e.hook.borrow_mut() = Some(Rc::new(move |kind: &str, payload: Option<Value>| {
        on_message(&weak, kind, payload);
    }));
}

fn on_message(weak: &Weak<Lifecycle>, kind: &str, payload: Option<Value>) {
    let Some(lc) = weak.upgrade() else { return };
    let Some(host) = &lc.host else { return };
    match kind {
        "CONTEXT_CHANGED" => {
            let change = payload.map(serde_json::from_value::<ContextChange>);
            match change {
                Some(Ok(change)) => {
                    host.update_context(&change);
                    lc.changed(&change);
                }
                _ => warn("appframe: ignored a CONTEXT_CHANGED without a valid payload"),
            }
        }
        "TEARDOWN" => {
            let reason = payload
                .as_ref()
                .and_then(|p| p.get("reason"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let lc = lc.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let done = Slot::new();
                let d = done.clone();
                let handlers = lc.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    handlers.tear_down(reason).await;
                    d.set(());
                });
                take_or(&done, TEARDOWN_BOUND, ()).await;
                if let Some(host) = &lc.host {
                    // The host removes the frame at its own bound whether or not this arrives.
                    let _ = host.post("TEARDOWN_ACK", None);
                }
            });
        }
        _ => {
            if !host.answer(kind, payload)
                && let Some(answer) = plain_answer(kind)
            {
                let _ = host.post(answer, None);
            }
        }
    }
}

fn warn(text: &str) {
    web_sys::console::warn_1(&text.into());
}
