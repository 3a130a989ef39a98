//! The live-update hub of one app: one WebSocket to the server's `apiHost + /ws`, shared by
//! every subscription, reconnected with backoff and jitter; in standalone mode no socket, but the
//! `storage` event of other tabs' writes.

use super::{
    backoff::backoff,
    frames::{Incoming, LiveEvent, client_message, parse_incoming, subprotocols, ws_url},
    host::LiveHost,
};
use crate::{
    config::LiveConfig,
    env::window,
    error::{Error, js_text},
    listen::Listener,
};
use appframe_protocol::{
    rules,
    ws::{CLOSE_TOKEN_EXPIRED, Topic},
};
use gloo_timers::callback::Timeout;
use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
    time::Duration,
};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::WebSocket;

/// Where a subscription's events go.
pub(crate) type Sink = Rc<dyn Fn(Result<LiveEvent, Error>)>;

struct Sub {
    id: u32,
    topic: Topic,
    sink: Sink,
}

/// One open (or opening) socket and its handlers (kept alive while the socket is in use).
struct Socket {
    ws: WebSocket,
    open: bool,
    opened_at: f64,
    /// The `"ws"` feature: heartbeats are expected.
    heartbeat: bool,
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Detach first: a late event must not reach a dropped closure.
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        // Closing an already closed socket is a no-op; nothing to report.
        let _ = self.ws.close();
    }
}

#[derive(Default)]
struct Conn {
    /// Bumped on every connect attempt and stop: callbacks of older sockets are ignored.
    generation: u32,
    socket: Option<Socket>,
    /// A connect attempt or a retry timer is under way.
    busy: bool,
    /// Consecutive failed attempts (reset after a stable connection).
    attempt: u32,
    retry: Option<Timeout>,
    /// Fires when the socket has been silent for 2.5 heartbeats.
    watchdog: Option<Timeout>,
    /// The token the current socket was opened with (dropped from the cache on close 4001).
    token: Option<String>,
    /// The server's reason from `info: closing`.
    closing_reason: Option<String>,
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// The live-update hub of one app: subscriptions, and the socket in remote mode.
pub(crate) struct Hub {
    host: Weak<dyn LiveHost>,
    item: String,
    cfg: LiveConfig,
    remote: bool,
    subs: RefCell<Vec<Sub>>,
    next_id: Cell<u32>,
    conn: RefCell<Conn>,
    /// Standalone: the `storage` listener for writes from other tabs.
    storage: RefCell<Option<Listener>>,
    /// Remote: the window `online` listener that cuts a pending backoff short.
    online: RefCell<Option<Listener>>,
}

impl Hub {
    /// A hub for the app `host` on `item` (no socket until the first subscription); `remote`
    /// when embedded (a socket), else standalone (the mock's own writes and other tabs').
    pub(crate) fn new(
        host: Weak<dyn LiveHost>,
        item: String,
        remote: bool,
        cfg: LiveConfig,
    ) -> Rc<Hub> {
        Rc::new(Hub {
            host,
            item,
            cfg,
            remote,
            subs: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            conn: RefCell::new(Conn::default()),
            storage: RefCell::new(None),
            online: RefCell::new(None),
        })
    }

    pub(crate) fn add(self: &Rc<Self>, topic: Topic, sink: Sink) -> u32 {
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        if !self.remote && topic == Topic::AppActions && !self.standalone_admin() {
            // The server refuses this subscription (ACCESS_DENIED); the mock does the same, so
            // an app meets the rule during development rather than in production.
            sink(Err(Error::Live {
                name: "ACCESS_DENIED".into(),
                message: "app-actions updates are for admins".into(),
            }));
            return id;
        }
        let first = {
            let mut subs = self.subs.borrow_mut();
            let first = !subs.iter().any(|s| s.topic == topic);
            subs.push(Sub { id, topic, sink });
            first
        };
        if self.remote {
            self.watch_online();
            if first {
                self.send(&client_message("subscribe", topic, &self.item));
            }
            let idle = {
                let c = self.conn.borrow();
                c.socket.is_none() && !c.busy
            };
            if idle {
                self.connect();
            }
        } else {
            self.watch_storage();
        }
        id
    }

