//! The app side of appframe: connect to the host page, get the context and an app token, read and
//! write the app's data on the server, resize the iframe, or run alone against a mock backend.
//!
//! ```no_run
//! use appframe_sdk::{App, AppConfig, ListFilter, NewAppData};
//!
//! async fn run() -> Result<(), appframe_sdk::Error> {
//!     // Embedded: GET_CONTEXT handshake with the host. Opened alone: standalone mode.
//!     let app = App::connect(AppConfig::new("1d85bd0c-7c60-49cd-9775-9898fcb16668")).await?;
//!     let _resize = app.auto_resize()?; // keep the handle: dropping it stops resizing
//!     let mut data = serde_json::Map::new();
//!     data.insert("count".into(), 1.into());
//!     app.create_app_data(NewAppData::new("counter", data)).await?;
//!     let page = app.list_app_data(ListFilter::of_type("counter")).await?;
//!     println!("{} rows for {:?}", page.items.len(), app.context().account_id);
//!     Ok(())
//! }
//! ```
//!
//! It speaks the Graasp apps protocol (`appframe-protocol`), so it works in a Graasp host as in
//! ours, without Graasp's client pitfalls: replies are accepted only from the parent window (and
//! origin), unrelated messages are ignored, every wait has a timeout and a typed [`Error`], a 401
//! gets one fresh token and one retry, and a re-handshake switches to the new port while requests
//! on the old one still complete.
//!
//! ## Live updates
//!
//! Changes by other members arrive over one WebSocket per [`App`] (`apiHost + /ws`, `wss:` under
//! `https:`), shared by every subscription and opened by the first. [`App::live_app_data`] keeps
//! a merged list (post adds a row if its id is absent, patch replaces by id, delete removes by
//! id) and refetches it whenever updates may have been missed; [`App::subscribe`] is the raw
//! [`Stream`](futures_core::Stream) of [`LiveEvent`]s, [`App::on_update`] the same with a
//! callback. A dropped socket is reopened with exponential backoff and jitter (0.5 s doubling
//! to 30 s, reset after a stable connection; at once when the browser comes back online),
//! subscribed again, and followed by a
//! [`LiveEvent::Resync`]. With a host that advertises the `"ws"` feature (an appframe server) the
//! socket carries the app token as a subprotocol, a socket silent for 2.5 heartbeats is
//! replaced, and an expired token (close 4001) is renewed; with a Graasp host it connects
//! plainly (cookie auth). In standalone mode the mock backend's writes reach the page's
//! subscribers, and other tabs' writes arrive as `Resync`. Server refusals are
//! [`Error::Live`] items; the stream goes on. An app that never subscribes links none of this.
//!
//! ```no_run
//! # async fn run(app: appframe_sdk::App) {
//! use appframe_sdk::{LiveEvent, Topic};
//! // A merged list: the callback gets every row of type `note` after each change.
//! let notes = app.live_app_data(Some("note"), |rows| match rows {
//!     Ok(rows) => println!("{} notes", rows.len()),
//!     Err(e) => eprintln!("live updates: {e} ({})", e.code()),
//! });
//! // Or the raw events (drop the subscription to unsubscribe).
//! let mut settings = app.subscribe(Topic::AppSettings);
//! while let Some(event) = settings.next().await {
//!     match event {
//!         Ok(LiveEvent::AppSetting(op, setting)) => println!("{op:?} {}", setting.name),
//!         Ok(LiveEvent::Resync) => { /* refetch the settings */ }
//!         Ok(_) => {}
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! # drop(notes);
//! # }
//! ```
//!
//! ## JavaScript
//!
//! With the `js` feature the crate exports an ES module (`wasm-bindgen --target web`) with
//! TypeScript definitions; errors are thrown as `Error` objects with a `code` (see [`Error::code`]):
//!
//! ```js
//! import init, { connect } from './appframe_sdk.js';
//! await init();
//! const app = await connect({ key: '106aa844-b6ec-4851-8685-9ca7d0be6238' });
//! const resize = app.autoResize();              // resize.stop() to end
//! await app.createAppData({ type: 'note', data: { text: 'hi' }, visibility: 'item' });
//! const { items, nextCursor } = await app.listAppData({ type: 'note' });
//! try { await app.createAppSetting('config', {}); }
//! catch (e) { if (e.code === 'Http' && e.status === 403) console.log('admins only'); }
//! // Live updates: each call returns a function that unsubscribes.
//! const stop = app.subscribe('app-data', (ev) => {
//!   if (ev.type === 'update') console.log(ev.op, ev.appData);   // 'post' | 'patch' | 'delete'
//!   else if (ev.type === 'resync') { /* updates may have been missed: refetch */ }
//!   else console.warn(ev.error.code, ev.error.message);         // e.g. 'Live' (ACCESS_DENIED)
//! });
//! const stopNotes = app.liveAppData({ type: 'note' }, (items, error) => render(items));
//! ```

