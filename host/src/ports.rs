//! The ports handed out with context answers: numbered from 1, at most [`MAX_PORTS`] kept,
//! each closed (and its handler removed) when dropped.

use wasm_bindgen::closure::Closure;
use web_sys::{MessageEvent, MessagePort};

/// Most ports kept per bridge: an app that re-handshakes endlessly cannot grow memory without
/// bound. Apps re-handshake on reconnect or remount, a handful of times per page, so the oldest
/// port is closed only in that abusive case.
pub const MAX_PORTS: usize = 64;

/// One handed-out port with its handler; closing on drop is what "detach" means for ports.
pub(crate) struct PortHandle {
    pub(crate) port: MessagePort,
    /// Kept alive as long as the port: the port's `onmessage` calls it.
    pub(crate) _handler: Closure<dyn FnMut(MessageEvent)>,
}

impl Drop for PortHandle {
    fn drop(&mut self) {
        self.port.set_onmessage(None);
        self.port.close();
    }
}

/// The open ports of one bridge, oldest first.
#[derive(Default)]
pub(crate) struct Ports {
    open: Vec<PortHandle>,
    last_id: u32,
}

impl Ports {
    /// The number of the next port (its log channel `port:N`).
    pub(crate) fn next_id(&mut self) -> u32 {
        self.last_id += 1;
        self.last_id
    }

    /// Keeps `handle`; past [`MAX_PORTS`] the oldest is returned, for the caller to drop once
    /// no borrow of `self` is held (closing a port runs no script, but keeps the rule simple).
    pub(crate) fn keep(&mut self, handle: PortHandle) -> Option<PortHandle> {
        self.open.push(handle);
        (self.open.len() > MAX_PORTS).then(|| self.open.remove(0))
    }

    /// How many are open.
    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    /// Takes every port out (to close them outside the borrow).
    pub(crate) fn take_all(&mut self) -> Vec<PortHandle> {
        std::mem::take(&mut self.open)
    }
}
