//! Protocol v2 on the host side (`docs/protocol-v2.md`): the app's lifecycle (ready, failure,
//! close request, teardown with its acknowledgement), live context changes, display modes, links
//! opened by the host, and liveness pings. Every v2 message travels on a port, and the bridge
//! sends one only to an app whose latest GET_CONTEXT announced version 2: a Graasp app never
//! sees one.

use super::{Inner, Reply};
use crate::{
    error::js_message,
    log::{Channel, Direction, Outcome},
    wire::{Inbound, Outbound, get},
};
use appframe_protocol::{DisplayMode, FailurePayload, MessageKind, lifecycle::code};
use js_sys::{Function, Promise};
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use wasm_bindgen::{JsCast, JsValue, closure::Closure, prelude::wasm_bindgen};
use wasm_bindgen_futures::JsFuture;
use web_sys::MessagePort;

/// How long [`Bridge::teardown`](crate::Bridge::teardown) waits for TEARDOWN_ACK.
pub const TEARDOWN_ACK_MS: i32 = 500;
/// Failure code of [`AppEvent::Failed`] when the app did not signal ready in time.
pub const READY_TIMEOUT: &str = "READY_TIMEOUT";

/// What the app tells its host about itself (`BridgeOptions::on_event`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEvent {
    /// The app can be shown: POST_READY from a v2 app; a v1 app once its context is answered.
    Ready,
    /// The app cannot run: POST_FAILURE with its code and message, or [`READY_TIMEOUT`].
    Failed(FailurePayload),
    /// REQUEST_CLOSE: the app asks to be closed; the host decides.
    CloseRequested,
    /// A display mode was granted (REQUEST_DISPLAY_MODE answered with SUCCESS).
    DisplayMode(DisplayMode),
}

/// The host's callback for [`AppEvent`]s.
pub type EventFn = Rc<dyn Fn(&AppEvent)>;

#[wasm_bindgen]
extern "C" {
    /// An element seen for `requestFullscreen()` with its promise (web-sys drops it).
    type Fullscreenable;
    #[wasm_bindgen(method, catch, js_name = requestFullscreen)]
    fn request_fullscreen(this: &Fullscreenable) -> Result<Promise, JsValue>;
}

/// The v2 state of one bridge.
#[derive(Default)]
pub(crate) struct Lifecycle {
    /// Whether the app's latest GET_CONTEXT announced version 2.
    pub(crate) v2: Cell<bool>,
    /// Whether the app signalled ready (or, for a v1 app, had its context answered).
    ready: Cell<bool>,
    /// The newest port with its number: where host-initiated messages go.
    port: RefCell<Option<(MessagePort, u32)>>,
    /// Resolvers waiting for TEARDOWN_ACK.
    acks: RefCell<Vec<Function>>,
    /// Resolvers waiting for PONG.
    pongs: RefCell<Vec<Function>>,
}

impl Lifecycle {
    /// Remembers the port just handed out.
    pub(crate) fn port_opened(&self, port: &MessagePort, id: u32) {
        *self.port.borrow_mut() = Some((port.clone(), id));
    }
}

fn failure(code: &str, message: &str) -> FailurePayload {
    FailurePayload {
        code: code.into(),
        message: message.into(),
    }
}

/// Whether the host page has a transient user activation now. A click in the app's frame
/// activates its ancestors too, so this is true right after a gesture in the app.
fn user_active() -> bool {
    let nav = get(&js_sys::global(), "navigator");
    get(&get(&nav, "userActivation"), "isActive").as_bool() == Some(true)
}

impl Inner {
    fn event(&self, e: &AppEvent) {
        if let Some(f) = &self.on_event {
            f(e);
        }
    }

    /// The app is ready (POST_READY, or a v1 app's answered context).
    pub(super) fn app_ready(&self) {
        self.life.ready.set(true);
        self.event(&AppEvent::Ready);
    }

    /// Called once the ready timeout passed: a failure if the app never became ready.
    pub(super) fn ready_deadline(&self, ms: u32) {
        if !self.life.ready.get() {
            let message = [
                "the app did not signal ready within ",
                &crate::text::uint(u64::from(ms)),
                " ms",
            ]
            .concat();
            self.event(&AppEvent::Failed(failure(READY_TIMEOUT, &message)));
        }
    }

