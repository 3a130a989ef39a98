//! Browser tests (headless Chromium through wasm-bindgen-test-runner).
//!
//! The test page is a top window, so the "host" is a fake host page in an `srcdoc` iframe: the
//! SDK's `HostEnv` names that iframe's window as its parent. The fake host answers GET_CONTEXT
//! like a real one (a JSON string and a fresh `MessageChannel` port per request), answers
//! GET_AUTH_TOKEN on each port with `tok-<port>-<count>`, and records every message it gets in
//! `window.received`. HTTP goes through a fake `fetch` that returns real `Response` objects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "standalone")]
use crate::standalone::storage::{Backing, MemoryStore};
use crate::{
    App, AppConfig, Error, ListFilter, NewAppData, Permission, embedded::http::Fetch,
    embedded::resize::ResizeHandle, env::HostEnv,
};
#[cfg(feature = "standalone")]
use appframe_protocol::Member;
use appframe_protocol::{AccountId, ItemId, JsonObject, Visibility};
use serde_json::{Value, json};
use std::{cell::RefCell, rc::Rc, time::Duration};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{HtmlIFrameElement, Window};

wasm_bindgen_test_configure!(run_in_browser);

mod boot;
mod lifecycle;
mod live;
mod storage;

const ITEM: &str = "6f0f5e1c-1a2b-4c3d-8e4f-5a6b7c8d9e0f";
const OTHER_ITEM: &str = "11111111-2222-4333-8444-555555555555";
const ACCOUNT: &str = "dca3c530-eff8-4c46-8172-bd614654a02d";
const KEY: &str = "1d85bd0c-7c60-49cd-9775-9898fcb16668";

fn item() -> ItemId {
    ITEM.parse().unwrap()
}

