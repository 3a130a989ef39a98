//! The bridge against a fake app in headless Chromium.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use appframe_host::{
    Bridge, BridgeOptions, ContextProvider, Error, LogEntry, ORIGIN_MISMATCH, Outcome,
    TOKEN_RATE_LIMITED, TOKEN_REQUEST_FAILED, TOKEN_TIMEOUT, app_src,
};
use appframe_protocol::{Context, FailurePayload, ItemId, LocalContext, Message, Permission};
use common::*;
use std::{cell::RefCell, rc::Rc, time::Duration};
use wasm_bindgen_test::*;
use web_sys::HtmlIFrameElement;

wasm_bindgen_test_configure!(run_in_browser);

fn item(n: u8) -> ItemId {
    format!("00000000-0000-4000-8000-0000000000{n:02x}")
        .parse()
        .unwrap()
}

fn context(item: ItemId) -> LocalContext {
    let mut c = LocalContext::new("/api/", item);
    c.account_id = Some("dca3c530-eff8-4c46-8172-bd614654a02d".parse().unwrap());
    c.permission = Permission::Admin;
    c.context = Context::Builder;
    c
}

fn app_url() -> String {
    format!("{}/fake-app/?v=1", page_origin())
}

type Log = Rc<RefCell<Vec<LogEntry>>>;

/// Options for the fake app: registered page origin, a token provider echoing the origin.
fn options(item: ItemId, log: &Log) -> BridgeOptions {
    let log = log.clone();
    BridgeOptions::new(item, app_url(), vec![page_origin()], context(item))
        .token_provider(|req: appframe_host::AppTokenRequest| async move {
            Ok(format!("token-for-{}-{}", req.item_id, req.api_host))
        })
        .on_log(move |e| log.borrow_mut().push(e.clone()))
}

struct Fixture {
    iframe: HtmlIFrameElement,
    win: web_sys::Window,
    bridge: Option<Bridge>,
    log: Log,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.bridge = None;
        remove(&self.iframe);
    }
}

async fn fixture_with(item: ItemId, f: impl FnOnce(BridgeOptions) -> BridgeOptions) -> Fixture {
    let log: Log = Rc::default();
    let iframe = new_frame();
    let bridge = Bridge::attach(iframe.clone(), f(options(item, &log))).unwrap();
    let win = mount(&iframe).await;
    Fixture {
        iframe,
        win,
        bridge: Some(bridge),
        log,
    }
}

async fn fixture(item: ItemId) -> Fixture {
    fixture_with(item, |o| o).await
}

impl Fixture {
    fn ignored(&self) -> Vec<(String, String)> {
        self.log
            .borrow()
            .iter()
            .filter_map(|e| match &e.outcome {
                Outcome::Ignored(r) => Some((e.message_type.clone(), r.clone())),
                _ => None,
            })
            .collect()
    }

    async fn handshake(&self, item: ItemId) {
        let before = received(&self.win).len();
        send(&self.win, &get_context(item));
        received_at_least(&self.win, before + 1).await;
    }

    fn height(&self) -> String {
        self.iframe.style().get_property_value("height").unwrap()
    }
}

#[wasm_bindgen_test]
async fn attach_sets_src_with_item_id_sandbox_and_allow() {
    let id = item(1);
    let fx = fixture(id).await;
    assert_eq!(
        fx.iframe.get_attribute("src").unwrap(),
        format!("{}/fake-app/?v=1&itemId={id}", page_origin())
    );
    assert_eq!(
        app_src("http://a/x", &id),
        format!("http://a/x?itemId={id}")
    );
    assert_eq!(
        fx.iframe.get_attribute("sandbox").unwrap(),
        "allow-scripts allow-same-origin allow-forms allow-popups allow-downloads"
    );
    assert_eq!(
        fx.iframe.get_attribute("allow").unwrap(),
        "fullscreen; clipboard-write"
    );
    // The exported constants state these defaults.
    assert_eq!(
        (appframe_host::SANDBOX, appframe_host::ALLOW),
        (
            fx.iframe.get_attribute("sandbox").unwrap().as_str(),
            fx.iframe.get_attribute("allow").unwrap().as_str()
        )
    );
}

