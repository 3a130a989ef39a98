//! A write-once value that any number of futures can await (single-threaded, as the browser is).
//!
//! Used for replies that come from event listeners (context, token) and for sharing one token
//! request among concurrent callers: whoever sets it first wins (the reply or the timeout).

use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, Waker},
    time::Duration,
};

struct State<T> {
    value: Option<T>,
    /// The value was moved out by [`Slot::take`]: the slot stays settled.
    taken: bool,
    wakers: Vec<Waker>,
}

impl<T> State<T> {
    /// Remembers `w` to wake when the value is set (once per task).
    fn register(&mut self, w: &Waker) {
        if !self.wakers.iter().any(|x| x.will_wake(w)) {
            self.wakers.push(w.clone());
        }
    }
}

/// The shared cell. Clones refer to the same value.
pub(crate) struct Slot<T> {
    state: Rc<RefCell<State<T>>>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot {
            state: self.state.clone(),
        }
    }
}

impl<T: Clone> Slot<T> {
    /// An empty slot.
    pub(crate) fn new() -> Self {
        Slot {
            state: Rc::new(RefCell::new(State {
                value: None,
                taken: false,
                wakers: Vec::new(),
            })),
        }
    }

    /// Sets the value if none is set yet and wakes every waiter. Returns whether it was set.
    pub(crate) fn set(&self, value: T) -> bool {
        let wakers = {
            let Ok(mut st) = self.state.try_borrow_mut() else {
                return false;
            };
            if st.value.is_some() || st.taken {
                return false;
            }
            st.value = Some(value);
            std::mem::take(&mut st.wakers)
        };
        // Wake outside the borrow: a waker may poll synchronously in some executors.
        for w in &wakers {
            w.wake_by_ref();
        }
        true
    }

    /// A clone of the value, if set.
    pub(crate) fn get(&self) -> Option<T> {
        self.state.borrow().value.clone()
    }

    /// Whether two handles share the same cell.
    pub(crate) fn same(&self, other: &Slot<T>) -> bool {
        Rc::ptr_eq(&self.state, &other.state)
    }

    /// A future resolving to (a clone of) the value.
    pub(crate) fn wait(&self) -> Wait<T> {
        Wait {
            state: self.state.clone(),
        }
    }

    /// A future resolving to the value itself, moved out of the slot: for a slot with a single
    /// waiter, which then needs no clone of it (nor the clone code in the wasm). The slot stays
    /// settled: later `set`s are refused and `get` is `None`.
    pub(crate) fn take(&self) -> Take<T> {
        Take {
            state: self.state.clone(),
        }
    }
}

/// Future returned by [`Slot::take`].
pub(crate) struct Take<T> {
    state: Rc<RefCell<State<T>>>,
}

impl<T> Future for Take<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut st = self.state.borrow_mut();
        if let Some(v) = st.value.take() {
            st.taken = true;
            return Poll::Ready(v);
        }
        st.register(cx.waker());
        Poll::Pending
    }
}

/// Future returned by [`Slot::wait`].
pub(crate) struct Wait<T> {
    state: Rc<RefCell<State<T>>>,
}

impl<T: Clone> Future for Wait<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut st = self.state.borrow_mut();
        if let Some(v) = &st.value {
            return Poll::Ready(v.clone());
        }
        st.register(cx.waker());
        Poll::Pending
    }
}

/// Waits for `slot`, or sets it to `on_timeout` after `after` (the timer is cancelled when this
/// returns or is dropped).
pub(crate) async fn wait_or<T: Clone + 'static>(
    slot: &Slot<T>,
    after: Duration,
    on_timeout: T,
) -> T {
    let _timer = timeout(slot, after, on_timeout);
    slot.wait().await
}

/// [`wait_or`] for a slot with a single waiter: the value is moved out ([`Slot::take`]).
pub(crate) async fn take_or<T: Clone + 'static>(
    slot: &Slot<T>,
    after: Duration,
    on_timeout: T,
) -> T {
    let _timer = timeout(slot, after, on_timeout);
    slot.take().await
}

/// Sets `slot` to `on_timeout` after `after`, unless the returned timer is dropped first.
fn timeout<T: Clone + 'static>(
    slot: &Slot<T>,
    after: Duration,
    on_timeout: T,
) -> gloo_timers::callback::Timeout {
    let s = slot.clone();
    let millis = u32::try_from(after.as_millis()).unwrap_or(u32::MAX);
    gloo_timers::callback::Timeout::new(millis, move || {
        s.set(on_timeout);
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(f).poll(&mut cx)
    }

    #[test]
    fn waiters_see_the_first_value_only() {
        let slot: Slot<u32> = Slot::new();
        let mut a = slot.wait();
        let mut b = slot.clone().wait();
        assert!(poll_once(&mut a).is_pending());
        assert_eq!(slot.get(), None);
        assert!(slot.set(1));
        assert!(!slot.set(2));
        assert_eq!(poll_once(&mut a), Poll::Ready(1));
        assert_eq!(poll_once(&mut b), Poll::Ready(1));
        assert_eq!(slot.get(), Some(1));
    }

    #[test]
    fn a_taken_value_leaves_the_slot_settled() {
        let slot: Slot<String> = Slot::new();
        let mut t = slot.take();
        assert!(poll_once(&mut t).is_pending());
        assert!(slot.set("a".to_owned()));
        assert_eq!(poll_once(&mut t), Poll::Ready("a".to_owned()));
        assert_eq!(slot.get(), None);
        assert!(!slot.set("b".to_owned()));
        assert_eq!(slot.get(), None);
    }

    #[test]
    fn clones_are_the_same_cell_and_new_slots_are_not() {
        let a: Slot<u8> = Slot::new();
        assert!(a.same(&a.clone()));
        assert!(!a.same(&Slot::new()));
    }
}