fn win() -> Window {
    web_sys::window().unwrap()
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Adds an iframe with `html` as srcdoc and waits for it to load.
async fn frame(html: &str) -> HtmlIFrameElement {
    let doc = win().document().unwrap();
    let iframe: HtmlIFrameElement = doc.create_element("iframe").unwrap().dyn_into().unwrap();
    iframe
        .set_attribute("style", "border:0;width:300px;height:150px")
        .unwrap();
    iframe.set_srcdoc(html);
    let loaded = js_sys::Promise::new(&mut |resolve, _| {
        iframe.set_onload(Some(&resolve));
    });
    doc.body().unwrap().append_child(&iframe).unwrap();
    JsFuture::from(loaded).await.unwrap();
    iframe
}

/// The fake host page. `mode`: `ok`, `silent`, `failure`, `noise`, `token-failure`, `token-silent`.
fn host_html(mode: &str, appframe: bool) -> String {
    let caps = if appframe {
        r#"{"version":1,"features":["failure"],"granted":["fullscreen","forms"]}"#
    } else {
        "undefined"
    };
    format!(
        r#"<!doctype html><script>
const MODE = {mode:?};
window.received = [];
window.tokenDelay = 0;
let ports = 0, tokens = 0;
const send = (target, type, payload, transfer) =>
  target.postMessage(JSON.stringify({{type, payload}}), '*', transfer || []);
const reply = (port, type, payload) => port.postMessage(JSON.stringify({{type, payload}}));
window.addEventListener('message', (e) => {{
  if (typeof e.data !== 'string') return;
  const msg = JSON.parse(e.data);
  window.received.push({{via: 'window', type: msg.type, payload: msg.payload, origin: e.origin}});
  if (!msg.type.startsWith('GET_CONTEXT_')) return;
  const item = msg.type.slice('GET_CONTEXT_'.length);
  if (MODE === 'silent') return;
  if (MODE === 'failure') {{
    send(e.source, 'GET_CONTEXT_FAILURE_' + item, {{code: 'INVALID_APP_ORIGIN', message: 'origin not registered'}});
    return;
  }}
  const context = {{apiHost: 'http://api.test/api', itemId: item, accountId: '{ACCOUNT}',
    memberId: '{ACCOUNT}', permission: 'admin', context: 'builder', lang: 'fr', appframe: {caps}}};
  if (MODE === 'noise') {{
    e.source.postMessage({{type: 'GET_CONTEXT_SUCCESS_' + item, payload: context}}, '*');
    e.source.postMessage('not json at all', '*');
    send(e.source, 'UNRELATED', {{}});
    send(e.source, 'GET_CONTEXT_SUCCESS_{OTHER_ITEM}', {{...context, itemId: '{OTHER_ITEM}'}});
    send(e.source, 'GET_AUTH_TOKEN_SUCCESS_' + item, {{token: 'wrong channel'}});
  }}
  const ch = new MessageChannel();
  const n = ++ports;
  ch.port1.onmessage = (pe) => {{
    const m = JSON.parse(pe.data);
    window.received.push({{via: 'port' + n, type: m.type, payload: m.payload}});
    if (!m.type.startsWith('GET_AUTH_TOKEN_')) return;
    const t = ++tokens;
    if (MODE === 'token-silent') return;
    if (MODE === 'token-failure') {{
      reply(ch.port1, 'GET_AUTH_TOKEN_FAILURE_' + item, {{code: 'TOKEN_REQUEST_FAILED', message: 'server said no'}});
      return;
    }}
    const ok = () => reply(ch.port1, 'GET_AUTH_TOKEN_SUCCESS_' + item, {{token: 'tok-' + n + '-' + t}});
    if (window.tokenDelay) setTimeout(ok, window.tokenDelay); else ok();
  }};
  send(e.source, 'GET_CONTEXT_SUCCESS_' + item, context, [ch.port2]);
}});
</script>"#
    )
}

struct Host {
    iframe: HtmlIFrameElement,
}

impl Host {
    async fn new(mode: &str) -> Host {
        Host::with_caps(mode, true).await
    }

    async fn with_caps(mode: &str, appframe: bool) -> Host {
        Host {
            iframe: frame(&host_html(mode, appframe)).await,
        }
    }

    fn window(&self) -> Window {
        self.iframe.content_window().unwrap()
    }

    fn env(&self) -> HostEnv {
        let origin = win().location().origin().unwrap();
        HostEnv {
            own: win(),
            parent: self.window(),
            parent_origin: Some(origin.clone()),
            own_origin: origin,
            item_id: Some(item()),
        }
    }

    /// Every message the host received, as `{via, type, payload}`.
    fn received(&self) -> Vec<Value> {
        let v = js_sys::Reflect::get(&self.window(), &"received".into()).unwrap();
        let text = js_sys::JSON::stringify(&v).unwrap().as_string().unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn received_of(&self, prefix: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|m| m["type"].as_str().unwrap().starts_with(prefix))
            .collect()
    }

    fn set(&self, name: &str, v: JsValue) {
        js_sys::Reflect::set(&self.window(), &name.into(), &v).unwrap();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.iframe.remove();
    }
}

fn config(timeout_ms: u64) -> AppConfig {
    let mut c = AppConfig::new(KEY);
    c.handshake_timeout = Duration::from_millis(timeout_ms);
    c.token_timeout = Duration::from_millis(timeout_ms);
    c
}

/// A fake `fetch`: 401 for the token `tok-1-1`, else 200 with `body` (and a next-page link).
fn fake_fetch(body: &str) -> Fetch {
    let f = js_sys::Function::new_with_args(
        "url, init",
        &format!(
            r#"
const auth = init.headers.get('Authorization');
(window.fetchLog = window.fetchLog || []).push({{url, method: init.method, auth,
  credentials: init.credentials, contentType: init.headers.get('Content-Type'), body: init.body}});
if (auth === 'Bearer tok-1-1') return Promise.resolve(new Response(JSON.stringify({{name: 'INVALID_TOKEN',
  code: 'GERR027', message: 'token expired', statusCode: 401}}), {{status: 401}}));
if (url.includes('/app-settings')) return Promise.resolve(new Response(JSON.stringify({{name: 'MEMBER_CANNOT_ADMIN_ITEM',
  code: 'GERR004', message: 'admin needed', statusCode: 403}}), {{status: 403}}));
return Promise.resolve(new Response({body:?}, {{status: 200, headers: {{'content-type': 'application/json',
  'link': '<http://api.test/api/app-items/{ITEM}/app-data?limit=1&cursor=YWJj%3D>; rel="next"'}}}}));
"#
        ),
    );
    Fetch::from_function(f)
}

fn fetch_log() -> Vec<Value> {
    let v = js_sys::Reflect::get(&win(), &"fetchLog".into()).unwrap();
    if v.is_undefined() {
        return Vec::new();
    }
    let text = js_sys::JSON::stringify(&v).unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

fn clear_fetch_log() {
    js_sys::Reflect::set(&win(), &"fetchLog".into(), &js_sys::Array::new()).unwrap();
}

async fn connect(host: &Host, cfg: AppConfig) -> Result<App, Error> {
    App::connect_embedded(cfg, host.env(), fake_fetch("[]")).await
}

#[wasm_bindgen_test]
async fn handshake_against_a_fake_host_yields_the_context_and_a_port() {
    let host = Host::new("ok").await;
    let app = connect(&host, config(2000)).await.unwrap();
    let ctx = app.context();
    assert_eq!(ctx.item_id, item());
    assert_eq!(ctx.account_id, Some(ACCOUNT.parse().unwrap()));
    assert_eq!(ctx.permission, Permission::Admin);
    assert_eq!(ctx.lang, "fr");
    assert!(!app.is_standalone());
    let asks = host.received_of("GET_CONTEXT_");
    assert_eq!(asks.len(), 1);
    assert_eq!(asks[0]["type"], format!("GET_CONTEXT_{ITEM}"));
    assert_eq!(asks[0]["payload"]["key"], KEY);
    assert_eq!(
        asks[0]["payload"]["origin"],
        win().location().origin().unwrap()
    );
    // The token goes over the port, not the window.
    assert_eq!(app.auth_token().await.unwrap(), "tok-1-1");
    let tok = host.received_of("GET_AUTH_TOKEN_");
    assert_eq!(tok.len(), 1);
    assert_eq!(tok[0]["via"], "port1");
    assert_eq!(tok[0]["payload"]["key"], KEY);
}

#[wasm_bindgen_test]
async fn a_silent_host_times_out_with_context_timeout() {
    let host = Host::new("silent").await;
    let start = js_sys::Date::now();
    let err = connect(&host, config(300)).await.unwrap_err();
    let elapsed = js_sys::Date::now() - start;
    assert_eq!(err, Error::ContextTimeout);
    assert!(elapsed >= 290.0, "gave up after {elapsed} ms");
    assert!(elapsed < 2000.0, "took {elapsed} ms");
}

#[wasm_bindgen_test]
async fn unrelated_messages_during_the_handshake_are_ignored() {
    let host = Host::new("noise").await;
    let app = connect(&host, config(2000)).await.unwrap();
    assert_eq!(app.item_id(), item());
    // The stray token on the window was not taken for ours.
    assert_eq!(app.auth_token().await.unwrap(), "tok-1-1");
}

#[wasm_bindgen_test]
async fn a_failure_reply_is_a_typed_error() {
    let host = Host::new("failure").await;
    let err = connect(&host, config(2000)).await.unwrap_err();
    assert_eq!(
        err,
        Error::ContextRefused {
            code: "INVALID_APP_ORIGIN".into(),
            message: "origin not registered".into()
        }
    );
    assert_eq!(err.code(), "ContextRefused");
}

#[wasm_bindgen_test]
async fn a_reply_from_another_window_is_ignored() {
    let host = Host::new("silent").await;
    // The test window (not the host) answers: same origin, right type, with a port.
    let ch = web_sys::MessageChannel::new().unwrap();
    let reply = json!({"type": format!("GET_CONTEXT_SUCCESS_{ITEM}"),
        "payload": {"apiHost": "http://evil/api", "itemId": ITEM}})
    .to_string();
    let pending = connect(&host, config(400));
    let forge = async {
        sleep(50).await;
        win()
            .post_message_with_transfer(
                &reply.clone().into(),
                "*",
                &js_sys::Array::of1(&ch.port2()),
            )
            .unwrap();
    };
    let (res, ()) = futures::join!(pending, forge);
    assert_eq!(res.unwrap_err(), Error::ContextTimeout);
}

#[wasm_bindgen_test]
async fn a_reply_from_an_unexpected_origin_is_ignored() {
    let host = Host::new("ok").await;
    let mut env = host.env();
    env.parent_origin = Some("https://host.example".into());
    let err = App::connect_embedded(config(300), env, fake_fetch("[]"))
        .await
        .unwrap_err();
    assert_eq!(err, Error::ContextTimeout);
}

#[wasm_bindgen_test]
async fn a_missing_item_id_is_reported() {
    let host = Host::new("ok").await;
    let mut env = host.env();
    env.item_id = None;
    let err = App::connect_embedded(config(300), env, fake_fetch("[]"))
        .await
        .unwrap_err();
    assert_eq!(err, Error::MissingItemId);
}

#[wasm_bindgen_test]
async fn concurrent_callers_share_one_token_request() {
    let host = Host::new("ok").await;
    host.set("tokenDelay", 100.into());
    let app = connect(&host, config(2000)).await.unwrap();
    let (a, b, c) = futures::join!(app.auth_token(), app.auth_token(), app.auth_token());
    assert_eq!(a.unwrap(), "tok-1-1");
    assert_eq!(b.unwrap(), "tok-1-1");
    assert_eq!(c.unwrap(), "tok-1-1");
    // And it is cached afterwards.
    assert_eq!(app.auth_token().await.unwrap(), "tok-1-1");
    assert_eq!(host.received_of("GET_AUTH_TOKEN_").len(), 1);
}

#[wasm_bindgen_test]
async fn token_failure_and_silence_are_typed_errors() {
    let host = Host::new("token-failure").await;
    let app = connect(&host, config(2000)).await.unwrap();
    assert_eq!(
        app.auth_token().await.unwrap_err(),
        Error::TokenRefused {
            code: "TOKEN_REQUEST_FAILED".into(),
            message: "server said no".into()
        }
    );
    let host = Host::new("token-silent").await;
    let app = connect(&host, config(300)).await.unwrap();
    assert_eq!(app.auth_token().await.unwrap_err(), Error::TokenTimeout);
    // A failure is not cached: the next call asks again.
    assert_eq!(app.auth_token().await.unwrap_err(), Error::TokenTimeout);
    assert_eq!(host.received_of("GET_AUTH_TOKEN_").len(), 2);
}

#[wasm_bindgen_test]
async fn a_401_gets_one_fresh_token_and_one_retry() {
    clear_fetch_log();
    let host = Host::new("ok").await;
    let app = connect(&host, config(2000)).await.unwrap();
    let page = app
        .list_app_data(ListFilter {
            ty: Some("a note".into()),
            limit: Some(1),
            cursor: None,
        })
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.next_cursor.as_deref(), Some("YWJj="));
    let log = fetch_log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["auth"], "Bearer tok-1-1");
    assert_eq!(log[1]["auth"], "Bearer tok-1-2");
    assert_eq!(
        log[1]["url"],
        format!("http://api.test/api/app-items/{ITEM}/app-data?type=a%20note&limit=1")
    );
    assert_eq!(log[1]["method"], "GET");
    assert_eq!(log[1]["credentials"], "omit");
    assert_eq!(host.received_of("GET_AUTH_TOKEN_").len(), 2);
    // The fresh token is cached: the next call needs no new token.
    app.list_app_data(ListFilter::default()).await.unwrap();
    assert_eq!(host.received_of("GET_AUTH_TOKEN_").len(), 2);
    assert_eq!(fetch_log().len(), 3);
}

