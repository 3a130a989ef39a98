//! The channel to the host after the handshake: the transferred `MessagePort`, or the parent
//! window in Graasp's mobile mode (context `mobile: true`, no port).
//!
//! Each channel keeps its own listener and its own waiting token requests, so a request sent
//! on an old port still completes after a re-handshake has installed a new one.
//!
//! The host's other messages (protocol v2) go to the app's [`HostHook`] once the app uses
//! protocol v2 (`embedded/lifecycle.rs`); until then the channel answers `PING` and `TEARDOWN`
//! itself, which is all a v2 host may expect of an app that announced v2.

use crate::listen::Listener;
use crate::wire::message::{self as wire, Reply};
use crate::{
    embedded::signal::Slot,
    env::HostEnv,
    error::{Error, js_text},
};
use appframe_protocol::{ItemId, KeyOrigin};
use serde_json::Value;
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, MessagePort};

/// The result of one GET_AUTH_TOKEN.
pub(crate) type TokenReply = Result<String, Error>;

#[derive(Clone)]
enum Link {
    Port(MessagePort),
    Window(HostEnv),
}

impl Link {
    fn post(&self, text: &str) -> Result<(), Error> {
        match self {
            Link::Port(p) => p
                .post_message(&JsValue::from_str(text))
                .map_err(|e| Error::PortClosed(js_text(&e))),
            Link::Window(env) => env.post_to_host(text),
        }
    }
}

/// Takes the host's messages other than the handshake's and the token's: `(kind, payload)`.
pub(crate) type HostListener = Rc<dyn Fn(&str, Option<Value>)>;

/// Where the app's [`HostListener`] is, shared by all its channels; empty until the app uses
/// protocol v2. A trait object, so an app that never does links none of it.
pub(crate) type HostHook = Rc<RefCell<Option<HostListener>>>;

/// What the channel answers by itself while no [`HostListener`] is set: `PONG` to `PING`, and
/// `TEARDOWN_ACK` at once to `TEARDOWN` (there is no teardown handler to wait for).
pub(crate) fn plain_answer(kind: &str) -> Option<&'static str> {
    match kind {
        "PING" => Some("PONG"),
        "TEARDOWN" => Some("TEARDOWN_ACK"),
        _ => None,
    }
}

/// One channel to the host.
pub(crate) struct Channel {
    shared: Rc<Shared>,
    /// The page's boot script sent GET_AUTH_TOKEN on this port before the SDK ran, and the
    /// port is not started yet, so the reply waits in its queue: the first token request starts
    /// the port instead of sending another.
    asked: Cell<bool>,
    _listener: Listener,
}

/// What a channel's listener shares with the channel.
struct Shared {
    item_id: ItemId,
    link: Link,
    waiters: RefCell<Vec<Slot<TokenReply>>>,
    hook: HostHook,
}

fn on_message(shared: &Shared, ev: &MessageEvent) {
    // Graasp messages are JSON strings; anything else is someone else's traffic.
    let Some(text) = ev.data().as_string() else {
        return;
    };
    let reply = match wire::read(&text, shared.item_id) {
        Some(Reply::Token(token)) => Ok(token),
        Some(Reply::TokenRefused(error)) => Err(Error::TokenRefused {
            code: error.code,
            message: error.message,
        }),
        Some(Reply::Other(kind, payload)) => {
            let listener = shared.hook.borrow().clone();
            match listener {
                Some(l) => l(&kind, payload),
                None => {
                    if let Some(answer) = plain_answer(&kind) {
                        // A closed port has no host left to answer.
                        let _ = shared
                            .link
                            .post(&wire::envelope(answer, shared.item_id, None));
                    }
                }
            }
            return;
        }
        _ => return,
    };
    // Replies carry no request id: one reply answers every request waiting on this channel.
    let pending = std::mem::take(&mut *shared.waiters.borrow_mut());
    for w in &pending {
        w.set(reply.clone());
    }
}

impl Shared {
    fn new(item_id: ItemId, link: Link, hook: HostHook) -> Rc<Shared> {
        Rc::new(Shared {
            item_id,
            link,
            waiters: RefCell::default(),
            hook,
        })
    }
}

impl Channel {
    /// A channel over a transferred port; `asked`: the boot script already sent GET_AUTH_TOKEN
    /// on it (then the port starts at the first token request, so no reply is read before a
    /// request waits for it).
    pub(crate) fn port(port: MessagePort, item_id: ItemId, asked: bool, hook: HostHook) -> Channel {
        let shared = Shared::new(item_id, Link::Port(port.clone()), hook);
        let s = shared.clone();
        let listener = Listener::new(&port, "message", move |e| {
            if let Some(ev) = e.dyn_ref::<MessageEvent>() {
                on_message(&s, ev);
            }
        });
        // addListener (unlike onmessage) does not start a MessagePort's queue.
        if !asked {
            port.start();
        }
        Channel {
            shared,
            asked: Cell::new(asked),
            _listener: listener,
        }
    }

    /// A channel over the host window (mobile mode); only the host's messages are read.
    pub(crate) fn window(env: HostEnv, item_id: ItemId, hook: HostHook) -> Channel {
        let shared = Shared::new(item_id, Link::Window(env.clone()), hook);
        let s = shared.clone();
        let own = env.own.clone();
        let listener = Listener::new(&own, "message", move |e| {
            if let Some(ev) = e.dyn_ref::<MessageEvent>()
                && env.is_from_host(ev)
            {
                on_message(&s, ev);
            }
        });
        Channel {
            shared,
            asked: Cell::default(),
            _listener: listener,
        }
    }

    /// Sends one message text (from [`wire`]) to the host.
    pub(crate) fn post(&self, text: &str) -> Result<(), Error> {
        self.shared.link.post(text)
    }

    /// Sends GET_AUTH_TOKEN (unless the boot script already did); the returned slot receives the
    /// reply (the caller adds the timeout).
    pub(crate) fn request_token(&self, payload: KeyOrigin) -> Slot<TokenReply> {
        let slot = Slot::new();
        self.shared.waiters.borrow_mut().push(slot.clone());
        if self.asked.replace(false)
            && let Link::Port(p) = &self.shared.link
        {
            // The boot script's request is this one: its reply is queued in the port.
            p.start();
            return slot;
        }
        let sent = wire::ask_token(self.shared.item_id, &payload).and_then(|text| self.post(&text));
        if let Err(e) = sent {
            slot.set(Err(e));
        }
        slot
    }

    /// The item this channel speaks for.
    pub(crate) fn item_id(&self) -> ItemId {
        self.shared.item_id
    }
}
