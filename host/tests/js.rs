//! The `attachApp` JavaScript facade (`--features js`) against the fake app in headless Chromium.
#![cfg(all(target_arch = "wasm32", feature = "js"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use appframe_host::{AttachAppOptions, attach_app};
use appframe_protocol::{ItemId, Message};
use common::*;
use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn item(n: u8) -> ItemId {
    format!("00000000-0000-4000-8000-0000000001{n:02x}")
        .parse()
        .unwrap()
}

/// Builds the options object the way a JS page would write it.
fn options(item: ItemId, get_token_body: &str) -> JsValue {
    let make = Function::new_with_args(
        "itemId, appUrl, origin, getTokenBody",
        "window.__hostLog = [];
         return {
           itemId, appUrl, appOrigins: [origin],
           context: () => ({ apiHost: origin + '/api', accountId: 'dca3c530-eff8-4c46-8172-bd614654a02d',
                             permission: 'write', context: 'player', lang: 'fr' }),
           getToken: new Function('req', getTokenBody),
           onLog: (e) => window.__hostLog.push(e),
           minHeight: 100, maxHeight: 400,
         };",
    );
    let args = js_sys::Array::of4(
        &item.to_string().into(),
        &format!("{}/fake-app/", page_origin()).into(),
        &page_origin().into(),
        &get_token_body.into(),
    );
    make.apply(&JsValue::NULL, &args).unwrap()
}

fn host_log_types() -> Vec<String> {
    let log = js_sys::Array::from(&Reflect::get(&window(), &"__hostLog".into()).unwrap());
    log.iter()
        .map(|e| {
            format!(
                "{} {} {}",
                Reflect::get(&e, &"direction".into())
                    .unwrap()
                    .as_string()
                    .unwrap(),
                Reflect::get(&e, &"type".into())
                    .unwrap()
                    .as_string()
                    .unwrap(),
                Reflect::get(&e, &"outcome".into())
                    .unwrap()
                    .as_string()
                    .unwrap(),
            )
        })
        .collect()
}

#[wasm_bindgen_test]
async fn attach_app_answers_context_and_token_from_js_callbacks() {
    let id = item(1);
    let iframe = new_frame();
    let opts = options(
        id,
        "return Promise.resolve('js-' + req.key + '@' + req.apiHost)",
    );
    let mut handle = attach_app(iframe.clone(), opts.unchecked_into::<AttachAppOptions>()).unwrap();
    let win = mount(&iframe).await;
    send(&win, &get_context(id));
    let got = received_at_least(&win, 1).await;
    let Message::GetContextSuccess { context, .. } = got[0].message() else {
        panic!("expected context, got {}", got[0].data);
    };
    assert_eq!(context.item_id, id);
    assert_eq!(context.lang, "fr");
    assert_eq!(context.api_host, format!("{}/api", page_origin()));
    send_on_port(&win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&win, 2).await;
    assert_eq!(
        got[1].message(),
        token_success(
            id,
            format!(
                "js-1d85bd0c-7c60-49cd-9775-9898fcb16668@{}/api",
                page_origin()
            )
        )
    );
    send_on_port(&win, 0, &resize(id, 1000.5));
    assert!(wait_for(|| iframe.style().get_property_value("height").unwrap() == "400px").await);
    assert_eq!(
        host_log_types(),
        vec![
            "in GET_CONTEXT handled",
            "out GET_CONTEXT_SUCCESS sent",
            "in GET_AUTH_TOKEN handled",
            "out GET_AUTH_TOKEN_SUCCESS sent",
            "in POST_AUTO_RESIZE handled",
        ]
    );
    assert_eq!(handle.open_ports(), 1);
    handle.detach();
    assert!(!handle.attached());
    send(&win, &get_context(id));
    sleep(200).await;
    assert_eq!(received(&win).len(), 2);
    remove(&iframe);
}

#[wasm_bindgen_test]
async fn a_rejected_get_token_becomes_failure_with_its_code() {
    let id = item(2);
    let iframe = new_frame();
    let opts = options(
        id,
        "return Promise.reject(Object.assign(new Error('session expired'), { code: 'SESSION_EXPIRED' }))",
    );
    let _handle = attach_app(iframe.clone(), opts.unchecked_into::<AttachAppOptions>()).unwrap();
    let win = mount(&iframe).await;
    send(&win, &get_context(id));
    received_at_least(&win, 1).await;
    send_on_port(&win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&win, 2).await;
    let Message::GetAuthTokenFailure { error, .. } = got[1].message() else {
        panic!("expected FAILURE, got {}", got[1].data);
    };
    assert_eq!(error.code, "SESSION_EXPIRED");
    assert_eq!(error.message, "session expired");
    remove(&iframe);
}

