//! The bridge: one app iframe, its origin and source checks, and the answers: the context with a
//! fresh port, tokens through the relay, heights through the resizer.

use crate::{
    error::{Error, js_message},
    grant,
    log::{Channel, Direction, LogEntry, LogFn, NOT_PROTOCOL, Outcome, clip},
    options::{BridgeOptions, ContextProvider},
    ports::{PortHandle, Ports},
    relay::{Deliver, TokenRelay},
    resize::Resizer,
    text,
    token::CONTEXT_UNAVAILABLE,
    wire::{self, Inbound, Outbound, Sent},
};
use appframe_protocol::{FailurePayload, ItemId, KeyOrigin, MessageKind, lifecycle::feature};
use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{HtmlIFrameElement, MessageChannel, MessageEvent, MessagePort, Url, Window};

mod lifecycle;
mod src_url;

pub use src_url::app_src;

pub use lifecycle::{READY_TIMEOUT, TEARDOWN_ACK_MS};

/// Extensions advertised in `LocalContext.appframe.features`: `failure` (the bridge answers
/// refusals with `*_FAILURE_*` messages), `rehandshake` (every GET_CONTEXT gets a new port and
/// older ports keep working), and the protocol v2 features (`docs/protocol-v2.md`).
pub const FEATURES: [&str; 8] = [
    "failure",
    "rehandshake",
    feature::LIFECYCLE,
    feature::CONTEXT_CHANGED,
    feature::DISPLAY_MODE,
    feature::OPEN_LINK,
    feature::PING,
    feature::PUSH_TOKEN,
];

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

/// What the bridge's listeners reach: the checks, the context, and the rooms it answers with
/// (ports, token relay, resizer).
struct Inner {
    item_id: ItemId,
    iframe: HtmlIFrameElement,
    origins: Vec<String>,
    context: ContextProvider,
    server_features: Vec<String>,
    /// The items of `appframe.granted`: the permissions the frame's `allow` and `sandbox` grant.
    granted: String,
    log: Option<LogFn>,
    relay: TokenRelay,
    resizer: Rc<Resizer>,
    ports: RefCell<Ports>,
    detached: Cell<bool>,
    life: lifecycle::Lifecycle,
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
            return Err(Error::BadOptions(text::concat(&[
                "height bounds must be finite with 0 <= min <= max, got ",
                &text::number(opts.min_height),
                "..",
                &text::number(opts.max_height),
            ])));
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
        let mut item = String::new();
        text::push_id(&mut item, &opts.item_id);
        let grant::Grant {
            allow,
            sandbox,
            granted,
        } = grant::grant(opts.permissions.as_deref());