#[wasm_bindgen_test]
async fn the_granted_permissions_set_allow_and_sandbox_and_reach_the_app_in_the_context() {
    let id = item(42);
    let fx = fixture_with(id, |o| {
        o.permissions([
            "clipboard-read",
            "modals",
            "no-such-thing",
            "modals",
            "camera",
        ])
    })
    .await;
    // Passed through as given: the sandbox permissions as `allow-<name>` tokens, any other
    // name as an `allow` feature (the browser ignores one it does not know).
    assert_eq!(
        fx.iframe.get_attribute("allow").unwrap(),
        "clipboard-read; no-such-thing; camera"
    );
    assert_eq!(
        fx.iframe.get_attribute("sandbox").unwrap(),
        "allow-scripts allow-same-origin allow-modals allow-modals"
    );
    send(&fx.win, &get_context(id));
    let got = received_at_least(&fx.win, 1).await;
    let Message::GetContextSuccess { context, .. } = got[0].message() else {
        panic!("expected GET_CONTEXT_SUCCESS, got {}", got[0].data);
    };
    // Told to the app as given.
    assert_eq!(
        context.appframe.unwrap().granted.unwrap(),
        [
            "clipboard-read",
            "modals",
            "no-such-thing",
            "modals",
            "camera"
        ]
    );
    drop(fx);

    // No manifest: the defaults, told to the app too.
    let id = item(43);
    let plain = fixture(id).await;
    send(&plain.win, &get_context(id));
    let got = received_at_least(&plain.win, 1).await;
    let Message::GetContextSuccess { context, .. } = got[0].message() else {
        panic!("expected GET_CONTEXT_SUCCESS, got {}", got[0].data);
    };
    assert_eq!(
        context.appframe.unwrap().granted.unwrap(),
        [
            "fullscreen",
            "clipboard-write",
            "forms",
            "popups",
            "downloads"
        ]
    );
    drop(plain);

    // An app granted nothing gets neither `allow` features nor extra sandbox tokens.
    let none = fixture_with(item(44), |o| o.permissions(Vec::<String>::new())).await;
    assert_eq!(none.iframe.get_attribute("allow").unwrap(), "");
    assert_eq!(
        none.iframe.get_attribute("sandbox").unwrap(),
        "allow-scripts allow-same-origin"
    );
}

#[wasm_bindgen_test]
async fn server_features_are_advertised_after_the_bridge_features_only_when_asked() {
    let id = item(40);
    let plain = fixture(id).await;
    send(&plain.win, &get_context(id));
    let got = received_at_least(&plain.win, 1).await;
    let Message::GetContextSuccess { context, .. } = got[0].message() else {
        panic!("expected GET_CONTEXT_SUCCESS, got {}", got[0].data);
    };
    assert!(
        !context.appframe.unwrap().has("ws"),
        "ws is advertised by default"
    );
    drop(plain);

    let id = item(41);
    let fx = fixture_with(id, |o| o.server_features(["ws"])).await;
    send(&fx.win, &get_context(id));
    let got = received_at_least(&fx.win, 1).await;
    let Message::GetContextSuccess { context, .. } = got[0].message() else {
        panic!("expected GET_CONTEXT_SUCCESS, got {}", got[0].data);
    };
    let features = context.appframe.unwrap().features;
    let mut expected: Vec<&str> = appframe_host::FEATURES.to_vec();
    expected.push("ws");
    assert_eq!(features, expected);
    assert_eq!(&features[..2], ["failure", "rehandshake"]);
}

