//! The bridge's message log: every message in and out, with what the bridge did about it.

use std::{fmt, rc::Rc};

/// Which way a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the app (or any other window) to the host.
    In,
    /// From the host to the app.
    Out,
}

/// Where a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `window.postMessage` (GET_CONTEXT, its answer, and everything in mobile mode).
    Window,
    /// A MessageChannel port handed out with a context answer; ports are numbered from 1.
    Port(u32),
}

impl Channel {
    /// `window` or `port:N`, built without `core::fmt` (the JS package's log uses it).
    pub(crate) fn label(&self) -> String {
        match self {
            Channel::Window => "window".to_owned(),
            Channel::Port(n) => ["port:", &crate::text::uint(u64::from(*n))].concat(),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// What the bridge did with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An incoming message was accepted and acted on.
    Handled,
    /// An outgoing message was posted.
    Sent,
    /// An incoming message was dropped without an answer, with the reason.
    Ignored(String),
    /// Posting an outgoing message failed, with the browser's reason.
    Failed(String),
}

impl Outcome {
    /// `handled`, `sent`, `ignored` or `failed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::Sent => "sent",
            Outcome::Ignored(_) => "ignored",
            Outcome::Failed(_) => "failed",
        }
    }

    /// The reason of an ignored or failed message.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Ignored(r) | Outcome::Failed(r) => Some(r),
            Outcome::Handled | Outcome::Sent => None,
        }
    }
}

/// One line of the bridge log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// In or out.
    pub direction: Direction,
    /// Window or port.
    pub channel: Channel,
    /// The message type without the item suffix (`GET_CONTEXT`, `POST_AUTO_RESIZE`, ...), the raw
    /// `type` of an unknown message, or `(not a protocol message)`.
    pub message_type: String,
    /// What the bridge did.
    pub outcome: Outcome,
    /// The message as it travelled (the JSON string), cut to 2,000 characters.
    pub data: String,
}

/// The log callback: called synchronously for every entry.
pub type LogFn = Rc<dyn Fn(&LogEntry)>;

/// Longest `data` kept in a log entry, so a huge message cannot flood the log panel.
const MAX_DATA: usize = 2000;

pub(crate) fn clip(data: &str) -> String {
    match data.char_indices().nth(MAX_DATA) {
        // `get` rather than indexing (the cut is on a char boundary anyway): an index that could
        // panic would bring the panic's Debug formatting into the package.
        Some((cut, _)) => [data.get(..cut).unwrap_or_default(), "…"].concat(),
        None => data.to_owned(),
    }
}

/// Log type for data that is not a protocol message at all.
pub(crate) const NOT_PROTOCOL: &str = "(not a protocol message)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_data_and_cuts_long_data_on_a_char_boundary() {
        assert_eq!(clip("abc"), "abc");
        let long = "é".repeat(MAX_DATA + 5);
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), MAX_DATA + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn channel_displays_as_window_or_numbered_port() {
        assert_eq!(Channel::Window.to_string(), "window");
        assert_eq!(Channel::Port(2).to_string(), "port:2");
    }
}
