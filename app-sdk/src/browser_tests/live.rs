//! Browser tests of live updates, against a fake `WebSocket` installed on `globalThis` (the
//! wasm-bindgen glue looks `WebSocket` up when the SDK opens a socket). The fake records the URL,
//! subprotocols, sent frames and `close()` calls; tests play the server with `serverOpen`,
//! `serverSend` and `serverClose`.

use super::*;
use crate::{LiveConfig, LiveEvent, Op, Subscription, Topic};
use futures::future::{Either, select};
#[cfg(all(feature = "js", feature = "standalone"))]
use wasm_bindgen::closure::Closure;

const FAKE_WEBSOCKET: &str = r#"
class FakeWebSocket {
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols === undefined ? null : [].concat(protocols);
    this.sent = [];
    this.closed = null;
    this.readyState = 0;
    FakeWebSocket.all.push(this);
  }
  send(text) {
    if (this.readyState !== 1) throw new Error('InvalidStateError');
    this.sent.push(JSON.parse(text));
  }
  close(code, reason) { this.closed = {code: code || 1000, reason: reason || ''}; this.readyState = 3; }
  serverOpen() { this.readyState = 1; if (this.onopen) this.onopen({type: 'open'}); }
  serverSend(text) { if (this.onmessage) this.onmessage({type: 'message', data: text}); }
  serverClose(code, reason) {
    this.readyState = 3;
    if (this.onclose) this.onclose({type: 'close', code, reason: reason || '', wasClean: false});
  }
}
FakeWebSocket.all = [];
globalThis.WebSocket = FakeWebSocket;
"#;

const R1: &str = "00000000-0000-4000-8000-000000000001";
const R2: &str = "00000000-0000-4000-8000-000000000002";
const R3: &str = "00000000-0000-4000-8000-000000000003";
const T1: &str = "2026-01-01T00:00:00.000Z";
const T2: &str = "2026-01-02T00:00:00.000Z";

fn install_fake_websocket() {
    js_sys::Function::new_no_args(FAKE_WEBSOCKET)
        .call0(&JsValue::NULL)
        .unwrap();
}

fn sockets() -> js_sys::Array {
    let class = js_sys::Reflect::get(&js_sys::global(), &"WebSocket".into()).unwrap();
    js_sys::Reflect::get(&class, &"all".into())
        .unwrap()
        .dyn_into()
        .unwrap()
}

fn socket_count() -> u32 {
    sockets().length()
}

fn socket_field(i: u32, k: &str) -> Value {
    let v = js_sys::Reflect::get(&sockets().get(i), &k.into()).unwrap();
    if v.is_undefined() {
        return Value::Null;
    }
    serde_json::from_str(&js_sys::JSON::stringify(&v).unwrap().as_string().unwrap()).unwrap()
}