#[wasm_bindgen_test]
async fn context_is_answered_with_a_port_to_the_exact_origin() {
    let id = item(2);
    let fx = fixture(id).await;
    send(&fx.win, &get_context(id));
    let got = received_at_least(&fx.win, 1).await;
    assert_eq!(got[0].via, "window");
    assert!(got[0].has_port, "the context answer transfers a port");
    let Message::GetContextSuccess { item_id, context } = got[0].message() else {
        panic!("expected GET_CONTEXT_SUCCESS, got {}", got[0].data);
    };
    assert_eq!(item_id, id);
    assert_eq!(context.item_id, id);
    assert_eq!(context.api_host, format!("{}/api", page_origin()));
    assert_eq!(context.permission, Permission::Admin);
    assert_eq!(context.context, Context::Builder);
    let caps = context.appframe.unwrap();
    assert_eq!(caps.version, 2);
    assert!(caps.has("failure") && caps.has("lifecycle"));
    // The legacy memberId travels beside accountId.
    let raw: serde_json::Value = serde_json::from_str(&got[0].data).unwrap();
    assert_eq!(raw["payload"]["memberId"], raw["payload"]["accountId"]);
    assert!(raw["payload"]["memberId"].is_string());
    // Posted to the app's exact origin, never `*`.
    assert_eq!(targets(&fx.win), vec![page_origin()]);
    assert_eq!(fx.bridge.as_ref().unwrap().open_ports(), 1);
}

#[wasm_bindgen_test]
async fn second_get_context_gets_a_new_port_and_the_old_port_still_answers_tokens() {
    let id = item(3);
    let fx = fixture(id).await;
    fx.handshake(id).await;
    fx.handshake(id).await;
    assert_eq!(fx.bridge.as_ref().unwrap().open_ports(), 2);
    let ports = received(&fx.win).iter().filter(|r| r.has_port).count();
    assert_eq!(ports, 2, "each GET_CONTEXT gets its own port");

    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    send_on_port(&fx.win, 1, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 4).await;
    let expected = token_success(id, format!("token-for-{id}-{}/api", page_origin()));
    for port in ["port0", "port1"] {
        let answer = got.iter().find(|r| r.via == port).unwrap();
        assert_eq!(answer.message(), expected, "answer on {port}");
    }
}

#[wasm_bindgen_test]
async fn messages_from_another_window_are_ignored() {
    let id = item(4);
    let fx = fixture(id).await;
    // The test page itself: right origin, wrong source.
    window()
        .post_message(&get_context(id).into(), &page_origin())
        .unwrap();
    // A second iframe of the same origin that is not the app's.
    let stranger = new_frame();
    let stranger_win = mount(&stranger).await;
    send(&stranger_win, &get_context(id));
    sleep(300).await;
    assert!(received(&fx.win).is_empty());
    assert!(received(&stranger_win).is_empty());
    let ignored = fx.ignored();
    assert_eq!(ignored.len(), 2, "{ignored:?}");
    assert!(
        ignored
            .iter()
            .all(|(ty, reason)| ty == "GET_CONTEXT" && reason.contains("source"))
    );
    remove(&stranger);
}

#[wasm_bindgen_test]
async fn a_message_from_an_unregistered_origin_is_ignored() {
    let id = item(5);
    // The app is registered at another origin; the srcdoc app runs at the page's origin.
    let fx = fixture_with(id, |mut o| {
        o.app_url = "http://apps.appframe.invalid/app/".into();
        o.app_origins = vec!["http://apps.appframe.invalid".into()];
        o
    })
    .await;
    send(&fx.win, &get_context(id));
    sleep(300).await;
    assert!(received(&fx.win).is_empty());
    let ignored = fx.ignored();
    assert_eq!(ignored.len(), 1);
    assert!(ignored[0].1.contains("not registered"), "{ignored:?}");
}

