//! Protocol v2 on the host side (`docs/protocol-v2.md`): the app's lifecycle (ready, failure,
//! close request, teardown with its acknowledgement), live context changes, display modes, links
//! opened by the host, and liveness pings. Every v2 message travels on a port, and the bridge
//! sends one only to an app whose latest GET_CONTEXT announced version 2: a Graasp app never
//! sees one.
//!
//! The bridge reads and checks each message (origin, source, item, port) as for v1; the browser
//! work of the v2 messages (promises, timers, fullscreen, `window.open`) is `V2Host` in
//! `host/js/browser.js`, whose header states why it is JavaScript.

use super::{Bridge, Inner, Reply};
use appframe_protocol::ContextChange;
use js_sys::{Function, Promise};
use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
};
use wasm_bindgen::{JsCast, JsValue, closure::Closure, prelude::wasm_bindgen};
use web_sys::{HtmlIFrameElement, MessagePort};

/// How long [`Bridge::teardown`](crate::Bridge::teardown) waits for TEARDOWN_ACK.
pub const TEARDOWN_ACK_MS: i32 = 500;
/// Failure code of [`AppEvent::Failed`] when the app did not signal ready in time.
pub const READY_TIMEOUT: &str = "READY_TIMEOUT";

#[wasm_bindgen(module = "/js/browser.js")]
extern "C" {
    /// The v2 host of one bridge (`host/js/browser.js`); the page's `handle.lifecycle`.
    pub(crate) type V2Host;
    #[wasm_bindgen(constructor, catch)]
    fn new(
        frame: &HtmlIFrameElement,
        item: &str,
        call: &Function,
        opts: &JsValue,
    ) -> Result<V2Host, JsValue>;
    #[wasm_bindgen(method)]
    pub(crate) fn ready(this: &V2Host);
    #[wasm_bindgen(method)]
    pub(crate) fn stop(this: &V2Host);
    /// Why a v2 message cannot be handled (a bad payload), or `""`.
    #[wasm_bindgen(method)]
    pub(crate) fn check(this: &V2Host, ty: &str, payload: &JsValue) -> String;
    /// Handles a v2 message that passed [`V2Host::check`].
    #[wasm_bindgen(method)]
    pub(crate) fn on(this: &V2Host, ty: &str, payload: &JsValue);
    /// Sends CONTEXT_CHANGED; throws on a change that is not a plain object.
    #[wasm_bindgen(method, catch, js_name = updateContext)]
    pub(crate) fn update_context(this: &V2Host, change: &JsValue) -> Result<bool, JsValue>;
    /// PING: resolves to whether PONG came within `ms`.
    #[wasm_bindgen(method)]
    pub(crate) fn ping(this: &V2Host, ms: i32) -> Promise;
    /// TEARDOWN, the acknowledgement or 500 ms, then the bridge detaches.
    #[wasm_bindgen(method)]
    pub(crate) fn teardown(this: &V2Host, reason: &str) -> Promise;
}

/// The v2 state of one bridge.
pub(crate) struct Lifecycle {
    /// Whether the app's latest GET_CONTEXT announced version 2.
    pub(crate) v2: Cell<bool>,
    /// The newest port with its number: where v2 messages to the app go.
    port: RefCell<Option<(MessagePort, u32)>>,
    pub(crate) js: V2Host,
    /// The bridge as `V2Host` calls it back (kept alive with it).
    _call: Closure<dyn FnMut(u32, String, String) -> bool>,
}

impl Lifecycle {
    /// The v2 state of a bridge being made: `inner` is filled with that bridge once it exists;
    /// `opts` holds `onEvent` and `readyTimeoutMs` (checked by `V2Host`).
    pub(crate) fn new(
        frame: &HtmlIFrameElement,
        item: &str,
        inner: Rc<RefCell<Weak<Inner>>>,
        opts: &JsValue,
    ) -> Result<Self, JsValue> {
        let call = Closure::new(move |op: u32, ty: String, text: String| {
            let Some(inner) = inner.borrow().upgrade() else {
                return false;
            };
            if op == 0 {
                inner.send_v2(&ty, &text)
            } else {
                inner.shut();
                true
            }
        });
        Ok(Lifecycle {
            v2: Cell::new(false),
            port: RefCell::new(None),
            js: V2Host::new(frame, item, call.as_ref().unchecked_ref(), opts)?,
            _call: call,
        })
    }

