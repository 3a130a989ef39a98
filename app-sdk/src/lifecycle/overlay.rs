//! Standalone mode's dev overlay: with no host to switch the theme or the language, a small
//! panel in the page's corner does it, through the same [`ContextChange`]s a host sends, so an
//! author sees the app follow a live change before any host exists. Shown once the app listens
//! for context changes or asks for the theme (`App::on_context_change`, `App::apply_theme`).

use crate::listen::Listener;
use crate::wire::text::concat;
use appframe_protocol::{ContextChange, Theme, ThemeMode};
use std::{cell::Cell, rc::Rc};
use wasm_bindgen::JsValue;
use web_sys::Element;

/// The element's id (tests and app styles find it by it).
pub(crate) const OVERLAY_ID: &str = "appframe-dev-overlay";

/// Languages offered by the overlay.
const LANGS: [&str; 5] = ["en", "fr", "de", "es", "it"];

/// The overlay; removed from the page when dropped.
pub(crate) struct Overlay {
    root: Element,
    _listeners: [Listener; 2],
}

impl Drop for Overlay {
    fn drop(&mut self) {
        self.root.remove();
    }
}

/// The theme the overlay switches to: the mode and the custom properties a host would send
/// (the demo host sends the same names).
pub(crate) fn dev_theme(mode: ThemeMode) -> Theme {
    let vars: [(&str, &str); 3] = match mode {
        ThemeMode::Light => [
            ("--af-bg", "#ffffff"),
            ("--af-fg", "#1d1d1f"),
            ("--af-accent", "#0a66c2"),
        ],
        ThemeMode::Dark => [
            ("--af-bg", "#1e1f24"),
            ("--af-fg", "#e8e8ec"),
            ("--af-accent", "#7aa2ff"),
        ],
    };
    Theme::with_vars(mode, &vars)
}

/// Adds the overlay to the page's body; `on_change` gets each switch. `None` without a body.
pub(crate) fn open(lang: &str, on_change: Rc<dyn Fn(ContextChange)>) -> Option<Overlay> {
    let doc = web_sys::window()?.document()?;
    let body = doc.body()?;
    let root = doc.create_element("div").ok()?;
    root.set_id(OVERLAY_ID);
    let _ = root.set_attribute(
        "style",
        "position:fixed;right:8px;bottom:8px;z-index:2147483647;display:flex;gap:6px;\
         padding:6px 8px;border-radius:6px;background:#222;color:#fff;font:12px sans-serif;\
         opacity:.85",
    );
    let options: String = LANGS
        .iter()
        .map(|l| {
            let selected = if *l == lang { " selected" } else { "" };
            concat(&["<option value=\"", l, "\"", selected, ">", l, "</option>"])
        })
        .collect();
    root.set_inner_html(&concat(&[
        "<span title=\"appframe standalone: what a host would switch\">dev</span>\
             <button type=\"button\" data-appframe-theme>dark</button>\
             <select data-appframe-lang aria-label=\"language\">",
        &options,
        "</select>",
    ]));
    let button = root.query_selector("[data-appframe-theme]").ok()??;
    let select = root.query_selector("[data-appframe-lang]").ok()??;
    let mode = Rc::new(Cell::new(ThemeMode::Light));
    let f = on_change.clone();
    let b = button.clone();
    let on_theme = Listener::new(&button, "click", move |_| {
        let next = match mode.get() {
            ThemeMode::Light => ThemeMode::Dark,
            ThemeMode::Dark => ThemeMode::Light,
        };
        mode.set(next);
        // The button names the mode it switches to.
        b.set_text_content(Some(match next {
            ThemeMode::Light => "dark",
            ThemeMode::Dark => "light",
        }));
        f(ContextChange {
            theme: Some(dev_theme(next)),
            ..ContextChange::default()
        });
    });
    let s = select.clone();
    let on_lang = Listener::new(&select, "change", move |_| {
        let lang = js_sys::Reflect::get(&s, &JsValue::from_str("value"))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        on_change(ContextChange {
            lang: Some(lang),
            ..ContextChange::default()
        });
    });
    body.append_child(&root).ok()?;
    Some(Overlay {
        root,
        _listeners: [on_theme, on_lang],
    })
}
