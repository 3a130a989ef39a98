//! The frame's height: POST_AUTO_RESIZE rounded up, bounded and rate limited (a burst is
//! coalesced into its last height), POST_MAX_RESIZE, and the item setting that turns both off.

use crate::{now_ms, text};
use appframe_protocol::LocalContext;
use gloo_timers::callback::Timeout;
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use web_sys::HtmlIFrameElement;

/// Least time between two applied auto-resizes; a burst is coalesced into its last height.
pub const RESIZE_INTERVAL_MS: f64 = 50.0;

/// The height handling of one frame. Shared (`Rc`) so its trailing timer can reach it.
pub(crate) struct Resizer {
    iframe: HtmlIFrameElement,
    min: f64,
    max: f64,
    /// Set when the bridge detaches: nothing is applied afterwards.
    stopped: Cell<bool>,
    state: RefCell<ResizeState>,
}

#[derive(Default)]
struct ResizeState {
    /// The item setting `isResizable` of the last context sent: the viewer resizes the frame by
    /// hand, so the app's POST_AUTO_RESIZE is ignored (what Graasp's host does).
    user_resizable: bool,
    /// The last height applied, `None` after POST_MAX_RESIZE or before the first.
    last: Option<u32>,
    /// When it was applied (`performance.now()` ms).
    last_at: f64,
    /// The newest height waiting for the rate limit.
    pending: Option<u32>,
    /// A trailing apply is scheduled.
    scheduled: bool,
    /// The trailing timer; kept after it fires (dropping a gloo Timeout from inside its own
    /// callback is avoided) and replaced by the next one.
    timer: Option<Timeout>,
}

/// What to do with an auto-resize request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ResizeStep {
    /// Apply at once.
    Now,
    /// Apply after this many ms (rate limit).
    Later(f64),
    /// A trailing apply is already scheduled; it takes this height.
    Coalesced,
    /// The iframe already has this height.
    Same,
}

/// Why an auto-resize request was not acted on (the log's reason).
pub(crate) enum Refused {
    /// The item is resizable by the viewer.
    UserResizable,
    /// The requested height is NaN or infinite.
    NotFinite,
    /// The frame already has this height.
    Already(u32),
}

impl Refused {
    pub(crate) fn reason(&self) -> String {
        match self {
            Refused::UserResizable => "the item is resizable by the viewer".to_owned(),
            Refused::NotFinite => "height is not finite".to_owned(),
            Refused::Already(h) => text::concat(&["already ", &text::uint(u64::from(*h)), "px"]),
        }
    }
}

impl Resizer {
    /// Bounds are checked by `Bridge::attach` (finite, `0 <= min <= max`).
    pub(crate) fn new(iframe: HtmlIFrameElement, min: f64, max: f64) -> Self {
        Resizer {
            iframe,
            min,
            max,
            stopped: Cell::new(false),
            state: RefCell::new(ResizeState::default()),
        }
    }

    /// Follows the item setting `isResizable` of the context just sent.
    pub(crate) fn follow_context(&self, user_resizable: bool) {
        self.state.borrow_mut().user_resizable = user_resizable;
    }

    /// Handles POST_AUTO_RESIZE: `Ok` when it is applied now or later, else why not.
    pub(crate) fn auto_resize(self: &Rc<Self>, requested: f64) -> Result<(), Refused> {
        if self.state.borrow().user_resizable {
            return Err(Refused::UserResizable);
        }
        let height = bounded_height(requested, self.min, self.max).ok_or(Refused::NotFinite)?;
        let now = now_ms();
        let step = {
            let mut st = self.state.borrow_mut();
            if st.scheduled {
                // A trailing apply is coming; it will use this newest height.
                st.pending = Some(height);
                ResizeStep::Coalesced
            } else if st.last == Some(height) {
                ResizeStep::Same
            } else if now - st.last_at < RESIZE_INTERVAL_MS {
                st.pending = Some(height);
                st.scheduled = true;
                ResizeStep::Later(RESIZE_INTERVAL_MS - (now - st.last_at))
            } else {
                ResizeStep::Now
            }
        };
        match step {
            // Repeats are normal (the app re-sends when its height settles) and would loop.
            ResizeStep::Same => return Err(Refused::Already(height)),
            ResizeStep::Now => self.apply(height),
            ResizeStep::Later(ms) => {
                let weak = Rc::downgrade(self);
                let timer = Timeout::new(ms.ceil() as u32, move || {
                    if let Some(resizer) = weak.upgrade() {
                        resizer.flush();
                    }
                });
                // Replacing the previous timer is safe: it has fired (`scheduled` was false).
                let old = self.state.borrow_mut().timer.replace(timer);
                drop(old);
            }
            ResizeStep::Coalesced => {}
        }
        Ok(())
    }

    /// Handles POST_MAX_RESIZE: the frame as tall as the viewport, pending heights dropped.
    pub(crate) fn max_resize(&self) {
        {
            let mut st = self.state.borrow_mut();
            st.last = None;
            st.pending = None;
            st.scheduled = false;
        }
        let _ = self.iframe.style().set_property("height", "100vh");
    }

    /// Applies nothing more and cancels the trailing timer.
    pub(crate) fn stop(&self) {
        self.stopped.set(true);
        // Taken out first so no RefCell borrow is held while the timer drops.
        let timer = self.state.borrow_mut().timer.take();
        drop(timer);
    }