//! ## Cargo features
//!
//! - `standalone` (default): the in-browser mock backend used when the page is opened alone
//!   (`window.parent === window`). It applies the server's permission and visibility rules,
//!   persists in `localStorage` per app key and item id, is seeded from [`StandaloneConfig`], and
//!   has [`App::reset`] and [`App::switch_account`]. Without it, opening the page alone fails
//!   with [`Error::NotEmbedded`]; always-embedded production bundles save about 9 KB gzip.
//! - `js`: the `#[wasm_bindgen]` facade for plain JS apps (above). It exports `subscribe` and
//!   `liveAppData`, so the JS package always carries the live-update code.
//!
//! ## Size
//!
//! A minimal app (connect and list app data, `standalone` on; `app-sdk/size-probe`) ships within
//! the 40 KB gzip budget of wasm and glue in a release build (`cargo xtask bench size`; how, in
//! the `wire` module's size policy). Apps that care use a
//! smaller global allocator than Rust's default, as the examples do with `talc`:
//!
//! ```ignore
//! #[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
//! #[global_allocator]
//! static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
//! ```
//!
//! ## Tests
//!
//! Native unit tests: `cargo test -p appframe-sdk`. Browser tests (headless Chromium through
//! `wasm-bindgen-test-runner`, see `.cargo/config.toml` and `app-sdk/webdriver.json`):
//! `cargo test --target wasm32-unknown-unknown -p appframe-sdk --features js`.

mod app;
mod blob;
mod config;
mod embedded;
mod env;
mod error;
mod inert;
#[cfg(feature = "js")]
mod js;
mod lifecycle;
mod listen;
mod live;
#[cfg(feature = "standalone")]
mod standalone;
mod types;
mod wire;

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests;
#[cfg(all(test, not(target_arch = "wasm32"), feature = "standalone"))]
mod fuzz_tests;

pub use app::{App, capabilities::Capabilities, storage::Storage};
pub use appframe_protocol::{
    AccountId, AppAction, AppContext, AppData, AppSetting, ChatBotAnswer, ChatBotMessage,
    ChatBotRole, Container, Context, ContextChange, DisplayMode, ItemId, JsonObject, LocalContext,
    Member, Permission, RowId, Theme, ThemeMode, Visibility,
};
/// Options of [`App::chat_bot`]: `gpt_version` (the model) and `temperature`, both optional.
pub type ChatBotOptions = appframe_protocol::ChatBotQuery;
pub use blob::BlobUrl;
pub use config::{
    AppConfig, DEFAULT_STANDALONE_ACCOUNT_ID, DEFAULT_STANDALONE_ITEM_ID, LiveConfig, SeedAppData,
    StandaloneConfig,
};
pub use embedded::resize::ResizeHandle;
pub use error::Error;
pub use lifecycle::{Registration, changes::ContextChanges};
pub use live::{LiveAppData, LiveEvent, LiveHandle, LiveRow, Op, Subscription, Topic, merge};
pub use types::{ListFilter, NewAppData, Page};
