//! The bridge: one app iframe, its origin and source checks, the context answer with a fresh
//! port, the token relay and the resize handling.

use crate::{
    error::{Error, js_message},
    log::{Channel, Direction, LogEntry, LogFn, NOT_PROTOCOL, Outcome, clip, raw_type},
    token::{
        AppTokenRequest, CONTEXT_UNAVAILABLE, FetchTokenProvider, ORIGIN_MISMATCH,
        TOKEN_RATE_LIMITED, TOKEN_TIMEOUT, TokenBucket, TokenProvider,
    },
};
use appframe_protocol::{
    FailurePayload, HostCapabilities, ItemId, KeyOrigin, LocalContext, Message, TokenPayload,
};
use futures::future::{Either, select};
use gloo_timers::{callback::Timeout, future::TimeoutFuture};
use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
    time::Duration,
};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{HtmlIFrameElement, MessageChannel, MessageEvent, MessagePort, Url, Window};

/// The iframe `sandbox`: scripts and same-origin (the app needs its own origin for storage and
/// CORS), forms, popups and downloads; no top navigation, no pointer lock, no modals.
pub const SANDBOX: &str =
    "allow-scripts allow-same-origin allow-forms allow-popups allow-downloads";
/// The iframe `allow` (permissions policy): fullscreen and writing to the clipboard.
pub const ALLOW: &str = "fullscreen; clipboard-write";
/// Version of the appframe bridge extensions advertised in `LocalContext.appframe`.
pub const BRIDGE_VERSION: u32 = 1;
/// Extensions advertised in `LocalContext.appframe.features`: `failure` (the bridge answers
/// refusals with `*_FAILURE_*` messages) and `rehandshake` (every GET_CONTEXT gets a new port and
/// older ports keep working).
pub const FEATURES: [&str; 2] = ["failure", "rehandshake"];
/// Default lower bound of the iframe height, in CSS px.
pub const DEFAULT_MIN_HEIGHT: f64 = 50.0;
/// Default upper bound of the iframe height, in CSS px.
pub const DEFAULT_MAX_HEIGHT: f64 = 20_000.0;
/// Default time the token provider has before the app gets `TOKEN_TIMEOUT`.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(20);
/// Default GET_AUTH_TOKEN requests of one frame relayed at once to the token provider.
pub const DEFAULT_TOKEN_BURST: u32 = 5;
/// Default time after which one more GET_AUTH_TOKEN of a frame is relayed, past the burst.
pub const DEFAULT_TOKEN_REFILL: Duration = Duration::from_secs(10);
/// Least time between two applied auto-resizes; a burst is coalesced into its last height.
pub const RESIZE_INTERVAL_MS: f64 = 50.0;
/// Most ports kept per bridge: an app that re-handshakes endlessly cannot grow memory without
/// bound. Apps re-handshake on reconnect or remount, a handful of times per page, so the oldest
/// port is closed only in that abusive case.
pub const MAX_PORTS: usize = 64;

/// Where the context of each answer comes from.
pub enum ContextProvider {
    /// The same context every time.
    Fixed(Box<LocalContext>),
    /// Called for every GET_CONTEXT (and token request, for `apiHost`); an `Err` is sent to the
    /// app as `GET_CONTEXT_FAILURE` / `GET_AUTH_TOKEN_FAILURE`.
    Dynamic(Rc<dyn Fn() -> Result<LocalContext, FailurePayload>>),
}

impl ContextProvider {
    /// A provider calling `f` for every request.
    pub fn from_fn(f: impl Fn() -> Result<LocalContext, FailurePayload> + 'static) -> Self {
        ContextProvider::Dynamic(Rc::new(f))
    }

    fn get(&self) -> Result<LocalContext, FailurePayload> {
        match self {
            ContextProvider::Fixed(c) => Ok(c.as_ref().clone()),
            ContextProvider::Dynamic(f) => f(),
        }
    }
}

impl From<LocalContext> for ContextProvider {
    fn from(c: LocalContext) -> Self {
        ContextProvider::Fixed(Box::new(c))
    }
}

