//! The channel to the host after the handshake: the transferred `MessagePort`, or the parent
//! window in Graasp's mobile mode (context `mobile: true`, no port).
//!
//! Each channel keeps its own listener and its own waiting token requests, so a request sent
//! on an old port still completes after a re-handshake has installed a new one. The listener
//! also takes the host's protocol-v2 messages: PING is answered with PONG at once, TEARDOWN
//! with TEARDOWN_ACK once the app's handler is done (or at its bound), CONTEXT_CHANGED and the
//! answers to the app's requests go to the [`Peer`].

use crate::listen::Listener;
use crate::wire::message::{self as wire, Reply};
use crate::{
    embedded::{peer::Peer, signal::Slot},
    env::HostEnv,
    error::{Error, js_text},
};
use appframe_protocol::{ItemId, KeyOrigin, MessageKind};
use std::{cell::RefCell, rc::Rc};
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

/// What the listener of one channel reads into.
struct Inbox {
    item_id: ItemId,
    waiters: Rc<RefCell<Vec<Slot<TokenReply>>>>,
    peer: Rc<Peer>,
    link: Link,
}

/// One channel to the host.
pub(crate) struct Channel {
    link: Link,
    item_id: ItemId,
    waiters: Rc<RefCell<Vec<Slot<TokenReply>>>>,
    /// The page's boot script sent GET_AUTH_TOKEN on this port before the SDK ran: the slot
    /// waiting for its reply, which the first token request takes instead of sending another.
    early: RefCell<Option<Slot<TokenReply>>>,
    _listener: Listener,
}

/// A channel whose listener is not installed yet.
struct PendingChannel {
    link: Link,
    item_id: ItemId,
    waiters: Rc<RefCell<Vec<Slot<TokenReply>>>>,
    early: Option<Slot<TokenReply>>,
}

impl PendingChannel {
    fn listening(self, listener: Listener) -> Channel {
        Channel {
            link: self.link,
            item_id: self.item_id,
            waiters: self.waiters,
            early: RefCell::new(self.early),
            _listener: listener,
        }
    }
}

impl Inbox {
    fn on_message(&self, ev: &MessageEvent) {
        // Graasp messages are JSON strings; anything else is someone else's traffic.
        let Some(text) = ev.data().as_string() else {
            return;
        };
        let (item_id, peer) = (self.item_id, &self.peer);
        let reply = match wire::read(&text, item_id) {
            Some(Reply::Token(token)) => Ok(token),
            Some(Reply::TokenRefused(error)) => Err(Error::TokenRefused {
                code: error.code,
                message: error.message,
            }),
            Some(Reply::ContextChanged(change)) => {
                return peer.hooks.changed(&peer.context, &change);
            }
            Some(Reply::Ping) => {
                // A closed port has no host left to answer.
                let _ = self.link.post(&wire::bare(MessageKind::Pong, item_id));
                return;
            }
            Some(Reply::Teardown(reason)) => {
                let (hooks, link) = (peer.hooks.clone(), self.link.clone());
                return wasm_bindgen_futures::spawn_local(async move {
                    hooks.teardown(reason).await;
                    let _ = link.post(&wire::bare(MessageKind::TeardownAck, item_id));
                });
            }
            Some(Reply::Pong) => return peer.answer(MessageKind::Ping, Ok(None)),
            Some(Reply::ModeGranted(mode)) => {
                return peer.answer(MessageKind::RequestDisplayMode, Ok(Some(mode)));
            }
            Some(Reply::ModeRefused(e)) => {
                let error = Error::DisplayModeRefused {
                    code: e.code,
                    message: e.message,
                };
                return peer.answer(MessageKind::RequestDisplayMode, Err(error));
            }
            Some(Reply::LinkOpened) => return peer.answer(MessageKind::OpenLink, Ok(None)),
            Some(Reply::LinkRefused(e)) => {
                let error = Error::LinkRefused {
                    code: e.code,
                    message: e.message,
                };
                return peer.answer(MessageKind::OpenLink, Err(error));
            }
            _ => return,
        };
        // Replies carry no request id: one reply answers every request waiting on this channel.
        let pending = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in &pending {
            w.set(reply.clone());
        }
    }
}

impl Channel {
    /// A channel over a transferred port; `asked`: the boot script already sent GET_AUTH_TOKEN
    /// on it. Its reply may then be the first message the port delivers, before the app asks
    /// for a token: a waiting request is in place from the start to take it (the port must
    /// start now, for the host's PING and TEARDOWN).
    pub(crate) fn port(port: MessagePort, item_id: ItemId, asked: bool, peer: Rc<Peer>) -> Channel {
        let link = Link::Port(port.clone());
        let (channel, inbox) = Channel::with(link, item_id, asked, peer);
        let listener = Listener::new(&port, "message", move |e| {
            if let Some(ev) = e.dyn_ref::<MessageEvent>() {
                inbox.on_message(ev);
            }
        });
        // addListener (unlike onmessage) does not start a MessagePort's queue.
        port.start();
        channel.listening(listener)
    }

    /// A channel over the host window (mobile mode); only the host's messages are read.
    pub(crate) fn window(env: HostEnv, item_id: ItemId, peer: Rc<Peer>) -> Channel {
        let (channel, inbox) = Channel::with(Link::Window(env.clone()), item_id, false, peer);
        let own = env.own.clone();
        let listener = Listener::new(&own, "message", move |e| {
            if let Some(ev) = e.dyn_ref::<MessageEvent>()
                && env.is_from_host(ev)
            {
                inbox.on_message(ev);
            }
        });
        channel.listening(listener)
    }

    fn with(link: Link, item_id: ItemId, asked: bool, peer: Rc<Peer>) -> (PendingChannel, Inbox) {
        let waiters: Rc<RefCell<Vec<Slot<TokenReply>>>> = Rc::default();
        let early = asked.then(|| {
            let slot = Slot::new();
            waiters.borrow_mut().push(slot.clone());
            slot
        });
        let inbox = Inbox {
            item_id,
            waiters: waiters.clone(),
            peer,
            link: link.clone(),
        };
        let pending = PendingChannel {
            link,
            item_id,
            waiters,
            early,
        };
        (pending, inbox)
    }

    /// Sends one message text (from [`wire`]) to the host.
    pub(crate) fn post(&self, text: &str) -> Result<(), Error> {
        self.link.post(text)
    }

    /// Sends GET_AUTH_TOKEN (unless the boot script already did); the returned slot receives the
    /// reply (the caller adds the timeout).
    pub(crate) fn request_token(&self, payload: KeyOrigin) -> Slot<TokenReply> {
        // The boot script's request is this one: its reply is (or will be) in that slot.
        if let Some(slot) = self.early.take() {
            return slot;
        }
        let slot = Slot::new();
        self.waiters.borrow_mut().push(slot.clone());
        let sent = wire::ask_token(self.item_id, &payload).and_then(|text| self.post(&text));
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
