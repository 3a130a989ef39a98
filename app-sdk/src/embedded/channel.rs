//! The channel to the host after the handshake: the transferred `MessagePort`, or the parent
//! window in Graasp's mobile mode (context `mobile: true`, no port).
//!
//! Each channel keeps its own listener and its own waiting token requests, so a request sent
//! on an old port still completes after a re-handshake has installed a new one.

use crate::listen::Listener;
use crate::wire::message::{self as wire, Reply};
use crate::{
    embedded::signal::Slot,
    env::HostEnv,
    error::{Error, js_text},
};
use appframe_protocol::{ItemId, KeyOrigin, MessageKind};
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, MessagePort};

/// The result of one GET_AUTH_TOKEN.
pub(crate) type TokenReply = Result<String, Error>;

enum Link {
    Port(MessagePort),
    Window(HostEnv),
}

/// One channel to the host.
pub(crate) struct Channel {
    link: Link,
    item_id: ItemId,
    waiters: Rc<RefCell<Vec<Slot<TokenReply>>>>,
    /// The page's boot script sent GET_AUTH_TOKEN on this port before the SDK ran, and the
    /// port is not started yet, so the reply waits in its queue: the first token request starts
    /// the port instead of sending another.
    asked: Cell<bool>,
    _listener: Listener,
}

fn on_message(item_id: ItemId, waiters: &Rc<RefCell<Vec<Slot<TokenReply>>>>, ev: &MessageEvent) {
    // Graasp messages are JSON strings; anything else is someone else's traffic.
    let Some(text) = ev.data().as_string() else {
        return;
    };
    let reply = match wire::read(&text, item_id) {
        Some(Reply::Token(token)) => Ok(token),
        Some(Reply::TokenRefused(error)) => Err(Error::TokenRefused {
            code: error.code,
            message: error.message,
        }),
        _ => return,
    };
    // Replies carry no request id: one reply answers every request waiting on this channel.
    let pending = std::mem::take(&mut *waiters.borrow_mut());
    for w in &pending {
        w.set(reply.clone());
    }
}

impl Channel {
    /// A channel over a transferred port; `asked`: the boot script already sent GET_AUTH_TOKEN
    /// on it (then the port starts at the first token request, so no reply is read before a
    /// request waits for it).
    pub(crate) fn port(port: MessagePort, item_id: ItemId, asked: bool) -> Channel {
        let waiters: Rc<RefCell<Vec<Slot<TokenReply>>>> = Rc::default();
        let w = waiters.clone();
        let listener = Listener::new(&port, "message", move |e| {
            if let Some(ev) = e.dyn_ref::<MessageEvent>() {
                on_message(item_id, &w, ev);
            }
        });
        // addListener (unlike onmessage) does not start a MessagePort's queue.
        if !asked {
            port.start();
        }
        Channel {
            link: Link::Port(port),
            item_id,
            waiters,
            asked: Cell::new(asked),
            _listener: listener,
        }
    }

    /// A channel over the host window (mobile mode); only the host's messages are read.
    pub(crate) fn window(env: HostEnv, item_id: ItemId) -> Channel {
        let waiters: Rc<RefCell<Vec<Slot<TokenReply>>>> = Rc::default();
        let w = waiters.clone();
        let filter = env.clone();
        let listener = Listener::new(&env.own, "message", move |e| {
            if let Some(ev) = e.dyn_ref::<MessageEvent>()
                && filter.is_from_host(ev)
            {
                on_message(item_id, &w, ev);
            }
        });
        Channel {
            link: Link::Window(env),
            item_id,
            waiters,
            asked: Cell::default(),
            _listener: listener,
        }
    }

    /// Sends one message text (from [`wire`]) to the host.
    pub(crate) fn post(&self, text: &str) -> Result<(), Error> {
        match &self.link {
            Link::Port(p) => p
                .post_message(&JsValue::from_str(text))
                .map_err(|e| Error::PortClosed(js_text(&e))),
            Link::Window(env) => env.post_to_host(text),
        }
    }

    /// Sends GET_AUTH_TOKEN (unless the boot script already did); the returned slot receives the
    /// reply (the caller adds the timeout).
    pub(crate) fn request_token(&self, payload: KeyOrigin) -> Slot<TokenReply> {
        let slot = Slot::new();
        self.waiters.borrow_mut().push(slot.clone());
        if self.asked.replace(false)
            && let Link::Port(p) = &self.link
        {
            // The boot script's request is this one: its reply is queued in the port.
            p.start();
            return slot;
        }
        let sent = wire::ask(MessageKind::GetAuthToken, self.item_id, &payload)
            .and_then(|text| self.post(&text));
        if let Err(e) = sent {
            slot.set(Err(e));
        }
        slot
    }

    /// The item this channel speaks for.
    pub(crate) fn item_id(&self) -> ItemId {
        self.item_id
    }
}
