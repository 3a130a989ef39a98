//! The replay page (`/replay`): acts as the host from a recorded trace (`trace.rs`), without a
//! server. The bridge frames the trace's app, answers GET_CONTEXT with the recorded context,
//! refuses every token with [`NO_SERVER`], and sends the trace's host → app v2 messages again in
//! order at their recorded offsets from the first context answer. Its own log is shown beside
//! the recorded one, so the two can be compared.

use crate::{
    log::{BridgeLog, LogPanel, row},
    trace::{Trace, Way},
};
use appframe_host::{AppEvent, Bridge, BridgeOptions, Direction, Outcome};
use appframe_protocol::{FailurePayload, Message};
use leptos::{prelude::*, task::spawn_local};
use std::{cell::RefCell, rc::Rc};
use wasm_bindgen::{JsCast, closure::Closure};

/// The code of every token refusal in a replay.
pub const NO_SERVER: &str = "REPLAY_NO_SERVER";
/// How long a replayed PING waits for its PONG.
const PING_MS: i32 = 5000;

/// Where a replay stands.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    /// No replay yet.
    Idle,
    /// The app is loading; the schedule starts at its first context answer.
    Waiting,
    /// `sent` of `total` messages sent again.
    Replaying { sent: usize, total: usize },
}

#[component]
pub fn ReplayPage() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(None::<Trace>);
    let stage = RwSignal::new(Stage::Idle);
    let events = RwSignal::new(Vec::<String>::new());
    let frame = NodeRef::<leptos::html::Iframe>::new();
    let bridge = StoredValue::new_local(None::<Bridge>);
    // The pending timeouts of the current replay, cleared when another one starts.
    let timers = StoredValue::new_local(Vec::<i32>::new());
    let log = BridgeLog::new();

    let stop = move || {
        bridge.set_value(None);
        let window = web_sys::window();
        timers.update_value(|ids| {
            for id in ids.drain(..) {
                if let Some(w) = &window {
                    w.clear_timeout_with_handle(id);
                }
            }
        });
    };
    on_cleanup(stop);

    let start = move |_| {
        stop();
        error.set(None);
        events.set(Vec::new());
        let trace = match Trace::parse(&text.get_untracked()) {
            Ok(t) => t,
            Err(e) => {
                error.set(Some(e.to_string()));
                loaded.set(None);
                stage.set(Stage::Idle);
                return;
            }
        };
        let Some(iframe) = frame.get_untracked() else {
            return;
        };
        let schedule = trace.replayed();
        let item = trace.app.item_id;
        let pending = Rc::new(RefCell::new(Some(schedule)));
        let opts = BridgeOptions::new(
            item,
            trace.app.url.clone(),
            trace.app.origins.clone(),
            trace.context.clone(),
        )
        .token_provider(|_| async {
            Err(FailurePayload {
                code: NO_SERVER.into(),
                message: "a replay has no server: no token is given".into(),
            })
        })
        .on_event(move |e| {
            let line = match e {
                AppEvent::Ready => "ready".to_owned(),
                AppEvent::Failed(f) => format!("failed: {} {}", f.code, f.message),
                AppEvent::CloseRequested => "close-requested".to_owned(),
                AppEvent::DisplayMode(m) => format!("display-mode: {}", m.as_str()),
            };
            events.try_update(|v| v.push(line));
        })
        .on_log(move |e| {
            log.push(item, e);
            let answered = e.direction == Direction::Out
                && e.message_type == "GET_CONTEXT_SUCCESS"
                && e.outcome == Outcome::Sent;
            let schedule = if answered {
                pending.borrow_mut().take()
            } else {
                None
            };
            if let Some(schedule) = schedule {
                stage.try_set(Stage::Replaying {
                    sent: 0,
                    total: schedule.len(),
                });
                for (at, message) in schedule {
                    if let Some(id) = later(at, move || send_again(bridge, stage, message)) {
                        timers.update_value(|ids| ids.push(id));
                    }
                }
            }
        });
        match Bridge::attach(iframe, opts) {
            Ok(b) => {
                bridge.set_value(Some(b));
                stage.set(Stage::Waiting);
            }
            Err(e) => {
                error.set(Some(e.to_string()));
                stage.set(Stage::Idle);
            }
        }
        loaded.set(Some(trace));
    };

    let read_file = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(t) => text.set(t.as_string().unwrap_or_default()),
                Err(e) => error.set(Some(format!("Cannot read the file: {e:?}"))),
            }
        });
    };

    let stage_text = move || match stage.get() {
        Stage::Idle => "idle".to_owned(),
        Stage::Waiting => "waiting for the app".to_owned(),
        Stage::Replaying { sent, total } if sent == total => {
            format!("replayed {total} host message(s)")
        }
        Stage::Replaying { sent, total } => format!("replaying: {sent} of {total} sent"),
    };
    view! {
        <h1>"Replay a trace"</h1>
        <p class="meta">
            "Acts as the host from a trace exported on an item page: the recorded context, no "
            "server (tokens are refused with " <code>{NO_SERVER}</code> "), and the host's "
            "CONTEXT_CHANGED, TEARDOWN and PING sent again at their recorded times."
        </p>
        <div class="replay-input">
            <input id="trace-file" type="file" accept="application/json,.json" on:change=read_file />
            <textarea
                id="trace-text"
                rows="4"
                placeholder="…or paste a trace here"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            <button id="replay-start" on:click=start>
                "Replay"
            </button>
        </div>
        {move || error.get().map(|e| view! { <p id="replay-error" class="error">{e}</p> })}
        <p class="meta">
            "Replay: " <strong id="replay-status">{stage_text}</strong> " · app events: "
            <span id="replay-events">{move || events.get().join(", ")}</span>
        </p>
        <iframe id="app-frame" title="Replayed app" node_ref=frame></iframe>
        <div class="replay-logs">
            <section class="log">
                <h2>"Recorded"</h2>
                <ul id="trace-log">
                    {move || {
                        loaded
                            .get()
                            .map(|t| {
                                t.entries
                                    .into_iter()
                                    .map(|e| {
                                        let dir = if e.direction == Way::In { "in" } else { "out" };
                                        row(dir, &e.channel, &e.message_type, &e.outcome, e.reason, &e.data)
                                    })
                                    .collect_view()
                            })
                    }}
                </ul>
            </section>
            <LogPanel log=log title="Replay" />
        </div>
    }
}

