//! The JS facade of protocol v2 (docs/protocol-v2.md): the host's live context, the lifecycle,
//! display modes, links and liveness.

use super::{AppframeApp, promise, promise_unit, throw, to_js};
use crate::Error;
use crate::wire::text::concat;
use appframe_protocol::DisplayMode;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_LIFECYCLE: &'static str = r#"
/** How the host shows the app. */
export type DisplayMode = 'inline' | 'fullscreen';
/** The host's theme: its mode and CSS custom properties (`{'--af-bg': '#1e1f24'}`). */
export interface Theme { mode: 'light' | 'dark'; vars: Record<string, string> }
/** The frame's container as the host lays it out (CSS px). */
export interface Container { width?: number; maxHeight?: number; displayMode: DisplayMode }
/** What changed in the context (`CONTEXT_CHANGED`): only the changed fields are present. */
export interface ContextChange {
  lang?: string; theme?: Theme; permission?: Permission; context?: string; container?: Container;
}
"#;

#[wasm_bindgen]
impl AppframeApp {
    /// Calls `callback(change)` with every context change the host sends, after `context()`,
    /// `theme()` and `container()` follow it. Returns a function that removes the callback (call
    /// it once: a second call throws). In standalone mode a dev overlay switches theme and
    /// language.
    #[wasm_bindgen(js_name = onContextChange, unchecked_return_type = "() => void")]
    pub fn on_context_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(change: ContextChange) => void")]
        callback: js_sys::Function,
    ) -> JsValue {
        let listener = self.app.on_context_change(move |change| {
            // A throwing callback must not stop the others; the browser reports it.
            if let Ok(v) = to_js(change) {
                let _ = callback.call1(&JsValue::NULL, &v);
            }
        });
        remover(listener)
    }

    /// Applies the host's theme to the document's root (custom properties, `color-scheme`,
    /// `data-theme`), now and at every change.
    #[wasm_bindgen(js_name = applyTheme)]
    pub fn apply_theme(&self) {
        self.app.apply_theme();
    }

    /// The host's theme as last sent, or `null`.
    #[wasm_bindgen(unchecked_return_type = "Theme | null")]
    pub fn theme(&self) -> Result<JsValue, JsValue> {
        to_js(&self.app.theme())
    }

    /// The frame's container as the host last described it, or `null`.
    #[wasm_bindgen(unchecked_return_type = "Container | null")]
    pub fn container(&self) -> Result<JsValue, JsValue> {
        to_js(&self.app.container())
    }

    /// Calls `handler(reason)` when the host tears the app down; a returned promise is awaited
    /// (e.g. to flush a pending write) for up to 450 ms before the host is told the app is done.
    /// Returns a function that removes the handler (call it once: a second call throws).
    #[wasm_bindgen(js_name = onTeardown, unchecked_return_type = "() => void")]
    pub fn on_teardown(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(reason: string) => void | Promise<unknown>")]
        handler: js_sys::Function,
    ) -> JsValue {
        let handler = self.app.on_teardown(move |reason| {
            let out = handler.call1(&JsValue::NULL, &JsValue::from_str(&reason));
            async move {
                // A rejected or thrown handler still lets the teardown finish.
                if let Ok(v) = out
                    && let Ok(p) = v.dyn_into::<js_sys::Promise>()
                {
                    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
                }
            }
        });
        remover(handler)
    }

    /// Tells a v2 host the app is ready to be shown (nothing is sent to other hosts).
    pub fn ready(&self) -> Result<(), JsValue> {
        self.app.ready().map_err(throw)
    }

    /// Tells a v2 host the app cannot run, with a machine `code` and a `message`.
    pub fn fail(&self, code: &str, message: &str) -> Result<(), JsValue> {
        self.app.fail(code, message).map_err(throw)
    }

    /// Asks the host to close the app; throws `HostUnsupported` for a host without v2.
    #[wasm_bindgen(js_name = requestClose)]
    pub fn request_close(&self) -> Result<(), JsValue> {
        self.app.request_close().map_err(throw)
    }

    /// Asks the host for a display mode; resolves to the granted one. Fullscreen needs a user
    /// gesture (`HostRefused` with `hostCode` `USER_GESTURE_REQUIRED`).
    #[wasm_bindgen(js_name = requestDisplayMode, unchecked_return_type = "Promise<DisplayMode>")]
    pub fn request_display_mode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DisplayMode")] mode: String,
    ) -> js_sys::Promise {
        let app = self.app.clone();
        promise(async move {
            let mode = DisplayMode::parse(&mode)
                .ok_or_else(|| Error::Decode(concat(&["unknown display mode: ", &mode])))?;
            app.request_display_mode(mode).await
        })
    }

    /// Asks the host to open an `http(s)` link in a new tab.
    #[wasm_bindgen(js_name = openLink, unchecked_return_type = "Promise<void>")]
    pub fn open_link(&self, url: String) -> js_sys::Promise {
        let app = self.app.clone();
        promise_unit(async move { app.open_link(&url).await })
    }

    /// Resolves when the host answers `PING`; rejects with `HostLost` when it does not.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn ping(&self) -> js_sys::Promise {
        let app = self.app.clone();
        promise_unit(async move { app.ping().await })
    }
}

/// The JS function that removes `r`. Freed when called; one kept for the app's life keeps its few
/// bytes.
fn remover(r: crate::Registration) -> JsValue {
    Closure::once_into_js(move || r.remove())
}