#[wasm_bindgen_test]
async fn a_wrong_item_suffix_is_ignored() {
    let id = item(6);
    let fx = fixture(id).await;
    send(&fx.win, &get_context(item(99)));
    send(&fx.win, r#"{"type":"UNRELATED"}"#);
    send(&fx.win, "not json");
    sleep(300).await;
    assert!(received(&fx.win).is_empty());
    assert_eq!(fx.ignored().len(), 3, "{:?}", fx.ignored());
    // The right item still works afterwards.
    fx.handshake(id).await;
}

#[wasm_bindgen_test]
async fn malformed_payloads_and_host_to_app_kinds_are_ignored_with_their_reason() {
    let id = item(40);
    let fx = fixture(id).await;
    send(
        &fx.win,
        &format!(r#"{{"type":"GET_CONTEXT_{id}","payload":{{"key":1}}}}"#),
    );
    send(
        &fx.win,
        &format!(r#"{{"type":"POST_AUTO_RESIZE_{id}","payload":"tall"}}"#),
    );
    send(
        &fx.win,
        &format!(r#"{{"type":"GET_AUTH_TOKEN_SUCCESS_{id}","payload":{{}}}}"#),
    );
    send(&fx.win, "[1,2]");
    sleep(300).await;
    assert!(received(&fx.win).is_empty());
    let ignored = fx.ignored();
    assert_eq!(ignored.len(), 4, "{ignored:?}");
    assert_eq!(ignored[0].0, format!("GET_CONTEXT_{id}"));
    assert!(
        ignored[0].1.starts_with("bad payload for GET_CONTEXT"),
        "{ignored:?}"
    );
    assert!(
        ignored[1].1.contains("height is not a number"),
        "{ignored:?}"
    );
    assert_eq!(ignored[2].0, "GET_AUTH_TOKEN_SUCCESS");
    assert!(ignored[2].1.contains("host-to-app"), "{ignored:?}");
    assert_eq!(ignored[3].0, "(not a protocol message)");
    // The app still gets its context afterwards.
    fx.handshake(id).await;
}

#[wasm_bindgen_test]
async fn the_token_is_asked_for_with_the_context_and_answers_the_first_matching_request() {
    let id = item(41);
    let calls = Rc::new(RefCell::new(Vec::<String>::new()));
    let seen = calls.clone();
    let fx = fixture_with(id, move |o| {
        o.token_provider(move |req: appframe_host::AppTokenRequest| {
            seen.borrow_mut().push(req.key.clone());
            let n = seen.borrow().len();
            async move { Ok(format!("token-{n}")) }
        })
    })
    .await;
    fx.handshake(id).await;
    // Asked for as the context went out, before the app sent GET_AUTH_TOKEN.
    assert_eq!(calls.borrow().len(), 1);
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    assert_eq!(got[1].message(), token_success(id, "token-1"));
    assert_eq!(
        calls.borrow().len(),
        1,
        "the first request is answered from it"
    );
    // Used once: the next request reaches the provider.
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 3).await;
    assert!(got[2].data.contains("token-2"), "{}", got[2].data);
    // Another key after a new handshake is relayed afresh, not given the key of the context.
    fx.handshake(id).await;
    let other = Message::GetAuthToken {
        item_id: id,
        payload: appframe_protocol::KeyOrigin {
            key: "another-key".into(),
            origin: page_origin(),
        },
    }
    .encode();
    send_on_port(&fx.win, 1, &other);
    let got = received_at_least(&fx.win, 5).await;
    assert!(got[4].data.contains("token-4"), "{}", got[4].data);
    assert_eq!(
        calls.borrow().last().map(String::as_str),
        Some("another-key")
    );
    // The host log shows the app's messages only, as before.
    let types: Vec<String> = fx
        .log
        .borrow()
        .iter()
        .map(|e| format!("{:?} {}", e.direction, e.message_type))
        .collect();
    assert_eq!(
        types[..4],
        [
            "In GET_CONTEXT",
            "Out GET_CONTEXT_SUCCESS",
            "In GET_AUTH_TOKEN",
            "Out GET_AUTH_TOKEN_SUCCESS"
        ]
    );
}

#[wasm_bindgen_test]
async fn a_host_given_the_app_key_asks_for_the_token_at_attach() {
    let id = item(42);
    let calls = Rc::new(RefCell::new(Vec::<String>::new()));
    let provider = counting(&calls);
    let fx = fixture_with(id, move |o| {
        o.token_provider(provider)
            .app_key("1d85bd0c-7c60-49cd-9775-9898fcb16668")
    })
    .await;
    // Asked for at attach, before the app said anything.
    assert_eq!(*calls.borrow(), ["1d85bd0c-7c60-49cd-9775-9898fcb16668"]);
    // The app's GET_CONTEXT with the same key and origin asks for nothing new, and its first
    // GET_AUTH_TOKEN gets the token asked for at attach.
    fx.handshake(id).await;
    assert_eq!(calls.borrow().len(), 1);
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    assert!(got[1].data.contains("\"token-1\""), "{}", got[1].data);
    assert_eq!(calls.borrow().len(), 1);
    // Used once: the next request reaches the provider.
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 3).await;
    assert!(got[2].data.contains("\"token-2\""), "{}", got[2].data);
}

#[wasm_bindgen_test]
async fn an_app_naming_another_key_than_the_host_gave_gets_its_own_token() {
    let id = item(43);
    let calls = Rc::new(RefCell::new(Vec::<String>::new()));
    let provider = counting(&calls);
    let fx = fixture_with(id, move |o| {
        o.token_provider(provider).app_key("a-stale-key")
    })
    .await;
    assert_eq!(*calls.borrow(), ["a-stale-key"]);
    // The app's key differs: its GET_CONTEXT asks afresh, and its request never gets the token
    // of the host's key.
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    assert!(got[1].data.contains("\"token-2\""), "{}", got[1].data);
    assert_eq!(
        *calls.borrow(),
        ["a-stale-key", "1d85bd0c-7c60-49cd-9775-9898fcb16668"]
    );
}

#[wasm_bindgen_test]
async fn token_provider_error_is_sent_as_failure_with_reason() {
    let id = item(7);
    let fx = fixture_with(id, |o| {
        o.token_provider(|_req: appframe_host::AppTokenRequest| async move {
            Err::<String, _>(FailurePayload {
                code: "NOT_ALLOWED".into(),
                message: "this member may not use the app".into(),
            })
        })
    })
    .await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    let Message::GetAuthTokenFailure { error, .. } = got[1].message() else {
        panic!("expected FAILURE, got {}", got[1].data);
    };
    assert_eq!(got[1].via, "port0");
    assert_eq!(error.code, "NOT_ALLOWED");
    assert_eq!(error.message, "this member may not use the app");
}

#[wasm_bindgen_test]
async fn token_request_naming_another_origin_fails_with_origin_mismatch() {
    let id = item(8);
    let fx = fixture(id).await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, "http://evil.example"));
    let got = received_at_least(&fx.win, 2).await;
    let Message::GetAuthTokenFailure { error, .. } = got[1].message() else {
        panic!("expected FAILURE, got {}", got[1].data);
    };
    assert_eq!(error.code, ORIGIN_MISMATCH);
}