#[wasm_bindgen_test]
async fn a_graasp_host_gets_no_pagination_parameters() {
    clear_fetch_log();
    let host = Host::with_caps("ok", false).await;
    let app = connect(&host, config(2000)).await.unwrap();
    let _ = app
        .list_app_data(ListFilter {
            ty: None,
            limit: Some(5),
            cursor: Some("x".into()),
        })
        .await
        .unwrap();
    let log = fetch_log();
    assert_eq!(
        log.last().unwrap()["url"],
        format!("http://api.test/api/app-items/{ITEM}/app-data")
    );
}

#[wasm_bindgen_test]
async fn requests_carry_graasp_bodies_and_server_errors_are_parsed() {
    clear_fetch_log();
    let host = Host::new("ok").await;
    let row = json!({"id": "0b3c1f4e-3f64-4d4b-a6f6-0c7b6b2d9f10", "item": {"id": ITEM},
        "account": {"id": ACCOUNT, "name": "Alice"}, "member": {"id": ACCOUNT, "name": "Alice"},
        "creator": {"id": ACCOUNT, "name": "Alice"}, "type": "note", "visibility": "item",
        "data": {"text": "hi"}, "createdAt": "2025-04-17 11:07:30.123+00", "updatedAt": "2025-04-17T11:07:30Z"});
    let app = App::connect_embedded(config(2000), host.env(), fake_fetch(&row.to_string()))
        .await
        .unwrap();
    // Skip the 401 path: warm the token with a first call.
    let mut data = JsonObject::new();
    data.insert("text".into(), "hi".into());
    let created = app
        .create_app_data(NewAppData::new("note", data).with_visibility(Visibility::Item))
        .await
        .unwrap();
    assert_eq!(created.visibility, Visibility::Item);
    assert_eq!(created.account.name, "Alice");
    let post = fetch_log().last().unwrap().clone();
    assert_eq!(post["method"], "POST");
    assert_eq!(post["contentType"], "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(post["body"].as_str().unwrap()).unwrap(),
        json!({"data": {"text": "hi"}, "type": "note", "visibility": "item"})
    );
    // An action POST answered with any 2xx body (the real server sends 204) is fine.
    app.create_app_action("click", JsonObject::new())
        .await
        .unwrap();
    // Errors carry the Graasp code.
    let err = app
        .create_app_setting("config", JsonObject::new())
        .await
        .unwrap_err();
    assert_eq!(err, Error::http(403, "GERR004", "admin needed"));
    assert!(err.is_forbidden());
}