    /// A v2 message (of type `ty`) from the app on port `id`.
    pub(super) fn on_v2(
        self: &Rc<Self>,
        port: &MessagePort,
        id: u32,
        ty: &str,
        inbound: Inbound,
        text: &str,
    ) {
        self.log(Direction::In, Channel::Port(id), ty, Outcome::Handled, text);
        let reply = Reply::Port {
            port: port.clone(),
            id,
        };
        let item = self.item_id;
        match inbound {
            Inbound::Ready => self.app_ready(),
            Inbound::Failure(f) => self.event(&AppEvent::Failed(f)),
            Inbound::RequestClose => self.event(&AppEvent::CloseRequested),
            Inbound::TeardownAck => settle(&self.life.acks),
            Inbound::Pong => settle(&self.life.pongs),
            Inbound::Ping => self.send(&reply, &Outbound::bare(MessageKind::Pong, &item), None),
            Inbound::OpenLink(url) => {
                let msg = match open_link(&url) {
                    Ok(()) => Outbound::bare(MessageKind::OpenLinkSuccess, &item),
                    Err(e) => Outbound::failure(MessageKind::OpenLinkFailure, &item, &e),
                };
                self.send(&reply, &msg, None);
            }
            Inbound::DisplayMode(mode) => self.display_mode(reply, mode),
            _ => {}
        }
    }

    /// Grants `mode`: inline at once (leaving fullscreen if the frame is in it), fullscreen
    /// only right after a user gesture and if the browser allows it.
    fn display_mode(self: &Rc<Self>, reply: Reply, mode: DisplayMode) {
        let item = self.item_id;
        let weak = Rc::downgrade(self);
        let answer = move |result: Result<DisplayMode, FailurePayload>| {
            let Some(inner) = weak.upgrade() else { return };
            let msg = match result {
                Ok(mode) => {
                    inner.event(&AppEvent::DisplayMode(mode));
                    Outbound::display_mode(&item, mode)
                }
                Err(e) => Outbound::failure(MessageKind::RequestDisplayModeFailure, &item, &e),
            };
            inner.send(&reply, &msg, None);
        };
        if mode == DisplayMode::Inline {
            if let Some(doc) = self.iframe.owner_document()
                && doc
                    .fullscreen_element()
                    .is_some_and(|e| js_sys::Object::is(&e, &self.iframe))
            {
                doc.exit_fullscreen();
            }
            return answer(Ok(mode));
        }
        if !user_active() {
            let e = "fullscreen needs a user gesture in the app";
            return answer(Err(failure(code::USER_GESTURE_REQUIRED, e)));
        }
        match self
            .iframe
            .unchecked_ref::<Fullscreenable>()
            .request_fullscreen()
        {
            Ok(p) => wasm_bindgen_futures::spawn_local(async move {
                let result = JsFuture::from(p)
                    .await
                    .map(|_| mode)
                    .map_err(|e| failure(code::DISPLAY_MODE_UNSUPPORTED, &js_message(&e)));
                answer(result);
            }),
            Err(e) => answer(Err(failure(
                code::DISPLAY_MODE_UNSUPPORTED,
                &js_message(&e),
            ))),
        }
    }

    /// Sends a host-initiated v2 message on the newest port; `false` when the app does not
    /// speak v2 or has no port yet (nothing is sent).
    pub(super) fn send_v2(&self, msg: &Outbound) -> bool {
        let port = self.life.port.borrow().clone();
        match port {
            Some((port, id)) if self.life.v2.get() && !self.detached.get() => {
                self.send(&Reply::Port { port, id }, msg, None);
                true
            }
            _ => false,
        }
    }

    /// Sends `msg` (TEARDOWN, or PING) and resolves to `true` when the app answers it
    /// (TEARDOWN_ACK, or PONG), or to `false` after `ms` (or at once when nothing was sent).
    pub(super) fn ask(&self, msg: &Outbound, teardown: bool, ms: i32) -> Promise {
        let sent = self.send_v2(msg);
        Promise::new(&mut |resolve: Function, _| {
            if !sent {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::FALSE);
                return;
            }
            let at_deadline = resolve.clone();
            let timeout = Closure::once_into_js(move || {
                let _ = at_deadline.call1(&JsValue::NULL, &JsValue::FALSE);
            });
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    timeout.unchecked_ref(),
                    ms,
                );
            }
            let waiting = if teardown {
                &self.life.acks
            } else {
                &self.life.pongs
            };
            waiting.borrow_mut().push(resolve);
        })
    }
}

/// Resolves every waiting resolver with `true`.
fn settle(waiting: &RefCell<Vec<Function>>) {
    let settled = waiting.take();
    for f in settled {
        let _ = f.call1(&JsValue::NULL, &JsValue::TRUE);
    }
}

/// Opens an absolute http(s) URL in a new tab without an opener; refuses anything else
/// (`javascript:`, `data:`, relative URLs, other schemes).
fn open_link(url: &str) -> Result<(), FailurePayload> {
    let refused = |why: &str| failure(code::LINK_REFUSED, why);
    let parsed = web_sys::Url::new(url).map_err(|_| refused("not an absolute URL"))?;
    if !matches!(parsed.protocol().as_str(), "http:" | "https:") {
        return Err(refused("only http and https links are opened"));
    }
    let window = web_sys::window().ok_or_else(|| refused("no browser window"))?;
    window
        .open_with_url_and_target_and_features(&parsed.href(), "_blank", "noopener,noreferrer")
        .map(drop)
        .map_err(|e| refused(&js_message(&e)))
}