#[wasm_bindgen_test]
async fn a_silent_token_provider_times_out_with_failure() {
    let id = item(9);
    let fx = fixture_with(id, |o| {
        o.token_provider(|_req: appframe_host::AppTokenRequest| async move {
            sleep(5_000).await;
            Ok("too late".to_owned())
        })
        .token_timeout(Duration::from_millis(100))
    })
    .await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    let Message::GetAuthTokenFailure { error, .. } = got[1].message() else {
        panic!("expected FAILURE, got {}", got[1].data);
    };
    assert_eq!(error.code, TOKEN_TIMEOUT);
}

#[wasm_bindgen_test]
async fn default_fetch_provider_reads_the_token_response() {
    let id = item(10);
    let fx = fixture_with(id, |o| {
        o.token_provider(appframe_host::FetchTokenProvider::with_url(
            r#"data:application/json,{"token":"from-fetch"}"#,
        ))
    })
    .await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    assert_eq!(got[1].message(), token_success(id, "from-fetch"));
}

#[wasm_bindgen_test]
async fn default_fetch_provider_turns_an_http_error_into_failure() {
    let id = item(11);
    // A POST to a route the test server does not have.
    let fx = fixture_with(id, |o| {
        o.token_provider(appframe_host::FetchTokenProvider::with_url(format!(
            "{}/api/app-items/{id}/api-access-token",
            page_origin()
        )))
    })
    .await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    let Message::GetAuthTokenFailure { error, .. } = got[1].message() else {
        panic!("expected FAILURE, got {}", got[1].data);
    };
    assert_eq!(error.code, TOKEN_REQUEST_FAILED);
    assert!(!error.message.is_empty());
}

