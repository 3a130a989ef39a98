//! The bridge trace: what the demo host's "Export trace" writes and the replay page reads
//! (`docs/protocol-v2.md`, "Dev host: trace and replay"). A trace goes into bug reports, so
//! every token is redacted when a trace is made, whatever the caller passes in.

use appframe_protocol::{ItemId, LocalContext, Message};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The `format` of every trace.
pub const FORMAT: &str = "appframe-trace";
/// The version this page writes and the only one it reads.
pub const VERSION: u32 = 1;
/// What a redacted token reads as.
pub const REDACTED: &str = "[redacted]";

/// A recorded session of one app with its host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`] for a trace this page made.
    pub version: u32,
    /// The app as the host framed it.
    pub app: TraceApp,
    /// The context the host gave the app (its last GET_CONTEXT answer).
    pub context: LocalContext,
    /// The bridge log, oldest first.
    pub entries: Vec<Entry>,
}

/// The app of a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceApp {
    /// The app's URL (without the `itemId` the bridge appends).
    pub url: String,
    /// The origins registered for the app's publisher.
    pub origins: Vec<String>,
    /// The item.
    pub item_id: ItemId,
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Way {
    /// App → host.
    In,
    /// Host → app.
    Out,
}

/// One line of the bridge log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Milliseconds since the trace's first entry.
    pub t_ms: u64,
    /// In or out.
    pub direction: Way,
    /// `window` or `port:N`.
    pub channel: String,
    /// The message type without the item suffix.
    #[serde(rename = "type")]
    pub message_type: String,
    /// `handled`, `sent`, `ignored` or `failed`.
    pub outcome: String,
    /// Why the message was ignored or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The message text as it travelled (tokens redacted), cut by the bridge at 2,000 characters.
    pub data: String,
}

/// Why a text is not a trace this page can replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceError {
    /// Not JSON at all.
    NotJson(String),
    /// JSON, but not an appframe trace.
    NotATrace,
    /// A version this page does not know.
    Version(u64),
    /// The right format and version with a field missing or mistyped.
    Malformed(String),
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::NotJson(e) => write!(f, "the trace is not JSON: {e}"),
            TraceError::NotATrace => {
                write!(
                    f,
                    "not an appframe trace (it needs \"format\": \"{FORMAT}\")"
                )
            }
            TraceError::Version(v) => write!(
                f,
                "trace version {v} is not supported: this page reads version {VERSION} only"
            ),
            TraceError::Malformed(e) => write!(f, "the trace is malformed: {e}"),
        }
    }
}

impl std::error::Error for TraceError {}

impl Trace {
    /// A trace of `entries`, their tokens redacted.
    pub fn new(app: TraceApp, context: LocalContext, entries: Vec<Entry>) -> Trace {
        let entries = entries
            .into_iter()
            .map(|e| Entry {
                data: redact(&e.data),
                ..e
            })
            .collect();
        Trace {
            format: FORMAT.into(),
            version: VERSION,
            app,
            context,
            entries,
        }
    }

    /// The trace as pretty JSON (people read it in bug reports).
    pub fn to_json(&self) -> String {
        // Plain structs with string keys: serializing cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a trace, checking its format and version before anything else, so an unknown
    /// version is refused as such rather than as a missing field.
    pub fn parse(text: &str) -> Result<Trace, TraceError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| TraceError::NotJson(e.to_string()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(TraceError::NotATrace);
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(TraceError::Version(v)),
            None => return Err(TraceError::Malformed("no numeric \"version\"".into())),
        }
        serde_json::from_value(value).map_err(|e| TraceError::Malformed(e.to_string()))
    }

    /// The host → app messages a replay sends again, in order, with their offsets from the
    /// first context answer (the moment the recorded app had its port): CONTEXT_CHANGED,
    /// TEARDOWN and PING of the trace's item that the host did send.
    pub fn replayed(&self) -> Vec<(u64, Message)> {
        let item = self.app.item_id;
        let start = self
            .entries
            .iter()
            .find(|e| e.direction == Way::Out && e.message_type == "GET_CONTEXT_SUCCESS")
            .map_or(0, |e| e.t_ms);
        self.entries
            .iter()
            .filter(|e| e.direction == Way::Out && e.outcome == "sent" && e.t_ms >= start)
            .filter_map(|e| Message::decode(&e.data).ok().map(|m| (e.t_ms - start, m)))
            .filter(|(_, m)| m.item_id() == item)
            .filter(|(_, m)| {
                matches!(
                    m,
                    Message::ContextChanged { .. }
                        | Message::Teardown { .. }
                        | Message::Ping { .. }
                )
            })
            .collect()
    }
}

