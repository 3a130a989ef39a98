//! Live updates: one WebSocket per [`App`] to the server's `apiHost + /ws`, shared by every
//! subscription, speaking the Graasp `notif` protocol (`appframe_protocol::ws`).
//!
//! Better than Graasp's client on four points: the URL keeps the `/api` path and follows the
//! scheme (`https` → `wss`); with a host that advertises the `"ws"` feature the socket carries
//! the app token as a subprotocol, a silent socket (no heartbeat for 2.5 intervals) is dropped,
//! and an expired token (close 4001) is replaced; every drop reconnects with exponential
//! backoff and jitter, subscribes again and tells subscribers to refetch ([`LiveEvent::Resync`]),
//! since updates may have been missed meanwhile.
//!
//! In standalone mode there is no socket: writes through the mock backend reach the page's
//! subscribers directly, and writes from other tabs (the `storage` event) become a `Resync`.
//!
//! Nothing here is linked into an app that never subscribes: the only references from the
//! rest of the SDK go through `App`'s `live` slot, which stays `None` until a subscription.

use crate::{
    app::{App, WeakApp},
    error::{Error, js_text},
    types::ListFilter,
};
pub use appframe_protocol::ws::{Op, Topic};
use appframe_protocol::{
    AppAction, AppData, AppSetting, RowId,
    ws::{
        CLOSE_TOKEN_EXPIRED, INFO_CLOSING, INFO_RESYNC, REALM, SERVER_ERROR, SUBPROTOCOL,
        TOKEN_PROTOCOL_PREFIX,
    },
};
use gloo_timers::callback::Timeout;
use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    future::poll_fn,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, Waker},
    time::Duration,
};
use time::OffsetDateTime;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::WebSocket;

/// What a subscription receives.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// An app-data row was created (`Post`), changed (`Patch`) or deleted (`Delete`).
    AppData(Op, AppData),
    /// An app action was recorded.
    AppAction(Op, AppAction),
    /// An app setting was created, changed or deleted.
    AppSetting(Op, AppSetting),
    /// Updates may have been missed (the socket opened or reopened, the server said `resync`,
    /// another tab wrote in standalone mode): refetch the lists.
    Resync,
}

/// Timing of live updates. The defaults match the appframe server (25 s heartbeat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveConfig {
    /// The server's heartbeat interval; with the `"ws"` feature a socket silent for 2.5 of
    /// these is dropped and reopened.
    pub heartbeat: Duration,
    /// First reconnect delay (before jitter).
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection open this long counts as stable: the next drop starts again from
    /// `backoff_min`.
    pub stable_after: Duration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            heartbeat: Duration::from_secs(25),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            stable_after: Duration::from_secs(10),
        }
    }
}

/// Most events a [`Subscription`] buffers; beyond, they are replaced by one `Resync`.
const QUEUE_CAP: usize = 1024;

/// The socket URL for an `apiHost` (`http://h/api` → `ws://h/api/ws`, `https` → `wss`).
pub(crate) fn ws_url(api_host: &str) -> Result<String, Error> {
    let base = api_host.trim_end_matches('/');
    let (scheme, rest) = if let Some(r) = base.strip_prefix("https://") {
        ("wss://", r)
    } else if let Some(r) = base.strip_prefix("http://") {
        ("ws://", r)
    } else if let Some(r) = base.strip_prefix("wss://") {
        ("wss://", r)
    } else if let Some(r) = base.strip_prefix("ws://") {
        ("ws://", r)
    } else {
        return Err(Error::Decode(
            ["apiHost is not an http(s) URL: ", api_host].concat(),
        ));
    };
    if rest.is_empty() {
        return Err(Error::Decode(["apiHost has no host: ", api_host].concat()));
    }
    Ok([scheme, rest, "/ws"].concat())
}

/// The subprotocols to open the socket with: the token ones only with the `"ws"` feature.
pub(crate) fn subprotocols(token: Option<&str>) -> Vec<String> {
    match token {
        Some(t) => vec![SUBPROTOCOL.to_owned(), [TOKEN_PROTOCOL_PREFIX, t].concat()],
        None => Vec::new(),
    }
}

