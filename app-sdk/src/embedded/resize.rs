//! Auto-resize: watch the document, send the integer content height (body margins included),
//! debounced, and never chase our own tail when the app's height follows the viewport.
//!
//! The loop: an app with `body { min-height: 100vh }` plus margins is always 16 px taller than
//! the iframe; each height we send grows the iframe, which grows the content by the same amount.
//! [`LoopGuard`] remembers the viewport height at the last send: when the viewport has changed
//! since (the host applied our height) and the content changed by exactly that amount, the
//! change is our own echo and is not sent. Real content changes still go out.

use std::{cell::RefCell, rc::Rc};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{ResizeObserver, Window};

/// Debounce delay: a burst of layout changes sends one height (Graasp uses 150 ms).
pub(crate) const DEBOUNCE_MS: u32 = 120;

/// Decides which measured heights are sent (pure; see the module docs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct LoopGuard {
    last_sent: Option<i32>,
    viewport_at_send: i32,
}

impl LoopGuard {
    /// Whether to send `height`, measured while the viewport was `viewport` px tall.
    pub(crate) fn should_send(&mut self, height: i32, viewport: i32) -> bool {
        if let Some(last) = self.last_sent {
            if height == last {
                return false;
            }
            let viewport_growth = viewport - self.viewport_at_send;
            if viewport_growth != 0 && height - last == viewport_growth {
                return false;
            }
        }
        self.last_sent = Some(height);
        self.viewport_at_send = viewport;
        true
    }
}

/// A computed `px` length (`8px`, `12.5px`) as a number, 0 for anything else (`auto`). Read by
/// hand: Rust's general float parser is several KB of wasm for what is a decimal number here.
fn px(v: &str) -> f64 {
    let s = v.trim_ascii().trim_end_matches("px").trim_ascii_end();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s),
    };
    let (mut n, mut scale, mut frac) = (0.0_f64, 1.0_f64, false);
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                n = n * 10.0 + f64::from(b - b'0');
                if frac {
                    scale *= 10.0;
                }
            }
            b'.' if !frac => frac = true,
            _ => return 0.0,
        }
    }
    sign * n / scale
}

/// The document height the host needs: the body's bottom edge (or its overflowing content)
/// plus its bottom margin, in document coordinates, rounded up.
pub(crate) fn measure(win: &Window) -> Option<(i32, i32)> {
    let doc = win.document()?;
    let body = doc.body()?;
    let rect = body.get_bounding_client_rect();
    let scroll_y = win.scroll_y().unwrap_or(0.0);
    let margin_bottom = win
        .get_computed_style(&body)
        .ok()
        .flatten()
        .and_then(|s| s.get_property_value("margin-bottom").ok())
        .map_or(0.0, |v| px(&v));
    let top = rect.top() + scroll_y;
    let mut bottom = rect.bottom() + scroll_y;
    // In quirks mode body.scrollHeight is the viewport's, which would pin the height forever.
    if doc.compat_mode() == "CSS1Compat" {
        bottom = bottom.max(top + f64::from(body.scroll_height()));
    }
    let height = (bottom + margin_bottom).ceil();
    let viewport = win.inner_height().ok()?.as_f64()?;
    Some((height as i32, viewport as i32))
}

struct Watch {
    win: Window,
    guard: LoopGuard,
    timer: Option<gloo_timers::callback::Timeout>,
    send: Rc<dyn Fn(i32)>,
}

/// Watches the document while alive; dropping it stops the observer and any pending send.
pub struct ResizeHandle {
    observer: Option<ResizeObserver>,
    _callback: Option<Closure<dyn FnMut(JsValue)>>,
    watch: Rc<RefCell<Option<Watch>>>,
}

impl ResizeHandle {
    /// A handle that watches nothing (standalone mode: there is no host to resize).
    #[cfg(feature = "standalone")]
    pub(crate) fn inert() -> ResizeHandle {
        ResizeHandle {
            observer: None,
            _callback: None,
            watch: Rc::new(RefCell::new(None)),
        }
    }

