//! [`Subscription`]: the updates of one topic as a [`futures_core::Stream`].

use super::{frames::LiveEvent, handle::LiveHandle};
use crate::error::Error;
use std::{
    cell::RefCell,
    collections::VecDeque,
    future::poll_fn,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, Waker},
};

/// Most events a [`Subscription`] buffers; beyond, they are replaced by one `Resync`.
const QUEUE_CAP: usize = 1024;
struct Queue {
    items: VecDeque<Result<LiveEvent, Error>>,
    waker: Option<Waker>,
}

/// A [`futures_core::Stream`] of the updates on one topic of the app's item (see
/// [`App::subscribe`](crate::App::subscribe)). It never ends; drop it to unsubscribe.
///
/// Items are `Err` for error responses of the server and for failed (re)connections; the
/// stream goes on after them. Up to 1,024 unread events are kept; beyond, they are replaced by
/// one [`LiveEvent::Resync`].
pub struct Subscription {
    queue: Rc<RefCell<Queue>>,
    _handle: LiveHandle,
}

impl Subscription {
    /// A subscription fed by the sink it hands to `subscribe` (which returns the handle that
    /// keeps that sink registered).
    pub(crate) fn open(
        subscribe: impl FnOnce(Rc<dyn Fn(Result<LiveEvent, Error>)>) -> LiveHandle,
    ) -> Self {
        let queue = Rc::new(RefCell::new(Queue {
            items: VecDeque::new(),
            waker: None,
        }));
        let q = queue.clone();
        let handle = subscribe(Rc::new(move |ev| {
            let waker = {
                let mut q = q.borrow_mut();
                if q.items.len() >= QUEUE_CAP {
                    // The reader fell far behind: what it missed is replaced by a refetch.
                    q.items.clear();
                    q.items.push_back(Ok(LiveEvent::Resync));
                } else {
                    q.items.push_back(ev);
                }
                q.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }));
        Subscription {
            queue,
            _handle: handle,
        }
    }

    /// The next event (waits for it).
    pub async fn next(&mut self) -> Option<Result<LiveEvent, Error>> {
        poll_fn(|cx| self.poll(cx)).await
    }

    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<Result<LiveEvent, Error>> {
        self.queue.borrow_mut().items.pop_front()
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<Option<Result<LiveEvent, Error>>> {
        let mut q = self.queue.borrow_mut();
        match q.items.pop_front() {
            Some(ev) => Poll::Ready(Some(ev)),
            None => {
                q.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl futures_core::Stream for Subscription {
    type Item = Result<LiveEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll(cx)
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("waiting", &self.queue.borrow().items.len())
            .finish()
    }
}