/// The delay before reconnect attempt `attempt` (0-based): `backoff_min · 2^attempt`, capped
/// at `backoff_max`, of which a random half (`rand01` in `[0, 1]`) is dropped ("equal jitter"),
/// so clients cut off together do not come back together yet never retry in a tight loop.
pub(crate) fn backoff(cfg: &LiveConfig, attempt: u32, rand01: f64) -> Duration {
    let min = cfg.backoff_min.as_millis() as u64;
    let max = (cfg.backoff_max.as_millis() as u64).max(min);
    let ceiling = min.saturating_mul(1u64 << attempt.min(32)).min(max);
    let r = if rand01.is_finite() {
        rand01.clamp(0.0, 1.0)
    } else {
        1.0
    };
    // `as` saturates; the product is within [ceiling/2, ceiling].
    Duration::from_millis((ceiling as f64 * (0.5 + 0.5 * r)) as u64)
}

/// A server message, as the hub acts on it.
#[derive(Debug, Clone, PartialEq)]
// Short-lived (one per frame, moved once): boxing the update would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Incoming {
    /// An update on `topic` for item `channel`.
    Update {
        topic: Topic,
        channel: String,
        event: LiveEvent,
    },
    /// An error response (to the request on `topic`, when it names one).
    Failed { topic: Option<Topic>, error: Error },
    /// `info: resync`: events may have been lost.
    Resync,
    /// `info: closing` with the server's reason; the close frame follows.
    Closing(String),
    /// Heartbeats, success responses and other information: nothing to do.
    Other,
}

/// A parsed JSON frame, read field by field: in the browser the `JSON.parse` value (through
/// `Reflect`), natively a `serde_json::Value`. Only the entity is deserialized (with the same
/// code as list responses); the envelope needs no serde derive, whose visitors (and the
/// protocol's tagged enums, buffered through serde's `Content`) would add kilobytes to every
/// app with live updates. The tests read frames written from the protocol types
/// (`appframe_protocol::ws::ServerMessage`), so the two cannot drift apart.
trait FrameValue: Sized {
    /// Parses a JSON text.
    fn parse(text: &str) -> Result<Self, String>;
    /// A field of an object (`None` when absent, `null` or not an object).
    fn field(&self, key: &str) -> Option<Self>;
    /// The value as a string.
    fn text(&self) -> Option<String>;
    /// The value as an entity.
    fn entity<T: crate::wire::codec::FromJson>(self) -> Result<T, String>;
}

