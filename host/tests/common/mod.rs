//! A fake app in a srcdoc iframe (same origin as the test page) that records what it receives
//! and sends protocol messages from its own window, so `event.source` is the iframe.

#![allow(dead_code)]

use appframe_protocol::{ContextRequest, ItemId, KeyOrigin, Message};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Promise, Reflect};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlIFrameElement, Window};

/// The fake app. It wraps its own `postMessage` to record every `targetOrigin` the host uses.
pub const FAKE_APP: &str = r#"<!doctype html><html><body><script>
window.received = []; window.ports = []; window.targets = [];
const realPost = window.postMessage.bind(window);
window.postMessage = function (msg, target, transfer) {
  window.targets.push(String(target));
  return realPost(msg, target, transfer);
};
window.addEventListener('message', (ev) => {
  const port = ev.ports && ev.ports[0];
  if (port) {
    const idx = window.ports.length;
    window.ports.push(port);
    port.onmessage = (pe) => window.received.push({ via: 'port' + idx, data: String(pe.data), hasPort: false });
  }
  window.received.push({ via: 'window', data: typeof ev.data === 'string' ? ev.data : JSON.stringify(ev.data), hasPort: !!port });
});
window.send = (msg) => setTimeout(() => window.parent.postMessage(msg, '*'), 0);
window.sendOnPort = (i, msg) => setTimeout(() => window.ports[i].postMessage(msg), 0);
</script></body></html>"#;

/// One message the fake app received.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    /// `window`, or `portN` for the N-th port (from 0).
    pub via: String,
    /// The JSON string.
    pub data: String,
    /// Whether a port came with it.
    pub has_port: bool,
}

impl Received {
    /// The decoded protocol message.
    pub fn message(&self) -> Message {
        Message::decode(&self.data).unwrap()
    }
}

pub fn window() -> Window {
    web_sys::window().unwrap()
}

pub fn page_origin() -> String {
    window().location().origin().unwrap()
}

/// A fresh iframe with the fake app as srcdoc, not yet in the page.
pub fn new_frame() -> HtmlIFrameElement {
    let doc = window().document().unwrap();
    let iframe: HtmlIFrameElement = doc.create_element("iframe").unwrap().dyn_into().unwrap();
    iframe.set_srcdoc(FAKE_APP);
    iframe
}

/// Puts the iframe in the page and waits for its load.
pub async fn mount(iframe: &HtmlIFrameElement) -> Window {
    let loaded = Promise::new(&mut |resolve, _| iframe.set_onload(Some(&resolve)));
    window()
        .document()
        .unwrap()
        .body()
        .unwrap()
        .append_child(iframe)
        .unwrap();
    JsFuture::from(loaded).await.unwrap();
    iframe.set_onload(None);
    iframe.content_window().unwrap()
}

fn call(win: &Window, name: &str, args: &[JsValue]) {
    let f: Function = Reflect::get(win, &name.into()).unwrap().dyn_into().unwrap();
    let arr = js_sys::Array::new();
    for a in args {
        arr.push(a);
    }
    f.apply(&JsValue::NULL, &arr).unwrap();
}

/// The fake app posts `msg` to its parent (the test page) from its own window.
pub fn send(win: &Window, msg: &str) {
    call(win, "send", &[msg.into()]);
}

/// The fake app posts `msg` on its `i`-th port (from 0).
pub fn send_on_port(win: &Window, i: u32, msg: &str) {
    call(win, "sendOnPort", &[i.into(), msg.into()]);
}

/// What the fake app received so far.
pub fn received(win: &Window) -> Vec<Received> {
    serde_wasm_bindgen::from_value(Reflect::get(win, &"received".into()).unwrap()).unwrap()
}

/// Every `targetOrigin` the host posted to the fake app with.
pub fn targets(win: &Window) -> Vec<String> {
    serde_wasm_bindgen::from_value(Reflect::get(win, &"targets".into()).unwrap()).unwrap()
}

pub async fn sleep(ms: u32) {
    TimeoutFuture::new(ms).await;
}

/// Polls `cond` every 10 ms for up to 3 s.
pub async fn wait_for(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..300 {
        if cond() {
            return true;
        }
        sleep(10).await;
    }
    cond()
}

/// Waits until the fake app has received at least `n` messages, and returns them.
pub async fn received_at_least(win: &Window, n: usize) -> Vec<Received> {
    assert!(
        wait_for(|| received(win).len() >= n).await,
        "expected {n} messages, got {:?}",
        received(win)
    );
    received(win)
}

pub fn get_context(item: ItemId) -> String {
    Message::GetContext {
        item_id: item,
        payload: ContextRequest {
            key: "1d85bd0c-7c60-49cd-9775-9898fcb16668".into(),
            origin: page_origin(),
            appframe: None,
        },
    }
    .encode()
}

pub fn get_token(item: ItemId, origin: &str) -> String {
    Message::GetAuthToken {
        item_id: item,
        payload: KeyOrigin {
            key: "1d85bd0c-7c60-49cd-9775-9898fcb16668".into(),
            origin: origin.into(),
        },
    }
    .encode()
}

/// The GET_AUTH_TOKEN_SUCCESS the bridge sends with `token`.
pub fn token_success(item: ItemId, token: impl Into<String>) -> Message {
    Message::GetAuthTokenSuccess {
        item_id: item,
        payload: appframe_protocol::TokenPayload {
            token: token.into(),
        },
    }
}

pub fn resize(item: ItemId, height: f64) -> String {
    Message::PostAutoResize {
        item_id: item,
        height,
    }
    .encode()
}

pub fn remove(iframe: &HtmlIFrameElement) {
    iframe.remove();
}

/// A provider counting its calls by key, answering `token-<n>`.
pub fn counting(
    calls: &std::rc::Rc<std::cell::RefCell<Vec<String>>>,
) -> impl Fn(
    appframe_host::AppTokenRequest,
) -> std::future::Ready<Result<String, appframe_protocol::FailurePayload>>
+ 'static {
    let seen = calls.clone();
    move |req: appframe_host::AppTokenRequest| {
        seen.borrow_mut().push(req.key.clone());
        std::future::ready(Ok(format!("token-{}", seen.borrow().len())))
    }
}
