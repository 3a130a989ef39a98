//! Protocol v2 for apps (docs/protocol-v2.md): the host's live context (theme, language,
//! permission, view, container), the lifecycle (ready, failure, teardown, close), display
//! modes, links opened by the host, and liveness. Against a Graasp or v1 host nothing of it is
//! sent: the calls that need the host fail with `HostUnsupported`, the others do nothing. In
//! standalone mode a dev overlay plays the host's theme and language switches.

use super::{App, Backend};
use crate::wire::text::concat;
use crate::{
    embedded::lifecycle::{self as host, HostSide},
    error::Error,
    lifecycle::{Lifecycle, Registration, changes::ContextChanges},
    wire::json::body,
};
use appframe_protocol::{Container, ContextChange, DisplayMode, Theme, lifecycle::feature};
use serde_json::Value;
use std::{any::Any, future::Future, rc::Rc};

/// A JSON object of string fields (written in name order, which is the protocol's order for
/// each of these payloads).
fn fields(pairs: &[(&str, &str)]) -> Result<String, Error> {
    let mut o = appframe_protocol::JsonObject::new();
    for (k, v) in pairs {
        o.insert((*k).to_owned(), Value::String((*v).to_owned()));
    }
    body(&Value::Object(o))
}

impl App {
    /// The app's protocol-v2 state, made (and its listener put on the host's channel) at the
    /// first call.
    fn lifecycle(&self) -> Rc<Lifecycle> {
        let kept = self.inner.v2.borrow().clone();
        if let Some(lc) = kept.and_then(|a| a.downcast::<Lifecycle>().ok()) {
            return lc;
        }
        let lc = match self.backend() {
            Backend::Embedded(e) => {
                let lc = Rc::new(Lifecycle::new(Some(HostSide::of(e))));
                crate::lifecycle::dispatch::install(e, &lc);
                lc
            }
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => Rc::new(Lifecycle::new(None)),
        };
        *self.inner.v2.borrow_mut() = Some(lc.clone() as Rc<dyn Any>);
        lc
    }

    /// Calls `f` with every change of the context the host sends (`CONTEXT_CHANGED`: only the
    /// changed fields), after [`App::context`], [`App::theme`] and [`App::container`] follow it,
    /// until [`Registration::remove`]. In standalone mode this shows the dev overlay, whose
    /// theme and language switches send the same changes.
    pub fn on_context_change(&self, f: impl Fn(&ContextChange) + 'static) -> Registration {
        let lc = self.lifecycle();
        let listener = lc.listen(Rc::new(f));
        self.show_overlay(&lc);
        listener
    }

    /// The host's context changes as a `Stream` (e.g. to feed a UI signal). Changes that
    /// arrive between two reads come merged into one (later fields win). Dropping the stream
    /// removes its listener.
    pub fn context_changes(&self) -> ContextChanges {
        let (mut stream, feed) = ContextChanges::new();
        stream.listener = Some(self.on_context_change(feed));
        stream
    }

    /// How many context-change listeners and teardown handlers the app has.
    #[cfg(all(test, target_arch = "wasm32"))]
    pub(crate) fn lifecycle_counts(&self) -> (usize, usize) {
        self.lifecycle().counts()
    }

    /// Applies the host's theme to the document's root element, now and at every change: its
    /// custom properties (`--af-bg`, ...) on the root's style, `color-scheme` and a
    /// `data-theme` attribute with the mode. In standalone mode this shows the dev overlay.
    pub fn apply_theme(&self) {
        let lc = self.lifecycle();
        lc.apply_theme();
        self.show_overlay(&lc);
    }

    /// The host's theme as last sent (`None` until the host sends one).
    pub fn theme(&self) -> Option<Theme> {
        self.lifecycle().theme()
    }

    /// The frame's container as the host last described it (`None` until it does).
    pub fn container(&self) -> Option<Container> {
        self.lifecycle().container()
    }