/// Everything [`Bridge::attach`] needs to know.
pub struct BridgeOptions {
    /// The app item; messages for other items are ignored.
    pub item_id: ItemId,
    /// The app's URL; it may carry a query string. `itemId` is appended.
    pub app_url: String,
    /// Registered origins of the app's publisher; must include the origin of `app_url`.
    pub app_origins: Vec<String>,
    /// The context sent to the app.
    pub context: ContextProvider,
    /// Where tokens come from (default: [`FetchTokenProvider`]).
    pub token: Rc<dyn TokenProvider>,
    /// Called for every message in and out.
    pub on_log: Option<LogFn>,
    /// Lower bound of the iframe height in CSS px.
    pub min_height: f64,
    /// Upper bound of the iframe height in CSS px.
    pub max_height: f64,
    /// How long the token provider may take before the app gets `TOKEN_TIMEOUT`.
    pub token_timeout: Duration,
    /// GET_AUTH_TOKEN requests of this frame relayed at once; past them the app gets
    /// `TOKEN_RATE_LIMITED` and the provider is not called.
    pub token_burst: u32,
    /// After the burst, one more request is relayed per this much time.
    pub token_refill: Duration,
    /// Extensions of the platform's server, advertised after the bridge's own [`FEATURES`]
    /// (e.g. `"ws"`: `/api/ws` takes the app token and sends heartbeats). Empty by default:
    /// only a host whose apps talk to an appframe server may claim them.
    pub server_features: Vec<String>,
}

impl BridgeOptions {
    /// Options with the default token provider, no log and default height bounds.
    pub fn new(
        item_id: ItemId,
        app_url: impl Into<String>,
        app_origins: Vec<String>,
        context: impl Into<ContextProvider>,
    ) -> Self {
        BridgeOptions {
            item_id,
            app_url: app_url.into(),
            app_origins,
            context: context.into(),
            token: Rc::new(FetchTokenProvider::new()),
            on_log: None,
            min_height: DEFAULT_MIN_HEIGHT,
            max_height: DEFAULT_MAX_HEIGHT,
            token_timeout: DEFAULT_TOKEN_TIMEOUT,
            token_burst: DEFAULT_TOKEN_BURST,
            token_refill: DEFAULT_TOKEN_REFILL,
            server_features: Vec::new(),
        }
    }

    /// Relays at most `burst` GET_AUTH_TOKEN requests of the frame at once, then one per
    /// `refill` (a token bucket); the others get `TOKEN_RATE_LIMITED` without reaching the
    /// provider. An app caches its token, so a frame asking more often is broken or hostile.
    pub fn token_rate_limit(mut self, burst: u32, refill: Duration) -> Self {
        self.token_burst = burst;
        self.token_refill = refill;
        self
    }

    /// Uses this token provider.
    pub fn token_provider(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.token = Rc::new(provider);
        self
    }

    /// Calls `f` for every message in and out.
    pub fn on_log(mut self, f: impl Fn(&LogEntry) + 'static) -> Self {
        self.on_log = Some(Rc::new(f));
        self
    }

    /// Bounds the iframe height (CSS px).
    pub fn height_bounds(mut self, min: f64, max: f64) -> Self {
        self.min_height = min;
        self.max_height = max;
        self
    }

    /// Gives the token provider this long before the app gets `TOKEN_TIMEOUT`.
    pub fn token_timeout(mut self, timeout: Duration) -> Self {
        self.token_timeout = timeout;
        self
    }

    /// Also advertises these server extensions in the context (see
    /// [`BridgeOptions::server_features`]).
    pub fn server_features<S: Into<String>>(
        mut self,
        features: impl IntoIterator<Item = S>,
    ) -> Self {
        self.server_features = features.into_iter().map(Into::into).collect();
        self
    }
}

/// An app iframe connected to its host. Dropping it (or [`Bridge::detach`]) removes every
/// listener and closes every port: the app gets no answer afterwards.
pub struct Bridge {
    inner: Rc<Inner>,
    window: Window,
    listener: Closure<dyn FnMut(MessageEvent)>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("item_id", &self.inner.item_id)
            .field("app_origins", &self.inner.origins)
            .finish_non_exhaustive()
    }
}

