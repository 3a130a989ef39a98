//! Browser tests of the SDK's side of the boot script contract (`embedded/boot.rs`): a page's
//! `appframeBoot(text)` that already posted `text` keeps the SDK from posting it again; any other
//! answer leaves the SDK to ask itself. The boot script itself runs in the end-to-end suite.

use super::*;

/// Installs `window.appframeBoot` as a stand-in for the boot script: it records the text it is
/// called with and, when `claims`, posts it to the host as the boot script would have.
fn install_boot(host: &Host, claims: bool) {
    let f = js_sys::Function::new_with_args(
        "host, claims",
        "window.appframeBoot = (text) => { window.bootAsked = (window.bootAsked || []).concat([text]);
           if (claims) host.postMessage(text, '*'); return claims; };",
    );
    f.call2(&JsValue::NULL, &host.window(), &JsValue::from_bool(claims))
        .unwrap();
}

fn boot_asked() -> Vec<String> {
    let v = js_sys::Reflect::get(&win(), &"bootAsked".into()).unwrap();
    let out = if v.is_undefined() {
        Vec::new()
    } else {
        strings_of(&v)
    };
    js_sys::Reflect::delete_property(&win(), &"appframeBoot".into()).unwrap();
    js_sys::Reflect::delete_property(&win(), &"bootAsked".into()).unwrap();
    out
}

fn strings_of(v: &JsValue) -> Vec<String> {
    let text = js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

#[wasm_bindgen_test]
async fn a_boot_script_that_posted_the_same_request_is_not_asked_twice() {
    let host = Host::new("ok").await;
    install_boot(&host, true);
    let app = connect(&host, config(2000)).await.unwrap();
    let asked = boot_asked();
    assert_eq!(
        asked.len(),
        1,
        "the SDK offers its request to the boot script once"
    );
    let sent: Value = serde_json::from_str(&asked[0]).unwrap();
    assert_eq!(sent["type"], format!("GET_CONTEXT_{ITEM}"));
    assert_eq!(sent["payload"]["key"], KEY);
    // Only the boot script's GET_CONTEXT reached the host, and its answer is the app's context.
    assert_eq!(host.received_of("GET_CONTEXT_").len(), 1);
    assert_eq!(app.item_id(), item());
    assert_eq!(app.auth_token().await.unwrap(), "tok-1-1");
}

#[wasm_bindgen_test]
async fn a_boot_script_that_declines_leaves_the_sdk_to_ask_itself() {
    let host = Host::new("ok").await;
    install_boot(&host, false);
    let app = connect(&host, config(2000)).await.unwrap();
    assert_eq!(boot_asked().len(), 1);
    assert_eq!(host.received_of("GET_CONTEXT_").len(), 1);
    assert_eq!(app.item_id(), item());
}
