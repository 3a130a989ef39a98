//! Protocol v2 with the host (docs/protocol-v2.md): the host's messages once the app uses
//! protocol v2 (`CONTEXT_CHANGED`, `TEARDOWN`, `PING` and the answers to the app's requests),
//! and the app's messages, each sent only to a host that announced what it needs.
//!
//! Until the app's first use of protocol v2 the channel answers `PING` and `TEARDOWN` itself
//! (`channel::plain_answer`); from then on `lifecycle::dispatch::install` puts the app's
//! listener in its place, which hands the host's messages to the app's `Lifecycle` and to the
//! [`HostSide`] here.

use super::{
    backend::Embedded,
    channel::Channel,
    signal::{Slot, take_or},
};
use crate::{
    error::Error,
    wire::message::{envelope, failure},
};
use appframe_protocol::{ContextChange, LocalContext, lifecycle::feature};
use serde_json::Value;
use std::{cell::RefCell, rc::Rc, time::Duration};

/// The host's answer to a request: its payload, or why it refused.
type Answer = Result<Option<Value>, Error>;

/// The embedded backend's half of [`Lifecycle`].
pub(crate) struct HostSide {
    /// The embedded backend's current channel (it follows a re-handshake).
    channel: Rc<RefCell<Rc<Channel>>>,
    /// The embedded backend's context: a change of `lang`, `permission` or `context` is
    /// written there, so `App::context` follows the host.
    context: Rc<RefCell<LocalContext>>,
    timeout: Duration,
    /// Requests waiting for their answer: the request's type and where the answer goes.
    waiting: RefCell<Vec<(&'static str, Slot<Answer>)>>,
}

impl HostSide {
    /// The half for `e`'s host.
    pub(crate) fn of(e: &Embedded) -> HostSide {
        HostSide {
            channel: e.channel.clone(),
            context: e.context.clone(),
            timeout: e.request_timeout,
            waiting: RefCell::default(),
        }
    }

    /// Sends one message to the host on the current channel.
    pub(crate) fn post(&self, kind: &str, payload: Option<&str>) -> Result<(), Error> {
        post(&self.channel, kind, payload)
    }

    /// Sends `kind` and waits for its `_SUCCESS` / `_FAILURE` (`PONG` for `PING`), up to the
    /// configured timeout.
    pub(crate) async fn request(
        &self,
        kind: &'static str,
        needs: &'static str,
        payload: Option<&str>,
    ) -> Answer {
        require(&self.context.borrow(), needs)?;
        let slot = Slot::new();
        self.waiting.borrow_mut().push((kind, slot.clone()));
        let expired = if kind == "PING" {
            Error::HostLost
        } else {
            Error::HostTimeout(kind)
        };
        let answer = match self.post(kind, payload) {
            Ok(()) => take_or(&slot, self.timeout, Err(expired)).await,
            Err(e) => Err(e),
        };
        self.waiting.borrow_mut().retain(|(_, s)| !s.same(&slot));
        answer
    }

    /// Settles every request waiting for the answer `kind`; false when `kind` is no answer.
    pub(crate) fn answer(&self, kind: &str, payload: Option<Value>) -> bool {
        let (asked, answer) = if let Some(k) = kind.strip_suffix("_SUCCESS") {
            (k, Ok(payload))
        } else if let Some(k) = kind.strip_suffix("_FAILURE") {
            let f = failure(payload.as_ref());
            let refused = Error::HostRefused {
                code: f.code,
                message: f.message,
            };
            (k, Err(refused))
        } else if kind == "PONG" {
            ("PING", Ok(None))
        } else {
            return false;
        };
        // Answers carry no request id: one answers every request of its kind.
        let settled: Vec<Slot<Answer>> = {
            let mut waiting = self.waiting.borrow_mut();
            let (mine, rest) = waiting.drain(..).partition(|(k, _)| *k == asked);
            *waiting = rest;
            mine.into_iter().map(|(_, s)| s).collect()
        };
        for s in settled {
            s.set(answer.clone());
        }
        true
    }

    /// Writes the changed context fields into the backend's context.
    pub(crate) fn update_context(&self, change: &ContextChange) {
        let mut c = self.context.borrow_mut();
        if let Some(lang) = &change.lang {
            c.lang.clone_from(lang);
        }
        if let Some(p) = change.permission {
            c.permission = p;
        }
        if let Some(view) = change.context {
            c.context = view;
        }
    }
}

/// Whether the host of `context` announced protocol v2 and `feature`; else `HostUnsupported`.
pub(crate) fn require(context: &LocalContext, feature: &'static str) -> Result<(), Error> {
    match &context.appframe {
        Some(a) if a.speaks_v2() && a.has(feature) => Ok(()),
        _ => Err(Error::HostUnsupported(feature)),
    }
}

/// Sends a message that needs no answer to a host that announced `lifecycle`; to any other host
/// nothing is sent (a Graasp host must not see it) and `false` is returned.
pub(crate) fn tell(e: &Embedded, kind: &str, payload: Option<&str>) -> Result<bool, Error> {
    if require(&e.context.borrow(), feature::LIFECYCLE).is_err() {
        return Ok(false);
    }
    post(&e.channel, kind, payload)?;
    Ok(true)
}

/// Sends `kind` (with `payload`) on the backend's current channel.
fn post(channel: &RefCell<Rc<Channel>>, kind: &str, payload: Option<&str>) -> Result<(), Error> {
    let channel = channel.borrow().clone();
    channel.post(&envelope(kind, channel.item_id(), payload))
}