/// Sends one recorded host → app message again through the replay's bridge.
fn send_again(
    bridge: StoredValue<Option<Bridge>, LocalStorage>,
    stage: RwSignal<Stage>,
    message: Message,
) {
    match message {
        Message::ContextChanged { change, .. } => {
            bridge.try_with_value(|b| b.as_ref().map(|b| b.change_context(&change)));
        }
        Message::Ping { .. } => {
            if let Some(ping) = bridge
                .try_with_value(|b| b.as_ref().map(|b| b.ping(PING_MS)))
                .flatten()
            {
                // The PONG (or its absence) shows in the replay's log.
                spawn_local(async move {
                    ping.await;
                });
            }
        }
        Message::Teardown { payload, .. } => {
            let mut taken = None;
            bridge.try_update_value(|b| taken = b.take());
            if let Some(b) = taken {
                spawn_local(async move {
                    b.teardown(&payload.reason).await;
                });
            }
        }
        // `Trace::replayed` yields nothing else.
        _ => return,
    }
    stage.try_update(|s| {
        if let Stage::Replaying { sent, .. } = s {
            *sent += 1;
        }
    });
}

/// Runs `f` once after `ms`; the timeout's handle, to clear it.
fn later(ms: u64, f: impl FnOnce() + 'static) -> Option<i32> {
    let f = Closure::once_into_js(f);
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    web_sys::window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), ms)
        .ok()
}
