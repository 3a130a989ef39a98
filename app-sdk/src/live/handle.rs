//! A subscriber's hold on the hub: [`LiveHandle`] keeps one subscription registered and
//! unsubscribes when dropped.

use super::{
    host::LiveHost,
    hub::{Hub, Sink},
};
use appframe_protocol::ws::Topic;
use std::rc::Rc;

/// Keeps one subscription registered; dropping it unsubscribes (and closes the socket with the
/// last one). Holds the app alive.
pub struct LiveHandle {
    _host: Rc<dyn LiveHost>,
    hub: Rc<Hub>,
    id: u32,
}

impl LiveHandle {
    /// Subscribes `sink` to `topic` on `hub`, keeping `host` (the app) alive meanwhile.
    pub(crate) fn new(host: Rc<dyn LiveHost>, hub: Rc<Hub>, topic: Topic, sink: Sink) -> Self {
        let id = hub.add(topic, sink);
        LiveHandle {
            _host: host,
            hub,
            id,
        }
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        self.hub.remove(self.id);
    }
}

impl std::fmt::Debug for LiveHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHandle").field("id", &self.id).finish()
    }
}
