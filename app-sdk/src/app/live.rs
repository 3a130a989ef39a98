//! The app's side of live updates: its subscriptions, and what the hub may ask of it
//! ([`LiveHost`]).

use super::{App, Backend, Inner};
use crate::{
    error::Error,
    live::{
        LiveAppData, LiveEvent, LiveHandle, Subscription, Topic,
        host::{HostFuture, LiveHost},
        hub::{Hub, LiveSlot},
    },
    types::{ListFilter, Page},
};
use appframe_protocol::{AppData, LocalContext};
#[cfg(feature = "standalone")]
use appframe_protocol::{AppSetting, rules, ws::Op};
use std::rc::{Rc, Weak};

impl LiveHost for Inner {
    fn context(&self) -> LocalContext {
        self.backend.context()
    }

    fn token(self: Rc<Self>) -> HostFuture<'static, String> {
        Box::pin(async move { App { inner: self }.auth_token().await })
    }

    fn invalidate_token(&self, token: &str) {
        #[allow(irrefutable_let_patterns)] // without the `standalone` feature
        if let Backend::Embedded(e) = &self.backend {
            e.invalidate_token(token);
        }
    }

    fn list_app_data(self: Rc<Self>, filter: ListFilter) -> HostFuture<'static, Page<AppData>> {
        Box::pin(async move { App { inner: self }.list_app_data(filter).await })
    }

    fn storage_key(&self) -> Option<String> {
        #[cfg(feature = "standalone")]
        if let Backend::Standalone(s) = &self.backend {
            return s.storage_key();
        }
        None
    }

    fn reload(&self) -> Result<(), Error> {
        #[cfg(feature = "standalone")]
        if let Backend::Standalone(s) = &self.backend {
            return s.reload();
        }
        Ok(())
    }
}

impl App {
    /// The app as live updates see it.
    fn live_host(&self) -> Rc<dyn LiveHost> {
        self.inner.clone()
    }

    /// The live-update hub, created by the first subscription.
    fn live_hub(&self) -> Rc<Hub> {
        if let Some(h) = self.live_slot() {
            return h.hub();
        }
        let host: Weak<dyn LiveHost> = Rc::downgrade(&self.live_host());
        let hub = Hub::new(
            host,
            self.item_id().to_string(),
            !self.is_standalone(),
            self.inner.live_config,
        );
        *self.inner.live.borrow_mut() = Some(Rc::new(hub.clone()));
        hub
    }

    /// The live-update hub, if something subscribed.
    fn live_slot(&self) -> Option<Rc<dyn LiveSlot>> {
        self.inner.live.borrow().clone()
    }

    /// Calls `on_event` with every update on `topic` for this item, until the handle is
    /// dropped. All subscriptions of an app share one socket, opened by the first.
    ///
    /// The first event after the socket opens, and after every reconnect, is
    /// [`LiveEvent::Resync`]: refetch what you show, as updates may have been missed.
    pub fn on_update(
        &self,
        topic: Topic,
        on_event: impl Fn(Result<LiveEvent, Error>) + 'static,
    ) -> LiveHandle {
        LiveHandle::new(self.live_host(), self.live_hub(), topic, Rc::new(on_event))
    }

    /// A [`Stream`](futures_core::Stream) of the updates on `topic` for this item (see
    /// [`App::on_update`] for the semantics).
    pub fn subscribe(&self, topic: Topic) -> Subscription {
        Subscription::open(|sink| LiveHandle::new(self.live_host(), self.live_hub(), topic, sink))
    }

    /// The app data of this item (only of type `ty` when given), fetched now and kept merged
    /// with live updates; `on_change` gets the whole list after every change, or the error of
    /// a failed fetch or subscription (the list keeps updating afterwards).
    pub fn live_app_data(
        &self,
        ty: Option<&str>,
        on_change: impl Fn(Result<&[AppData], &Error>) + 'static,
    ) -> LiveAppData {
        let host = self.live_host();
        LiveAppData::start(Rc::downgrade(&host), ty, on_change, |sink| {
            LiveHandle::new(host.clone(), self.live_hub(), Topic::AppData, sink)
        })
    }

    /// Standalone: a write of the mock backend reaches the page's subscribers.
    #[cfg(feature = "standalone")]
    pub(super) fn live_emit(&self, topic: Topic, event: impl FnOnce() -> LiveEvent) {
        // As on the server, actions reach admins only (the account may have been switched to a
        // non-admin since it subscribed).
        if topic == Topic::AppActions
            && !rules::can_read_all_actions(Some(self.context().permission))
        {
            return;
        }
        if let Some(slot) = self.live_slot() {
            slot.broadcast(Some(topic), Ok(event()));
        }
    }

    /// Standalone: an app-data row the mock wrote.
    #[cfg(feature = "standalone")]
    pub(super) fn echo_app_data(&self, op: Op, row: &AppData) {
        self.live_emit(Topic::AppData, || LiveEvent::AppData(op, row.clone()));
    }

    /// Standalone: an app setting the mock wrote.
    #[cfg(feature = "standalone")]
    pub(super) fn echo_app_setting(&self, op: Op, row: &AppSetting) {
        self.live_emit(Topic::AppSettings, || {
            LiveEvent::AppSetting(op, row.clone())
        });
    }

    /// Standalone: the whole database changed (reset, account switch).
    #[cfg(feature = "standalone")]
    pub(super) fn live_resync(&self) {
        if let Some(slot) = self.live_slot() {
            slot.broadcast(None, Ok(LiveEvent::Resync));
        }
    }
}