    /// Standalone: whether the mock's current account is an admin of the item.
    fn standalone_admin(&self) -> bool {
        self.host
            .upgrade()
            .is_some_and(|host| rules::can_read_all_actions(Some(host.context().permission)))
    }

    pub(crate) fn remove(&self, id: u32) {
        let (topic, last, none_left) = {
            let mut subs = self.subs.borrow_mut();
            let Some(i) = subs.iter().position(|s| s.id == id) else {
                return;
            };
            let topic = subs.remove(i).topic;
            (
                topic,
                !subs.iter().any(|s| s.topic == topic),
                subs.is_empty(),
            )
        };
        if none_left {
            self.stop();
        } else if last {
            self.send(&client_message("unsubscribe", topic, &self.item));
        }
    }

    /// Closes the socket and cancels timers (no subscription left).
    fn stop(&self) {
        let (socket, retry, watchdog) = {
            let mut c = self.conn.borrow_mut();
            c.generation = c.generation.wrapping_add(1);
            c.busy = false;
            c.attempt = 0;
            (c.socket.take(), c.retry.take(), c.watchdog.take())
        };
        drop((socket, retry, watchdog));
        self.storage.borrow_mut().take();
    }

    /// Sends on the open socket; dropped when it is not open (on open, everything is sent).
    fn send(&self, text: &str) {
        let ws = {
            let c = self.conn.borrow();
            match &c.socket {
                Some(s) if s.open => s.ws.clone(),
                _ => return,
            }
        };
        // A socket that is closing throws; its close event reconnects.
        let _ = ws.send_with_str(text);
    }

    /// Delivers to the subscribers of `topic` (every subscriber for `None`).
    pub(crate) fn broadcast(&self, topic: Option<Topic>, ev: Result<LiveEvent, Error>) {
        // Collected first: a sink may subscribe or unsubscribe while it runs.
        let sinks: Vec<Sink> = self
            .subs
            .borrow()
            .iter()
            .filter(|s| topic.is_none_or(|t| t == s.topic))
            .map(|s| s.sink.clone())
            .collect();
        for s in sinks {
            s(ev.clone());
        }
    }

    fn current(&self, generation: u32) -> bool {
        self.conn.borrow().generation == generation
    }

