//! An event listener removed when dropped.
//!
//! What `gloo_events::EventListener` does for the SDK, without its options object: the SDK
//! only listens in the bubbling phase with default options, and the options setters added
//! JS glue to every app.

use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{Event, EventTarget};

/// A listener for `kind` events on `target`, removed when dropped.
pub(crate) struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Calls `f` with every `kind` event on `target` until dropped.
    pub(crate) fn new(
        target: &EventTarget,
        kind: &'static str,
        mut f: impl FnMut(&Event) + 'static,
    ) -> Listener {
        let callback = Closure::<dyn FnMut(Event)>::new(move |e: Event| f(&e));
        // Adding a listener only fails for a non-function callback, which this is not.
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        Listener {
            target: target.clone(),
            kind,
            callback,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}
