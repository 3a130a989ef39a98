//! The JS facade of the capability self-check: `app.capabilities(declared)`.

use super::{AppframeApp, to_js};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_CAPABILITIES: &'static str = r#"
/** Declared vs granted browser permissions. `granted` is null when the host does not say (a
 * Graasp host, standalone mode); `missing` lists what was declared but not granted. */
export interface Capabilities { declared: string[]; granted: string[] | null; missing: string[] }
"#;

#[derive(Serialize)]
struct JsCapabilities {
    declared: Vec<String>,
    granted: Option<Vec<String>>,
    missing: Vec<String>,
}

#[wasm_bindgen]
impl AppframeApp {
    /// Compares the permissions the app uses (`declared`, e.g. `['clipboard-write']`) with what
    /// the host granted; warns once in the console for each one not granted.
    #[wasm_bindgen(unchecked_return_type = "Capabilities")]
    pub fn capabilities(&self, declared: Vec<String>) -> Result<JsValue, JsValue> {
        let names: Vec<&str> = declared.iter().map(String::as_str).collect();
        let c = self.app.capabilities(&names);
        to_js(&JsCapabilities {
            declared: c.declared,
            granted: c.granted,
            missing: c.missing,
        })
    }
}