    /// Remembers the port just handed out.
    pub(crate) fn port_opened(&self, port: &MessagePort, id: u32) {
        *self.port.borrow_mut() = Some((port.clone(), id));
    }
}

impl Inner {
    /// Sends `text` (a v2 message of type `ty`) on the newest port; `false` when the app does
    /// not speak v2 or has no port yet, and nothing is sent.
    pub(super) fn send_v2(&self, ty: &str, text: &str) -> bool {
        let port = self.life.port.borrow().clone();
        match port {
            Some((port, id)) if self.life.v2.get() && !self.detached.get() => {
                self.post(&Reply::Port { port, id }, ty, text, None);
                true
            }
            _ => false,
        }
    }
}

impl Bridge {
    /// Tells a v2 app that context fields changed (CONTEXT_CHANGED on its newest port); `false`
    /// when the app does not speak v2 or has no port yet, and nothing was sent. The context
    /// provider should answer a later GET_CONTEXT with the changed values too.
    pub fn change_context(&self, change: &ContextChange) -> bool {
        // Serializing plain structs with string keys cannot fail, nor can parsing the result.
        let json = serde_json::to_string(change).unwrap_or_default();
        let value = js_sys::JSON::parse(&json).unwrap_or(JsValue::UNDEFINED);
        self.inner.life.js.update_context(&value).unwrap_or(false)
    }

    /// Whether the app's latest GET_CONTEXT announced protocol v2, so that
    /// [`Bridge::change_context`], [`Bridge::ping`] and [`Bridge::teardown`] reach it. A host
    /// changes a v1 app's context the Graasp way instead: by attaching it again. `false` before
    /// the app's first GET_CONTEXT and once the bridge stopped answering.
    pub fn app_speaks_v2(&self) -> bool {
        self.inner.life.v2.get() && !self.inner.detached.get()
    }

    /// The v2 host object the JS facade hands the page as `handle.lifecycle`.
    #[cfg(feature = "js")]
    pub(crate) fn lifecycle(&self) -> JsValue {
        // The extern type derefs to its `JsValue`.
        self.inner.life.js.clone()
    }

    /// Pings a v2 app: resolves to `true` when its PONG arrives within `timeout_ms`, else (or
    /// for a v1 app) to `false`.
    pub fn ping(&self, timeout_ms: i32) -> impl std::future::Future<Output = bool> + use<> {
        settled(self.ping_promise(timeout_ms))
    }

    fn ping_promise(&self, timeout_ms: i32) -> js_sys::Promise {
        self.inner.life.js.ping(timeout_ms)
    }

    /// Removes the app gracefully: a v2 app gets TEARDOWN with `reason` and up to
    /// [`TEARDOWN_ACK_MS`] to save and answer TEARDOWN_ACK; then the bridge detaches. Resolves
    /// to whether the app acknowledged (always `false` for a v1 app, detached at once).
    pub async fn teardown(self, reason: &str) -> bool {
        let acked = settled(self.teardown_promise(reason)).await;
        drop(self);
        acked
    }

    fn teardown_promise(&self, reason: &str) -> js_sys::Promise {
        self.inner.life.js.teardown(reason)
    }

    /// Whether the bridge still answers (not dropped, not torn down).
    #[cfg(feature = "js")]
    pub(crate) fn answering(&self) -> bool {
        !self.inner.detached.get()
    }
}

/// A boolean promise of the v2 host as a Rust future.
async fn settled(p: js_sys::Promise) -> bool {
    wasm_bindgen_futures::JsFuture::from(p)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        == Some(true)
}
