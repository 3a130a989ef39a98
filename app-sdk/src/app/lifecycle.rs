//! Protocol v2 on [`App`]: the host's live context, the app's lifecycle (ready, failure,
//! teardown, close), display modes, links through the host and liveness. Embedded, each call is
//! sent only to a host that announced v2 (docs/protocol-v2.md); standalone, the mock does what a
//! host would, and a small dev overlay changes the theme and the language.

use super::{App, Backend};
use crate::error::Error;
use appframe_protocol::{ContextChange, DisplayMode, lifecycle::code::LINK_REFUSED};
use std::{future::Future, rc::Rc};

/// Only http(s) links leave the app: `javascript:`, `data:` and the like are refused here,
/// before any host sees them.
fn check_link(url: &str) -> Result<(), Error> {
    let scheme = url.trim_start().split(':').next().unwrap_or_default();
    if url.contains(':')
        && (scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http"))
    {
        return Ok(());
    }
    Err(Error::LinkRefused {
        code: LINK_REFUSED.to_owned(),
        message: "only http and https links can be opened".to_owned(),
    })
}

impl App {
    /// Calls `f` with the changed fields each time the host changes the context (language,
    /// theme, permission, view, container). [`App::context`] already has the new values when
    /// `f` runs; with [`AppConfig::apply_theme`](crate::AppConfig::apply_theme) the theme is on
    /// the document too. Standalone, this shows the dev overlay that switches theme and language.
    pub fn on_context_change(&self, f: impl Fn(&ContextChange) + 'static) {
        self.inner.hooks.on_change(Rc::new(f));
        #[cfg(feature = "standalone")]
        if let Backend::Standalone(s) = self.backend() {
            self.open_overlay(s);
        }
    }

    #[cfg(feature = "standalone")]
    fn open_overlay(&self, s: &crate::standalone::backend::Standalone) {
        if s.overlay.borrow().is_some() {
            return;
        }
        let weak = Rc::downgrade(&self.inner);
        let change = Rc::new(move |change: ContextChange| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            if let (Backend::Standalone(s), Some(lang)) = (&inner.backend, &change.lang) {
                s.set_lang(lang);
            }
            inner.hooks.notify(&change);
        });
        match crate::standalone::overlay::Overlay::open(&s.context().lang, change) {
            Ok(o) => *s.overlay.borrow_mut() = Some(o),
            Err(e) => crate::standalone::browser::log(
                &["appframe: no dev overlay: ", &e.to_string()].concat(),
            ),
        }
    }

    /// Runs `handler` (with the host's reason) when the host is about to remove the app, then
    /// acknowledges: the host waits up to 500 ms, so the SDK acknowledges when the handler is
    /// done or after 450 ms, whichever comes first. Use it to flush pending writes; a later call
    /// replaces the handler. Standalone, the handler is kept but no host ever calls it.
    pub fn on_teardown<F, Fut>(&self, handler: F)
    where
        F: Fn(String) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.inner
            .hooks
            .on_teardown(Rc::new(move |reason| Box::pin(handler(reason))));
    }

    /// Tells the host the app is ready to be shown (its loading state ends). Nothing is sent to
    /// a v1 host; standalone, it is logged.
    pub fn ready(&self) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.ready(),
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => {
                crate::standalone::browser::log("appframe: ready");
                Ok(())
            }
        }
    }

    /// Tells the host the app cannot run (it shows an error instead). Nothing is sent to a v1
    /// host; standalone, it is logged.
    pub fn fail(&self, code: &str, message: &str) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.fail(code, message),
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => {
                crate::standalone::browser::log(
                    &["appframe: failed: ", message, " (", code, ")"].concat(),
                );
                Ok(())
            }
        }
    }

    /// Asks the host to close the app; the host decides (it may send TEARDOWN). Nothing is sent
    /// to a v1 host; standalone, it is logged.
    pub fn request_close(&self) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.request_close(),
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => {
                crate::standalone::browser::log("appframe: close requested");
                Ok(())
            }
        }
    }

    /// Asks the host for a display mode and returns the one granted. Fullscreen needs a user
    /// gesture in the app (call this from a click handler), else `DisplayModeRefused`
    /// (`USER_GESTURE_REQUIRED`). `Unsupported` with a host that does not offer display modes,
    /// `DisplayModeTimeout` without an answer. Standalone, any mode is granted.
    pub async fn request_display_mode(&self, mode: DisplayMode) -> Result<DisplayMode, Error> {
        match self.backend() {
            Backend::Embedded(e) => e.request_display_mode(mode).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => Ok(mode),
        }
    }

    /// Has the host open `url` in a new tab (`noopener`). Only http and https: anything else is
    /// `LinkRefused` (`LINK_REFUSED`) without asking the host, as is the host's own refusal.
    /// `Unsupported` with a host that does not open links, `LinkTimeout` without an answer.
    /// Standalone, the SDK opens it itself.
    pub async fn open_link(&self, url: &str) -> Result<(), Error> {
        check_link(url)?;
        match self.backend() {
            Backend::Embedded(e) => e.open_link(url).await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => crate::standalone::browser::open_link(url),
        }
    }

    /// Checks that the host is alive: Ok when it answers in time, `HostLost` when it does not,
    /// `Unsupported` with a host that does not answer pings. Always Ok standalone.
    pub async fn ping(&self) -> Result<(), Error> {
        match self.backend() {
            Backend::Embedded(e) => e.ping().await,
            #[cfg(feature = "standalone")]
            Backend::Standalone(_) => Ok(()),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_links_pass() {
        for ok in [
            "https://example.org/",
            "http://127.0.0.1:8080/x",
            "HTTPS://EXAMPLE.ORG",
        ] {
            assert_eq!(check_link(ok), Ok(()), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<script>1</script>",
            "file:///etc/passwd",
            "/relative",
            "https",
            "mailto:a@b.c",
        ] {
            assert_eq!(check_link(bad).unwrap_err().code(), "LinkRefused", "{bad}");
        }
    }
}
