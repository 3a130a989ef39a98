//! The app token: asked over the channel once, cached, shared by concurrent callers, and
//! dropped (then asked again, once) when the server answers 401.

use crate::{
    embedded::channel::{Channel, TokenReply},
    embedded::signal::{Slot, wait_or},
    error::Error,
};
use appframe_protocol::KeyOrigin;
use std::{cell::RefCell, rc::Rc, time::Duration};

enum State {
    Empty,
    Pending(Slot<TokenReply>),
    Ready(String),
}

/// The token cache of one app.
pub(crate) struct TokenCache {
    state: RefCell<State>,
}

impl TokenCache {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        TokenCache {
            state: RefCell::new(State::Empty),
        }
    }

    /// The cached token, or the reply of the request in flight, or a new request on `channel`.
    pub(crate) async fn get(
        &self,
        channel: Rc<Channel>,
        payload: KeyOrigin,
        timeout: Duration,
    ) -> Result<String, Error> {
        let (slot, mine) = {
            let mut st = self.state.borrow_mut();
            // A request whose owner was dropped before settling leaves a finished slot behind.
            if let State::Pending(s) = &*st
                && let Some(done) = s.get()
            {
                *st = match done {
                    Ok(t) => State::Ready(t),
                    Err(_) => State::Empty,
                };
            }
            match &*st {
                State::Ready(t) => return Ok(t.clone()),
                State::Pending(s) => (s.clone(), false),
                State::Empty => {
                    let s = channel.request_token(payload);
                    *st = State::Pending(s.clone());
                    (s, true)
                }
            }
        };
        if !mine {
            // Own timeout too: the owner's future may be dropped before it settles the slot.
            return wait_or(&slot, timeout, Err(Error::TokenTimeout)).await;
        }
        // `channel` stays alive (and listening) until the reply or the timeout.
        let reply = wait_or(&slot, timeout, Err(Error::TokenTimeout)).await;
        drop(channel);
        let mut st = self.state.borrow_mut();
        // Only settle the state this request created: a reconnect may have reset it meanwhile.
        if matches!(&*st, State::Pending(s) if s.same(&slot)) {
            *st = match &reply {
                Ok(t) => State::Ready(t.clone()),
                Err(_) => State::Empty,
            };
        }
        reply
    }

    /// Forgets `stale` (after a 401) unless a newer token already replaced it.
    pub(crate) fn invalidate(&self, stale: &str) {
        let mut st = self.state.borrow_mut();
        if matches!(&*st, State::Ready(t) if t == stale) {
            *st = State::Empty;
        }
    }

    /// Forgets everything (after a re-handshake: the new context may be another account).
    pub(crate) fn clear(&self) {
        *self.state.borrow_mut() = State::Empty;
    }
}