/// `data` with the value of every `"token"` key replaced by [`REDACTED`]. Textual, so the rest
/// stays byte for byte what travelled, and so it also covers a message the bridge cut at 2,000
/// characters (no longer JSON): an unterminated token is redacted to the end.
pub fn redact(data: &str) -> String {
    const KEY: &str = "\"token\"";
    let mut out = String::with_capacity(data.len());
    let mut rest = data;
    while let Some(at) = rest.find(KEY) {
        let (head, tail) = rest.split_at(at + KEY.len());
        out.push_str(head);
        let after_colon = tail.trim_start().strip_prefix(':').map(str::trim_start);
        let Some(value) = after_colon.and_then(|t| t.strip_prefix('"')) else {
            // `"token"` as a value, or a key with a non-string value: nothing secret to hide.
            rest = tail;
            continue;
        };
        out.push_str(&tail[..tail.len() - value.len()]);
        out.push_str(REDACTED);
        match string_end(value) {
            Some(end) => rest = &value[end..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The byte index of the closing quote of the JSON string whose contents start `s`.
fn string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use appframe_protocol::{ContextChange, Theme, ThemeMode, TokenPayload};

    fn item() -> ItemId {
        "860336f0-9317-4193-91ad-5d58f6a975d8".parse().unwrap()
    }

    fn entry(t_ms: u64, direction: Way, data: String) -> Entry {
        let message_type = Message::decode(&data)
            .map(|m| m.kind().prefix().to_owned())
            .unwrap_or_default();
        Entry {
            t_ms,
            direction,
            channel: "port:1".into(),
            message_type,
            outcome: if direction == Way::Out {
                "sent"
            } else {
                "handled"
            }
            .into(),
            reason: None,
            data,
        }
    }

    fn app() -> TraceApp {
        TraceApp {
            url: "http://127.0.0.1:8081/counter/".into(),
            origins: vec!["http://127.0.0.1:8081".into()],
            item_id: item(),
        }
    }

    fn change() -> Message {
        Message::ContextChanged {
            item_id: item(),
            change: ContextChange {
                theme: Some(Theme {
                    mode: ThemeMode::Dark,
                    vars: [("--af-bg".to_owned(), "#111".to_owned())].into(),
                }),
                ..ContextChange::default()
            },
        }
    }

    fn token_answer(token: &str) -> String {
        Message::GetAuthTokenSuccess {
            item_id: item(),
            payload: TokenPayload {
                token: token.into(),
            },
        }
        .encode()
    }

    fn sample() -> Trace {
        let context = Message::GetContextSuccess {
            item_id: item(),
            context: Box::new(LocalContext::new("http://127.0.0.1:8080/api", item())),
        };
        Trace::new(
            app(),
            LocalContext::new("http://127.0.0.1:8080/api", item()),
            vec![
                entry(0, Way::Out, context.encode()),
                entry(40, Way::Out, token_answer("eyJhbGciOi.secret.sig")),
                entry(250, Way::Out, change().encode()),
            ],
        )
    }

    #[test]
    fn a_trace_round_trips_through_its_json() {
        let trace = sample();
        let json = trace.to_json();
        assert!(json.contains(r#""format": "appframe-trace""#), "{json}");
        assert!(json.contains(r#""version": 1"#), "{json}");
        assert!(json.contains(r#""itemId": "860336f0"#), "{json}");
        assert_eq!(Trace::parse(&json).unwrap(), trace);
    }

    #[test]
    fn tokens_never_reach_the_trace() {
        let json = sample().to_json();
        assert!(!json.contains("secret"), "{json}");
        let trace = Trace::parse(&json).unwrap();
        let Message::GetAuthTokenSuccess { payload, .. } =
            Message::decode(&trace.entries[1].data).unwrap()
        else {
            panic!("{:?}", trace.entries[1])
        };
        assert_eq!(payload.token, REDACTED);
    }

    #[test]
    fn redaction_keeps_the_rest_and_covers_escapes_spaces_and_cut_messages() {
        assert_eq!(
            redact(r#"{"type":"T","payload":{"token" : "a\"b","n":1}}"#),
            r#"{"type":"T","payload":{"token" : "[redacted]","n":1}}"#
        );
        // Cut by the bridge's 2,000-character limit: no closing quote.
        assert_eq!(
            redact(r#"{"payload":{"token":"eyJhbGciOiJIUzI1…"#),
            r#"{"payload":{"token":"[redacted]"#
        );
        // Two of them, and a "token" that is a value, not a key.
        assert_eq!(
            redact(r#"{"a":"token","token":"x","b":{"token":"y"}}"#),
            r#"{"a":"token","token":"[redacted]","b":{"token":"[redacted]"}}"#
        );
        assert_eq!(redact(r#"{"token":null}"#), r#"{"token":null}"#);
        assert_eq!(redact("no secrets"), "no secrets");
    }

    #[test]
    fn an_unknown_version_is_refused_with_a_clear_message() {
        let json = sample()
            .to_json()
            .replace(r#""version": 1"#, r#""version": 2"#);
        let err = Trace::parse(&json).unwrap_err();
        assert_eq!(err, TraceError::Version(2));
        assert_eq!(
            err.to_string(),
            "trace version 2 is not supported: this page reads version 1 only"
        );
    }

    #[test]
    fn other_json_and_broken_traces_are_refused_as_such() {
        assert_eq!(
            Trace::parse(r#"{"format":"har","version":1}"#),
            Err(TraceError::NotATrace)
        );
        assert!(matches!(Trace::parse("{"), Err(TraceError::NotJson(_))));
        let no_app = r#"{"format":"appframe-trace","version":1,"entries":[]}"#;
        let err = Trace::parse(no_app).unwrap_err();
        assert!(
            matches!(&err, TraceError::Malformed(e) if e.contains("app")),
            "{err}"
        );
    }

    #[test]
    fn replay_sends_the_hosts_v2_messages_at_their_offsets_from_the_first_context() {
        let mut trace = sample();
        trace.entries.iter_mut().for_each(|e| e.t_ms += 1000);
        let other: ItemId = "972072cf-56bb-4c7f-afcb-33f3427a68aa".parse().unwrap();
        let ping = Message::Ping { item_id: item() };
        trace.entries.push(entry(1400, Way::Out, ping.encode()));
        // Not replayed: another item's message, what the app sent, what failed to send.
        let foreign = Message::Ping { item_id: other };
        trace.entries.push(entry(1500, Way::Out, foreign.encode()));
        trace.entries.push(entry(1600, Way::In, ping.encode()));
        let mut failed = entry(1700, Way::Out, change().encode());
        failed.outcome = "failed".into();
        trace.entries.push(failed);
        assert_eq!(trace.replayed(), [(250, change()), (400, ping)]);
    }
}
