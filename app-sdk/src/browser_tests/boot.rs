//! Browser tests of the SDK's side of the boot script contract (`embedded/boot.rs`): a page's
//! `appframeBoot(text)` that already posted `text` keeps the SDK from posting it again, and one
//! that also sent GET_AUTH_TOKEN on the answer's port keeps the SDK from asking for the token
//! again; any other answer leaves the SDK to ask itself. The boot script itself runs in the
//! end-to-end suite.

use super::*;

/// Installs `window.appframeBoot` as a stand-in for the boot script: it records the text it is
/// called with; with `claims` 1 or 2 it posts it to the host as the boot script would have, and
/// with 2 it also sends GET_AUTH_TOKEN on the port of the host's first answer, as the boot
/// script does when that answer arrives.
fn install_boot(host: &Host, claims: u32) {
    let f = js_sys::Function::new_with_args(
        "host, claims, item, key",
        "window.appframeBoot = (text) => { window.bootAsked = (window.bootAsked || []).concat([text]);
           if (claims === 2) {
             const ask = (e) => { if (!e.ports[0]) return; removeEventListener('message', ask);
               e.ports[0].postMessage(JSON.stringify({type: 'GET_AUTH_TOKEN_' + item,
                 payload: {key, origin: location.origin}})); };
             addEventListener('message', ask);
           }
           if (claims) host.postMessage(text, '*'); return claims; };",
    );
    let args = js_sys::Array::of4(
        &host.window(),
        &JsValue::from(claims),
        &JsValue::from_str(ITEM),
        &JsValue::from_str(KEY),
    );
    f.apply(&JsValue::NULL, &args).unwrap();
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
    install_boot(&host, 1);
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
    install_boot(&host, 0);
    let app = connect(&host, config(2000)).await.unwrap();
    assert_eq!(boot_asked().len(), 1);
    assert_eq!(host.received_of("GET_CONTEXT_").len(), 1);
    assert_eq!(app.item_id(), item());
}

#[wasm_bindgen_test]
async fn a_token_the_boot_script_asked_for_is_not_asked_again() {
    let host = Host::new("ok").await;
    install_boot(&host, 2);
    let app = connect(&host, config(2000)).await.unwrap();
    assert_eq!(boot_asked().len(), 1);
    assert_eq!(host.received_of("GET_CONTEXT_").len(), 1);
    // The app asks late: the host's reply came long before and waited in the port.
    sleep(100).await;
    assert_eq!(host.received_of("GET_AUTH_TOKEN_").len(), 1);
    // The boot script's GET_AUTH_TOKEN is the only one; its reply is the app's token.
    assert_eq!(app.auth_token().await.unwrap(), "tok-1-1");
    let asks = host.received_of("GET_AUTH_TOKEN_");
    assert_eq!(asks.len(), 1, "one token request: {asks:?}");
    assert_eq!(asks[0]["via"], "port1");
    // The next token (the fake server refuses `tok-1-1` with a 401) is the SDK's own request.
    clear_fetch_log();
    app.list_app_data(ListFilter::default()).await.unwrap();
    assert_eq!(fetch_log()[1]["auth"], "Bearer tok-1-2");
    assert_eq!(host.received_of("GET_AUTH_TOKEN_").len(), 2);
}

#[wasm_bindgen_test]
async fn a_boot_script_that_claims_only_the_context_leaves_the_token_to_the_sdk() {
    let host = Host::new("ok").await;
    install_boot(&host, 1);
    let app = connect(&host, config(2000)).await.unwrap();
    assert_eq!(boot_asked().len(), 1);
    assert!(host.received_of("GET_AUTH_TOKEN_").is_empty());
    assert_eq!(app.auth_token().await.unwrap(), "tok-1-1");
    assert_eq!(host.received_of("GET_AUTH_TOKEN_").len(), 1);
}