#[wasm_bindgen_test]
async fn the_chat_bot_posts_the_messages_with_the_options_and_reads_the_answer() {
    use crate::{ChatBotMessage, ChatBotOptions, ChatBotRole};
    clear_fetch_log();
    let host = Host::new("ok").await;
    let answer = json!({"completion": "hello there", "model": "large-2025"});
    let app = App::connect_embedded(config(2000), host.env(), fake_fetch(&answer.to_string()))
        .await
        .unwrap();
    let messages = [
        ChatBotMessage {
            role: ChatBotRole::System,
            content: "be brief".into(),
        },
        ChatBotMessage {
            role: ChatBotRole::User,
            content: "hi".into(),
        },
    ];
    let options = ChatBotOptions {
        gpt_version: Some("large".into()),
        temperature: Some(0.5),
    };
    let got = app.chat_bot(&messages, options).await.unwrap();
    assert_eq!(got.completion.as_deref(), Some("hello there"));
    assert_eq!(got.model.as_deref(), Some("large-2025"));
    let post = fetch_log().last().unwrap().clone();
    assert_eq!(post["method"], "POST");
    assert_eq!(
        post["url"],
        format!("http://api.test/api/app-items/{ITEM}/chat-bot?gptVersion=large&temperature=0.5")
    );
    assert_eq!(post["contentType"], "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(post["body"].as_str().unwrap()).unwrap(),
        json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}])
    );
    // No options: no query string, the server's defaults apply.
    app.chat_bot(&messages, ChatBotOptions::default())
        .await
        .unwrap();
    assert_eq!(
        fetch_log().last().unwrap()["url"],
        format!("http://api.test/api/app-items/{ITEM}/chat-bot")
    );
}

