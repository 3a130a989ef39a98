//! The host's theme on the app's document: each custom property on the root element's style,
//! `color-scheme` and a `data-theme` attribute with the mode, so plain CSS can follow the host
//! (`background: var(--af-bg, white)`, `[data-theme=dark] ...`).

use appframe_protocol::Theme;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// Sets `theme` on the document's root element; the properties of `old` that `theme` no longer
/// has are removed. Does nothing without a document (a worker).
pub(crate) fn apply(theme: &Theme, old: Option<&Theme>) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    else {
        return;
    };
    let style = root.style();
    // Setting a property on a live style declaration does not fail for these names and values;
    // a refused one only leaves that property unset.
    if let Some(old) = old {
        for name in old.vars.keys().filter(|k| !theme.vars.contains_key(*k)) {
            let _ = style.remove_property(name);
        }
    }
    for (name, value) in &theme.vars {
        let _ = style.set_property(name, value);
    }
    let _ = style.set_property("color-scheme", theme.mode.as_str());
    let _ = root.set_attribute("data-theme", theme.mode.as_str());
}
