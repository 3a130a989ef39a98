//! The JS facade of protocol v2 (see `app/lifecycle.rs` for the semantics of each call).

use super::{AppframeApp, from_js, promise, promise_unit, throw, to_js};
use appframe_protocol::DisplayMode;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
impl AppframeApp {
    /// Calls `callback(change)` each time the host changes the context; `context()` already
    /// has the new values. Standalone, shows the dev overlay (theme and language switches).
    #[wasm_bindgen(js_name = onContextChange)]
    pub fn on_context_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(change: ContextChange) => void")]
        callback: js_sys::Function,
    ) {
        self.app.on_context_change(move |change| {
            if let Ok(v) = to_js(change) {
                // An exception in the app's callback is the app's; it must not stop delivery.
                let _ = callback.call1(&JsValue::NULL, &v);
            }
        });
    }

    /// `handler(reason)` runs when the host is about to remove the app; return a promise to
    /// finish pending writes. The host is acknowledged when it settles, or after 450 ms.
    #[wasm_bindgen(js_name = onTeardown)]
    pub fn on_teardown(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(reason: string) => void | Promise<unknown>")]
        handler: js_sys::Function,
    ) {
        self.app.on_teardown(move |reason| {
            let out = handler.call1(&JsValue::NULL, &JsValue::from_str(&reason));
            async move {
                // Whatever the handler returns or throws, the ack follows.
                if let Ok(v) = out {
                    let _ = JsFuture::from(js_sys::Promise::resolve(&v)).await;
                }
            }
        });
    }

    /// Tells the host the app is ready to be shown.
    pub fn ready(&self) -> Result<(), JsValue> {
        self.app.ready().map_err(throw)
    }

    /// Tells the host the app cannot run.
    pub fn fail(&self, code: &str, message: &str) -> Result<(), JsValue> {
        self.app.fail(code, message).map_err(throw)
    }

    /// Asks the host to close the app.
    #[wasm_bindgen(js_name = requestClose)]
    pub fn request_close(&self) -> Result<(), JsValue> {
        self.app.request_close().map_err(throw)
    }

    /// Asks for a display mode; resolves to the granted one.
    #[wasm_bindgen(js_name = requestDisplayMode, unchecked_return_type = "Promise<DisplayMode>")]
    pub fn request_display_mode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DisplayMode")] mode: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let mode: DisplayMode = from_js(&mode)?;
        let app = self.app.clone();
        Ok(promise(async move { app.request_display_mode(mode).await }))
    }

    /// Has the host open an http(s) link in a new tab.
    #[wasm_bindgen(js_name = openLink, unchecked_return_type = "Promise<void>")]
    pub fn open_link(&self, url: String) -> js_sys::Promise {
        let app = self.app.clone();
        promise_unit(async move { app.open_link(&url).await })
    }

    /// Resolves when the host answers a ping; rejects with `HostLost` when it does not.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn ping(&self) -> js_sys::Promise {
        let app = self.app.clone();
        promise_unit(async move { app.ping().await })
    }
}
