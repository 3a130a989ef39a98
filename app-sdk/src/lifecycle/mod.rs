//! Protocol v2 on the app's side, whatever the backend (docs/protocol-v2.md): the app's
//! context-change listeners and teardown handlers, and the host's theme and container as last
//! told. One [`Lifecycle`] per app, made at its first use of protocol v2 and kept by `App` as a
//! trait object, so that an app that never uses protocol v2 links none of this.
//!
//! The embedded backend's half (the requests and their answers) is `embedded/lifecycle.rs`,
//! and [`dispatch`] hands the host's messages to both; the standalone backend's dev overlay is
//! [`overlay`].

pub(crate) mod changes;
pub(crate) mod dispatch;
#[cfg(feature = "standalone")]
pub(crate) mod overlay;
pub(crate) mod theme;

use crate::embedded::lifecycle::HostSide;
use appframe_protocol::{Container, ContextChange, Theme};
use std::{
    cell::{Cell, RefCell},
    future::Future,
    pin::Pin,
    rc::{Rc, Weak},
};

/// An app's teardown handler: called with the host's reason; the host waits for it (bounded).
pub(crate) type TeardownHandler = Rc<dyn Fn(String) -> Pin<Box<dyn Future<Output = ()>>>>;

type ChangeListener = Rc<dyn Fn(&ContextChange)>;

/// A context-change listener of [`App::on_context_change`](crate::App::on_context_change) or a
/// teardown handler of [`App::on_teardown`](crate::App::on_teardown).
/// [`Registration::remove`] removes it; dropping the handle keeps it (most apps keep theirs for
/// their whole life), so a component that listens while it is shown removes its own when it
/// goes. [`ContextChanges`](changes::ContextChanges) removes its listener when dropped.
#[derive(Debug)]
pub struct Registration {
    lifecycle: Weak<Lifecycle>,
    id: u32,
}

impl Registration {
    /// The handle of the callback `lifecycle` registered as `id`.
    pub(crate) fn new(lifecycle: &Rc<Lifecycle>, id: u32) -> Registration {
        Registration {
            lifecycle: Rc::downgrade(lifecycle),
            id,
        }
    }

    /// Removes the listener or handler: it is not called again, and what it holds is dropped.
    pub fn remove(self) {
        if let Some(lc) = self.lifecycle.upgrade() {
            lc.remove(self.id);
        }
    }
}

/// The app's protocol-v2 state.
#[derive(Default)]
pub(crate) struct Lifecycle {
    /// The listeners and the teardown handlers in the order they were added, each with the id
    /// its [`Registration`] removes it by.
    listeners: RefCell<Vec<(u32, ChangeListener)>>,
    teardown: RefCell<Vec<(u32, TeardownHandler)>>,
    /// The id of the next listener or handler.
    next_id: Cell<u32>,
    theme: RefCell<Option<Theme>>,
    container: RefCell<Option<Container>>,
    /// The theme's custom properties go on the document's root element.
    apply_theme: Cell<bool>,
    /// Embedded: the host, its messages and the requests waiting for an answer.
    pub(crate) host: Option<HostSide>,
    /// Standalone: the dev overlay that plays the host's theme and language switches.
    #[cfg(feature = "standalone")]
    pub(crate) overlay: RefCell<Option<overlay::Overlay>>,
}

impl Lifecycle {
    /// A state for the embedded backend's `host`, or for standalone mode (`None`).
    pub(crate) fn new(host: Option<HostSide>) -> Lifecycle {
        Lifecycle {
            host,
            ..Lifecycle::default()
        }
    }

    /// Takes a change of the context: remembers the theme and container, applies the theme
    /// when asked to, then tells every listener in the order they were added.
    pub(crate) fn changed(&self, change: &ContextChange) {
        if let Some(theme) = &change.theme {
            let old = self.theme.replace(Some(theme.clone()));
            if self.apply_theme.get() {
                theme::apply(theme, old.as_ref());
            }
        }
        if let Some(c) = &change.container {
            *self.container.borrow_mut() = Some(c.clone());
        }
        // A listener may add or remove one: call the ones there now, outside the borrow.
        let listeners = self.listeners.borrow().clone();
        for (_, l) in &listeners {
            l(change);
        }
    }

    /// A fresh id for a listener or handler.
    fn next_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        id
    }

    /// Adds a context-change listener.
    pub(crate) fn listen(self: &Rc<Self>, f: ChangeListener) -> Registration {
        let id = self.next_id();
        self.listeners.borrow_mut().push((id, f));
        Registration::new(self, id)
    }

    /// Removes the listener or handler `id` (nothing when it is gone already).
    pub(crate) fn remove(&self, id: u32) {
        self.listeners.borrow_mut().retain(|(i, _)| *i != id);
        self.teardown.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// How many context-change listeners and teardown handlers there are.
    #[cfg(all(test, target_arch = "wasm32"))]
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.listeners.borrow().len(), self.teardown.borrow().len())
    }

    /// From now on the theme's custom properties are set on the root element (and the current
    /// theme at once).
    pub(crate) fn apply_theme(&self) {
        if !self.apply_theme.replace(true)
            && let Some(t) = &*self.theme.borrow()
        {
            theme::apply(t, None);
        }
    }

    /// The host's theme as last told (`None` until the host sends one).
    pub(crate) fn theme(&self) -> Option<Theme> {
        self.theme.borrow().clone()
    }

    /// The frame's container as last told (`None` until the host sends one).
    pub(crate) fn container(&self) -> Option<Container> {
        self.container.borrow().clone()
    }

    /// Adds a teardown handler.
    pub(crate) fn on_teardown(self: &Rc<Self>, f: TeardownHandler) -> Registration {
        let id = self.next_id();
        self.teardown.borrow_mut().push((id, f));
        Registration::new(self, id)
    }

    /// Runs the teardown handlers one after the other (the caller bounds the time).
    pub(crate) async fn tear_down(&self, reason: String) {
        let handlers = self.teardown.borrow().clone();
        for (_, h) in handlers {
            h(reason.clone()).await;
        }
    }
}