    /// Starts watching `win`'s body; `send` gets each height to post.
    pub(crate) fn start(win: Window, send: Rc<dyn Fn(i32)>) -> Result<ResizeHandle, crate::Error> {
        let body = win
            .document()
            .and_then(|d| d.body())
            .ok_or_else(|| crate::Error::Browser("the document has no body yet".into()))?;
        let watch = Rc::new(RefCell::new(Some(Watch {
            win,
            guard: LoopGuard::default(),
            timer: None,
            send,
        })));
        let w = Rc::downgrade(&watch);
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |_entries: JsValue| {
            let Some(watch) = w.upgrade() else { return };
            let fire = Rc::downgrade(&watch);
            let Ok(mut st) = watch.try_borrow_mut() else {
                return;
            };
            let Some(st) = st.as_mut() else { return };
            // Re-arming replaces (and so cancels) the previous timer: the debounce.
            st.timer = Some(gloo_timers::callback::Timeout::new(
                DEBOUNCE_MS,
                move || {
                    if let Some(watch) = fire.upgrade() {
                        flush(&watch);
                    }
                },
            ));
        });
        let observer = ResizeObserver::new(callback.as_ref().unchecked_ref())
            .map_err(|e| crate::Error::Browser(crate::error::js_text(&e)))?;
        // Observing the body catches content changes and viewport-relative (vh, %) changes alike.
        observer.observe(&body);
        Ok(ResizeHandle {
            observer: Some(observer),
            _callback: Some(callback),
            watch,
        })
    }

    /// Stops watching now (same as dropping the handle).
    pub fn stop(&self) {
        if let Some(o) = &self.observer {
            o.disconnect();
        }
        if let Ok(mut w) = self.watch.try_borrow_mut() {
            // Dropping the pending Timeout cancels it.
            *w = None;
        }
    }
}

fn flush(watch: &Rc<RefCell<Option<Watch>>>) {
    let (send, height) = {
        let Ok(mut st) = watch.try_borrow_mut() else {
            return;
        };
        let Some(st) = st.as_mut() else { return };
        st.timer = None;
        let Some((height, viewport)) = measure(&st.win) else {
            return;
        };
        if !st.guard.should_send(height, viewport) {
            return;
        }
        (st.send.clone(), height)
    };
    // Called outside the borrow: `send` may re-enter (e.g. a synchronous fake host in tests).
    send(height);
}

impl Drop for ResizeHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_first_height_is_sent_and_repeats_are_not() {
        let mut g = LoopGuard::default();
        assert!(g.should_send(300, 150));
        assert!(!g.should_send(300, 300));
        assert!(!g.should_send(300, 150));
    }

    #[test]
    fn content_that_follows_the_viewport_does_not_loop() {
        // body { min-height: 100vh; margin: 8px }: always viewport + 16.
        let mut g = LoopGuard::default();
        assert!(g.should_send(166, 150));
        // The host applied 166: the viewport grew by 16 and so did the content.
        assert!(!g.should_send(182, 166));
        // A host that caps the height at 160 produces the same echo.
        let mut capped = LoopGuard::default();
        assert!(capped.should_send(166, 150));
        assert!(!capped.should_send(176, 160));
        assert!(!capped.should_send(176, 160));
    }

    #[test]
    fn real_content_changes_are_sent_after_an_echo() {
        let mut g = LoopGuard::default();
        assert!(g.should_send(166, 150));
        assert!(!g.should_send(182, 166));
        // 50 px of new content: growth differs from the viewport's, so it is sent.
        assert!(g.should_send(232, 166));
        // And the echo of that send is ignored again.
        assert!(!g.should_send(298, 232));
    }

    #[test]
    fn shrinking_content_is_sent() {
        let mut g = LoopGuard::default();
        assert!(g.should_send(500, 150));
        assert!(g.should_send(300, 500));
        assert!(!g.should_send(300, 300));
    }

    #[test]
    fn pixel_values_parse() {
        assert_eq!(px("8px"), 8.0);
        assert_eq!(px("12.5px"), 12.5);
        assert_eq!(px("auto"), 0.0);
        assert_eq!(px("-3.25px"), -3.25);
        assert_eq!(px("0px"), 0.0);
        assert_eq!(px("1e3px"), 0.0);
    }
}