#[wasm_bindgen_test]
async fn mobile_mode_token_request_on_the_window_is_answered_on_the_window() {
    let id = item(12);
    let fx = fixture(id).await;
    send(&fx.win, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 1).await;
    assert_eq!(got[0].via, "window");
    assert!(matches!(
        got[0].message(),
        Message::GetAuthTokenSuccess { .. }
    ));
    assert_eq!(targets(&fx.win), vec![page_origin()]);
}

#[wasm_bindgen_test]
async fn context_provider_refusal_is_sent_as_context_failure() {
    let id = item(13);
    let fx = fixture_with(id, |mut o| {
        o.context = ContextProvider::from_fn(|| {
            Err(FailurePayload {
                code: "NOT_LOGGED_IN".into(),
                message: "log in first".into(),
            })
        });
        o
    })
    .await;
    send(&fx.win, &get_context(id));
    let got = received_at_least(&fx.win, 1).await;
    assert!(!got[0].has_port);
    let Message::GetContextFailure { error, .. } = got[0].message() else {
        panic!("expected FAILURE, got {}", got[0].data);
    };
    assert_eq!(error.code, "NOT_LOGGED_IN");
}

#[wasm_bindgen_test]
async fn resize_is_rounded_up_bounded_and_not_repeated() {
    let id = item(14);
    let fx = fixture_with(id, |o| o.height_bounds(100.0, 800.0)).await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &resize(id, 619.25));
    assert!(wait_for(|| fx.height() == "620px").await, "{}", fx.height());
    send_on_port(&fx.win, 0, &resize(id, 10.0));
    assert!(wait_for(|| fx.height() == "100px").await, "{}", fx.height());
    send_on_port(&fx.win, 0, &resize(id, 5000.0));
    assert!(wait_for(|| fx.height() == "800px").await, "{}", fx.height());
    // A non-number height (what JSON makes of Infinity) changes nothing.
    send_on_port(
        &fx.win,
        0,
        &format!(r#"{{"type":"POST_AUTO_RESIZE_{id}","payload":null}}"#),
    );
    sleep(150).await;
    assert_eq!(fx.height(), "800px");
    // A repeat of the current height is ignored (no loop).
    send_on_port(&fx.win, 0, &resize(id, 5000.0));
    sleep(150).await;
    let ignored = fx.ignored();
    assert!(
        ignored.iter().any(|(_, r)| r.contains("already 800px")),
        "{ignored:?}"
    );
    assert_eq!(ignored.len(), 2, "{ignored:?}");
    // POST_MAX_RESIZE makes it as tall as the viewport.
    send_on_port(&fx.win, 0, &Message::PostMaxResize { item_id: id }.encode());
    assert!(wait_for(|| fx.height() == "100vh").await, "{}", fx.height());
}

