//! Live updates: one WebSocket per app to the server's `apiHost + /ws`, shared by every
//! subscription, speaking the Graasp `notif` protocol (`appframe_protocol::ws`).
//!
//! Better than Graasp's client on four points: the URL keeps the `/api` path and follows the
//! scheme (`https` → `wss`); with a host that advertises the `"ws"` feature the socket carries
//! the app token as a subprotocol, a silent socket (no heartbeat for 2.5 intervals) is dropped,
//! and an expired token (close 4001) is replaced; every drop reconnects with exponential
//! backoff and jitter, subscribes again and tells subscribers to refetch ([`LiveEvent::Resync`]),
//! since updates may have been missed meanwhile.
//!
//! In standalone mode there is no socket: writes through the mock backend reach the page's
//! subscribers directly, and writes from other tabs (the `storage` event) become a `Resync`.
//!
//! The app is seen only through [`host::LiveHost`] (context, token, refetch, stored database),
//! and holds the hub through [`hub::LiveSlot`], which stays empty until a subscription.

mod backoff;
pub(crate) mod frames;
pub(crate) mod handle;
pub(crate) mod host;
pub(crate) mod hub;
pub(crate) mod list;
pub(crate) mod merge;
pub(crate) mod subscription;

pub use appframe_protocol::ws::{Op, Topic};
pub use frames::LiveEvent;
pub use handle::LiveHandle;
pub use list::LiveAppData;
pub use merge::{LiveRow, merge};
pub use subscription::Subscription;
