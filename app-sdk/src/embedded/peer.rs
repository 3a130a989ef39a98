//! The host as a protocol-v2 peer: the context it gave (and changes since), the app's hooks, and
//! the requests waiting for an answer. Shared by the backend and every channel, so a
//! CONTEXT_CHANGED on any port updates the one context the app reads.
//!
//! Answers carry no request id (as GET_AUTH_TOKEN): one answer of a kind settles every request
//! of that kind waiting for it.

use crate::{
    embedded::signal::{Slot, wait_or},
    error::Error,
    lifecycle::Hooks,
};
use appframe_protocol::{DisplayMode, LocalContext, MessageKind};
use std::{cell::RefCell, rc::Rc, time::Duration};

/// The answer to one request: the granted mode for REQUEST_DISPLAY_MODE, nothing for the others.
pub(crate) type Answer = Result<Option<DisplayMode>, Error>;

/// The host as seen by the app.
pub(crate) struct Peer {
    /// The context of the last handshake with the changes received since.
    pub(crate) context: RefCell<LocalContext>,
    pub(crate) hooks: Rc<Hooks>,
    /// How long a request waits for its answer (`AppConfig::request_timeout`).
    timeout: Duration,
    /// Requests waiting for an answer, by the kind of the request.
    waiting: RefCell<Vec<(MessageKind, Slot<Answer>)>>,
}

impl Peer {
    /// A peer before the handshake (the context is replaced by the host's).
    pub(crate) fn new(context: LocalContext, hooks: Rc<Hooks>, timeout: Duration) -> Rc<Peer> {
        Rc::new(Peer {
            context: RefCell::new(context),
            hooks,
            timeout,
            waiting: RefCell::default(),
        })
    }

    /// Whether the host announced protocol v2 and, when `feature` is given, names it: only then
    /// may the app send it v2 messages.
    pub(crate) fn speaks(&self, feature: Option<&str>) -> bool {
        self.context
            .borrow()
            .appframe
            .as_ref()
            .is_some_and(|a| a.speaks_v2() && feature.is_none_or(|f| a.has(f)))
    }

    /// Settles every request of `kind` with `answer`.
    pub(crate) fn answer(&self, kind: MessageKind, answer: Answer) {
        let mut settled = Vec::new();
        self.waiting.borrow_mut().retain(|(k, slot)| {
            let mine = *k == kind;
            if mine {
                settled.push(slot.clone());
            }
            !mine
        });
        for slot in settled {
            slot.set(answer.clone());
        }
    }

    /// Sends `text`, a request of `kind`, with `post` (the channel's), and waits for its
    /// answer, or `on_timeout` after the request timeout.
    pub(crate) async fn request(
        &self,
        post: impl FnOnce(&str) -> Result<(), Error>,
        kind: MessageKind,
        text: &str,
        on_timeout: Error,
    ) -> Answer {
        let slot: Slot<Answer> = Slot::new();
        self.waiting.borrow_mut().push((kind, slot.clone()));
        if let Err(e) = post(text) {
            slot.set(Err(e));
        }
        let answer = wait_or(&slot, self.timeout, Err(on_timeout)).await;
        self.waiting.borrow_mut().retain(|(_, s)| !s.same(&slot));
        answer
    }
}