    /// Runs `f` when the host tears the app down (`TEARDOWN`, with the host's reason), e.g. to
    /// flush a pending write; handlers run one after the other, and the host is told the app is
    /// done when they are, or after 450 ms (the host waits 500 ms at most). Never called in
    /// standalone mode, which has no host. Runs until [`Registration::remove`].
    pub fn on_teardown<F, Fut>(&self, f: F) -> Registration
    where
        F: Fn(String) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.lifecycle()
            .on_teardown(Rc::new(move |reason| Box::pin(f(reason))))
    }

    /// Tells the host the app is ready to be shown (`POST_READY`): a v2 host stops showing its
    /// loading state. Nothing is sent to a host without protocol v2.
    pub fn ready(&self) -> Result<(), Error> {
        self.tell("POST_READY", None, "ready").map(drop)
    }

    /// Tells the host the app cannot run (`POST_FAILURE` with `code` and `message`): a v2 host
    /// shows an error in its place. Nothing is sent to a host without protocol v2.
    pub fn fail(&self, code: &str, message: &str) -> Result<(), Error> {
        let payload = fields(&[("code", code), ("message", message)])?;
        self.tell("POST_FAILURE", Some(&payload), message).map(drop)
    }

    /// Asks the host to close the app (`REQUEST_CLOSE`); the host decides. `HostUnsupported`
    /// from a host without protocol v2.
    pub fn request_close(&self) -> Result<(), Error> {
        match self.tell("REQUEST_CLOSE", None, "close requested") {
            Ok(false) => Err(Error::HostUnsupported(feature::LIFECYCLE)),
            other => other.map(drop),
        }
    }

    /// Asks the host for a display mode and returns the one granted. Fullscreen is granted only
    /// during a user gesture in the app (`HostRefused` with `USER_GESTURE_REQUIRED`): call it
    /// from a click handler. In standalone mode the page itself goes fullscreen.
    pub async fn request_display_mode(&self, mode: DisplayMode) -> Result<DisplayMode, Error> {
        match self.backend() {
            Backend::Embedded(_) => {
                let payload = fields(&[("mode", mode.as_str())])?;
                let answer = self
                    .host_request(
                        "REQUEST_DISPLAY_MODE",
                        feature::DISPLAY_MODE,
                        Some(&payload),
                    )
                    .await?;
                let granted = answer
                    .as_ref()
                    .and_then(|p| p.get("mode"))
                    .and_then(|m| m.as_str())
                    .and_then(DisplayMode::parse);
                granted.ok_or_else(|| {
                    Error::Decode("REQUEST_DISPLAY_MODE_SUCCESS without a mode".into())
                })
            }
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => crate::standalone::page::display_mode(mode).await,
        }
    }

    /// Asks the host to open `url` in a new tab (`OPEN_LINK`): only absolute `http:` and
    /// `https:` links are opened (`HostRefused` with `LINK_REFUSED` otherwise, checked here and
    /// by the host). In standalone mode the page opens it.
    pub async fn open_link(&self, url: &str) -> Result<(), Error> {
        if !crate::wire::url::is_web_link(url) {
            return Err(Error::HostRefused {
                code: appframe_protocol::lifecycle::code::LINK_REFUSED.into(),
                message: "only http: and https: links are opened".into(),
            });
        }
        match self.backend() {
            Backend::Embedded(_) => {
                let payload = fields(&[("url", url)])?;
                self.host_request("OPEN_LINK", feature::OPEN_LINK, Some(&payload))
                    .await
                    .map(drop)
            }
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => crate::standalone::page::open_link(url),
        }
    }

    /// Checks that the host still answers (`PING` → `PONG`): `HostLost` when it does not
    /// within the request timeout. Always `Ok` in standalone mode.
    pub async fn ping(&self) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(_) => self
                .host_request("PING", feature::PING, None)
                .await
                .map(drop),
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => Ok(()),
        }
    }

    /// Sends a message that has no answer; in standalone mode logs `what` instead.
    fn tell(&self, kind: &str, payload: Option<&str>, what: &str) -> Result<bool, Error> {
        #[cfg(not(feature = "standalone"))]
        let _ = what;
        match self.backend() {
            Backend::Embedded(e) => host::tell(e, kind, payload),
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => {
                web_sys::console::info_1(&concat(&["appframe (standalone): ", what]).into());
                Ok(true)
            }
        }
    }

    async fn host_request(
        &self,
        kind: &'static str,
        needs: &'static str,
        payload: Option<&str>,
    ) -> Result<Option<Value>, Error> {
        let lc = self.lifecycle();
        match &lc.host {
            Some(h) => h.request(kind, needs, payload).await,
            None => Err(Error::HostUnsupported(needs)),
        }
    }

    /// In standalone mode, the dev overlay (once).
    fn show_overlay(&self, lc: &Rc<Lifecycle>) {
        #[cfg(feature = "standalone")]
        if let Backend::Standalone(s) = self.backend()
            && lc.overlay.borrow().is_none()
        {
            let weak = Rc::downgrade(&self.inner);
            let on_change = Rc::new(move |change: ContextChange| {
                let Some(inner) = weak.upgrade() else { return };
                let app = App { inner };
                if let (Some(lang), Backend::Standalone(s)) = (&change.lang, app.backend()) {
                    s.set_lang(lang);
                }
                app.lifecycle().changed(&change);
            });
            let overlay = crate::lifecycle::overlay::open(&s.context().lang, on_change);
            *lc.overlay.borrow_mut() = overlay;
        }
        #[cfg(not(feature = "standalone"))]
        let _ = lc;
    }
}