        let v2_opts = match opts.js_options {
            Some(o) => o,
            None => {
                let o = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&o, &"onEvent".into(), &opts.on_event);
                let ms = JsValue::from_f64(opts.ready_timeout.as_secs_f64() * 1000.0);
                let _ = js_sys::Reflect::set(&o, &"readyTimeoutMs".into(), &ms);
                o.into()
            }
        };
        let slot = Rc::new(RefCell::new(Weak::new()));
        let life = lifecycle::Lifecycle::new(&iframe, &item, slot.clone(), &v2_opts)
            .map_err(|e| Error::BadOptions(js_message(&e)))?;
        let inner = Rc::new(Inner {
            item_id: opts.item_id,
            iframe: iframe.clone(),
            origins,
            context: opts.context,
            server_features: opts.server_features,
            granted,
            log: opts.on_log,
            relay: TokenRelay::new(
                opts.token,
                opts.token_timeout,
                opts.token_burst,
                opts.token_refill,
            ),
            resizer: Rc::new(Resizer::new(
                iframe.clone(),
                opts.min_height,
                opts.max_height,
            )),
            ports: RefCell::new(Ports::default()),
            detached: Cell::new(false),
            life,
        });
        let weak = Rc::downgrade(&inner);
        *slot.borrow_mut() = weak.clone();
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
            .set_attribute("sandbox", &sandbox)
            .map_err(Error::js)?;
        iframe.set_attribute("allow", &allow).map_err(Error::js)?;
        // With the app's key known, its first token is asked for now: the request is on the
        // network while the frame loads, and the app's GET_CONTEXT asks for nothing new.
        if let Some(key) = opts.app_key {
            let inner = &bridge.inner;
            let ask = KeyOrigin {
                key,
                origin: origin.clone(),
            };
            inner.relay.ask_ahead(inner.item_id, ask, &origin, &|| {
                inner.context().map(|c| c.api_host)
            });
        }
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

    /// How many ports are open (one per answered GET_CONTEXT, at most [`MAX_PORTS`](crate::MAX_PORTS)).
    pub fn open_ports(&self) -> usize {
        self.inner.ports.borrow().len()
    }

    /// Stops answering and closes every port (the same as dropping the bridge).
    pub fn detach(self) {
        drop(self);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.inner.shut();
        // Removing can only fail for a non-callable listener, which ours is not; nothing to do then.
        let _ = self
            .window
            .remove_event_listener_with_callback("message", self.listener.as_ref().unchecked_ref());
    }
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

    /// Reads a message for this bridge's item; anything else is logged (when `log_all`) and
    /// dropped.
    fn read(
        &self,
        channel: Channel,
        ev: &MessageEvent,
        log_all: bool,
    ) -> Option<(String, MessageKind, Inbound)> {
        let Some(text) = ev.data().as_string() else {
            // Objects are never protocol messages; only our app's are worth a log line.
            if log_all {
                self.ignore_in(channel, NOT_PROTOCOL, "not a JSON string", "");
            }
            return None;
        };
        let (kind, item_id, inbound) = match wire::decode(&text) {
            Ok(m) => m,
            Err(e) => {
                if log_all {
                    let ty = e.ty.as_deref().unwrap_or(NOT_PROTOCOL);
                    self.ignore_in(channel, ty, e.reason, &text);
                }
                return None;
            }
        };
        if item_id != self.item_id {
            // Another bridge on the page may own that item; log only what our own app sends.
            if log_all {
                let mut reason = String::from("for item ");
                text::push_id(&mut reason, &item_id);
                reason.push_str(", not ");
                text::push_id(&mut reason, &self.item_id);
                self.ignore_in(channel, kind.prefix(), reason, &text);
            }
            return None;
        }
        Some((text, kind, inbound))
    }

    fn on_window_message(self: &Rc<Self>, ev: &MessageEvent) {
        if self.detached.get() {
            return;
        }
        let from_iframe = self.is_from_iframe(ev);
        let Some((text, kind, inbound)) = self.read(Channel::Window, ev, from_iframe) else {
            return;
        };
        let ty = kind.prefix();
        if !from_iframe {
            self.ignore_in(Channel::Window, ty, "source is not the app iframe", &text);
            return;
        }
        let origin = ev.origin();
        if !self.origins.contains(&origin) {
            let reason = text::concat(&[
                "origin ",
                &text::quoted(&origin),
                " is not registered for the app",
            ]);
            self.ignore_in(Channel::Window, ty, reason, &text);
            return;
        }
        match inbound {
            Inbound::GetContext(payload, announced) => {
                self.log(Direction::In, Channel::Window, ty, Outcome::Handled, &text);
                self.life.v2.set(announced.v2);
                self.answer_context(&origin, payload, announced.push_token);
            }
            // Mobile mode: no port, the app keeps talking on the window.
            Inbound::GetAuthToken(payload) => {
                self.log(Direction::In, Channel::Window, ty, Outcome::Handled, &text);
                let reply = Reply::Window {
                    origin: origin.clone(),
                };
                self.relay_token(reply, payload, &origin);
            }
            Inbound::AutoResize(height) => self.auto_resize(Channel::Window, height, &text),
            Inbound::MaxResize => self.max_resize(Channel::Window, &text),
            Inbound::HostToApp => self.ignore_in(
                Channel::Window,
                ty,
                "a host-to-app message sent to the host",
                &text,
            ),
            _ => self.ignore_in(Channel::Window, ty, "v2 messages go on the port", &text),
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
        let Some((text, kind, inbound)) = self.read(channel, ev, true) else {
            return;
        };
        let ty = kind.prefix();
        match inbound {
            Inbound::GetAuthToken(payload) => {
                self.log(Direction::In, channel, ty, Outcome::Handled, &text);
                let reply = Reply::Port {
                    port: port.clone(),
                    id,
                };
                self.relay_token(reply, payload, origin);
            }
            Inbound::AutoResize(height) => self.auto_resize(channel, height, &text),
            Inbound::MaxResize => self.max_resize(channel, &text),
            Inbound::GetContext(..) => self.ignore_in(
                channel,
                ty,
                "GET_CONTEXT is only answered on the window",
                &text,
            ),
            Inbound::HostToApp => {
                self.ignore_in(channel, ty, "a host-to-app message sent to the host", &text)
            }
            Inbound::V2(payload) => {
                let why = self.life.js.check(ty, &payload);
                if !why.is_empty() {
                    return self.ignore_in(channel, ty, why, &text);
                }
                self.log(Direction::In, channel, ty, Outcome::Handled, &text);
                // Answers and later host messages go to the port the app spoke on last.
                self.life.port_opened(port, id);
                self.life.js.on(ty, &payload);
            }
        }
    }

    fn send(&self, reply: &Reply, msg: &Outbound, transfer: Option<&MessagePort>) {
        self.post(reply, msg.kind.prefix(), &msg.wire, transfer);
    }

    /// Posts `wire` (of type `ty`, for the log) to the app.
    fn post(&self, reply: &Reply, ty: &str, wire: &str, transfer: Option<&MessagePort>) {
        if self.detached.get() {
            return;
        }
        let data = JsValue::from_str(wire);
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
        self.log(Direction::Out, reply.channel(), ty, outcome, wire);
    }

    /// Stops answering: closes every port, stops resizing and the v2 host (the window listener
    /// goes with the [`Bridge`]).
    fn shut(&self) {
        self.detached.set(true);
        self.resizer.stop();
        self.life.js.stop();
        // Taken out before dropping so no RefCell borrow is held while ports close.
        let ports = self.ports.borrow_mut().take_all();
        drop(ports);
    }

    /// The context as sent: this bridge's item, an absolute `apiHost` without trailing slash,
    /// and the bridge's capabilities.
    fn context(&self) -> Result<Sent<'_>, FailurePayload> {
        let ctx = self.context.get()?;
        let api_host = absolute_api_host(&ctx.api_host)?;
        let features = FEATURES
            .iter()
            .copied()
            .chain(self.server_features.iter().map(String::as_str))
            .collect();
        Ok(Sent {
            ctx,
            item_id: self.item_id,
            api_host,
            features,
            granted: &self.granted,
        })
    }

    /// Answers GET_CONTEXT; when the answer is the context, the token of the same key and
    /// origin is asked for first (its request is on the network while the answer is written).
    /// With `push_token` (the app announced it will not ask), that token then follows the
    /// context on the new port, as the answer to a GET_AUTH_TOKEN of that key and origin on that
    /// port would, with the same checks and rate limit.
    fn answer_context(self: &Rc<Self>, origin: &str, ask: KeyOrigin, push_token: bool) {
        let reply = Reply::Window {
            origin: origin.to_owned(),
        };
        let ctx = match self.context() {
            Ok(c) => c,
            Err(error) => {
                let msg = Outbound::context_failure(&self.item_id, &error);
                self.send(&reply, &msg, None);
                return;
            }
        };
        let pushed = push_token.then(|| ask.clone());
        self.relay
            .ask_ahead(self.item_id, ask, origin, &|| Ok(ctx.api_host.clone()));
        self.resizer.follow_context(ctx.ctx.resizable);
        let channel = match MessageChannel::new() {
            Ok(c) => c,
            Err(e) => {
                let error = FailurePayload {
                    code: "CHANNEL_FAILED".into(),
                    message: js_message(&e),
                };
                let msg = Outbound::context_failure(&self.item_id, &error);
                self.send(&reply, &msg, None);
                return;
            }
        };
        let port = channel.port1();
        let id = self.ports.borrow_mut().next_id();
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
        self.life.port_opened(&port, id);
        let push = pushed.map(|ask| {
            let reply = Reply::Port {
                port: port.clone(),
                id,
            };
            (reply, ask)
        });
        let evicted = self.ports.borrow_mut().keep(PortHandle {
            port,
            _handler: handler,
        });
        drop(evicted);
        let msg = Outbound::context(&ctx);
        self.send(&reply, &msg, Some(&channel.port2()));
        if let Some((reply, ask)) = push {
            self.relay_token(reply, ask, origin);
        }
        // A v1 app has no way to say it is ready: its answered context is the sign.
        if !self.life.v2.get() {
            self.life.js.ready();
        }
    }

    fn relay_token(self: &Rc<Self>, reply: Reply, payload: KeyOrigin, bound_origin: &str) {
        let item_id = self.item_id;
        let weak = Rc::downgrade(self);
        let deliver: Deliver = Box::new(move |result| {
            // Detached meanwhile: the bridge is gone and the app gets nothing more.
            let Some(inner) = weak.upgrade() else { return };
            let msg = match result {
                Ok(token) => Outbound::token(&item_id, &token),
                Err(error) => Outbound::token_failure(&item_id, &error),
            };
            inner.send(&reply, &msg, None);
        });
        // Only a request naming its channel's own origin may take the token asked for ahead;
        // any other gets the relay's ORIGIN_MISMATCH below.
        let deliver = if payload.origin == bound_origin {
            match self.relay.take_ahead(&payload, deliver) {
                Some(deliver) => deliver,
                None => return,
            }
        } else {
            deliver
        };
        self.relay.relay(
            item_id,
            payload,
            bound_origin,
            &|| self.context().map(|c| c.api_host),
            deliver,
        );
    }

    fn auto_resize(self: &Rc<Self>, channel: Channel, requested: f64, text: &str) {
        let ty = "POST_AUTO_RESIZE";
        match self.resizer.auto_resize(requested) {
            Ok(()) => self.log(Direction::In, channel, ty, Outcome::Handled, text),
            Err(refused) => self.ignore_in(channel, ty, refused.reason(), text),
        }
    }

    fn max_resize(&self, channel: Channel, text: &str) {
        self.resizer.max_resize();
        self.log(
            Direction::In,
            channel,
            "POST_MAX_RESIZE",
            Outcome::Handled,
            text,
        );
    }
}

/// Resolves `apiHost` against the page (apps need it absolute) and drops a trailing slash.
fn absolute_api_host(api_host: &str) -> Result<String, FailurePayload> {
    let base = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let url = Url::new_with_base(api_host, &base).map_err(|_| FailurePayload {
        code: CONTEXT_UNAVAILABLE.into(),
        message: text::concat(&["apiHost ", &text::quoted(api_host), " is not a URL"]),
    })?;
    Ok(url.href().trim_end_matches('/').to_owned())
}
