//! The page's boot script (`app-sdk/js/boot.js`) may have posted GET_CONTEXT before the SDK
//! loaded, so the host's answer overlaps the app's download and compilation, and sees to the
//! token on the port of that answer too (the host pushes it, protocol v2 `push-token`, or the
//! boot script asks). The SDK claims those requests instead of posting its own, but only when
//! the boot posted the GET_CONTEXT text the SDK would post (plus `push-token`); the boot then
//! replays the host's messages to the SDK's listener.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    // The global the boot script defines; a page without one makes the call throw, which is
    // caught and read as "not claimed". A direct import is what costs the fewest bytes.
    #[wasm_bindgen(catch, js_name = appframeBoot)]
    fn appframe_boot(text: &str) -> Result<u32, wasm_bindgen::JsValue>;
}

/// What the boot script already did for the SDK.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Claim {
    /// Nothing: the SDK posts GET_CONTEXT itself.
    None,
    /// GET_CONTEXT was posted; the SDK asks for the token itself.
    Context,
    /// GET_CONTEXT was posted, and the token is seen to on the port of the first answer (now,
    /// or when that answer arrives): pushed by the host or asked for by the boot script, it
    /// waits in that port's queue for the SDK. (The boot script of this SDK version answers
    /// only this or `None`; `Context` is an older boot script's answer.)
    ContextAndToken,
}

/// What the page's boot script already posted of `text` (the SDK's GET_CONTEXT) and after it.
/// Any unexpected answer (no boot script, another text, a call that throws) means "nothing".
pub(crate) fn claimed(text: &str) -> Claim {
    match appframe_boot(text) {
        Ok(1) => Claim::Context,
        Ok(2) => Claim::ContextAndToken,
        _ => Claim::None,
    }
}