    fn connect(self: &Rc<Self>) {
        let generation = {
            let mut c = self.conn.borrow_mut();
            c.generation = c.generation.wrapping_add(1);
            c.busy = true;
            c.closing_reason = None;
            c.generation
        };
        let hub = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = hub.open(generation).await
                && hub.current(generation)
            {
                hub.broadcast(None, Err(e));
                hub.retry_later();
            }
        });
    }

    async fn open(self: &Rc<Self>, generation: u32) -> Result<(), Error> {
        let Some(host) = self.host.upgrade() else {
            return Ok(());
        };
        let ctx = host.context();
        let ext = ctx.appframe.as_ref().is_some_and(|c| c.has("ws"));
        let url = ws_url(&ctx.api_host)?;
        let token = if ext {
            Some(host.clone().token().await?)
        } else {
            None
        };
        drop(host);
        if !self.current(generation) {
            return Ok(());
        }
        let protocols: js_sys::Array = subprotocols(token.as_deref())
            .iter()
            .map(|p| JsValue::from_str(p))
            .collect();
        let ws = if protocols.length() == 0 {
            WebSocket::new(&url)
        } else {
            WebSocket::new_with_str_sequence(&url, &protocols)
        }
        .map_err(|e| Error::Browser(js_text(&e)))?;
        let handler = |f: fn(&Rc<Hub>, u32, JsValue)| {
            let weak = Rc::downgrade(self);
            Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
                if let Some(hub) = weak.upgrade()
                    && hub.current(generation)
                {
                    f(&hub, generation, ev);
                }
            })
        };
        let handlers = vec![
            handler(|h, g, _| h.on_open(g)),
            handler(|h, g, ev| h.on_message(g, ev)),
            handler(|h, g, ev| h.on_close(g, ev)),
        ];
        ws.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
        ws.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
        ws.set_onclose(Some(handlers[2].as_ref().unchecked_ref()));
        // Errors are followed by a close event, which does the work.
        {
            let mut c = self.conn.borrow_mut();
            c.socket = Some(Socket {
                ws,
                open: false,
                opened_at: 0.0,
                heartbeat: ext,
                _handlers: handlers,
            });
            c.token = token;
        }
        // A connection attempt that hangs (a black-holed address) is abandoned like a silent
        // socket, whatever the server: browsers may wait minutes before reporting it.
        self.arm_watchdog(generation);
        Ok(())
    }

    fn on_open(self: &Rc<Self>, generation: u32) {
        let heartbeat = {
            let mut c = self.conn.borrow_mut();
            c.busy = false;
            let Some(s) = c.socket.as_mut() else { return };
            s.open = true;
            s.opened_at = now();
            s.heartbeat
        };
        let mut topics: Vec<Topic> = Vec::new();
        for s in self.subs.borrow().iter() {
            if !topics.contains(&s.topic) {
                topics.push(s.topic);
            }
        }
        for t in topics {
            self.send(&client_message("subscribe", t, &self.item));
        }
        if heartbeat {
            self.arm_watchdog(generation);
        } else {
            // No heartbeat from a Graasp server: silence is normal once open.
            let timer = self.conn.borrow_mut().watchdog.take();
            drop(timer);
        }
        self.broadcast(None, Ok(LiveEvent::Resync));
    }

    /// (Re)starts the silence timer: 2.5 heartbeats without a message (or without opening)
    /// drop the socket.
    fn arm_watchdog(self: &Rc<Self>, generation: u32) {
        let weak = Rc::downgrade(self);
        let silence = self.cfg.heartbeat.saturating_mul(5) / 2;
        let timer = Timeout::new(millis(silence), move || {
            if let Some(hub) = weak.upgrade()
                && hub.current(generation)
            {
                // A dead TCP connection may take minutes to report a close: do not wait.
                hub.drop_socket(false);
                hub.retry_later();
            }
        });
        self.conn.borrow_mut().watchdog = Some(timer);
    }

    fn on_message(self: &Rc<Self>, generation: u32, ev: JsValue) {
        let heartbeat = self
            .conn
            .borrow()
            .socket
            .as_ref()
            .is_some_and(|s| s.heartbeat);
        if heartbeat {
            self.arm_watchdog(generation);
        }
        let data = js_sys::Reflect::get(&ev, &"data".into()).unwrap_or_default();
        let Some(text) = data.as_string() else {
            return; // binary frames are not part of the protocol
        };
        match parse_incoming(&text) {
            Ok(Incoming::Update {
                topic,
                channel,
                event,
            }) => {
                if channel == self.item {
                    self.broadcast(Some(topic), Ok(event));
                }
            }
            Ok(Incoming::Failed { topic, error }) => self.broadcast(topic, Err(error)),
            Ok(Incoming::Resync) => self.broadcast(None, Ok(LiveEvent::Resync)),
            Ok(Incoming::Closing(reason)) => self.conn.borrow_mut().closing_reason = Some(reason),
            Ok(Incoming::Other) => {}
            Err(e) => self.broadcast(None, Err(e)),
        }
    }

    fn on_close(self: &Rc<Self>, _generation: u32, ev: JsValue) {
        let code = js_sys::Reflect::get(&ev, &"code".into())
            .ok()
            .and_then(|c| c.as_f64())
            .unwrap_or(0.0);
        self.drop_socket(code == f64::from(CLOSE_TOKEN_EXPIRED));
        self.retry_later();
    }

    /// Forgets the socket; `token_expired` also drops the token from the app's cache.
    fn drop_socket(&self, token_expired: bool) {
        let (socket, watchdog, token) = {
            let mut c = self.conn.borrow_mut();
            let stable = c.socket.as_ref().is_some_and(|s| {
                s.open && now() - s.opened_at >= self.cfg.stable_after.as_millis() as f64
            });
            if stable {
                c.attempt = 0;
            }
            c.generation = c.generation.wrapping_add(1);
            (c.socket.take(), c.watchdog.take(), c.token.take())
        };
        drop((socket, watchdog));
        if token_expired && let (Some(host), Some(t)) = (self.host.upgrade(), token) {
            host.invalidate_token(&t);
        }
    }

    fn retry_later(self: &Rc<Self>) {
        if self.subs.borrow().is_empty() {
            return;
        }
        let mut c = self.conn.borrow_mut();
        let delay = backoff(&self.cfg, c.attempt, js_sys::Math::random());
        c.attempt = c.attempt.saturating_add(1);
        c.busy = true;
        let weak = Rc::downgrade(self);
        c.retry = Some(Timeout::new(millis(delay), move || {
            if let Some(hub) = weak.upgrade() {
                hub.connect();
            }
        }));
    }

    /// Remote: listen for the window's `online` event (once per hub).
    fn watch_online(self: &Rc<Self>) {
        if self.online.borrow().is_some() {
            return;
        }
        let Ok(w) = window() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let listener = Listener::new(&w, "online", move |_| {
            if let Some(hub) = weak.upgrade() {
                hub.reconnect_now();
            }
        });
        *self.online.borrow_mut() = Some(listener);
    }

    /// Back online: a socket waiting out its backoff (up to 30 s after a long outage)
    /// reconnects at once, and the backoff starts again from its first step.
    fn reconnect_now(self: &Rc<Self>) {
        let waiting = {
            let mut c = self.conn.borrow_mut();
            let waiting = c.socket.is_none() && c.retry.is_some();
            if waiting {
                // Dropping the timer cancels it; a fired one is dropped harmlessly.
                c.retry = None;
                c.attempt = 0;
            }
            waiting
        };
        if waiting && !self.subs.borrow().is_empty() {
            self.connect();
        }
    }

    /// Standalone: another tab changed the stored database → reload it and resync.
    fn watch_storage(self: &Rc<Self>) {
        if self.storage.borrow().is_some() {
            return;
        }
        let (Some(host), Ok(w)) = (self.host.upgrade(), window()) else {
            return;
        };
        let Some(key) = host.storage_key() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let listener = Listener::new(&w, "storage", move |ev| {
            let changed = js_sys::Reflect::get(ev, &"key".into())
                .ok()
                .and_then(|k| k.as_string());
            if changed.as_deref() != Some(key.as_str()) {
                return;
            }
            let Some(hub) = weak.upgrade() else { return };
            let Some(host) = hub.host.upgrade() else {
                return;
            };
            match host.reload() {
                Ok(()) => hub.broadcast(None, Ok(LiveEvent::Resync)),
                Err(e) => hub.broadcast(None, Err(e)),
            }
        });
        *self.storage.borrow_mut() = Some(listener);
    }
}

/// How the app holds its hub: through this trait only, so an app that never subscribes
/// links neither the hub nor its drop code (the vtable is built by the first subscription).
pub(crate) trait LiveSlot {
    /// Delivers to the subscribers of `topic` (all for `None`).
    fn broadcast(&self, topic: Option<Topic>, ev: Result<LiveEvent, Error>);
    /// The hub itself.
    fn hub(&self) -> Rc<Hub>;
}

impl LiveSlot for Rc<Hub> {
    fn broadcast(&self, topic: Option<Topic>, ev: Result<LiveEvent, Error>) {
        Hub::broadcast(self, topic, ev);
    }
    fn hub(&self) -> Rc<Hub> {
        self.clone()
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.stop();
    }
}
