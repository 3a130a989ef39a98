//! [`ContextChanges`]: the host's context changes as a `Stream`, for async Rust apps (a leptos
//! app can feed a signal from it). Changes that arrive while nobody polls are merged into one
//! (later fields win), so an unread stream holds at most one change, however many arrive.

use super::Registration;
use appframe_protocol::ContextChange;
use futures_core::Stream;
use std::{
    cell::RefCell,
    pin::Pin,
    rc::{Rc, Weak},
    task::{Context, Poll, Waker},
};

#[derive(Default)]
struct Queue {
    pending: Option<ContextChange>,
    waker: Option<Waker>,
}

/// The stream of [`App::context_changes`](crate::App::context_changes). Never ends while the app
/// lives; dropping it removes its listener.
pub struct ContextChanges {
    queue: Rc<RefCell<Queue>>,
    /// Its listener, removed on drop (`None` only while it is being made).
    pub(crate) listener: Option<Registration>,
}

impl Drop for ContextChanges {
    fn drop(&mut self) {
        if let Some(l) = self.listener.take() {
            l.remove();
        }
    }
}

impl ContextChanges {
    /// A stream and the function that feeds it (a no-op once the stream is dropped).
    pub(crate) fn new() -> (ContextChanges, impl Fn(&ContextChange) + 'static) {
        let queue = Rc::new(RefCell::new(Queue::default()));
        let weak: Weak<RefCell<Queue>> = Rc::downgrade(&queue);
        let feed = move |change: &ContextChange| {
            let Some(q) = weak.upgrade() else { return };
            let waker = {
                let mut q = q.borrow_mut();
                match &mut q.pending {
                    Some(p) => merge(p, change),
                    None => q.pending = Some(change.clone()),
                }
                q.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        };
        let stream = ContextChanges {
            queue,
            listener: None,
        };
        (stream, feed)
    }
}

impl Stream for ContextChanges {
    type Item = ContextChange;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ContextChange>> {
        let mut q = self.queue.borrow_mut();
        match q.pending.take() {
            Some(change) => Poll::Ready(Some(change)),
            None => {
                q.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Folds `later` into `into`: each field `later` has replaces the earlier one.
pub(crate) fn merge(into: &mut ContextChange, later: &ContextChange) {
    if later.lang.is_some() {
        into.lang.clone_from(&later.lang);
    }
    if later.theme.is_some() {
        into.theme.clone_from(&later.theme);
    }
    if later.permission.is_some() {
        into.permission = later.permission;
    }
    if later.context.is_some() {
        into.context = later.context;
    }
    if later.container.is_some() {
        into.container.clone_from(&later.container);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use appframe_protocol::Permission;
    use std::task::Wake;

    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn lang(l: &str) -> ContextChange {
        ContextChange {
            lang: Some(l.into()),
            ..ContextChange::default()
        }
    }

    #[test]
    fn unread_changes_merge_into_one_and_a_waiting_reader_is_woken() {
        let (mut stream, feed) = ContextChanges::new();
        let wakes = std::sync::Arc::new(Count(0.into()));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Pending);
        feed(&lang("fr"));
        feed(&ContextChange {
            permission: Some(Permission::Read),
            ..ContextChange::default()
        });
        feed(&lang("de"));
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        let merged = ContextChange {
            lang: Some("de".into()),
            permission: Some(Permission::Read),
            ..ContextChange::default()
        };
        assert_eq!(
            Pin::new(&mut stream).poll_next(&mut cx),
            Poll::Ready(Some(merged))
        );
        assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Pending);
        drop(stream);
        // Feeding a dropped stream does nothing.
        feed(&lang("it"));
    }
}
