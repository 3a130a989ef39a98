//! The smallest app using appframe-sdk: connect (handshake or standalone), list the app data and
//! log the count. Built only so the size report measures what a minimal app pays for the SDK.

use appframe_sdk::{App, AppConfig, ListFilter};
use wasm_bindgen::prelude::*;

/// The demo `counter` app key (server/demo.toml).
const KEY: &str = "1d85bd0c-7c60-49cd-9775-9898fcb16668";

/// Entry point: runs once the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        let line = match App::connect(AppConfig::new(KEY)).await {
            Ok(app) => match app.list_app_data(ListFilter::default()).await {
                Ok(page) => format!("appframe: {} app data rows", page.items.len()),
                Err(e) => format!("appframe: list failed: {} ({})", e, e.code()),
            },
            Err(e) => format!("appframe: connect failed: {} ({})", e, e.code()),
        };
        web_sys::console::log_1(&line.into());
    });
}

/// Talc instead of Rust's default allocator (dlmalloc): smaller and faster on wasm.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
