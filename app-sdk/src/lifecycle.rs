//! What the app registered for the host's protocol-v2 events (context changes, teardown),
//! shared by both backends and by every channel of a re-handshaking app.
//!
//! Kept apart from the channel so that the always-linked part (reading the event, updating the
//! context, calling what is registered) stays small: the theme's CSS and the teardown race are
//! reached only through what an app registers.

use crate::embedded::signal::{Slot, wait_or};
use appframe_protocol::{ContextChange, LocalContext, Theme};
use std::{
    cell::{Cell, RefCell},
    future::Future,
    pin::Pin,
    rc::Rc,
    time::Duration,
};

/// The app's teardown handler, boxed once at registration.
pub(crate) type TeardownFn = Rc<dyn Fn(String) -> Pin<Box<dyn Future<Output = ()>>>>;

/// A context-change callback.
type ChangeFn = Rc<dyn Fn(&ContextChange)>;

/// How long the SDK lets a teardown handler run before it acknowledges anyway: the host waits
/// 500 ms for TEARDOWN_ACK, and the ack must still cross the channel in time.
pub(crate) const TEARDOWN_BOUND: Duration = Duration::from_millis(450);

/// The callbacks of one app.
#[derive(Default)]
pub(crate) struct Hooks {
    changes: RefCell<Vec<ChangeFn>>,
    teardown: RefCell<Option<TeardownFn>>,
    /// Applies a theme to the document (set by `AppConfig::apply_theme`; a function pointer so
    /// an app that does not ask for it links none of it).
    theme: Cell<Option<fn(&Theme)>>,
}

impl Hooks {
    /// Hooks applying themes with `theme`, if given.
    pub(crate) fn new(theme: Option<fn(&Theme)>) -> Rc<Hooks> {
        let hooks = Hooks::default();
        hooks.theme.set(theme);
        Rc::new(hooks)
    }

    /// Adds a context-change callback.
    pub(crate) fn on_change(&self, f: ChangeFn) {
        self.changes.borrow_mut().push(f);
    }

    /// Sets the teardown handler (replacing an earlier one).
    pub(crate) fn on_teardown(&self, f: TeardownFn) {
        *self.teardown.borrow_mut() = Some(f);
    }

    /// A context change: `context` takes the changed fields, the theme is applied when asked,
    /// then every callback runs (registered ones may register more: they run from a copy).
    pub(crate) fn changed(&self, context: &RefCell<LocalContext>, change: &ContextChange) {
        {
            let mut c = context.borrow_mut();
            if let Some(lang) = &change.lang {
                c.lang.clone_from(lang);
            }
            if let Some(p) = change.permission {
                c.permission = p;
            }
            if let Some(v) = change.context {
                c.context = v;
            }
        }
        self.notify(change);
    }

    /// Applies the theme when asked and runs every callback.
    pub(crate) fn notify(&self, change: &ContextChange) {
        if let (Some(apply), Some(theme)) = (self.theme.get(), &change.theme) {
            apply(theme);
        }
        let callbacks = self.changes.borrow().clone();
        for f in &callbacks {
            f(change);
        }
    }

    /// Runs the teardown handler, if any, for at most [`TEARDOWN_BOUND`].
    pub(crate) async fn teardown(&self, reason: String) {
        let Some(handler) = self.teardown.borrow().clone() else {
            return;
        };
        let done: Slot<()> = Slot::new();
        let d = done.clone();
        let work = handler(reason);
        wasm_bindgen_futures::spawn_local(async move {
            work.await;
            d.set(());
        });
        wait_or(&done, TEARDOWN_BOUND, ()).await;
    }
}

/// Sets the theme's custom properties on the document root, with `color-scheme` and a
/// `data-theme` attribute for stylesheets that key on the mode.
pub(crate) fn apply_theme(theme: &Theme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = root.set_attribute("data-theme", theme.mode.as_str());
    if let Some(el) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&root) {
        let style = el.style();
        let _ = style.set_property("color-scheme", theme.mode.as_str());
        for (name, value) in &theme.vars {
            // Only custom properties: a host must not restyle the app's layout through this.
            if name.starts_with("--") {
                let _ = style.set_property(name, value);
            }
        }
    }
}