#[wasm_bindgen_test]
async fn a_rehandshake_takes_the_new_port_and_old_requests_complete() {
    let host = Host::new("ok").await;
    let app = connect(&host, config(2000)).await.unwrap();
    host.set("tokenDelay", 300.into());
    let old = app.auth_token();
    let re = async {
        sleep(50).await;
        app.reconnect().await
    };
    let (old, re) = futures::join!(old, re);
    re.unwrap();
    // Asked on port 1 before the reconnect, answered there after it.
    assert_eq!(old.unwrap(), "tok-1-1");
    host.set("tokenDelay", 0.into());
    // The reconnect dropped the cached token; the new one comes over port 2.
    assert_eq!(app.auth_token().await.unwrap(), "tok-2-2");
    app.max_resize().unwrap();
    sleep(50).await;
    let resize = host.received_of("POST_MAX_RESIZE_");
    assert_eq!(resize.len(), 1);
    assert_eq!(resize[0]["via"], "port2");
    assert_eq!(host.received_of("GET_CONTEXT_").len(), 2);
}

#[wasm_bindgen_test]
async fn going_online_triggers_a_rehandshake() {
    let host = Host::new("ok").await;
    let app = connect(&host, config(2000)).await.unwrap();
    win()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    sleep(200).await;
    assert_eq!(host.received_of("GET_CONTEXT_").len(), 2);
    app.max_resize().unwrap();
    sleep(50).await;
    assert_eq!(host.received_of("POST_MAX_RESIZE_")[0]["via"], "port2");
}

// ---- standalone ----

#[cfg(feature = "standalone")]
fn standalone_config(key: &str) -> AppConfig {
    let mut c = AppConfig::new(key);
    c.standalone.members.push(Member {
        id: bob(),
        name: "Bob".into(),
    });
    c
}

fn bob() -> AccountId {
    "bc5c25bd-3b16-4465-baba-7abf825cbd90".parse().unwrap()
}