    fn flush(&self) {
        let height = {
            let mut st = self.state.borrow_mut();
            st.scheduled = false;
            let pending = st.pending.take();
            pending.filter(|h| st.last != Some(*h))
        };
        if let Some(h) = height {
            self.apply(h);
        }
    }

    fn apply(&self, height: u32) {
        if self.stopped.get() {
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            st.last = Some(height);
            st.last_at = now_ms();
        }
        // The app measured its document: that is the height of the frame's viewport. Under the
        // common `* { box-sizing: border-box }` the frame's border and padding would eat into
        // it and the app would scroll, so they are added (the host's CSS is left alone).
        let total = f64::from(height) + self.border_box_extra();
        let value = text::concat(&[&text::number(total), "px"]);
        // Setting a style property on a live element does not fail; nothing to report if it did.
        let _ = self.iframe.style().set_property("height", &value);
    }

    /// Vertical border + padding of the frame when its `box-sizing` is `border-box`, else 0.
    fn border_box_extra(&self) -> f64 {
        let Some(css) = web_sys::window()
            .and_then(|w| w.get_computed_style(&self.iframe).ok())
            .flatten()
        else {
            return 0.0;
        };
        let get = |name: &str| css.get_property_value(name).unwrap_or_default();
        if get("box-sizing") != "border-box" {
            return 0.0;
        }
        [
            "border-top-width",
            "border-bottom-width",
            "padding-top",
            "padding-bottom",
        ]
        .iter()
        .map(|p| px(&get(p)))
        .sum()
    }
}

/// Whether the item setting `isResizable` is `true` (only a JSON `true` counts).
pub fn is_user_resizable(ctx: &LocalContext) -> bool {
    matches!(
        ctx.settings.get("isResizable"),
        Some(serde_json::Value::Bool(true))
    )
}

/// A computed CSS length in px (`1px`, `0.5px`) as a number; 0 for anything else. Computed
/// lengths are plain decimals, so this reads digits with an optional fraction and no sign or
/// exponent, by hand: `str::parse::<f64>` would bring its tables into the package.
pub fn px(v: &str) -> f64 {
    let Some(number) = v.trim().strip_suffix("px").map(str::trim) else {
        return 0.0;
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) {
        return 0.0;
    }
    // At most 15 digits each: both integers and the power of ten are exact in an f64, so the
    // quotient is correctly rounded (what parsing the decimal would give).
    let int = |s: &str| s.bytes().fold(0.0, |n, b| n * 10.0 + f64::from(b - b'0'));
    let scale = fraction.bytes().fold(1.0, |p, _| p * 10.0);
    int(whole) + int(fraction) / scale
}

/// The iframe height for a requested height: rounded up (apps send fractional content heights),
/// then bounded. `None` for non-finite requests.
pub fn bounded_height(requested: f64, min: f64, max: f64) -> Option<u32> {
    if !requested.is_finite() {
        return None;
    }
    // Bounds are validated finite and within 0..=u32::MAX-ish by attach; the cast saturates anyway.
    // `max`/`min` rather than `clamp`, whose panic message would bring float formatting into the
    // package (the upper bound is never below the lower one here).
    let (low, high) = (min.ceil(), max.floor().max(min.ceil()));
    Some(requested.ceil().max(low).min(high) as u32)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use appframe_protocol::ItemId;

    fn item() -> ItemId {
        "860336f0-9317-4193-91ad-5d58f6a975d8".parse().unwrap()
    }

    #[test]
    fn px_reads_computed_lengths_and_nothing_else() {
        assert_eq!(px("1px"), 1.0);
        assert_eq!(px(" 0.5px "), 0.5);
        assert_eq!(px("0px"), 0.0);
        assert_eq!(px("auto"), 0.0);
        assert_eq!(px(""), 0.0);
        assert_eq!(px("infpx"), 0.0);
        assert_eq!(px("12.25px"), 12.25);
        assert_eq!(px("0.666667px"), "0.666667".parse::<f64>().unwrap());
        assert_eq!(px("3.px"), 3.0);
        assert_eq!(px("-1px"), 0.0);
        assert_eq!(px("1e2px"), 0.0);
    }

    #[test]
    fn only_a_true_is_resizable_setting_turns_auto_resize_off() {
        let mut ctx = LocalContext::new("http://127.0.0.1:8080/api", item());
        assert!(!is_user_resizable(&ctx));
        ctx.settings
            .insert("isResizable".into(), serde_json::json!("true"));
        assert!(!is_user_resizable(&ctx));
        ctx.settings
            .insert("isResizable".into(), serde_json::json!(false));
        assert!(!is_user_resizable(&ctx));
        ctx.settings
            .insert("isResizable".into(), serde_json::json!(true));
        assert!(is_user_resizable(&ctx));
    }

    #[test]
    fn bounded_height_rounds_up_and_clamps_and_rejects_non_finite() {
        assert_eq!(bounded_height(619.25, 50.0, 800.0), Some(620));
        assert_eq!(bounded_height(10.0, 50.0, 800.0), Some(50));
        assert_eq!(bounded_height(1e9, 50.0, 800.0), Some(800));
        assert_eq!(bounded_height(-3.0, 0.0, 800.0), Some(0));
        assert_eq!(bounded_height(f64::NAN, 50.0, 800.0), None);
        assert_eq!(bounded_height(f64::INFINITY, 50.0, 800.0), None);
    }
}