#[wasm_bindgen_test]
fn attach_app_throws_an_error_with_a_code_on_bad_options() {
    let opts = options(item(3), "return 'x'");
    Reflect::set(&opts, &"appOrigins".into(), &"not an array".into()).unwrap();
    let err = attach_app(new_frame(), opts.unchecked_into::<AttachAppOptions>()).unwrap_err();
    assert_eq!(
        Reflect::get(&err, &"code".into())
            .unwrap()
            .as_string()
            .unwrap(),
        "BadOptions"
    );
    let opts = options(item(3), "return 'x'");
    Reflect::set(
        &opts,
        &"appUrl".into(),
        &"http://elsewhere.invalid/app/".into(),
    )
    .unwrap();
    let err = attach_app(new_frame(), opts.unchecked_into::<AttachAppOptions>()).unwrap_err();
    assert_eq!(
        Reflect::get(&err, &"code".into())
            .unwrap()
            .as_string()
            .unwrap(),
        "OriginNotRegistered"
    );
}

#[wasm_bindgen_test]
async fn an_app_key_has_the_token_asked_for_at_attach() {
    let id = item(22);
    let iframe = new_frame();
    // Each call records its key and how many messages the host had seen by then.
    let opts = options(
        id,
        "window.__tokenCalls.push(req.key + ' after ' + window.__hostLog.length);
         return Promise.resolve('t' + window.__tokenCalls.length)",
    );
    Reflect::set(&window(), &"__tokenCalls".into(), &js_sys::Array::new()).unwrap();
    Reflect::set(
        &opts,
        &"appKey".into(),
        &"1d85bd0c-7c60-49cd-9775-9898fcb16668".into(),
    )
    .unwrap();
    let _handle = attach_app(iframe.clone(), opts.unchecked_into::<AttachAppOptions>()).unwrap();
    let win = mount(&iframe).await;
    send(&win, &get_context(id));
    received_at_least(&win, 1).await;
    send_on_port(&win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&win, 2).await;
    assert!(got[1].data.contains("\"t1\""), "{}", got[1].data);
    // Asked for once, before the app's first message reached the host.
    let calls: Vec<String> =
        js_sys::Array::from(&Reflect::get(&window(), &"__tokenCalls".into()).unwrap())
            .iter()
            .map(|k| k.as_string().unwrap())
            .collect();
    assert_eq!(calls, ["1d85bd0c-7c60-49cd-9775-9898fcb16668 after 0"]);
    let bad = options(item(23), "return 'x'");
    Reflect::set(&bad, &"appKey".into(), &7.into()).unwrap();
    let err = attach_app(new_frame(), bad.unchecked_into::<AttachAppOptions>()).unwrap_err();
    let message = Reflect::get(&err, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(message.contains("appKey must be a string"), "{message}");
    remove(&iframe);
}

#[wasm_bindgen_test]
async fn token_burst_limits_the_get_token_calls_of_a_frame() {
    let id = item(20);
    let iframe = new_frame();
    let opts = options(
        id,
        "window.__tokenCalls = (window.__tokenCalls || 0) + 1; return Promise.resolve('t')",
    );
    Reflect::set(&opts, &"tokenBurst".into(), &2.into()).unwrap();
    Reflect::set(&opts, &"tokenRefillMs".into(), &60_000.into()).unwrap();
    Reflect::set(&window(), &"__tokenCalls".into(), &0.into()).unwrap();
    let _handle = attach_app(iframe.clone(), opts.unchecked_into::<AttachAppOptions>()).unwrap();
    let win = mount(&iframe).await;
    send(&win, &get_context(id));
    received_at_least(&win, 1).await;
    for _ in 0..4 {
        send_on_port(&win, 0, &get_token(id, &page_origin()));
    }
    let got = received_at_least(&win, 5).await;
    let limited = got[1..]
        .iter()
        .filter(|r| {
            matches!(r.message(), Message::GetAuthTokenFailure { error, .. }
                if error.code == appframe_host::TOKEN_RATE_LIMITED)
        })
        .count();
    assert_eq!(limited, 2);
    let calls = Reflect::get(&window(), &"__tokenCalls".into()).unwrap();
    assert_eq!(calls.as_f64(), Some(2.0));
    let bad = options(item(21), "return 'x'");
    Reflect::set(&bad, &"tokenBurst".into(), &0.into()).unwrap();
    let err = attach_app(new_frame(), bad.unchecked_into::<AttachAppOptions>()).unwrap_err();
    assert_eq!(
        Reflect::get(&err, &"code".into())
            .unwrap()
            .as_string()
            .unwrap(),
        "BadOptions"
    );
    remove(&iframe);
}

#[wasm_bindgen_test]
async fn a_js_context_is_sent_in_the_local_context_wire_shape_with_its_settings() {
    let id = item(30);
    let iframe = new_frame();
    let opts = options(id, "return 'x'");
    let context = Function::new_no_args(
        "return { apiHost: '/api/', memberId: 'dca3c530-eff8-4c46-8172-bd614654a02d',
                  permission: 'admin', context: 'explorer', dev: true, extra: 1,
                  settings: { isResizable: true, n: 3, half: 0.5, big: 1e21, skipped: undefined,
                              nested: { list: [1, 'two', null, false] } } };",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    Reflect::set(&opts, &"context".into(), &context).unwrap();
    let _handle = attach_app(iframe.clone(), opts.unchecked_into::<AttachAppOptions>()).unwrap();
    let win = mount(&iframe).await;
    send(&win, &get_context(id));
    let got = received_at_least(&win, 1).await;
    let Message::GetContextSuccess { context, .. } = got[0].message() else {
        panic!("expected context, got {}", got[0].data);
    };
    assert_eq!(context.api_host, format!("{}/api", page_origin()));
    assert_eq!(
        context.account_id.map(|a| a.to_string()).as_deref(),
        Some("dca3c530-eff8-4c46-8172-bd614654a02d")
    );
    assert_eq!(context.permission, appframe_protocol::Permission::Admin);
    assert_eq!(context.context, appframe_protocol::Context::Unknown);
    assert!(context.dev && !context.mobile && !context.offline);
    assert_eq!(context.lang, "en");
    assert_eq!(
        serde_json::Value::Object(context.settings.clone()),
        serde_json::json!({
            "isResizable": true, "n": 3, "half": 0.5, "big": 1e21,
            "nested": { "list": [1, "two", null, false] }
        })
    );
    // Whole numbers are written as integers, as serde_json writes them.
    assert!(got[0].data.contains(r#""n":3,"#), "{}", got[0].data);
    // The item is resizable by the viewer: the app's auto-resize is ignored.
    send_on_port(&win, 0, &resize(id, 300.0));
    sleep(200).await;
    assert!(
        host_log_types().contains(&"in POST_AUTO_RESIZE ignored".to_owned()),
        "{:?}",
        host_log_types()
    );
    remove(&iframe);
}

#[wasm_bindgen_test]
fn a_js_context_of_the_wrong_shape_is_refused_at_attach() {
    for (field, value) in [
        ("permission", JsValue::from_str("owner")),
        ("accountId", JsValue::from_str("not-a-uuid")),
        ("lang", JsValue::from_f64(3.0)),
        ("dev", JsValue::from_str("yes")),
        ("settings", js_sys::Array::new().into()),
        ("settings", Function::new_no_args("return 1").into()),
    ] {
        let opts = options(item(31), "return 'x'");
        let context =
            Function::new_no_args("return { apiHost: '/api', permission: 'read', settings: {} };")
                .call0(&JsValue::NULL)
                .unwrap();
        Reflect::set(&context, &field.into(), &value).unwrap();
        Reflect::set(&opts, &"context".into(), &context).unwrap();
        let err = attach_app(new_frame(), opts.unchecked_into::<AttachAppOptions>()).unwrap_err();
        assert_eq!(
            Reflect::get(&err, &"code".into())
                .unwrap()
                .as_string()
                .unwrap(),
            "BadOptions",
            "{field}"
        );
    }
    // A cyclic object in the settings is refused (JSON cannot hold it), not followed forever.
    let opts = options(item(32), "return 'x'");
    let context =
        Function::new_no_args("const s = {}; s.self = s; return { apiHost: '/api', settings: s };")
            .call0(&JsValue::NULL)
            .unwrap();
    Reflect::set(&opts, &"context".into(), &context).unwrap();
    let err = attach_app(new_frame(), opts.unchecked_into::<AttachAppOptions>()).unwrap_err();
    let message = Reflect::get(&err, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(
        message.contains("context: settings") && message.contains("circular"),
        "{message}"
    );
}