#[cfg(feature = "standalone")]
fn unique_key() -> String {
    format!("test-{}", js_sys::Math::random())
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_mode_persists_in_local_storage_and_resets() {
    let key = unique_key();
    let app = App::standalone(standalone_config(&key)).unwrap();
    assert!(app.is_standalone());
    assert_eq!(app.item_id(), crate::DEFAULT_STANDALONE_ITEM_ID);
    app.create_app_data(NewAppData::new("note", JsonObject::new()))
        .await
        .unwrap();
    // A second instance (a reload) sees the stored row.
    let again = App::standalone(standalone_config(&key)).unwrap();
    assert_eq!(
        again
            .list_app_data(ListFilter::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let stored = win()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(&format!(
            "appframe:{key}:{}",
            crate::DEFAULT_STANDALONE_ITEM_ID
        ))
        .unwrap();
    assert!(stored.unwrap().contains("\"note\""));
    again.reset().unwrap();
    assert!(
        again
            .list_app_data(ListFilter::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_the_chat_bot_is_graasps_mock() {
    use crate::{ChatBotMessage, ChatBotOptions, ChatBotRole};
    let app = App::standalone(standalone_config(&unique_key())).unwrap();
    let hi = [ChatBotMessage {
        role: ChatBotRole::User,
        content: "hi".into(),
    }];
    let a = app.chat_bot(&hi, ChatBotOptions::default()).await.unwrap();
    assert_eq!(a.completion.as_deref(), Some("biiip boop I am a chatbot"));
    assert_eq!(a.model.as_deref(), Some("fake-gpt"));
    let err = app
        .chat_bot(&[], ChatBotOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "Http");
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_mode_applies_the_server_rules() {
    let app = App::standalone_with(
        standalone_config("rules"),
        Backing::Memory(MemoryStore::default()),
        item(),
        "http://app.test".into(),
        "http://app.test/".into(),
    )
    .unwrap();
    app.create_app_data(NewAppData::new("private", JsonObject::new()))
        .await
        .unwrap();
    app.create_app_data(
        NewAppData::new("shared", JsonObject::new()).with_visibility(Visibility::Item),
    )
    .await
    .unwrap();
    let setting = app
        .create_app_setting("config", JsonObject::new())
        .await
        .unwrap();
    app.switch_account(bob(), Permission::Read).unwrap();
    assert_eq!(app.context().account_id, Some(bob()));
    let rows = app
        .list_app_data(ListFilter::default())
        .await
        .unwrap()
        .items;
    assert_eq!(
        rows.iter().map(|r| r.ty.as_str()).collect::<Vec<_>>(),
        ["shared"]
    );
    let err = app
        .patch_app_setting(setting.id, JsonObject::new())
        .await
        .unwrap_err();
    assert_eq!(err, Error::http(403, "GERR004", "MEMBER_CANNOT_ADMIN_ITEM"));
    assert_eq!(
        app.list_app_settings(Some("config")).await.unwrap().len(),
        1
    );
    assert_eq!(app.app_context().await.unwrap().members.len(), 2);
    assert_eq!(
        app.auth_token().await.unwrap(),
        format!("standalone {}", bob())
    );
    assert!(app.auto_resize().is_ok());
    assert_eq!(app.max_resize(), Ok(()));
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_files_round_trip_as_bytes_and_blob_urls() {
    let app = App::standalone_with(
        standalone_config("files"),
        Backing::Memory(MemoryStore::default()),
        item(),
        "http://app.test".into(),
        "http://app.test/".into(),
    )
    .unwrap();
    let bytes: Vec<u8> = (0..=255).collect();
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/x-test");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(
        &js_sys::Array::of1(&js_sys::Uint8Array::from(&bytes[..])),
        &opts,
    )
    .unwrap();
    let row = app.upload_app_data_file(&blob, "all.bin").await.unwrap();
    assert_eq!(row.ty, "file");
    assert_eq!(row.data["file"]["name"], "all.bin");
    assert_eq!(row.data["file"]["mimetype"], "application/x-test");
    assert_eq!(app.download_app_data_file(row.id).await.unwrap(), bytes);
    let url = app.download_app_data_file_url(row.id).await.unwrap();
    let resp: web_sys::Response = JsFuture::from(win().fetch_with_str(url.url()))
        .await
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(crate::embedded::http::bytes(&resp).await.unwrap(), bytes);
    let setting = app
        .upload_app_setting_file(&blob, "logo.bin", Some("logo"))
        .await
        .unwrap();
    assert_eq!(setting.name, "logo");
    assert_eq!(
        app.download_app_setting_file(setting.id).await.unwrap(),
        bytes
    );
    app.delete_app_data(row.id).await.unwrap();
    assert!(
        app.download_app_data_file(row.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

/// The mock's download URLs follow the SDK's one rule: a `blob:` URL has the app's origin, so
/// only inert types keep their type; HTML and SVG become downloads.
#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_download_urls_of_active_types_are_downloads() {
    let app = App::standalone_with(
        standalone_config("inert"),
        Backing::Memory(MemoryStore::default()),
        item(),
        "http://app.test".into(),
        "http://app.test/".into(),
    )
    .unwrap();
    for (ty, want) in [
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("TEXT/HTML;x=image/png", "application/octet-stream"),
        ("image/png", "image/png"),
    ] {
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(ty);
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(
            &js_sys::Array::of1(&js_sys::Uint8Array::from(
                &b"<script>parent.x=1</script>"[..],
            )),
            &opts,
        )
        .unwrap();
        let row = app.upload_app_data_file(&blob, "f").await.unwrap();
        let setting = app
            .upload_app_setting_file(&blob, "f", Some("f"))
            .await
            .unwrap();
        for url in [
            app.download_app_data_file_url(row.id).await.unwrap(),
            app.download_app_setting_file_url(setting.id).await.unwrap(),
        ] {
            let resp: web_sys::Response = JsFuture::from(win().fetch_with_str(url.url()))
                .await
                .unwrap()
                .dyn_into()
                .unwrap();
            let got = resp.headers().get("content-type").unwrap();
            assert_eq!(got.as_deref(), Some(want), "{ty}");
        }
    }
}

#[wasm_bindgen_test]
async fn standalone_only_operations_are_refused_when_embedded() {
    let host = Host::new("ok").await;
    let app = connect(&host, config(2000)).await.unwrap();
    assert_eq!(app.reset(), Err(Error::NotStandalone));
    assert_eq!(
        app.switch_account(bob(), Permission::Read),
        Err(Error::NotStandalone)
    );
}

// ---- resize ----

/// Starts a resize handle on an app iframe; each sent height is recorded and applied to the
/// iframe on the next task, as a host would.
fn watch(app: &HtmlIFrameElement) -> (ResizeHandle, Rc<RefCell<Vec<i32>>>) {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let s = sent.clone();
    let target = app.clone();
    let handle = ResizeHandle::start(
        app.content_window().unwrap(),
        Rc::new(move |h| {
            s.borrow_mut().push(h);
            let t = target.clone();
            wasm_bindgen_futures::spawn_local(async move {
                t.style().set_property("height", &format!("{h}px")).unwrap();
            });
        }),
    )
    .unwrap();
    (handle, sent)
}

fn set_box(app: &HtmlIFrameElement, height: u32) {
    let doc = app.content_document().unwrap();
    let b = doc.get_element_by_id("box").unwrap();
    b.set_attribute("style", &format!("height:{height}px"))
        .unwrap();
}

#[wasm_bindgen_test]
async fn resize_sends_the_height_with_margins_once_per_burst() {
    let app = frame(r#"<!doctype html><body style="margin:8px"><div id="box" style="height:100px"></div></body>"#).await;
    let (handle, sent) = watch(&app);
    sleep(400).await;
    assert_eq!(*sent.borrow(), [116]);
    for h in [150, 180, 220, 260, 300] {
        set_box(&app, h);
        sleep(15).await;
    }
    sleep(400).await;
    assert_eq!(*sent.borrow(), [116, 316]);
    // Shrinking is reported too.
    set_box(&app, 40);
    sleep(400).await;
    assert_eq!(*sent.borrow(), [116, 316, 56]);
    // Dropping the handle stops it.
    drop(handle);
    set_box(&app, 500);
    sleep(400).await;
    assert_eq!(*sent.borrow(), [116, 316, 56]);
    app.remove();
}

#[wasm_bindgen_test]
async fn resize_does_not_loop_when_the_app_uses_viewport_heights() {
    let app = frame(r#"<!doctype html><body style="margin:8px;min-height:100vh"><div id="box" style="height:10px"></div></body>"#).await;
    let (_handle, sent) = watch(&app);
    sleep(1000).await;
    // 150 px viewport + 16 px margins; the echo after the host grew the iframe is not sent.
    assert_eq!(*sent.borrow(), [166]);
    assert_eq!(
        app.content_window()
            .unwrap()
            .inner_height()
            .unwrap()
            .as_f64(),
        Some(166.0)
    );
    // Real content growth still goes out, and the height settles.
    set_box(&app, 400);
    sleep(1200).await;
    let after: Vec<i32> = sent.borrow().clone();
    assert!(after.len() <= 3, "{after:?}");
    assert_eq!(after[1], 416);
    let settled = after.len();
    sleep(800).await;
    assert_eq!(
        sent.borrow().len(),
        settled,
        "still sending: {:?}",
        sent.borrow()
    );
    app.remove();
}

// ---- JS facade ----

#[cfg(all(feature = "js", feature = "standalone"))]
mod js_facade {
    use super::*;
    use crate::js::{AppframeApp, js_open_standalone};

    async fn settle(p: js_sys::Promise) -> Result<JsValue, JsValue> {
        JsFuture::from(p).await
    }

    fn get(v: &JsValue, k: &str) -> JsValue {
        js_sys::Reflect::get(v, &k.into()).unwrap()
    }

    fn open() -> AppframeApp {
        let opts = js_sys::JSON::parse(&format!(
            r#"{{"key": "{}", "standalone": {{"persist": false, "permission": "read",
               "members": [{{"id": "bc5c25bd-3b16-4465-baba-7abf825cbd90", "name": "Bob"}}],
               "appSettings": [{{"name": "config", "data": {{"color": "red"}}}}]}}}}"#,
            unique_key()
        ))
        .unwrap();
        js_open_standalone(opts).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[wasm_bindgen_test]
    async fn js_calls_return_graasp_shaped_objects() {
        let app = open();
        assert!(app.is_standalone());
        let ctx = app.context().unwrap();
        assert_eq!(get(&ctx, "permission").as_string().unwrap(), "read");
        assert_eq!(get(&ctx, "itemId").as_string().unwrap(), app.item_id());
        let input = js_sys::JSON::parse(
            r#"{"type": "note", "data": {"text": "hi"}, "visibility": "item"}"#,
        )
        .unwrap();
        let row = settle(app.create_app_data(input).unwrap()).await.unwrap();
        assert_eq!(get(&row, "type").as_string().unwrap(), "note");
        assert_eq!(get(&get(&row, "data"), "text").as_string().unwrap(), "hi");
        assert!(get(&row, "createdAt").as_string().unwrap().ends_with('Z'));
        let page = settle(app.list_app_data(JsValue::UNDEFINED).unwrap())
            .await
            .unwrap();
        let items: js_sys::Array = get(&page, "items").dyn_into().unwrap();
        assert_eq!(items.length(), 1);
        assert!(get(&page, "nextCursor").is_null());
        let settings = settle(app.list_app_settings(Some("config".into())))
            .await
            .unwrap();
        let settings: js_sys::Array = settings.dyn_into().unwrap();
        assert_eq!(
            get(&get(&settings.get(0), "data"), "color")
                .as_string()
                .unwrap(),
            "red"
        );
        let id = get(&row, "id").as_string().unwrap();
        assert!(
            settle(app.delete_app_data(&id).unwrap())
                .await
                .unwrap()
                .is_undefined()
        );
    }

    #[wasm_bindgen_test]
    async fn js_errors_are_thrown_with_a_code() {
        let app = open();
        // A reader may not create settings: the promise rejects with code Http and status 403.
        let err = settle(
            app.create_app_setting("x".into(), js_sys::Object::new().into())
                .unwrap(),
        )
        .await
        .unwrap_err();
        assert!(err.is_instance_of::<js_sys::Error>());
        assert_eq!(get(&err, "code").as_string().unwrap(), "Http");
        assert_eq!(get(&err, "status").as_f64().unwrap(), 403.0);
        assert_eq!(get(&err, "serverCode").as_string().unwrap(), "GERR004");
        // Bad arguments are thrown synchronously, with code Decode.
        let Err(err) = app.delete_app_data("not-a-uuid") else {
            panic!("accepted a bad id")
        };
        assert_eq!(get(&err, "code").as_string().unwrap(), "Decode");
        let Err(err) = app.create_app_data(JsValue::from(3)) else {
            panic!("accepted a number as app data")
        };
        assert_eq!(get(&err, "code").as_string().unwrap(), "Decode");
        // Embedded-only calls are fine in standalone; standalone-only calls work here.
        app.switch_account("bc5c25bd-3b16-4465-baba-7abf825cbd90", "admin".into())
            .unwrap();
        assert_eq!(
            get(&app.context().unwrap(), "permission")
                .as_string()
                .unwrap(),
            "admin"
        );
    }

    #[wasm_bindgen_test]
    async fn js_protocol_v2_calls_take_callbacks_and_reject_with_host_codes() {
        let app = open();
        let seen = js_sys::Array::new();
        let s = seen.clone();
        let cb = wasm_bindgen::closure::Closure::<dyn Fn(JsValue)>::new(move |c: JsValue| {
            s.push(&c);
        });
        let off: js_sys::Function = app
            .on_context_change(cb.as_ref().unchecked_ref::<js_sys::Function>().clone())
            .dyn_into()
            .unwrap();
        super::lifecycle::click_overlay_theme();
        assert_eq!(seen.length(), 1);
        let theme = get(&seen.get(0), "theme");
        assert_eq!(get(&theme, "mode").as_string().unwrap(), "dark");
        assert_eq!(
            get(&get(&theme, "vars"), "--af-bg").as_string().unwrap(),
            "#1e1f24"
        );
        assert_eq!(
            get(&app.theme().unwrap(), "mode").as_string().unwrap(),
            "dark"
        );
        // The returned function removes the callback: the next switch reaches it no more.
        off.call0(&JsValue::NULL).unwrap();
        // So does onTeardown's: called once it is done, called again it throws.
        let off_teardown: js_sys::Function = app
            .on_teardown(cb.as_ref().unchecked_ref::<js_sys::Function>().clone())
            .dyn_into()
            .unwrap();
        assert!(off_teardown.call0(&JsValue::NULL).is_ok());
        assert!(off_teardown.call0(&JsValue::NULL).is_err());
        super::lifecycle::click_overlay_theme();
        assert_eq!(seen.length(), 1);
        assert_eq!(
            get(&app.theme().unwrap(), "mode").as_string().unwrap(),
            "light"
        );
        // Refusals carry the host's code as `hostCode`; a bad mode is a Decode error.
        let err = settle(app.open_link("javascript:alert(1)".into()))
            .await
            .unwrap_err();
        assert_eq!(get(&err, "code").as_string().unwrap(), "HostRefused");
        assert_eq!(get(&err, "hostCode").as_string().unwrap(), "LINK_REFUSED");
        let err = settle(app.request_display_mode("sideways".into()))
            .await
            .unwrap_err();
        assert_eq!(get(&err, "code").as_string().unwrap(), "Decode");
        assert!(settle(app.ping()).await.unwrap().is_undefined());
        app.ready().unwrap();
        drop(app);
        drop(cb);
    }
}

#[wasm_bindgen_test]
fn query_values_decode_in_the_browser_as_they_do_natively() {
    use crate::wire::url::decode_query;
    assert_eq!(decode_query("a%20b+c%2B").as_deref(), Some("a b c+"));
    assert_eq!(decode_query("%C3%A9%3D%3D").as_deref(), Some("é=="));
    assert_eq!(decode_query("%zz"), None);
    assert_eq!(decode_query("%4"), None);
    assert_eq!(decode_query("%+1"), None);
    // A lone continuation byte is not UTF-8.
    assert_eq!(decode_query("%80"), None);
}