struct Inner {
    item_id: ItemId,
    iframe: HtmlIFrameElement,
    origins: Vec<String>,
    context: ContextProvider,
    token: Rc<dyn TokenProvider>,
    log: Option<LogFn>,
    min_height: f64,
    max_height: f64,
    token_timeout: Duration,
    /// GET_AUTH_TOKEN requests this frame may still have relayed.
    token_bucket: Cell<TokenBucket>,
    server_features: Vec<String>,
    detached: Cell<bool>,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    ports: Vec<PortHandle>,
    next_port: u32,
    resize: ResizeState,
}

#[derive(Default)]
struct ResizeState {
    /// The item setting `isResizable` of the last context sent: the viewer resizes the frame by
    /// hand, so the app's POST_AUTO_RESIZE is ignored (what Graasp's host does).
    user_resizable: bool,
    /// The last height applied, `None` after POST_MAX_RESIZE or before the first.
    last: Option<u32>,
    /// When it was applied (`performance.now()` ms).
    last_at: f64,
    /// The newest height waiting for the rate limit.
    pending: Option<u32>,
    /// A trailing apply is scheduled.
    scheduled: bool,
    /// The trailing timer; kept after it fires (dropping a gloo Timeout from inside its own
    /// callback is avoided) and replaced by the next one.
    timer: Option<Timeout>,
}

/// One handed-out port with its handler; closing on drop is what "detach" means for ports.
struct PortHandle {
    port: MessagePort,
    _handler: Closure<dyn FnMut(MessageEvent)>,
}

impl Drop for PortHandle {
    fn drop(&mut self) {
        self.port.set_onmessage(None);
        self.port.close();
    }
}

/// What to do with an auto-resize request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ResizeStep {
    /// Apply at once.
    Now,
    /// Apply after this many ms (rate limit).
    Later(f64),
    /// A trailing apply is already scheduled; it takes this height.
    Coalesced,
    /// The iframe already has this height.
    Same,
}

/// Where an answer goes.
#[derive(Clone)]
enum Reply {
    /// Back on the port the request came on.
    Port { port: MessagePort, id: u32 },
    /// To the iframe window, for this exact origin (GET_CONTEXT answers and mobile mode).
    Window { origin: String },
}

impl Reply {
    fn channel(&self) -> Channel {
        match self {
            Reply::Port { id, .. } => Channel::Port(*id),
            Reply::Window { .. } => Channel::Window,
        }
    }
}

