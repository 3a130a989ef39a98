//! End-to-end tests in real headless Chromium: the real server, demo host page and example apps,
//! and hostile fixture pages. Each test gets fresh ports, a fresh SQLite file and a fresh browser
//! profile (see `appframe_e2e::run`). Needs `cargo xtask build` first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/analytics.rs"]
mod analytics;
#[path = "browser/boot.rs"]
mod boot;
#[path = "browser/chat_bot.rs"]
mod chat_bot;
#[path = "browser/counter.rs"]
mod counter;
#[path = "browser/csp.rs"]
mod csp;
#[path = "browser/files.rs"]
mod files;
#[path = "browser/graasp_ws.rs"]
mod graasp_ws;
#[path = "browser/hostile.rs"]
mod hostile;
#[path = "browser/js_notes.rs"]
mod js_notes;
#[path = "browser/live.rs"]
mod live;
#[path = "browser/notes.rs"]
mod notes;
#[path = "browser/sdk_v2.rs"]
mod sdk_v2;
#[path = "browser/sticky_notes.rs"]
mod sticky_notes;
#[path = "browser/v2.rs"]
mod v2;
