//! [`LiveAppData`]: a list of app data kept merged with live updates, refetched whenever
//! updates may have been missed.

use super::{frames::LiveEvent, handle::LiveHandle, host::LiveHost, hub::Sink, merge::merge};
use crate::{error::Error, types::ListFilter};
use appframe_protocol::{AppData, ws::Op};
use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
};

/// The state behind a [`LiveAppData`].
struct ListState {
    host: Weak<dyn LiveHost>,
    ty: Option<String>,
    items: RefCell<Vec<AppData>>,
    /// Bumped on every refetch: only the newest result is used.
    fetch: Cell<u32>,
    fetching: Cell<bool>,
    /// A fetch succeeded: before it, the list is incomplete and nobody is told about it.
    loaded: Cell<bool>,
    /// Updates seen while a refetch is in flight, applied again to its result.
    during_fetch: RefCell<Vec<(Op, AppData)>>,
    on_change: Box<OnChange>,
}

/// The change callback of a [`LiveAppData`].
type OnChange = dyn Fn(Result<&[AppData], &Error>);

impl ListState {
    fn notify(&self) {
        // A copy: the callback may write (and so update this list) while it runs.
        let snapshot = self.items.borrow().clone();
        (self.on_change)(Ok(&snapshot));
    }

    fn apply(&self, op: Op, row: AppData) {
        if op != Op::Delete && self.ty.as_ref().is_some_and(|t| *t != row.ty) {
            return;
        }
        if self.fetching.get() {
            self.during_fetch.borrow_mut().push((op, row.clone()));
        }
        let changed = merge(&mut self.items.borrow_mut(), op, row);
        if changed && self.loaded.get() {
            self.notify();
        }
    }

    fn refetch(self: &Rc<Self>) {
        let Some(host) = self.host.upgrade() else {
            return;
        };
        let n = self.fetch.get().wrapping_add(1);
        self.fetch.set(n);
        self.fetching.set(true);
        self.during_fetch.borrow_mut().clear();
        let weak = Rc::downgrade(self);
        let ty = self.ty.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = list_all(&host, ty).await;
            let Some(st) = weak.upgrade() else { return };
            if st.fetch.get() != n {
                return; // a newer refetch is under way
            }
            st.fetching.set(false);
            match result {
                Ok(mut rows) => {
                    for (op, row) in st.during_fetch.borrow_mut().drain(..) {
                        merge(&mut rows, op, row);
                    }
                    let was_loaded = st.loaded.replace(true);
                    let changed = *st.items.borrow() != rows;
                    *st.items.borrow_mut() = rows;
                    // A refetch (after every reconnect or resync) usually finds what the list
                    // already holds: re-rendering then would only reset what the user is doing
                    // in the app (an open editor, a focused field).
                    if changed || !was_loaded {
                        st.notify();
                    }
                }
                Err(e) => (st.on_change)(Err(&e)),
            }
        });
    }
}

/// Every page of the app data of type `ty`.
async fn list_all(host: &Rc<dyn LiveHost>, ty: Option<String>) -> Result<Vec<AppData>, Error> {
    let mut filter = ListFilter {
        ty,
        ..Default::default()
    };
    let mut rows = Vec::new();
    loop {
        let page = host.clone().list_app_data(filter.clone()).await?;
        rows.extend(page.items);
        match page.next_cursor {
            // A server that hands back the cursor it was given would loop forever.
            Some(c) if filter.cursor.as_ref() != Some(&c) => filter.cursor = Some(c),
            _ => return Ok(rows),
        }
    }
}

/// The app data of the item (optionally of one type), fetched, then kept up to date from live
/// updates and refetched whenever updates may have been missed (see [`App::live_app_data`](crate::App::live_app_data)).
/// Dropping it unsubscribes.
pub struct LiveAppData {
    state: Rc<ListState>,
    _handle: LiveHandle,
}

impl LiveAppData {
    /// Fetches the app data of `host` (only of type `ty` when given) now and keeps it merged
    /// with the app-data updates of the sink it hands to `subscribe`.
    pub(crate) fn start(
        host: Weak<dyn LiveHost>,
        ty: Option<&str>,
        on_change: impl Fn(Result<&[AppData], &Error>) + 'static,
        subscribe: impl FnOnce(Sink) -> LiveHandle,
    ) -> Self {
        let state = Rc::new(ListState {
            host,
            ty: ty.map(str::to_owned),
            items: RefCell::new(Vec::new()),
            fetch: Cell::new(0),
            fetching: Cell::new(false),
            loaded: Cell::new(false),
            during_fetch: RefCell::new(Vec::new()),
            on_change: Box::new(on_change),
        });
        let st = state.clone();
        let handle = subscribe(Rc::new(move |ev| match ev {
            Ok(LiveEvent::AppData(op, row)) => st.apply(op, row),
            Ok(LiveEvent::Resync) => st.refetch(),
            Ok(_) => {}
            Err(e) => (st.on_change)(Err(&e)),
        }));
        // Fetch now: the socket may be slow to open, or never open (a host without `/ws`).
        state.refetch();
        LiveAppData {
            state,
            _handle: handle,
        }
    }

    /// The current rows.
    pub fn items(&self) -> Vec<AppData> {
        self.state.items.borrow().clone()
    }

    /// Whether a fetch has completed (before, the list is incomplete and `on_change` is not
    /// called).
    pub fn is_loaded(&self) -> bool {
        self.state.loaded.get()
    }

    /// Fetches the list again now.
    pub fn refetch(&self) {
        self.state.refetch();
    }

    /// Merges a change the app made itself (the row a create or patch returned, or the row it
    /// deleted), so the list shows it before the server's echo arrives (the echo is then a
    /// no-op). Rows of another type than the list's are ignored.
    pub fn apply(&self, op: Op, row: AppData) {
        self.state.apply(op, row);
    }
}

impl std::fmt::Debug for LiveAppData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveAppData")
            .field("items", &self.state.items.borrow().len())
            .finish()
    }
}
