//! The appframe host bridge: embeds an app in an iframe and answers its Graasp-protocol messages,
//! only from that iframe, only from the app's registered origins, and only to them.
//!
//! ```no_run
//! use appframe_host::{Bridge, BridgeOptions};
//! use appframe_protocol::{Context, LocalContext, Permission};
//! use wasm_bindgen::JsCast;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let item = "860336f0-9317-4193-91ad-5d58f6a975d8".parse()?;
//! let iframe: web_sys::HtmlIFrameElement = web_sys::window()
//!     .and_then(|w| w.document())
//!     .and_then(|d| d.get_element_by_id("app-frame"))
//!     .ok_or("no iframe")?
//!     .dyn_into()
//!     .map_err(|_| "not an iframe")?;
//! let mut context = LocalContext::new("http://127.0.0.1:8080/api", item);
//! context.permission = Permission::Read;
//! context.context = Context::Player;
//! let bridge = Bridge::attach(
//!     iframe,
//!     BridgeOptions::new(
//!         item,
//!         "http://127.0.0.1:8081/counter/",
//!         vec!["http://127.0.0.1:8081".into()],
//!         context,
//!     )
//!     .on_log(|entry| println!("{:?} {} {}", entry.direction, entry.channel, entry.message_type)),
//! )?;
//! // Keep `bridge` as long as the app is shown; dropping it detaches every listener and port.
//! # drop(bridge);
//! # Ok(())
//! # }
//! ```
//!
//! From JavaScript (build with `--features js`, then `wasm-bindgen --target web`):
//!
//! ```js
//! import init, { attachApp } from './appframe_host.js';
//! await init();
//! const handle = attachApp(document.getElementById('app-frame'), {
//!   itemId: '860336f0-9317-4193-91ad-5d58f6a975d8',
//!   appUrl: 'http://127.0.0.1:8081/counter/',
//!   appOrigins: ['http://127.0.0.1:8081'],
//!   context: { apiHost: 'http://127.0.0.1:8080/api', accountId: 'dca3c530-eff8-4c46-8172-bd614654a02d',
//!              permission: 'admin', context: 'builder', lang: 'en' },
//!   // Optional: getToken: async ({ itemId, key, origin, apiHost }) => 'token', or tokenUrl: '...'.
//!   onLog: (e) => console.debug(e.direction, e.channel, e.type, e.outcome, e.reason ?? ''),
//!   minHeight: 100, maxHeight: 2000,
//! });
//! // Later, when the app leaves the page:
//! handle.detach();
//! ```
//!
//! What the bridge guarantees: `GET_CONTEXT_<itemId>` is answered only when `event.source` is
//! the iframe's window and `event.origin` is registered, posted to that exact origin with a new
//! `MessageChannel` port each time (older ports keep working); `GET_AUTH_TOKEN_<itemId>` always
//! gets SUCCESS or FAILURE with a reason, and reaches the token provider at most
//! [`DEFAULT_TOKEN_BURST`] times at once per frame (then one per [`DEFAULT_TOKEN_REFILL`]). To
//! shorten start-up, the token of a GET_CONTEXT's key and origin is asked for as that message
//! arrives (counted by the same limit), and the app's first GET_AUTH_TOKEN naming exactly that
//! key and origin within 5 s gets that answer. Auto-resize heights are rounded up, bounded and
//! rate limited; everything else is ignored and logged.
//!
//! Modules: `bridge` (attach, checks, dispatch, context answers), `grant` (the frame's `allow`,
//! `sandbox` and `appframe.granted` from the host's permissions), `options`, `ports`, `relay`
//! (token relay), `token` (providers), `resize`, `wire` (the message strings, read with
//! `JSON.parse` and written by hand), `text` (JSON text, numbers and UUIDs without `core::fmt`:
//! the JS package is held to 40 KB gzip), `log`, `js` (the JS facade).

mod bridge;
mod error;
mod event;
mod grant;
#[cfg(feature = "js")]
mod js;
mod log;
mod options;
mod ports;
mod provided;
mod relay;
mod resize;
mod text;
mod token;
mod wire;

pub use bridge::{Bridge, FEATURES, READY_TIMEOUT, TEARDOWN_ACK_MS, app_src};
pub use error::Error;
pub use event::AppEvent;
pub use grant::{ALLOW, SANDBOX};
#[cfg(feature = "js")]
pub use js::{AppHandle, AttachAppOptions, attach_app};
pub use log::{Channel, Direction, LogEntry, LogFn, Outcome};
pub use options::{
    BridgeOptions, ContextProvider, DEFAULT_MAX_HEIGHT, DEFAULT_MIN_HEIGHT, DEFAULT_READY_TIMEOUT,
    DEFAULT_TOKEN_BURST, DEFAULT_TOKEN_REFILL, DEFAULT_TOKEN_TIMEOUT,
};
pub use ports::MAX_PORTS;
pub use resize::{RESIZE_INTERVAL_MS, bounded_height};
pub use token::{
    AppTokenRequest, CONTEXT_UNAVAILABLE, FetchTokenProvider, ORIGIN_MISMATCH, TOKEN_RATE_LIMITED,
    TOKEN_REQUEST_FAILED, TOKEN_TIMEOUT, TokenFuture, TokenProvider,
};
pub use wire::BRIDGE_VERSION;

/// Milliseconds on the page's monotonic clock (`performance.now()`, else `Date.now()`): the
/// clock of the resize interval and of the token rate limit.
pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}
