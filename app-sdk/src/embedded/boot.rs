//! The page's boot script (`app-sdk/js/boot.js`) may have posted GET_CONTEXT before the SDK
//! loaded, so the host's answer overlaps the app's download and compilation. The SDK claims that
//! request instead of posting its own, but only when the boot posted exactly the text the SDK
//! would post; the boot then replays the host's messages to the SDK's listener.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    // The global the boot script defines; a page without one makes the call throw, which is
    // caught and read as "not claimed". A direct import is what costs the fewest bytes.
    #[wasm_bindgen(catch, js_name = appframeBoot)]
    fn appframe_boot(text: &str) -> Result<bool, wasm_bindgen::JsValue>;
}

/// Whether the page's boot script already posted `text`; then the SDK must not post it again.
/// Any other answer (no boot script, another text, a call that throws) means "post it yourself".
pub(crate) fn claimed(text: &str) -> bool {
    appframe_boot(text) == Ok(true)
}