#[wasm_bindgen_test]
async fn the_requested_height_is_the_frame_viewport_even_with_a_border_box_border() {
    let id = item(20);
    let fx = fixture_with(id, |o| o.height_bounds(0.0, 5000.0)).await;
    let style = fx.iframe.style();
    style.set_property("box-sizing", "border-box").unwrap();
    style.set_property("border", "3px solid black").unwrap();
    fx.handshake(id).await;
    style.set_property("padding", "2px").unwrap();
    send_on_port(&fx.win, 0, &resize(id, 420.0));
    // 420 + 2 × 3 px border + 2 × 2 px padding.
    assert!(wait_for(|| fx.height() == "430px").await, "{}", fx.height());
    // clientHeight minus padding is the viewport the app lays out in: what it asked for.
    assert_eq!(fx.iframe.client_height() - 4, 420);
}

#[wasm_bindgen_test]
async fn auto_resize_is_ignored_when_the_item_is_resizable_by_the_viewer() {
    let id = item(19);
    let fx = fixture_with(id, |mut o| {
        let mut ctx = context(id);
        ctx.settings
            .insert("isResizable".into(), serde_json::Value::Bool(true));
        o.context = ContextProvider::from(ctx);
        o
    })
    .await;
    let before = fx.height();
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &resize(id, 640.0));
    sleep(150).await;
    assert_eq!(fx.height(), before);
    let ignored = fx.ignored();
    assert!(
        ignored
            .iter()
            .any(|(_, r)| r.contains("resizable by the viewer")),
        "{ignored:?}"
    );
}

#[wasm_bindgen_test]
async fn a_burst_of_resizes_is_coalesced_into_its_last_height() {
    let id = item(15);
    let fx = fixture_with(id, |o| o.height_bounds(0.0, 5000.0)).await;
    fx.handshake(id).await;
    // Count style changes on the iframe.
    let count = js_sys::Function::new_with_args(
        "el",
        "window.__styleChanges = 0; new MutationObserver((l) => { window.__styleChanges += l.length; })\
         .observe(el, { attributes: true, attributeFilter: ['style'] });",
    );
    count
        .call1(&wasm_bindgen::JsValue::NULL, &fx.iframe)
        .unwrap();
    for h in 300..320 {
        send_on_port(&fx.win, 0, &resize(id, f64::from(h)));
    }
    assert!(wait_for(|| fx.height() == "319px").await, "{}", fx.height());
    sleep(200).await;
    assert_eq!(fx.height(), "319px");
    let changes = js_sys::Reflect::get(&window(), &"__styleChanges".into())
        .unwrap()
        .as_f64()
        .unwrap();
    // 20 messages, a handful of style changes: the first at once, the rest coalesced.
    assert!((1.0..=4.0).contains(&changes), "{changes} style changes");
}

#[wasm_bindgen_test]
async fn detach_removes_listeners_and_closes_ports() {
    let id = item(16);
    let mut fx = fixture(id).await;
    fx.handshake(id).await;
    fx.bridge.take().unwrap().detach();
    send(&fx.win, &get_context(id));
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    sleep(300).await;
    assert_eq!(received(&fx.win).len(), 1, "{:?}", received(&fx.win));
}

#[wasm_bindgen_test]
async fn a_token_answer_after_detach_is_not_sent() {
    let id = item(17);
    let mut fx = fixture_with(id, |o| {
        o.token_provider(|_req: appframe_host::AppTokenRequest| async move {
            sleep(200).await;
            Ok("late".to_owned())
        })
    })
    .await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    sleep(50).await;
    fx.bridge = None;
    sleep(400).await;
    assert_eq!(received(&fx.win).len(), 1, "{:?}", received(&fx.win));
}