impl Bridge {
    /// Connects `iframe` to the app: installs the listener, sets `sandbox`, `allow` and `src`
    /// (the app URL plus `itemId`), and from then on answers the app.
    pub fn attach(iframe: HtmlIFrameElement, opts: BridgeOptions) -> Result<Bridge, Error> {
        let window = web_sys::window().ok_or(Error::NoWindow)?;
        if !(opts.min_height.is_finite()
            && opts.max_height.is_finite()
            && opts.min_height >= 0.0
            && opts.min_height <= opts.max_height)
        {
            return Err(Error::BadOptions(format!(
                "height bounds must be finite with 0 <= min <= max, got {}..{}",
                opts.min_height, opts.max_height
            )));
        }
        let base = window.location().href().map_err(Error::js)?;
        let url = Url::new_with_base(&opts.app_url, &base).map_err(|_| Error::BadAppUrl {
            url: opts.app_url.clone(),
        })?;
        let origins: Vec<String> = opts
            .app_origins
            .iter()
            .map(|o| o.trim_end_matches('/').to_owned())
            .collect();
        let origin = url.origin();
        if !origins.contains(&origin) {
            return Err(Error::OriginNotRegistered { origin });
        }
        let src = app_src(&url.href(), &opts.item_id);

        let inner = Rc::new(Inner {
            item_id: opts.item_id,
            iframe: iframe.clone(),
            origins,
            context: opts.context,
            token: opts.token,
            log: opts.on_log,
            min_height: opts.min_height,
            max_height: opts.max_height,
            token_timeout: opts.token_timeout,
            token_bucket: Cell::new(TokenBucket::new(
                opts.token_burst,
                opts.token_refill.as_secs_f64() * 1000.0,
                now_ms(),
            )),
            server_features: opts.server_features,
            detached: Cell::new(false),
            state: RefCell::new(State::default()),
        });
        let weak = Rc::downgrade(&inner);
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(inner) = weak.upgrade() {
                inner.on_window_message(&ev);
            }
        });
        window
            .add_event_listener_with_callback("message", listener.as_ref().unchecked_ref())
            .map_err(Error::js)?;
        let bridge = Bridge {
            inner,
            window,
            listener,
        };
        // Attributes before `src`: the sandbox applies from the navigation `src` starts, and the
        // listener is already in place for the app's first GET_CONTEXT.
        iframe
            .set_attribute("sandbox", SANDBOX)
            .map_err(Error::js)?;
        iframe.set_attribute("allow", ALLOW).map_err(Error::js)?;
        iframe.set_src(&src);
        Ok(bridge)
    }

    /// The app item.
    pub fn item_id(&self) -> ItemId {
        self.inner.item_id
    }

    /// The iframe.
    pub fn iframe(&self) -> &HtmlIFrameElement {
        &self.inner.iframe
    }

    /// How many ports are open (one per answered GET_CONTEXT, at most [`MAX_PORTS`]).
    pub fn open_ports(&self) -> usize {
        self.inner.state.borrow().ports.len()
    }

    /// Stops answering and closes every port (the same as dropping the bridge).
    pub fn detach(self) {
        drop(self);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.inner.detached.set(true);
        // Removing can only fail for a non-callable listener, which ours is not; nothing to do then.
        let _ = self
            .window
            .remove_event_listener_with_callback("message", self.listener.as_ref().unchecked_ref());
        // Take everything out before dropping so no RefCell borrow is held while ports close.
        let (ports, timer) = {
            let mut st = self.inner.state.borrow_mut();
            (std::mem::take(&mut st.ports), st.resize.timer.take())
        };
        drop(ports);
        drop(timer);
    }
}

/// The iframe `src`: the app URL with `itemId=<id>` appended to its query (before any `#`).
pub fn app_src(app_url: &str, item_id: &ItemId) -> String {
    let (base, fragment) = match app_url.find('#') {
        Some(i) => app_url.split_at(i),
        None => (app_url, ""),
    };
    let sep = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    format!("{base}{sep}itemId={item_id}{fragment}")
}

/// Whether the item setting `isResizable` is `true` (only a JSON `true` counts).
pub fn is_user_resizable(ctx: &LocalContext) -> bool {
    ctx.settings.get("isResizable") == Some(&serde_json::Value::Bool(true))
}

/// A computed CSS length in px (`1px`, `0.5px`) as a number; 0 for anything else.
pub fn px(v: &str) -> f64 {
    v.trim()
        .strip_suffix("px")
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite())
        .unwrap_or(0.0)
}