fn call(i: u32, method: &str, args: &[JsValue]) {
    let s = sockets().get(i);
    let f: js_sys::Function = js_sys::Reflect::get(&s, &method.into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let args: js_sys::Array = args.iter().collect();
    f.apply(&s, &args).unwrap();
}

fn server_open(i: u32) {
    call(i, "serverOpen", &[]);
}

fn server_send(i: u32, msg: &Value) {
    call(i, "serverSend", &[msg.to_string().into()]);
}

fn server_send_text(i: u32, text: &str) {
    call(i, "serverSend", &[text.into()]);
}

fn server_close(i: u32, code: u16) {
    call(i, "serverClose", &[code.into()]);
}

async fn wait_for(what: &str, ms: u32, cond: impl Fn() -> bool) {
    let start = js_sys::Date::now();
    while !cond() {
        assert!(
            js_sys::Date::now() - start < f64::from(ms),
            "timed out waiting for {what}"
        );
        sleep(5).await;
    }
}

async fn next_within(sub: &mut Subscription, ms: u32) -> Option<Result<LiveEvent, Error>> {
    match select(Box::pin(sub.next()), Box::pin(sleep(ms))).await {
        Either::Left((ev, _)) => ev,
        Either::Right(_) => None,
    }
}

/// A fake host whose context advertises `"ws"` (our server) or not (a Graasp host).
async fn ws_host(ws_feature: bool) -> Host {
    let html = host_html("ok", true);
    let html = if ws_feature {
        html.replace(
            r#""features":["failure"]"#,
            r#""features":["failure","ws"]"#,
        )
    } else {
        html
    };
    Host {
        iframe: frame(&html).await,
    }
}

/// A fake `fetch` answering every request with `body` (one page, no `link`), logging like
/// `fake_fetch`.
fn list_fetch(body: &str) -> Fetch {
    let f = js_sys::Function::new_with_args(
        "url, init",
        &format!(
            r#"(window.fetchLog = window.fetchLog || []).push({{url, method: init.method}});
return Promise.resolve(new Response({body:?}, {{status: 200,
  headers: {{'content-type': 'application/json'}}}}));"#
        ),
    );
    Fetch::from_function(f)
}

fn live_config() -> AppConfig {
    let mut c = config(2000);
    c.live = LiveConfig {
        heartbeat: Duration::from_millis(100),
        backoff_min: Duration::from_millis(40),
        backoff_max: Duration::from_millis(400),
        stable_after: Duration::from_secs(10),
    };
    c
}

fn row_json(id: &str, ty: &str, text: &str, updated: &str) -> Value {
    let m = json!({"id": ACCOUNT, "name": "Alice"});
    json!({"id": id, "item": {"id": ITEM}, "account": m, "member": m, "creator": m,
        "type": ty, "visibility": "item", "data": {"text": text},
        "createdAt": T1, "updatedAt": updated})
}

fn update(op: &str, channel: &str, row: Value) -> Value {
    json!({"realm": "notif", "type": "update", "topic": "app-data", "channel": channel,
        "body": {"kind": "app-data", "op": op, "appData": row}})
}

fn texts(rows: &[appframe_protocol::AppData]) -> Vec<String> {
    rows.iter()
        .map(|r| r.data["text"].as_str().unwrap().to_owned())
        .collect()
}

fn subscribe_msg(topic: &str) -> Value {
    json!({"realm": "notif", "action": "subscribe", "topic": topic, "channel": ITEM})
}

fn app_data_gets() -> usize {
    fetch_log()
        .iter()
        .filter(|e| e["method"] == "GET" && e["url"].as_str().unwrap().contains("/app-data"))
        .count()
}

fn token_of(i: u32) -> String {
    let p = socket_field(i, "protocols");
    assert_eq!(p[0], "appframe.v1");
    p[1].as_str()
        .unwrap()
        .strip_prefix("appframe.token.")
        .unwrap()
        .to_owned()
}

#[wasm_bindgen_test]
async fn live_app_data_subscribes_once_per_topic_on_one_socket_and_merges_updates() {
    install_fake_websocket();
    clear_fetch_log();
    let host = ws_host(true).await;
    let body = json!([row_json(R1, "note", "first", T1)]).to_string();
    let app = App::connect_embedded(live_config(), host.env(), list_fetch(&body))
        .await
        .unwrap();
    let seen: Rc<RefCell<Vec<Vec<String>>>> = Rc::default();
    let s = seen.clone();
    let live = app.live_app_data(Some("note"), move |r| {
        s.borrow_mut().push(texts(r.unwrap()))
    });
    let _also_data = app.subscribe(Topic::AppData);
    let _settings = app.subscribe(Topic::AppSettings);
    wait_for("the socket", 1000, || socket_count() == 1).await;
    assert_eq!(socket_field(0, "url"), "ws://api.test/api/ws");
    assert!(token_of(0).starts_with("tok-1-"));
    server_open(0);
    assert_eq!(
        socket_field(0, "sent"),
        json!([subscribe_msg("app-data"), subscribe_msg("app-settings")])
    );
    wait_for("the first list", 1000, || live.items().len() == 1).await;
    server_send(0, &update("post", ITEM, row_json(R2, "note", "second", T1)));
    server_send(
        0,
        &update("post", ITEM, row_json(R3, "other", "not a note", T1)),
    );
    server_send(
        0,
        &update("post", OTHER_ITEM, row_json(R3, "note", "other item", T1)),
    );
    server_send(
        0,
        &update("patch", ITEM, row_json(R1, "note", "first edited", T2)),
    );
    // A late echo of an older version does not undo the edit.
    server_send(0, &update("patch", ITEM, row_json(R1, "note", "stale", T1)));
    assert_eq!(texts(&live.items()), ["first edited", "second"]);
    server_send(
        0,
        &update("delete", ITEM, row_json(R2, "note", "second", T1)),
    );
    assert_eq!(texts(&live.items()), ["first edited"]);
    // The open socket's resync refetch may land after the updates: they are applied again.
    sleep(50).await;
    assert_eq!(texts(&live.items()), ["first edited"]);
    assert_eq!(seen.borrow().last().unwrap(), &["first edited"]);
}

#[wasm_bindgen_test]
async fn without_the_ws_feature_the_socket_is_plain_and_silence_is_not_fatal() {
    install_fake_websocket();
    let host = ws_host(false).await;
    let app = App::connect_embedded(live_config(), host.env(), list_fetch("[]"))
        .await
        .unwrap();
    let mut sub = app.subscribe(Topic::AppData);
    wait_for("the socket", 1000, || socket_count() == 1).await;
    // Graasp hosts: cookie auth, no subprotocols, no token asked for the socket.
    assert_eq!(socket_field(0, "protocols"), Value::Null);
    assert!(host.received_of("GET_AUTH_TOKEN_").is_empty());
    server_open(0);
    assert_eq!(
        next_within(&mut sub, 500).await,
        Some(Ok(LiveEvent::Resync))
    );
    // No heartbeat is expected from a Graasp server: 4 intervals of silence keep the socket.
    sleep(400).await;
    assert_eq!(socket_count(), 1);
    assert_eq!(socket_field(0, "closed"), Value::Null);
}

#[wasm_bindgen_test]
async fn a_dropped_socket_reconnects_with_growing_backoff_resubscribes_and_refetches() {
    install_fake_websocket();
    clear_fetch_log();
    let host = ws_host(true).await;
    let app = App::connect_embedded(live_config(), host.env(), list_fetch("[]"))
        .await
        .unwrap();
    let mut sub = app.subscribe(Topic::AppData);
    let _live = app.live_app_data(None, |_| {});
    wait_for("the socket", 1000, || socket_count() == 1).await;
    server_open(0);
    assert_eq!(
        next_within(&mut sub, 500).await,
        Some(Ok(LiveEvent::Resync))
    );
    wait_for("the refetch on open", 1000, || app_data_gets() >= 2).await;
    let gets = app_data_gets();

    let t0 = js_sys::Date::now();
    server_close(0, 1006);
    wait_for("a second socket", 2000, || socket_count() == 2).await;
    let first_delay = js_sys::Date::now() - t0;
    // Attempt 0: 40 ms, of which at most half is dropped by jitter.
    assert!(first_delay >= 19.0, "reconnected after {first_delay} ms");
    server_open(1);
    assert_eq!(socket_field(1, "sent"), json!([subscribe_msg("app-data")]));
    assert_eq!(
        next_within(&mut sub, 500).await,
        Some(Ok(LiveEvent::Resync))
    );
    wait_for("the refetch after the reconnect", 1000, || {
        app_data_gets() > gets
    })
    .await;

    // Not stable yet (stable_after is 10 s): the next delay doubles.
    let t1 = js_sys::Date::now();
    server_close(1, 1006);
    wait_for("a third socket", 2000, || socket_count() == 3).await;
    let second_delay = js_sys::Date::now() - t1;
    assert!(second_delay >= 39.0, "reconnected after {second_delay} ms");
    // A socket that fails before opening is retried too.
    server_close(2, 1006);
    wait_for("a fourth socket", 2000, || socket_count() == 4).await;
    server_open(3);
    assert_eq!(socket_field(3, "sent"), json!([subscribe_msg("app-data")]));
}

#[wasm_bindgen_test]
async fn coming_back_online_cuts_a_long_backoff_short() {
    install_fake_websocket();
    let host = ws_host(true).await;
    let mut config = live_config();
    config.live.backoff_min = Duration::from_secs(20);
    config.live.backoff_max = Duration::from_secs(20);
    let app = App::connect_embedded(config, host.env(), list_fetch("[]"))
        .await
        .unwrap();
    let _sub = app.subscribe(Topic::AppData);
    wait_for("the socket", 1000, || socket_count() == 1).await;
    server_open(0);
    server_close(0, 1006);
    sleep(100).await;
    assert_eq!(socket_count(), 1, "waiting out a 10-20 s backoff");
    let online = web_sys::Event::new("online").unwrap();
    web_sys::window().unwrap().dispatch_event(&online).unwrap();
    wait_for("a socket right after `online`", 1000, || {
        socket_count() == 2
    })
    .await;
    server_open(1);
    assert_eq!(socket_field(1, "sent"), json!([subscribe_msg("app-data")]));
}

#[wasm_bindgen_test]
async fn heartbeat_silence_drops_the_socket_and_reconnects() {
    install_fake_websocket();
    let host = ws_host(true).await;
    let app = App::connect_embedded(live_config(), host.env(), list_fetch("[]"))
        .await
        .unwrap();
    let _sub = app.subscribe(Topic::AppData);
    wait_for("the socket", 1000, || socket_count() == 1).await;
    server_open(0);
    let beat = json!({"type": "info", "realm": "notif", "message": "heartbeat"});
    // Heartbeats every half interval keep it alive well past 2.5 intervals.
    for _ in 0..8 {
        sleep(50).await;
        server_send(0, &beat);
    }
    assert_eq!(socket_count(), 1);
    assert_eq!(socket_field(0, "closed"), Value::Null);
    // Then silence: dropped after 250 ms, and a new socket follows.
    wait_for("a second socket", 1500, || socket_count() == 2).await;
    assert_ne!(socket_field(0, "closed"), Value::Null);
    server_open(1);
    assert_eq!(socket_field(1, "sent"), json!([subscribe_msg("app-data")]));
}

#[wasm_bindgen_test]
async fn a_connection_that_never_opens_is_abandoned_and_retried() {
    install_fake_websocket();
    let host = ws_host(false).await;
    let app = App::connect_embedded(live_config(), host.env(), list_fetch("[]"))
        .await
        .unwrap();
    let _sub = app.subscribe(Topic::AppData);
    wait_for("the socket", 1000, || socket_count() == 1).await;
    // Never opened nor closed by the "network": given up after 2.5 heartbeats (250 ms).
    wait_for("a second socket", 1500, || socket_count() == 2).await;
    assert_ne!(socket_field(0, "closed"), Value::Null);
}

#[wasm_bindgen_test]
async fn close_4001_reconnects_with_a_fresh_token() {
    install_fake_websocket();
    let host = ws_host(true).await;
    let app = App::connect_embedded(live_config(), host.env(), list_fetch("[]"))
        .await
        .unwrap();
    let _sub = app.subscribe(Topic::AppData);
    wait_for("the socket", 1000, || socket_count() == 1).await;
    assert_eq!(token_of(0), "tok-1-1");
    server_open(0);
    server_send(
        0,
        &json!({"type": "info", "realm": "notif", "message": "closing",
            "extra": {"reason": "token-expired"}}),
    );
    server_close(0, 4001);
    wait_for("a second socket", 2000, || socket_count() == 2).await;
    assert_eq!(token_of(1), "tok-1-2");
    assert_eq!(host.received_of("GET_AUTH_TOKEN_").len(), 2);
    // Any other close keeps the (still valid) token.
    server_open(1);
    server_close(1, 1008);
    wait_for("a third socket", 2000, || socket_count() == 3).await;
    assert_eq!(token_of(2), "tok-1-2");
}

#[wasm_bindgen_test]
async fn error_responses_and_bad_frames_are_surfaced_without_ending_the_streams() {
    install_fake_websocket();
    let host = ws_host(true).await;
    let app = App::connect_embedded(live_config(), host.env(), list_fetch("[]"))
        .await
        .unwrap();
    let mut actions = app.subscribe(Topic::AppActions);
    let mut data = app.subscribe(Topic::AppData);
    wait_for("the socket", 1000, || socket_count() == 1).await;
    server_open(0);
    assert_eq!(
        next_within(&mut actions, 500).await,
        Some(Ok(LiveEvent::Resync))
    );
    assert_eq!(
        next_within(&mut data, 500).await,
        Some(Ok(LiveEvent::Resync))
    );
    server_send(
        0,
        &json!({"realm": "notif", "type": "response", "status": "error",
            "request": {"realm": "notif", "action": "subscribe", "topic": "app-actions", "channel": ITEM},
            "error": {"name": "ACCESS_DENIED", "message": "admins only"}}),
    );
    let err = next_within(&mut actions, 500).await.unwrap().unwrap_err();
    assert_eq!(err.code(), "Live");
    assert_eq!(
        err,
        Error::Live {
            name: "ACCESS_DENIED".into(),
            message: "admins only".into()
        }
    );
    assert_eq!(data.try_next(), None);
    server_send_text(0, "not json");
    assert_eq!(
        next_within(&mut data, 500)
            .await
            .unwrap()
            .unwrap_err()
            .code(),
        "Decode"
    );
    assert_eq!(
        next_within(&mut actions, 500)
            .await
            .unwrap()
            .unwrap_err()
            .code(),
        "Decode"
    );
    server_send(
        0,
        &update("post", ITEM, row_json(R1, "note", "still here", T1)),
    );
    match next_within(&mut data, 500).await {
        Some(Ok(LiveEvent::AppData(Op::Post, row))) => assert_eq!(row.data["text"], "still here"),
        other => panic!("expected the update, got {other:?}"),
    }
    assert_eq!(socket_count(), 1);
    assert_eq!(socket_field(0, "closed"), Value::Null);
}

#[wasm_bindgen_test]
async fn unsubscribing_the_last_of_a_topic_unsubscribes_and_the_last_of_all_closes() {
    install_fake_websocket();
    let host = ws_host(true).await;
    let app = App::connect_embedded(live_config(), host.env(), list_fetch("[]"))
        .await
        .unwrap();
    let a = app.subscribe(Topic::AppData);
    let b = app.subscribe(Topic::AppData);
    let settings = app.subscribe(Topic::AppSettings);
    wait_for("the socket", 1000, || socket_count() == 1).await;
    server_open(0);
    drop(a);
    assert_eq!(socket_field(0, "sent").as_array().unwrap().len(), 2);
    drop(b);
    assert_eq!(
        socket_field(0, "sent")[2],
        json!({"realm": "notif", "action": "unsubscribe", "topic": "app-data", "channel": ITEM})
    );
    drop(settings);
    assert_eq!(socket_field(0, "closed")["code"], 1000);
    sleep(150).await;
    assert_eq!(socket_count(), 1, "no reconnect without subscriptions");
    // A new subscription opens a new socket.
    let _again = app.subscribe(Topic::AppData);
    wait_for("a new socket", 1000, || socket_count() == 2).await;
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_writes_reach_the_page_subscribers_without_a_socket() {
    install_fake_websocket();
    let app = App::standalone_with(
        standalone_config("live"),
        Backing::Memory(MemoryStore::default()),
        item(),
        "http://app.test".into(),
        "http://app.test/".into(),
    )
    .unwrap();
    let mut sub = app.subscribe(Topic::AppData);
    let live = app.live_app_data(Some("note"), |_| {});
    let mut data = JsonObject::new();
    data.insert("text".into(), "a".into());
    let row = app
        .create_app_data(NewAppData::new("note", data.clone()).with_visibility(Visibility::Item))
        .await
        .unwrap();
    app.create_app_data(NewAppData::new("other", data.clone()))
        .await
        .unwrap();
    assert_eq!(texts(&live.items()), ["a"]);
    data.insert("text".into(), "b".into());
    app.patch_app_data(row.id, data).await.unwrap();
    assert_eq!(texts(&live.items()), ["b"]);
    match sub.try_next() {
        Some(Ok(LiveEvent::AppData(Op::Post, r))) => assert_eq!(r.id, row.id),
        other => panic!("expected the post, got {other:?}"),
    }
    app.delete_app_data(row.id).await.unwrap();
    assert!(live.items().is_empty());
    let ops: Vec<Op> = std::iter::from_fn(|| sub.try_next())
        .map(|e| match e {
            Ok(LiveEvent::AppData(op, _)) => op,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(ops, [Op::Post, Op::Patch, Op::Delete]);
    assert_eq!(socket_count(), 0, "standalone opens no socket");
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_refuses_app_action_updates_to_a_non_admin_like_the_server() {
    let mut config = standalone_config(&unique_key());
    config.standalone.permission = appframe_protocol::Permission::Write;
    let app = App::standalone(config).unwrap();
    let mut actions = app.subscribe(Topic::AppActions);
    match actions.try_next() {
        Some(Err(Error::Live { name, .. })) => assert_eq!(name, "ACCESS_DENIED"),
        other => panic!("expected ACCESS_DENIED, got {other:?}"),
    }
    app.create_app_action("click", JsonObject::new())
        .await
        .unwrap();
    assert_eq!(
        actions.try_next(),
        None,
        "a refused subscription gets no actions"
    );
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_writes_of_another_tab_resync_through_the_storage_event() {
    let key = unique_key();
    let this_tab = App::standalone(standalone_config(&key)).unwrap();
    let mut sub = this_tab.subscribe(Topic::AppData);
    let live = this_tab.live_app_data(None, |_| {});
    sleep(20).await;
    assert_eq!(sub.try_next(), None, "no socket, so no resync on open");
    // The other tab shares localStorage; the browser tells this tab with a `storage` event
    // (never fired in the writing document, so the test dispatches it).
    let other_tab = App::standalone(standalone_config(&key)).unwrap();
    other_tab
        .create_app_data(NewAppData::new("note", JsonObject::new()))
        .await
        .unwrap();
    assert!(live.items().is_empty());
    let ns = format!("appframe:{key}:{}", crate::DEFAULT_STANDALONE_ITEM_ID);
    js_sys::Function::new_with_args(
        "key",
        "window.dispatchEvent(new StorageEvent('storage', {key}))",
    )
    .call1(&JsValue::NULL, &ns.into())
    .unwrap();
    assert_eq!(
        next_within(&mut sub, 500).await,
        Some(Ok(LiveEvent::Resync))
    );
    wait_for("the other tab's row", 1000, || live.items().len() == 1).await;
}

#[cfg(all(feature = "js", feature = "standalone"))]
#[wasm_bindgen_test]
async fn the_js_facade_calls_back_with_updates_and_merged_lists_until_unsubscribed() {
    let opts = js_sys::JSON::parse(&format!(
        r#"{{"key": "{}", "standalone": {{"persist": false}}}}"#,
        unique_key()
    ))
    .unwrap();
    let app = crate::js::js_open_standalone(opts).unwrap_or_else(|e| panic!("{e:?}"));
    let events = js_sys::Array::new();
    let lists = js_sys::Array::new();
    let (e, l) = (events.clone(), lists.clone());
    let on_event = Closure::<dyn FnMut(JsValue)>::new(move |v| {
        e.push(&v);
    })
    .into_js_value();
    let on_list = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |items, err: JsValue| {
        assert!(err.is_undefined());
        l.push(&items);
    })
    .into_js_value();
    let unsubscribe: js_sys::Function = app
        .subscribe("app-data".into(), on_event.unchecked_into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let stop_list: js_sys::Function = app
        .live_app_data(
            js_sys::JSON::parse(r#"{"type": "note"}"#).unwrap(),
            on_list.unchecked_into(),
        )
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(
        app.subscribe("nope".into(), js_sys::Function::new_no_args(""))
            .map(|_| ())
            .map_err(|e| js_sys::Reflect::get(&e, &"code".into()).unwrap())
            .unwrap_err(),
        "Decode"
    );
    let input =
        js_sys::JSON::parse(r#"{"type": "note", "data": {"text": "hi"}, "visibility": "item"}"#)
            .unwrap();
    JsFuture::from(app.create_app_data(input.clone()).unwrap())
        .await
        .unwrap();
    wait_for("the list callback", 1000, || lists.length() >= 1).await;
    let ev = js_sys::JSON::stringify(&events.get(0))
        .unwrap()
        .as_string()
        .unwrap();
    let ev: Value = serde_json::from_str(&ev).unwrap();
    assert_eq!(ev["type"], "update");
    assert_eq!(ev["topic"], "app-data");
    assert_eq!(ev["op"], "post");
    assert_eq!(ev["appData"]["data"]["text"], "hi");
    let last = js_sys::JSON::stringify(&lists.get(lists.length() - 1))
        .unwrap()
        .as_string()
        .unwrap();
    let last: Value = serde_json::from_str(&last).unwrap();
    assert_eq!(last.as_array().unwrap().len(), 1);
    unsubscribe.call0(&JsValue::NULL).unwrap();
    stop_list.call0(&JsValue::NULL).unwrap();
    unsubscribe.call0(&JsValue::NULL).unwrap(); // twice is harmless
    let (n_events, n_lists) = (events.length(), lists.length());
    JsFuture::from(app.create_app_data(input).unwrap())
        .await
        .unwrap();
    sleep(20).await;
    assert_eq!((events.length(), lists.length()), (n_events, n_lists));
}