#[cfg(target_arch = "wasm32")]
impl FrameValue for JsValue {
    fn parse(text: &str) -> Result<Self, String> {
        js_sys::JSON::parse(text).map_err(|e| js_text(&e))
    }
    fn field(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        js_sys::Reflect::get(self, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }
    fn text(&self) -> Option<String> {
        self.as_string()
    }
    fn entity<T: crate::wire::codec::FromJson>(self) -> Result<T, String> {
        crate::wire::json::from_js(&self)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl FrameValue for serde_json::Value {
    fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
    fn field(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|v| !v.is_null()).cloned()
    }
    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
    fn entity<T: crate::wire::codec::FromJson>(self) -> Result<T, String> {
        T::from_json(&self)
    }
}

#[cfg(target_arch = "wasm32")]
type Json = JsValue;
#[cfg(not(target_arch = "wasm32"))]
type Json = serde_json::Value;

fn bad_frame(what: &str) -> Error {
    Error::Decode(["live message: ", what].concat())
}

fn field_text(v: &Json, key: &str) -> Option<String> {
    v.field(key).and_then(|f| f.text())
}

fn op_of(s: &str) -> Option<Op> {
    match s {
        "post" => Some(Op::Post),
        "patch" => Some(Op::Patch),
        "delete" => Some(Op::Delete),
        _ => None,
    }
}

/// Reads one text frame of the server.
pub(crate) fn parse_incoming(text: &str) -> Result<Incoming, Error> {
    let f = Json::parse(text).map_err(|e| bad_frame(&e))?;
    let ty = field_text(&f, "type").ok_or_else(|| bad_frame("no type"))?;
    Ok(match ty.as_str() {
        "update" => {
            let Some(topic) = field_text(&f, "topic").as_deref().and_then(Topic::parse) else {
                return Ok(Incoming::Other);
            };
            let body = f
                .field("body")
                .ok_or_else(|| bad_frame("update without a body"))?;
            let op = field_text(&body, "op")
                .as_deref()
                .and_then(op_of)
                .ok_or_else(|| bad_frame("update without a known op"))?;
            let key = match topic {
                Topic::AppData => "appData",
                Topic::AppActions => "appAction",
                Topic::AppSettings => "appSetting",
            };
            let entity = body
                .field(key)
                .ok_or_else(|| bad_frame("update without the entity of its topic"))?;
            let event = match topic {
                Topic::AppData => {
                    LiveEvent::AppData(op, entity.entity().map_err(|e| bad_frame(&e))?)
                }
                Topic::AppActions => {
                    LiveEvent::AppAction(op, entity.entity().map_err(|e| bad_frame(&e))?)
                }
                Topic::AppSettings => {
                    LiveEvent::AppSetting(op, entity.entity().map_err(|e| bad_frame(&e))?)
                }
            };
            Incoming::Update {
                topic,
                channel: field_text(&f, "channel").unwrap_or_default(),
                event,
            }
        }
        "response" if field_text(&f, "status").as_deref() == Some("error") => {
            let error = f.field("error");
            Incoming::Failed {
                topic: f
                    .field("request")
                    .and_then(|r| field_text(&r, "topic"))
                    .as_deref()
                    .and_then(Topic::parse),
                error: Error::Live {
                    name: error
                        .as_ref()
                        .and_then(|e| field_text(e, "name"))
                        .unwrap_or_else(|| SERVER_ERROR.into()),
                    message: error
                        .as_ref()
                        .and_then(|e| field_text(e, "message"))
                        .unwrap_or_default(),
                },
            }
        }
        "info" => match field_text(&f, "message").as_deref() {
            Some(INFO_RESYNC) => Incoming::Resync,
            Some(INFO_CLOSING) => Incoming::Closing(
                f.field("extra")
                    .and_then(|x| field_text(&x, "reason"))
                    .unwrap_or_default(),
            ),
            _ => Incoming::Other,
        },
        "response" => Incoming::Other,
        other => return Err(bad_frame(&["unknown type ", other].concat())),
    })
}

/// The client message `action` on `topic` for item `channel`, written by hand (the names and
/// a UUID need no escaping) rather than through serde, to keep the wasm small.
fn client_message(action: &str, topic: Topic, channel: &str) -> String {
    [
        r#"{"realm":""#,
        REALM,
        r#"","action":""#,
        action,
        r#"","topic":""#,
        topic.as_str(),
        r#"","channel":""#,
        channel,
        r#""}"#,
    ]
    .concat()
}

/// A row of a merged list: an id and the time of its last change.
pub trait LiveRow: Clone + PartialEq {
    /// The row id.
    fn row_id(&self) -> RowId;
    /// When the row last changed (a patch older than the held row is stale).
    fn changed_at(&self) -> OffsetDateTime;
}

impl LiveRow for AppData {
    fn row_id(&self) -> RowId {
        self.id
    }
    fn changed_at(&self) -> OffsetDateTime {
        self.updated_at
    }
}

impl LiveRow for AppSetting {
    fn row_id(&self) -> RowId {
        self.id
    }
    fn changed_at(&self) -> OffsetDateTime {
        self.updated_at
    }
}

/// Applies one update to a list (spec §5): `Post` adds the row if its id is absent, `Patch`
/// replaces the row with that id (or adds it: its post was missed), unless the held row is
/// as new, `Delete` removes it. Returns whether the list changed.
pub fn merge<T: LiveRow>(list: &mut Vec<T>, op: Op, row: T) -> bool {
    let id = row.row_id();
    let at = list.iter().position(|r| r.row_id() == id);
    match (op, at) {
        (Op::Delete, Some(i)) => {
            list.remove(i);
            true
        }
        (Op::Delete, None) | (Op::Post, Some(_)) => false,
        (Op::Patch, Some(i)) => {
            // An older version, or the same one again (a write's own response and its
            // broadcast echo): nothing changes, nobody re-renders. Two different versions with
            // the same change time (a server with millisecond clocks, two quick writers) are
            // not an echo: the later event, in the server's order, wins.
            let held = &list[i];
            if held.changed_at() > row.changed_at()
                || (held.changed_at() == row.changed_at() && *held == row)
            {
                return false;
            }
            list[i] = row;
            true
        }
        (Op::Post | Op::Patch, None) => {
            list.push(row);
            true
        }
    }
}

type Sink = Rc<dyn Fn(Result<LiveEvent, Error>)>;

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

/// The live-update hub of one [`App`]: subscriptions, and the socket in remote mode.
pub(crate) struct Hub {
    app: WeakApp,
    item: String,
    cfg: LiveConfig,
    remote: bool,
    subs: RefCell<Vec<Sub>>,
    next_id: Cell<u32>,
    conn: RefCell<Conn>,
    /// Standalone: the `storage` listener for writes from other tabs.
    storage: RefCell<Option<crate::listen::Listener>>,
    /// Remote: the window `online` listener that cuts a pending backoff short.
    online: RefCell<Option<crate::listen::Listener>>,
}

impl Hub {
    /// A hub for `app` (no socket until the first subscription).
    pub(crate) fn new(app: &App, cfg: LiveConfig) -> Rc<Hub> {
        Rc::new(Hub {
            app: app.downgrade(),
            item: app.item_id().to_string(),
            cfg,
            remote: !app.is_standalone(),
            subs: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            conn: RefCell::new(Conn::default()),
            storage: RefCell::new(None),
            online: RefCell::new(None),
        })
    }

    fn add(self: &Rc<Self>, topic: Topic, sink: Sink) -> u32 {
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
        self.app
            .upgrade()
            .is_some_and(|app| app.context().permission == appframe_protocol::Permission::Admin)
    }

    fn remove(&self, id: u32) {
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
        let Some(app) = self.app.upgrade() else {
            return Ok(());
        };
        let ctx = app.context();
        let ext = ctx.appframe.as_ref().is_some_and(|c| c.has("ws"));
        let url = ws_url(&ctx.api_host)?;
        let token = if ext {
            Some(app.auth_token().await?)
        } else {
            None
        };
        drop(app);
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
        if token_expired && let (Some(app), Some(t)) = (self.app.upgrade(), token) {
            app.invalidate_token(&t);
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
        let Ok(w) = crate::env::window() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let listener = crate::listen::Listener::new(&w, "online", move |_| {
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
        let (Some(app), Ok(w)) = (self.app.upgrade(), crate::env::window()) else {
            return;
        };
        let Some(key) = app.standalone_storage_key() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let listener = crate::listen::Listener::new(&w, "storage", move |ev| {
            let changed = js_sys::Reflect::get(ev, &"key".into())
                .ok()
                .and_then(|k| k.as_string());
            if changed.as_deref() != Some(key.as_str()) {
                return;
            }
            let Some(hub) = weak.upgrade() else { return };
            let Some(app) = hub.app.upgrade() else { return };
            match app.standalone_reload() {
                Ok(()) => hub.broadcast(None, Ok(LiveEvent::Resync)),
                Err(e) => hub.broadcast(None, Err(e)),
            }
        });
        *self.storage.borrow_mut() = Some(listener);
    }
}

/// How [`App`] holds its hub: through this trait only, so an app that never subscribes
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

/// Keeps one subscription registered; dropping it unsubscribes (and closes the socket with the
/// last one). Holds the [`App`] alive.
pub struct LiveHandle {
    _app: App,
    hub: Rc<Hub>,
    id: u32,
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        self.hub.remove(self.id);
    }
}

impl std::fmt::Debug for LiveHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHandle").field("id", &self.id).finish()
    }
}

struct Queue {
    items: VecDeque<Result<LiveEvent, Error>>,
    waker: Option<Waker>,
}

/// A [`futures_core::Stream`] of the updates on one topic of the app's item (see
/// [`App::subscribe`]). It never ends; drop it to unsubscribe.
///
/// Items are `Err` for error responses of the server and for failed (re)connections; the
/// stream goes on after them. Up to 1,024 unread events are kept; beyond, they are replaced by
/// one [`LiveEvent::Resync`].
pub struct Subscription {
    queue: Rc<RefCell<Queue>>,
    _handle: LiveHandle,
}

impl Subscription {
    /// The next event (waits for it).
    pub async fn next(&mut self) -> Option<Result<LiveEvent, Error>> {
        poll_fn(|cx| self.poll(cx)).await
    }

    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<Result<LiveEvent, Error>> {
        self.queue.borrow_mut().items.pop_front()
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<Option<Result<LiveEvent, Error>>> {
        let mut q = self.queue.borrow_mut();
        match q.items.pop_front() {
            Some(ev) => Poll::Ready(Some(ev)),
            None => {
                q.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl futures_core::Stream for Subscription {
    type Item = Result<LiveEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll(cx)
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("waiting", &self.queue.borrow().items.len())
            .finish()
    }
}

/// The state behind a [`LiveAppData`].
struct ListState {
    app: WeakApp,
    ty: Option<String>,
    items: RefCell<Vec<AppData>>,
    /// Bumped on every refetch: only the newest result is used.
    fetch: Cell<u32>,
    fetching: Cell<bool>,
    /// A fetch succeeded: before it, the list is incomplete and nobody is told about it.
    loaded: Cell<bool>,
    /// Updates seen while a refetch is in flight, applied again to its result.
    during_fetch: RefCell<Vec<(Op, AppData)>>,
    on_change: Box<OnChange>,
}

/// The change callback of a [`LiveAppData`].
type OnChange = dyn Fn(Result<&[AppData], &Error>);

impl ListState {
    fn notify(&self) {
        // A copy: the callback may write (and so update this list) while it runs.
        let snapshot = self.items.borrow().clone();
        (self.on_change)(Ok(&snapshot));
    }

    fn apply(&self, op: Op, row: AppData) {
        if op != Op::Delete && self.ty.as_ref().is_some_and(|t| *t != row.ty) {
            return;
        }
        if self.fetching.get() {
            self.during_fetch.borrow_mut().push((op, row.clone()));
        }
        let changed = merge(&mut self.items.borrow_mut(), op, row);
        if changed && self.loaded.get() {
            self.notify();
        }
    }

    fn refetch(self: &Rc<Self>) {
        let Some(app) = self.app.upgrade() else {
            return;
        };
        let n = self.fetch.get().wrapping_add(1);
        self.fetch.set(n);
        self.fetching.set(true);
        self.during_fetch.borrow_mut().clear();
        let weak = Rc::downgrade(self);
        let ty = self.ty.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = list_all(&app, ty).await;
            let Some(st) = weak.upgrade() else { return };
            if st.fetch.get() != n {
                return; // a newer refetch is under way
            }
            st.fetching.set(false);
            match result {
                Ok(mut rows) => {
                    for (op, row) in st.during_fetch.borrow_mut().drain(..) {
                        merge(&mut rows, op, row);
                    }
                    let was_loaded = st.loaded.replace(true);
                    let changed = *st.items.borrow() != rows;
                    *st.items.borrow_mut() = rows;
                    // A refetch (after every reconnect or resync) usually finds what the list
                    // already holds: re-rendering then would only reset what the user is doing
                    // in the app (an open editor, a focused field).
                    if changed || !was_loaded {
                        st.notify();
                    }
                }
                Err(e) => (st.on_change)(Err(&e)),
            }
        });
    }
}

/// Every page of the app data of type `ty`.
async fn list_all(app: &App, ty: Option<String>) -> Result<Vec<AppData>, Error> {
    let mut filter = ListFilter {
        ty,
        ..Default::default()
    };
    let mut rows = Vec::new();
    loop {
        let page = app.list_app_data(filter.clone()).await?;
        rows.extend(page.items);
        match page.next_cursor {
            // A server that hands back the cursor it was given would loop forever.
            Some(c) if filter.cursor.as_ref() != Some(&c) => filter.cursor = Some(c),
            _ => return Ok(rows),
        }
    }
}

/// The app data of the item (optionally of one type), fetched, then kept up to date from live
/// updates and refetched whenever updates may have been missed (see [`App::live_app_data`]).
/// Dropping it unsubscribes.
pub struct LiveAppData {
    state: Rc<ListState>,
    _handle: LiveHandle,
}

impl LiveAppData {
    /// The current rows.
    pub fn items(&self) -> Vec<AppData> {
        self.state.items.borrow().clone()
    }

    /// Whether a fetch has completed (before, the list is incomplete and `on_change` is not
    /// called).
    pub fn is_loaded(&self) -> bool {
        self.state.loaded.get()
    }

    /// Fetches the list again now.
    pub fn refetch(&self) {
        self.state.refetch();
    }

    /// Merges a change the app made itself (the row a create or patch returned, or the row it
    /// deleted), so the list shows it before the server's echo arrives (the echo is then a
    /// no-op). Rows of another type than the list's are ignored.
    pub fn apply(&self, op: Op, row: AppData) {
        self.state.apply(op, row);
    }
}

impl std::fmt::Debug for LiveAppData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveAppData")
            .field("items", &self.state.items.borrow().len())
            .finish()
    }
}

impl App {
    /// Calls `on_event` with every update on `topic` for this item, until the handle is
    /// dropped. All subscriptions of an app share one socket, opened by the first.
    ///
    /// The first event after the socket opens, and after every reconnect, is
    /// [`LiveEvent::Resync`]: refetch what you show, as updates may have been missed.
    pub fn on_update(
        &self,
        topic: Topic,
        on_event: impl Fn(Result<LiveEvent, Error>) + 'static,
    ) -> LiveHandle {
        let hub = self.live_hub();
        let id = hub.add(topic, Rc::new(on_event));
        LiveHandle {
            _app: self.clone(),
            hub,
            id,
        }
    }

    /// A [`Stream`](futures_core::Stream) of the updates on `topic` for this item (see
    /// [`App::on_update`] for the semantics).
    pub fn subscribe(&self, topic: Topic) -> Subscription {
        let queue = Rc::new(RefCell::new(Queue {
            items: VecDeque::new(),
            waker: None,
        }));
        let q = queue.clone();
        let handle = self.on_update(topic, move |ev| {
            let waker = {
                let mut q = q.borrow_mut();
                if q.items.len() >= QUEUE_CAP {
                    // The reader fell far behind: what it missed is replaced by a refetch.
                    q.items.clear();
                    q.items.push_back(Ok(LiveEvent::Resync));
                } else {
                    q.items.push_back(ev);
                }
                q.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        });
        Subscription {
            queue,
            _handle: handle,
        }
    }

    /// The app data of this item (only of type `ty` when given), fetched now and kept merged
    /// with live updates; `on_change` gets the whole list after every change, or the error of
    /// a failed fetch or subscription (the list keeps updating afterwards).
    pub fn live_app_data(
        &self,
        ty: Option<&str>,
        on_change: impl Fn(Result<&[AppData], &Error>) + 'static,
    ) -> LiveAppData {
        let state = Rc::new(ListState {
            app: self.downgrade(),
            ty: ty.map(str::to_owned),
            items: RefCell::new(Vec::new()),
            fetch: Cell::new(0),
            fetching: Cell::new(false),
            loaded: Cell::new(false),
            during_fetch: RefCell::new(Vec::new()),
            on_change: Box::new(on_change),
        });
        let st = state.clone();
        let handle = self.on_update(Topic::AppData, move |ev| match ev {
            Ok(LiveEvent::AppData(op, row)) => st.apply(op, row),
            Ok(LiveEvent::Resync) => st.refetch(),
            Ok(_) => {}
            Err(e) => (st.on_change)(Err(&e)),
        });
        // Fetch now: the socket may be slow to open, or never open (a host without `/ws`).
        state.refetch();
        LiveAppData {
            state,
            _handle: handle,
        }
    }

    /// Standalone: a write of the mock backend reaches the page's subscribers.
    #[cfg_attr(not(feature = "standalone"), allow(dead_code))]
    pub(crate) fn live_emit(&self, topic: Topic, event: impl FnOnce() -> LiveEvent) {
        // As on the server, actions reach admins only (the account may have been switched to a
        // non-admin since it subscribed).
        if topic == Topic::AppActions
            && self.context().permission != appframe_protocol::Permission::Admin
        {
            return;
        }
        if let Some(slot) = self.live_slot() {
            slot.broadcast(Some(topic), Ok(event()));
        }
    }

    /// Standalone: the whole database changed (reset, account switch).
    #[cfg_attr(not(feature = "standalone"), allow(dead_code))]
    pub(crate) fn live_resync(&self) {
        if let Some(slot) = self.live_slot() {
            slot.broadcast(None, Ok(LiveEvent::Resync));
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use appframe_protocol::{
        ItemRef, Member, Visibility,
        ws::{ClientMessage, ServerMessage, UpdateBody, WsError},
    };
    use serde_json::json;

    fn cfg() -> LiveConfig {
        LiveConfig::default()
    }

    #[test]
    fn the_socket_url_keeps_the_api_path_and_follows_the_scheme() {
        assert_eq!(
            ws_url("http://localhost:3000/api").unwrap(),
            "ws://localhost:3000/api/ws"
        );
        assert_eq!(
            ws_url("https://apps.example.org/api/").unwrap(),
            "wss://apps.example.org/api/ws"
        );
        assert_eq!(ws_url("wss://h/api").unwrap(), "wss://h/api/ws");
        assert_eq!(ws_url("ftp://h/api").unwrap_err().code(), "Decode");
        assert_eq!(ws_url("https://").unwrap_err().code(), "Decode");
        assert_eq!(ws_url("").unwrap_err().code(), "Decode");
    }

    #[test]
    fn the_token_rides_as_a_subprotocol_only_when_given() {
        assert!(subprotocols(None).is_empty());
        assert_eq!(
            subprotocols(Some("a.b.c")),
            vec!["appframe.v1".to_owned(), "appframe.token.a.b.c".to_owned()]
        );
    }

    #[test]
    fn backoff_doubles_from_half_a_second_to_a_thirty_second_cap() {
        let full: Vec<u64> = (0..10)
            .map(|a| backoff(&cfg(), a, 1.0).as_millis() as u64)
            .collect();
        assert_eq!(
            full,
            [
                500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000
            ]
        );
        assert_eq!(backoff(&cfg(), u32::MAX, 1.0), Duration::from_secs(30));
    }

    #[test]
    fn backoff_jitter_keeps_at_least_half_of_the_delay() {
        assert_eq!(backoff(&cfg(), 0, 0.0), Duration::from_millis(250));
        assert_eq!(backoff(&cfg(), 3, 0.5), Duration::from_millis(3000));
        assert_eq!(backoff(&cfg(), 6, 0.0), Duration::from_secs(15));
        // Out-of-range randomness is clamped, never a panic.
        assert_eq!(backoff(&cfg(), 0, f64::NAN), Duration::from_millis(500));
        assert_eq!(backoff(&cfg(), 0, -3.0), Duration::from_millis(250));
        assert_eq!(backoff(&cfg(), 0, 7.0), Duration::from_millis(500));
    }

    fn row(id: u128, ty: &str, text: &str, updated: i64) -> AppData {
        let m = Member {
            id: appframe_protocol::AccountId(uuid::Uuid::from_u128(9)),
            name: "Alice".into(),
        };
        let mut data = serde_json::Map::new();
        data.insert("text".into(), text.into());
        AppData {
            id: RowId(uuid::Uuid::from_u128(id)),
            item: ItemRef {
                id: appframe_protocol::ItemId(uuid::Uuid::from_u128(7)),
            },
            account: m.clone(),
            member: m.clone(),
            creator: Some(m),
            ty: ty.into(),
            visibility: Visibility::Item,
            data,
            created_at: OffsetDateTime::from_unix_timestamp(0).unwrap(),
            updated_at: OffsetDateTime::from_unix_timestamp(updated).unwrap(),
        }
    }

    fn texts(list: &[AppData]) -> Vec<&str> {
        list.iter()
            .map(|r| r.data["text"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn post_adds_only_when_the_id_is_absent() {
        let mut list = vec![row(1, "note", "a", 1)];
        assert!(merge(&mut list, Op::Post, row(2, "note", "b", 1)));
        assert!(!merge(&mut list, Op::Post, row(2, "note", "b again", 2)));
        assert_eq!(texts(&list), ["a", "b"]);
    }

    #[test]
    fn patch_replaces_by_id_in_place_unless_the_held_row_is_newer() {
        let mut list = vec![row(1, "note", "a", 1), row(2, "note", "b", 1)];
        assert!(merge(&mut list, Op::Patch, row(1, "note", "a2", 2)));
        assert_eq!(texts(&list), ["a2", "b"]);
        assert!(!merge(&mut list, Op::Patch, row(1, "note", "stale", 1)));
        assert_eq!(texts(&list), ["a2", "b"]);
        // The same version again (an echo) is no change.
        assert!(!merge(&mut list, Op::Patch, row(1, "note", "a2", 2)));
        // A different version with the same change time is a real change (coarse server clocks).
        assert!(merge(&mut list, Op::Patch, row(1, "note", "a3", 2)));
        assert_eq!(texts(&list), ["a3", "b"]);
        // A patch of a row whose post was missed adds it.
        assert!(merge(&mut list, Op::Patch, row(3, "note", "c", 1)));
        assert_eq!(texts(&list), ["a3", "b", "c"]);
    }

    #[test]
    fn delete_removes_by_id_including_the_last_row() {
        let mut list = vec![row(1, "note", "a", 1)];
        assert!(!merge(&mut list, Op::Delete, row(2, "note", "x", 1)));
        assert!(merge(&mut list, Op::Delete, row(1, "note", "a", 1)));
        assert!(list.is_empty());
    }

    /// A frame as the server writes it, from the protocol types.
    fn server(m: &ServerMessage) -> String {
        serde_json::to_string(m).unwrap()
    }

    #[test]
    fn an_update_message_becomes_a_typed_event() {
        let r = row(1, "note", "hi", 1);
        let text = server(&ServerMessage::Update {
            realm: "notif".into(),
            topic: "app-data".into(),
            channel: "c1".into(),
            body: UpdateBody::AppData {
                kind: "app-data".into(),
                op: Op::Post,
                app_data: Box::new(r.clone()),
            },
        });
        assert_eq!(
            parse_incoming(&text).unwrap(),
            Incoming::Update {
                topic: Topic::AppData,
                channel: "c1".into(),
                event: LiveEvent::AppData(Op::Post, r)
            }
        );
    }

    #[test]
    fn setting_and_action_updates_carry_their_entity() {
        let setting: AppSetting = serde_json::from_value(json!({"id": uuid::Uuid::from_u128(5),
            "name": "colors", "data": {}, "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z"}))
        .unwrap();
        let text = server(&ServerMessage::Update {
            realm: "notif".into(),
            topic: "app-settings".into(),
            channel: "c1".into(),
            body: UpdateBody::AppSetting {
                kind: "app-settings".into(),
                op: Op::Delete,
                app_setting: Box::new(setting.clone()),
            },
        });
        let Incoming::Update { event, .. } = parse_incoming(&text).unwrap() else {
            panic!("not an update");
        };
        assert_eq!(event, LiveEvent::AppSetting(Op::Delete, setting));
        // An update whose body does not match its topic is an error, not a wrong event.
        let wrong = text.replace("\"topic\":\"app-settings\"", "\"topic\":\"app-data\"");
        assert_eq!(parse_incoming(&wrong).unwrap_err().code(), "Decode");
    }

    #[test]
    fn an_error_response_names_its_topic_and_keeps_the_server_error() {
        let text = server(&ServerMessage::Response {
            realm: "notif".into(),
            status: "error".into(),
            request: Some(json!({"realm": "notif", "action": "subscribe",
                "topic": "app-actions", "channel": "c1"})),
            error: Some(WsError {
                name: "ACCESS_DENIED".into(),
                message: "admins only".into(),
            }),
        });
        let Incoming::Failed { topic, error } = parse_incoming(&text).unwrap() else {
            panic!("not a failure");
        };
        assert_eq!(topic, Some(Topic::AppActions));
        assert_eq!(error.code(), "Live");
        assert_eq!(
            error,
            Error::Live {
                name: "ACCESS_DENIED".into(),
                message: "admins only".into()
            }
        );
        // Bad JSON has no request to name: the error goes to every topic.
        let text = server(&ServerMessage::Response {
            realm: "notif".into(),
            status: "error".into(),
            request: None,
            error: Some(WsError {
                name: "BAD_REQUEST".into(),
                message: "not JSON".into(),
            }),
        });
        assert!(matches!(
            parse_incoming(&text).unwrap(),
            Incoming::Failed { topic: None, .. }
        ));
    }

    #[test]
    fn info_messages_are_heartbeat_resync_or_closing_with_its_reason() {
        let info = |message: &str, extra: Option<serde_json::Value>| {
            parse_incoming(&server(&ServerMessage::Info {
                realm: "notif".into(),
                message: message.into(),
                extra,
            }))
            .unwrap()
        };
        assert_eq!(info("heartbeat", None), Incoming::Other);
        assert_eq!(info("resync", None), Incoming::Resync);
        assert_eq!(
            info("closing", Some(json!({"reason": "token-expired"}))),
            Incoming::Closing("token-expired".into())
        );
        let ok = server(&ServerMessage::Response {
            realm: "notif".into(),
            status: "success".into(),
            request: None,
            error: None,
        });
        assert_eq!(parse_incoming(&ok).unwrap(), Incoming::Other);
    }

    #[test]
    fn garbage_and_unknown_topics_do_not_become_updates() {
        assert_eq!(parse_incoming("not json").unwrap_err().code(), "Decode");
        assert_eq!(
            parse_incoming(r#"{"type":"nope"}"#).unwrap_err().code(),
            "Decode"
        );
        assert_eq!(
            parse_incoming(r#"{"type":"update","topic":"app-data"}"#)
                .unwrap_err()
                .code(),
            "Decode"
        );
        let r = row(1, "note", "hi", 1);
        let text = json!({"realm": "notif", "type": "update", "topic": "items",
            "channel": "c1", "body": {"kind": "app-data", "op": "post", "appData": r}})
        .to_string();
        assert_eq!(parse_incoming(&text).unwrap(), Incoming::Other);
    }

    #[test]
    fn client_messages_are_the_protocol_notif_requests() {
        let ours: serde_json::Value =
            serde_json::from_str(&client_message("subscribe", Topic::AppSettings, "c1")).unwrap();
        let protocol = serde_json::to_value(ClientMessage::Subscribe {
            realm: "notif".into(),
            topic: "app-settings".into(),
            channel: "c1".into(),
        })
        .unwrap();
        assert_eq!(ours, protocol);
        let ours: serde_json::Value =
            serde_json::from_str(&client_message("unsubscribe", Topic::AppData, "c1")).unwrap();
        let protocol = serde_json::to_value(ClientMessage::Unsubscribe {
            realm: "notif".into(),
            topic: "app-data".into(),
            channel: "c1".into(),
        })
        .unwrap();
        assert_eq!(ours, protocol);
    }
}
