//! The bridge log panel: every message between the host and the app, with what the bridge did,
//! and its export as a trace (`trace.rs`).

use crate::trace::{Entry, Trace, TraceApp, Way};
use appframe_host::{Direction, LogEntry};
use appframe_protocol::{ItemId, LocalContext, Message};
use leptos::{callback::Callback, prelude::*};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

/// Log lines kept in the panel; older ones scroll out.
const MAX_LOG_LINES: usize = 300;

/// The lines of one log panel and the next line number.
#[derive(Clone, Copy)]
pub struct BridgeLog(RwSignal<Vec<LogLine>>, StoredValue<u64>);

/// One line of the log panel.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    seq: u64,
    /// When it was logged (`Date.now()`, ms).
    at: f64,
    /// The item of the bridge that logged it (the page may have shown several).
    item: ItemId,
    direction: &'static str,
    channel: String,
    message_type: String,
    outcome: &'static str,
    reason: Option<String>,
    data: String,
}

impl BridgeLog {
    /// An empty log.
    pub fn new() -> BridgeLog {
        BridgeLog(RwSignal::new(Vec::new()), StoredValue::new(0))
    }

    /// Adds what the bridge of `item` logged.
    pub fn push(&self, item: ItemId, e: &LogEntry) {
        let seq = self.1.get_value() + 1;
        self.1.set_value(seq);
        let line = LogLine {
            seq,
            at: js_sys::Date::now(),
            item,
            direction: match e.direction {
                Direction::In => "in",
                Direction::Out => "out",
            },
            channel: e.channel.to_string(),
            message_type: e.message_type.clone(),
            outcome: e.outcome.as_str(),
            reason: e.outcome.reason().map(str::to_owned),
            data: e.data.clone(),
        };
        self.0.update(|lines| {
            lines.push(line);
            if lines.len() > MAX_LOG_LINES {
                let extra = lines.len() - MAX_LOG_LINES;
                lines.drain(..extra);
            }
        });
    }

    /// The lines of `item`'s bridges as trace entries, timed from the first of them.
    pub fn entries(&self, item: ItemId) -> Vec<Entry> {
        let lines = self.0.get_untracked();
        let lines: Vec<&LogLine> = lines.iter().filter(|l| l.item == item).collect();
        let start = lines.first().map_or(0.0, |l| l.at);
        lines
            .into_iter()
            .map(|l| Entry {
                t_ms: (l.at - start).max(0.0).round() as u64,
                direction: if l.direction == "in" {
                    Way::In
                } else {
                    Way::Out
                },
                channel: l.channel.clone(),
                message_type: l.message_type.clone(),
                outcome: l.outcome.to_owned(),
                reason: l.reason.clone(),
                data: l.data.clone(),
            })
            .collect()
    }

    /// The context of the last GET_CONTEXT answer sent to `item`'s app, as it travelled.
    pub fn last_context(&self, item: ItemId) -> Option<LocalContext> {
        self.0.with_untracked(|lines| {
            lines
                .iter()
                .rev()
                .filter(|l| l.item == item && l.message_type == "GET_CONTEXT_SUCCESS")
                .find_map(|l| match Message::decode(&l.data) {
                    Ok(Message::GetContextSuccess { context, .. }) => Some(*context),
                    _ => None,
                })
        })
    }

    /// A trace of `app` made of this log (tokens redacted by [`Trace::new`]); `fallback` is the
    /// context when no answer is in the log (cleared, or cut by the bridge's size limit).
    pub fn trace(&self, app: TraceApp, fallback: LocalContext) -> Trace {
        let context = self.last_context(app.item_id).unwrap_or(fallback);
        let entries = self.entries(app.item_id);
        Trace::new(app, context, entries)
    }
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, text: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // Revoked a while later, not at once: a download still starting may need the URL.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000)?;
    }
    Ok(())
}

/// The log panel of `log`; with `export`, an "Export trace" button that calls it.
#[component]
pub fn LogPanel(
    log: BridgeLog,
    #[prop(optional, into)] export: Option<Callback<()>>,
    #[prop(optional)] title: Option<&'static str>,
) -> impl IntoView {
    let BridgeLog(lines, _) = log;
    view! {
        <section class="log">
            <h2>
                {title.unwrap_or("Bridge log")}
                " "
                <button id="clear-log" on:click=move |_| lines.set(Vec::new())>
                    "Clear"
                </button>
                {export
                    .map(|f| {
                        view! {
                            <button id="export-trace" on:click=move |_| f.run(())>
                                "Export trace"
                            </button>
                        }
                    })}
            </h2>
            <ul id="bridge-log">
                <For each=move || lines.get() key=|l| l.seq let:l>
                    <LogRow line=l />
                </For>
            </ul>
        </section>
    }
}

/// One line of a log list (the panel's, and the recorded trace's on the replay page).
#[component]
pub fn LogRow(line: LogLine) -> impl IntoView {
    row(
        line.direction,
        &line.channel,
        &line.message_type,
        line.outcome,
        line.reason.clone(),
        &line.data,
    )
}

/// A log line's markup: the e2e tests read `class`, `data-type` and `.reason`. The message shows
/// as the line's tooltip with its tokens redacted, as in an exported trace: a page on a shared
/// screen must not show an app token.
pub fn row(
    direction: &str,
    channel: &str,
    message_type: &str,
    outcome: &str,
    reason: Option<String>,
    data: &str,
) -> impl IntoView + use<> {
    view! {
        <li class=format!("{direction} {outcome}") data-type=message_type.to_owned() title=crate::trace::redact(data)>
            <span class="dir">{if direction == "in" { "→ host" } else { "← app" }}</span>
            <span class="chan">{channel.to_owned()}</span>
            <code class="type">{message_type.to_owned()}</code>
            <span class="outcome">{outcome.to_owned()}</span>
            {reason.map(|r| view! { <span class="reason">{r}</span> })}
        </li>
    }
}
