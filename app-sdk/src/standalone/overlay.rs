//! The standalone dev overlay: two small buttons in a corner of the page that change the context
//! the way a host would, so an app's `on_context_change` can be tried without one: the theme
//! (light ↔ dark) and the language (through a short list). Shown once the app listens.

use crate::{
    error::{Error, js_text},
    listen::Listener,
};
use appframe_protocol::{ContextChange, Theme, ThemeMode};
use std::{cell::RefCell, rc::Rc};
use web_sys::{Document, Element};

/// The languages the overlay cycles through (after the seed's own, when it is another).
const LANGS: [&str; 4] = ["en", "fr", "de", "es"];

/// The overlay's theme tokens: enough for an app to see the switch take effect.
fn theme(mode: ThemeMode) -> Theme {
    let (bg, fg) = match mode {
        ThemeMode::Light => ("#ffffff", "#1b1b1f"),
        ThemeMode::Dark => ("#1b1b1f", "#f2f2f5"),
    };
    Theme {
        mode,
        vars: [("--appframe-bg", bg), ("--appframe-fg", fg)]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
    }
}

/// The overlay in the page; removed when dropped.
pub(crate) struct Overlay {
    root: Element,
    _listeners: [Listener; 2],
}

impl Drop for Overlay {
    fn drop(&mut self) {
        self.root.remove();
    }
}

fn button(doc: &Document, root: &Element, text: &str) -> Result<Element, Error> {
    let b = doc
        .create_element("button")
        .map_err(|e| Error::Browser(js_text(&e)))?;
    b.set_text_content(Some(text));
    let _ = b.set_attribute("type", "button");
    root.append_child(&b)
        .map_err(|e| Error::Browser(js_text(&e)))?;
    Ok(b)
}

impl Overlay {
    /// Adds the overlay to the page; `lang` is the context's language; each click calls
    /// `change` with what changed.
    pub(crate) fn open(lang: &str, change: Rc<dyn Fn(ContextChange)>) -> Result<Overlay, Error> {
        let doc = crate::env::window()?
            .document()
            .ok_or_else(|| Error::Browser("no document".into()))?;
        let root = doc
            .create_element("div")
            .map_err(|e| Error::Browser(js_text(&e)))?;
        let _ = root.set_attribute("data-appframe-overlay", "");
        let _ = root.set_attribute(
            "style",
            "position:fixed;right:4px;bottom:4px;z-index:2147483647;display:flex;gap:4px;\
             font:12px system-ui,sans-serif;opacity:.85",
        );
        let theme_button = button(&doc, &root, "theme: light")?;
        let lang_button = button(&doc, &root, &["lang: ", lang].concat())?;
        let mut langs: Vec<String> = LANGS.iter().map(|l| (*l).to_owned()).collect();
        if !langs.iter().any(|l| l == lang) {
            langs.insert(0, lang.to_owned());
        }
        let at = langs.iter().position(|l| l == lang).unwrap_or(0);
        let mode = RefCell::new(ThemeMode::Light);
        let c = change.clone();
        let tb = theme_button.clone();
        let on_theme = Listener::new(&theme_button, "click", move |_| {
            let next = match *mode.borrow() {
                ThemeMode::Light => ThemeMode::Dark,
                ThemeMode::Dark => ThemeMode::Light,
            };
            *mode.borrow_mut() = next;
            tb.set_text_content(Some(&["theme: ", next.as_str()].concat()));
            c(ContextChange {
                theme: Some(theme(next)),
                ..ContextChange::default()
            });
        });
        let at = RefCell::new(at);
        let lb = lang_button.clone();
        let on_lang = Listener::new(&lang_button, "click", move |_| {
            let next = (*at.borrow() + 1) % langs.len();
            *at.borrow_mut() = next;
            let lang = langs[next].clone();
            lb.set_text_content(Some(&["lang: ", &lang].concat()));
            change(ContextChange {
                lang: Some(lang),
                ..ContextChange::default()
            });
        });
        doc.body()
            .ok_or_else(|| Error::Browser("no body".into()))?
            .append_child(&root)
            .map_err(|e| Error::Browser(js_text(&e)))?;
        Ok(Overlay {
            root,
            _listeners: [on_theme, on_lang],
        })
    }
}