/// The iframe height for a requested height: rounded up (apps send fractional content heights),
/// then bounded. `None` for non-finite requests.
pub fn bounded_height(requested: f64, min: f64, max: f64) -> Option<u32> {
    if !requested.is_finite() {
        return None;
    }
    // Bounds are validated finite and within 0..=u32::MAX-ish by attach; the cast saturates anyway.
    Some(
        requested
            .ceil()
            .clamp(min.ceil(), max.floor().max(min.ceil())) as u32,
    )
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

impl Inner {
    fn log(&self, direction: Direction, channel: Channel, ty: &str, outcome: Outcome, data: &str) {
        if let Some(log) = &self.log {
            log(&LogEntry {
                direction,
                channel,
                message_type: ty.to_owned(),
                outcome,
                data: clip(data),
            });
        }
    }

    fn ignore_in(&self, channel: Channel, ty: &str, reason: impl Into<String>, data: &str) {
        self.log(
            Direction::In,
            channel,
            ty,
            Outcome::Ignored(reason.into()),
            data,
        );
    }

    fn is_from_iframe(&self, ev: &MessageEvent) -> bool {
        match (ev.source(), self.iframe.content_window()) {
            (Some(source), Some(frame)) => js_sys::Object::is(&source, &frame),
            _ => false,
        }
    }

    fn on_window_message(self: &Rc<Self>, ev: &MessageEvent) {
        if self.detached.get() {
            return;
        }
        let from_iframe = self.is_from_iframe(ev);
        let Some(text) = ev.data().as_string() else {
            // Objects are never protocol messages; only our app's are worth a log line.
            if from_iframe {
                self.ignore_in(Channel::Window, NOT_PROTOCOL, "not a JSON string", "");
            }
            return;
        };
        let msg = match Message::decode(&text) {
            Ok(m) => m,
            Err(e) => {
                if from_iframe {
                    self.ignore_in(Channel::Window, &raw_type(&text), e.to_string(), &text);
                }
                return;
            }
        };
        let ty = msg.kind().prefix();
        if msg.item_id() != self.item_id {
            // Another bridge on the page may own that item; log only what our own app sends.
            if from_iframe {
                self.ignore_in(
                    Channel::Window,
                    ty,
                    format!("for item {}, not {}", msg.item_id(), self.item_id),
                    &text,
                );
            }
            return;
        }
        if !from_iframe {
            self.ignore_in(Channel::Window, ty, "source is not the app iframe", &text);
            return;
        }
        let origin = ev.origin();
        if !self.origins.contains(&origin) {
            self.ignore_in(
                Channel::Window,
                ty,
                format!("origin {origin:?} is not registered for the app"),
                &text,
            );
            return;
        }
        let reply = Reply::Window {
            origin: origin.clone(),
        };
        match msg {
            Message::GetContext { .. } => {
                self.log(Direction::In, Channel::Window, ty, Outcome::Handled, &text);
                self.answer_context(&origin);
            }
            // Mobile mode: no port, the app keeps talking on the window.
            Message::GetAuthToken { payload, .. } => {
                self.log(Direction::In, Channel::Window, ty, Outcome::Handled, &text);
                self.relay_token(reply, payload, origin);
            }
            Message::PostAutoResize { height, .. } => {
                self.auto_resize(Channel::Window, height, &text)
            }
            Message::PostMaxResize { .. } => self.max_resize(Channel::Window, &text),
            _ => self.ignore_in(
                Channel::Window,
                ty,
                "a host-to-app message sent to the host",
                &text,
            ),
        }
    }

    fn on_port_message(
        self: &Rc<Self>,
        port: &MessagePort,
        id: u32,
        origin: &str,
        ev: &MessageEvent,
    ) {
        if self.detached.get() {
            return;
        }
        let channel = Channel::Port(id);
        let Some(text) = ev.data().as_string() else {
            self.ignore_in(channel, NOT_PROTOCOL, "not a JSON string", "");
            return;
        };
        let msg = match Message::decode(&text) {
            Ok(m) => m,
            Err(e) => {
                self.ignore_in(channel, &raw_type(&text), e.to_string(), &text);
                return;
            }
        };
        let ty = msg.kind().prefix();
        if msg.item_id() != self.item_id {
            self.ignore_in(
                channel,
                ty,
                format!("for item {}, not {}", msg.item_id(), self.item_id),
                &text,
            );
            return;
        }
        match msg {
            Message::GetAuthToken { payload, .. } => {
                self.log(Direction::In, channel, ty, Outcome::Handled, &text);
                let reply = Reply::Port {
                    port: port.clone(),
                    id,
                };
                self.relay_token(reply, payload, origin.to_owned());
            }
            Message::PostAutoResize { height, .. } => self.auto_resize(channel, height, &text),
            Message::PostMaxResize { .. } => self.max_resize(channel, &text),
            Message::GetContext { .. } => self.ignore_in(
                channel,
                ty,
                "GET_CONTEXT is only answered on the window",
                &text,
            ),
            _ => self.ignore_in(channel, ty, "a host-to-app message sent to the host", &text),
        }
    }

    fn send(&self, reply: &Reply, msg: &Message, transfer: Option<&MessagePort>) {
        if self.detached.get() {
            return;
        }
        let wire = msg.encode();
        let data = JsValue::from_str(&wire);
        let result = match reply {
            Reply::Port { port, .. } => port.post_message(&data),
            Reply::Window { origin } => match self.iframe.content_window() {
                // Always the exact origin the request came from (checked as registered), never `*`.
                Some(w) => match transfer {
                    Some(p) => w.post_message_with_transfer(&data, origin, &js_sys::Array::of1(p)),
                    None => w.post_message(&data, origin),
                },
                None => Err(JsValue::from_str(
                    "the iframe has no window (removed from the page)",
                )),
            },
        };
        let outcome = match result {
            Ok(()) => Outcome::Sent,
            Err(e) => Outcome::Failed(js_message(&e)),
        };
        self.log(
            Direction::Out,
            reply.channel(),
            msg.kind().prefix(),
            outcome,
            &wire,
        );
    }

    /// The context as sent: this bridge's item, an absolute `apiHost` without trailing slash,
    /// and the bridge's capabilities.
    fn context(&self) -> Result<LocalContext, FailurePayload> {
        let mut ctx = self.context.get()?;
        ctx.item_id = self.item_id;
        ctx.api_host = absolute_api_host(&ctx.api_host)?;
        ctx.appframe = Some(HostCapabilities {
            version: BRIDGE_VERSION,
            features: FEATURES
                .iter()
                .map(|f| (*f).to_owned())
                .chain(self.server_features.iter().cloned())
                .collect(),
        });
        Ok(ctx)
    }

    fn answer_context(self: &Rc<Self>, origin: &str) {
        let reply = Reply::Window {
            origin: origin.to_owned(),
        };
        let ctx = match self.context() {
            Ok(c) => c,
            Err(error) => {
                let msg = Message::GetContextFailure {
                    item_id: self.item_id,
                    error,
                };
                self.send(&reply, &msg, None);
                return;
            }
        };
        self.state.borrow_mut().resize.user_resizable = is_user_resizable(&ctx);
        let channel = match MessageChannel::new() {
            Ok(c) => c,
            Err(e) => {
                let msg = Message::GetContextFailure {
                    item_id: self.item_id,
                    error: FailurePayload {
                        code: "CHANNEL_FAILED".into(),
                        message: js_message(&e),
                    },
                };
                self.send(&reply, &msg, None);
                return;
            }
        };
        let port = channel.port1();
        let id = {
            let mut st = self.state.borrow_mut();
            st.next_port += 1;
            st.next_port
        };
        let weak: Weak<Inner> = Rc::downgrade(self);
        let handler_port = port.clone();
        let bound_origin = origin.to_owned();
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(inner) = weak.upgrade() {
                inner.on_port_message(&handler_port, id, &bound_origin, &ev);
            }
        });
        // Setting `onmessage` also starts the port.
        port.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        let evicted = {
            let mut st = self.state.borrow_mut();
            st.ports.push(PortHandle {
                port,
                _handler: handler,
            });
            if st.ports.len() > MAX_PORTS {
                Some(st.ports.remove(0))
            } else {
                None
            }
        };
        drop(evicted);
        let msg = Message::GetContextSuccess {
            item_id: self.item_id,
            context: Box::new(ctx),
        };
        self.send(&reply, &msg, Some(&channel.port2()));
    }

    fn relay_token(self: &Rc<Self>, reply: Reply, payload: KeyOrigin, bound_origin: String) {
        let fail = |error: FailurePayload| Message::GetAuthTokenFailure {
            item_id: self.item_id,
            error,
        };
        // The port was given to `bound_origin` only; an app claiming another origin would get a
        // token minted for someone else's origin.
        if payload.origin != bound_origin {
            let error = FailurePayload {
                code: ORIGIN_MISMATCH.into(),
                message: format!(
                    "the request names origin {:?} but comes from {bound_origin:?}",
                    payload.origin
                ),
            };
            self.send(&reply, &fail(error), None);
            return;
        }
        let api_host = match self.context() {
            Ok(c) => c.api_host,
            Err(e) => {
                self.send(&reply, &fail(e), None);
                return;
            }
        };
        let mut bucket = self.token_bucket.get();
        let allowed = bucket.take(now_ms());
        self.token_bucket.set(bucket);
        if let Err(wait_ms) = allowed {
            let error = FailurePayload {
                code: TOKEN_RATE_LIMITED.into(),
                message: format!(
                    "too many token requests from this frame; retry in {} s",
                    (wait_ms / 1000.0).ceil().max(1.0)
                ),
            };
            self.send(&reply, &fail(error), None);
            return;
        }
        let request = AppTokenRequest {
            item_id: self.item_id,
            key: payload.key,
            origin: payload.origin,
            api_host,
        };
        let token = self.token.token(request);
        let timeout_ms = u32::try_from(self.token_timeout.as_millis()).unwrap_or(u32::MAX);
        let weak = Rc::downgrade(self);
        let item_id = self.item_id;
        wasm_bindgen_futures::spawn_local(async move {
            let result = match select(token, TimeoutFuture::new(timeout_ms)).await {
                Either::Left((r, _)) => r,
                Either::Right(_) => Err(FailurePayload {
                    code: TOKEN_TIMEOUT.into(),
                    message: format!("no token within {timeout_ms} ms"),
                }),
            };
            // Detached meanwhile: the bridge is gone and the app gets nothing more.
            let Some(inner) = weak.upgrade() else { return };
            let msg = match result {
                Ok(token) => Message::GetAuthTokenSuccess {
                    item_id,
                    payload: TokenPayload { token },
                },
                Err(error) => Message::GetAuthTokenFailure { item_id, error },
            };
            inner.send(&reply, &msg, None);
        });
    }

    fn auto_resize(self: &Rc<Self>, channel: Channel, requested: f64, text: &str) {
        let ty = "POST_AUTO_RESIZE";
        if self.state.borrow().resize.user_resizable {
            self.ignore_in(channel, ty, "the item is resizable by the viewer", text);
            return;
        }
        let Some(height) = bounded_height(requested, self.min_height, self.max_height) else {
            self.ignore_in(channel, ty, "height is not finite", text);
            return;
        };
        let now = now_ms();
        let step = {
            let mut st = self.state.borrow_mut();
            let rs = &mut st.resize;
            if rs.scheduled {
                // A trailing apply is coming; it will use this newest height.
                rs.pending = Some(height);
                ResizeStep::Coalesced
            } else if rs.last == Some(height) {
                ResizeStep::Same
            } else if now - rs.last_at < RESIZE_INTERVAL_MS {
                rs.pending = Some(height);
                rs.scheduled = true;
                ResizeStep::Later(RESIZE_INTERVAL_MS - (now - rs.last_at))
            } else {
                ResizeStep::Now
            }
        };
        if step == ResizeStep::Same {
            // Repeats are normal (the app re-sends when its height settles) and would loop.
            self.ignore_in(channel, ty, format!("already {height}px"), text);
            return;
        }
        self.log(Direction::In, channel, ty, Outcome::Handled, text);
        match step {
            ResizeStep::Now => self.apply_height(height),
            ResizeStep::Later(ms) => {
                let weak = Rc::downgrade(self);
                let timer = Timeout::new(ms.ceil() as u32, move || {
                    if let Some(inner) = weak.upgrade() {
                        inner.flush_resize();
                    }
                });
                // Replacing the previous timer is safe: it has fired (`scheduled` was false).
                let old = self.state.borrow_mut().resize.timer.replace(timer);
                drop(old);
            }
            ResizeStep::Coalesced | ResizeStep::Same => {}
        }
    }

    fn flush_resize(&self) {
        let height = {
            let mut st = self.state.borrow_mut();
            st.resize.scheduled = false;
            let pending = st.resize.pending.take();
            pending.filter(|h| st.resize.last != Some(*h))
        };
        if let Some(h) = height {
            self.apply_height(h);
        }
    }

    fn apply_height(&self, height: u32) {
        if self.detached.get() {
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            st.resize.last = Some(height);
            st.resize.last_at = now_ms();
        }
        // The app measured its document: that is the height of the frame's viewport. Under the
        // common `* { box-sizing: border-box }` the frame's border and padding would eat into
        // it and the app would scroll, so they are added (the host's CSS is left alone).
        let total = f64::from(height) + self.border_box_extra();
        // Setting a style property on a live element does not fail; nothing to report if it did.
        let _ = self
            .iframe
            .style()
            .set_property("height", &format!("{total}px"));
    }

    /// Vertical border + padding of the frame when its `box-sizing` is `border-box`, else 0.
    fn border_box_extra(&self) -> f64 {
        let Some(css) = web_sys::window()
            .and_then(|w| w.get_computed_style(&self.iframe).ok())
            .flatten()
        else {
            return 0.0;
        };
        let get = |name: &str| css.get_property_value(name).unwrap_or_default();
        if get("box-sizing") != "border-box" {
            return 0.0;
        }
        [
            "border-top-width",
            "border-bottom-width",
            "padding-top",
            "padding-bottom",
        ]
        .iter()
        .map(|p| px(&get(p)))
        .sum()
    }

    fn max_resize(&self, channel: Channel, text: &str) {
        {
            let mut st = self.state.borrow_mut();
            st.resize.last = None;
            st.resize.pending = None;
            st.resize.scheduled = false;
        }
        self.log(
            Direction::In,
            channel,
            "POST_MAX_RESIZE",
            Outcome::Handled,
            text,
        );
        let _ = self.iframe.style().set_property("height", "100vh");
    }
}