#[wasm_bindgen_test]
fn attach_rejects_an_app_url_outside_the_registered_origins() {
    let id = item(18);
    let err = Bridge::attach(
        new_frame(),
        BridgeOptions::new(
            id,
            "http://127.0.0.1:9/app/",
            vec!["http://127.0.0.1:8081".into()],
            context(id),
        ),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::OriginNotRegistered {
            origin: "http://127.0.0.1:9".into()
        }
    );
    let err = Bridge::attach(
        new_frame(),
        BridgeOptions::new(id, "http://a/", vec!["http://a".into()], context(id))
            .height_bounds(10.0, 5.0),
    )
    .unwrap_err();
    assert_eq!(err.code(), "BadOptions");
}

#[wasm_bindgen_test]
async fn a_frame_asking_for_tokens_fifty_times_reaches_the_provider_at_most_burst_times() {
    let id = item(50);
    let calls = Rc::new(std::cell::Cell::new(0u32));
    let counted = calls.clone();
    let fx = fixture_with(id, move |o| {
        o.token_provider(move |_req: appframe_host::AppTokenRequest| {
            counted.set(counted.get() + 1);
            async move { Ok("t".to_owned()) }
        })
    })
    .await;
    fx.handshake(id).await;
    for _ in 0..50 {
        send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    }
    let got = received_at_least(&fx.win, 51).await;
    let answers: Vec<Message> = got[1..].iter().map(|r| r.message()).collect();
    let ok = answers
        .iter()
        .filter(|m| matches!(m, Message::GetAuthTokenSuccess { .. }))
        .count();
    let limited = answers
        .iter()
        .filter(|m| matches!(m, Message::GetAuthTokenFailure { error, .. } if error.code == TOKEN_RATE_LIMITED))
        .count();
    assert_eq!(
        calls.get(),
        appframe_host::DEFAULT_TOKEN_BURST,
        "the provider is called for the burst only"
    );
    assert_eq!((ok, limited), (5, 45), "{answers:?}");
}

#[wasm_bindgen_test]
async fn the_token_rate_limit_is_configurable_and_refills() {
    let id = item(51);
    let fx = fixture_with(id, |o| o.token_rate_limit(1, Duration::from_millis(300))).await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 3).await;
    assert!(matches!(
        got[1].message(),
        Message::GetAuthTokenSuccess { .. }
    ));
    assert!(
        matches!(got[2].message(), Message::GetAuthTokenFailure { error, .. } if error.code == TOKEN_RATE_LIMITED)
    );
    sleep(350).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 4).await;
    assert!(matches!(
        got[3].message(),
        Message::GetAuthTokenSuccess { .. }
    ));
}

#[wasm_bindgen_test]
async fn a_server_429_reaches_the_app_as_token_rate_limited() {
    let id = item(52);
    let win = window();
    let real_fetch = js_sys::Reflect::get(&win, &"fetch".into()).unwrap();
    let fake = js_sys::Function::new_no_args(
        "return Promise.resolve(new Response(JSON.stringify({name: 'TOKEN_RATE_LIMITED', \
         code: 'AFERR021', message: 'too many app tokens requested', statusCode: 429}), \
         {status: 429, headers: {'Retry-After': '7', 'content-type': 'application/json'}}));",
    );
    js_sys::Reflect::set(&win, &"fetch".into(), &fake).unwrap();
    let fx = fixture_with(id, |o| {
        o.token_provider(appframe_host::FetchTokenProvider::with_url(format!(
            "{}/api/app-items/{id}/api-access-token",
            page_origin()
        )))
    })
    .await;
    fx.handshake(id).await;
    send_on_port(&fx.win, 0, &get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    js_sys::Reflect::set(&win, &"fetch".into(), &real_fetch).unwrap();
    let Message::GetAuthTokenFailure { error, .. } = got[1].message() else {
        panic!("expected FAILURE, got {}", got[1].data);
    };
    assert_eq!(error.code, TOKEN_RATE_LIMITED);
    assert!(error.message.contains("AFERR021"), "{}", error.message);
    assert!(
        error.message.contains("retry after 7 s"),
        "{}",
        error.message
    );
}
