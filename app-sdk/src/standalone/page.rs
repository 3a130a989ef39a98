//! What a host does for protocol v2's requests, done by the page itself in standalone mode:
//! fullscreen on the document's root element, links in a new tab.

use crate::error::{Error, js_text};
use appframe_protocol::{DisplayMode, lifecycle::code};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Calls `target[method]()` and awaits the promise it returns (the Fullscreen API's methods;
/// web-sys binds their older forms, which return nothing).
async fn call_promise(target: &JsValue, method: &str) -> Result<(), JsValue> {
    let f: Function = Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
    let p = f.call0(target)?;
    if let Ok(p) = p.dyn_into::<Promise>() {
        JsFuture::from(p).await?;
    }
    Ok(())
}

/// Puts the page in `mode`; fullscreen needs a user gesture, as a host would require.
pub(crate) async fn display_mode(mode: DisplayMode) -> Result<DisplayMode, Error> {
    let doc = crate::env::window()?
        .document()
        .ok_or_else(|| Error::Browser("no document".into()))?;
    let result = match mode {
        DisplayMode::Fullscreen => match doc.document_element() {
            Some(root) => call_promise(&root, "requestFullscreen").await,
            None => return Err(Error::Browser("no document element".into())),
        },
        DisplayMode::Inline if doc.fullscreen_element().is_some() => {
            call_promise(&doc, "exitFullscreen").await
        }
        DisplayMode::Inline => Ok(()),
    };
    result.map(|()| mode).map_err(|e| Error::HostRefused {
        code: code::DISPLAY_MODE_UNSUPPORTED.into(),
        message: js_text(&e),
    })
}

/// Opens a web link (checked by the caller) in a new tab, without a way back to this page.
pub(crate) fn open_link(url: &str) -> Result<(), Error> {
    // With `noopener` the browser returns no window even when it opened the tab: only a throw
    // is a failure.
    crate::env::window()?
        .open_with_url_and_target_and_features(url, "_blank", "noopener,noreferrer")
        .map(drop)
        .map_err(|e| Error::Browser(js_text(&e)))
}