/// Resolves `apiHost` against the page (apps need it absolute) and drops a trailing slash.
fn absolute_api_host(api_host: &str) -> Result<String, FailurePayload> {
    let base = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let url = Url::new_with_base(api_host, &base).map_err(|_| FailurePayload {
        code: CONTEXT_UNAVAILABLE.into(),
        message: format!("apiHost {api_host:?} is not a URL"),
    })?;
    Ok(url.href().trim_end_matches('/').to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn item() -> ItemId {
        "860336f0-9317-4193-91ad-5d58f6a975d8".parse().unwrap()
    }

    #[test]
    fn app_src_appends_item_id_with_question_mark_or_ampersand() {
        let id = item();
        assert_eq!(
            app_src("http://a/app/", &id),
            format!("http://a/app/?itemId={id}")
        );
        assert_eq!(
            app_src("http://a/app/?x=1", &id),
            format!("http://a/app/?x=1&itemId={id}")
        );
        assert_eq!(
            app_src("http://a/app/?", &id),
            format!("http://a/app/?itemId={id}")
        );
        assert_eq!(
            app_src("http://a/?x=1#top", &id),
            format!("http://a/?x=1&itemId={id}#top")
        );
    }

    #[test]
    fn px_reads_computed_lengths_and_nothing_else() {
        assert_eq!(px("1px"), 1.0);
        assert_eq!(px(" 0.5px "), 0.5);
        assert_eq!(px("0px"), 0.0);
        assert_eq!(px("auto"), 0.0);
        assert_eq!(px(""), 0.0);
        assert_eq!(px("infpx"), 0.0);
    }

    #[test]
    fn only_a_true_is_resizable_setting_turns_auto_resize_off() {
        let mut ctx = LocalContext::new("http://127.0.0.1:8080/api", item());
        assert!(!is_user_resizable(&ctx));
        ctx.settings
            .insert("isResizable".into(), serde_json::json!("true"));
        assert!(!is_user_resizable(&ctx));
        ctx.settings
            .insert("isResizable".into(), serde_json::json!(false));
        assert!(!is_user_resizable(&ctx));
        ctx.settings
            .insert("isResizable".into(), serde_json::json!(true));
        assert!(is_user_resizable(&ctx));
    }

    #[test]
    fn bounded_height_rounds_up_and_clamps_and_rejects_non_finite() {
        assert_eq!(bounded_height(619.25, 50.0, 800.0), Some(620));
        assert_eq!(bounded_height(10.0, 50.0, 800.0), Some(50));
        assert_eq!(bounded_height(1e9, 50.0, 800.0), Some(800));
        assert_eq!(bounded_height(-3.0, 0.0, 800.0), Some(0));
        assert_eq!(bounded_height(f64::NAN, 50.0, 800.0), None);
        assert_eq!(bounded_height(f64::INFINITY, 50.0, 800.0), None);
    }
}
