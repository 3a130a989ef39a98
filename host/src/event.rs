//! What an app tells its host about itself under protocol v2 (`docs/protocol-v2.md`): the
//! [`AppEvent`]s, and the Rust host's callback as the JS function the v2 host calls.

use appframe_protocol::{DisplayMode, FailurePayload};
use wasm_bindgen::{JsValue, closure::Closure};

/// What the app tells its host about itself (`BridgeOptions::on_event`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEvent {
    /// The app can be shown: POST_READY from a v2 app; a v1 app once its context is answered.
    Ready,
    /// The app cannot run: POST_FAILURE with its code and message, or [`READY_TIMEOUT`](crate::READY_TIMEOUT).
    Failed(FailurePayload),
    /// REQUEST_CLOSE: the app asks to be closed; the host decides.
    CloseRequested,
    /// A display mode was granted (REQUEST_DISPLAY_MODE answered with SUCCESS).
    DisplayMode(DisplayMode),
}

/// The host's callback of the Rust API as the function `V2Host` calls with its event objects.
pub(crate) fn event_fn(f: impl Fn(&AppEvent) + 'static) -> JsValue {
    Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        if let Some(e) = event_from_js(&e) {
            f(&e);
        }
    })
    .into_js_value()
}

fn event_from_js(e: &JsValue) -> Option<AppEvent> {
    let field = |k: &str| crate::wire::get(e, k).as_string().unwrap_or_default();
    Some(match field("type").as_str() {
        "ready" => AppEvent::Ready,
        "failed" => AppEvent::Failed(FailurePayload {
            code: field("code"),
            message: field("message"),
        }),
        "close-requested" => AppEvent::CloseRequested,
        "display-mode" => AppEvent::DisplayMode(DisplayMode::parse(&field("mode"))?),
        _ => return None,
    })
}
