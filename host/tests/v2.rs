//! Protocol v2 on the host side (the Rust API) against the fake app in headless Chromium: what a
//! v1 app gets (nothing new), the lifecycle events, context changes, pings both ways, teardown,
//! links and display modes, and the payloads refused.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use appframe_host::{AppEvent, Bridge, BridgeOptions, LogEntry, Outcome, READY_TIMEOUT};
use appframe_protocol::{
    ContextChange, ContextRequest, DisplayMode, FailurePayload, HostCapabilities, ItemId,
    LocalContext, Message, ModePayload, Theme, ThemeMode, UrlPayload,
};
use common::*;
use std::{cell::RefCell, rc::Rc, time::Duration};
use wasm_bindgen_test::*;
use web_sys::{HtmlIFrameElement, Window};

wasm_bindgen_test_configure!(run_in_browser);

fn item(n: u8) -> ItemId {
    format!("00000000-0000-4000-8000-0000000002{n:02x}")
        .parse()
        .unwrap()
}

struct Fx {
    iframe: HtmlIFrameElement,
    win: Window,
    bridge: Option<Bridge>,
    events: Rc<RefCell<Vec<AppEvent>>>,
    log: Rc<RefCell<Vec<LogEntry>>>,
}

impl Drop for Fx {
    fn drop(&mut self) {
        self.bridge = None;
        remove(&self.iframe);
    }
}

async fn fixture(id: ItemId, f: impl FnOnce(BridgeOptions) -> BridgeOptions) -> Fx {
    let events = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::new(RefCell::new(Vec::new()));
    let (e, l) = (events.clone(), log.clone());
    let opts = BridgeOptions::new(
        id,
        format!("{}/fake-app/", page_origin()),
        vec![page_origin()],
        LocalContext::new("/api", id),
    )
    .token_provider(|_| async { Ok("t".to_owned()) })
    .on_event(move |ev| e.borrow_mut().push(ev.clone()))
    .on_log(move |entry| l.borrow_mut().push(entry.clone()));
    let iframe = new_frame();
    let bridge = Bridge::attach(iframe.clone(), f(opts)).unwrap();
    let win = mount(&iframe).await;
    Fx {
        iframe,
        win,
        bridge: Some(bridge),
        events,
        log,
    }
}

/// GET_CONTEXT naming `origin`, announcing v2 with `features` (or v1 with `None`).
fn ask_context(id: ItemId, origin: String, features: Option<&[&str]>) -> String {
    Message::GetContext {
        item_id: id,
        payload: ContextRequest {
            key: "1d85bd0c-7c60-49cd-9775-9898fcb16668".into(),
            origin,
            appframe: features.map(|f| HostCapabilities {
                version: 2,
                features: f.iter().map(|&x| x.to_owned()).collect(),
                granted: None,
            }),
        },
    }
    .encode()
}

/// GET_CONTEXT announcing v2 (or not), as the SDK sends it.
fn hello(id: ItemId, v2: bool) -> String {
    ask_context(id, page_origin(), v2.then_some(&["lifecycle"][..]))
}

impl Fx {
    async fn handshake(&self, id: ItemId, v2: bool) {
        send(&self.win, &hello(id, v2));
        let got = received_at_least(&self.win, 1).await;
        let Message::GetContextSuccess { context, .. } = got[0].message() else {
            panic!("{}", got[0].data)
        };
        let caps = context.appframe.unwrap();
        assert_eq!(caps.version, 2);
        for f in [
            "lifecycle",
            "context-changed",
            "display-mode",
            "open-link",
            "ping",
        ] {
            assert!(caps.features.iter().any(|x| x == f), "{f}: {caps:?}");
        }
    }

    /// Sends `msg` on port 0 and returns the next message the app receives.
    async fn answer(&self, msg: Message) -> Message {
        let before = received(&self.win).len();
        send_on_port(&self.win, 0, &msg.encode());
        received_at_least(&self.win, before + 1).await[before].message()
    }

    fn events(&self) -> Vec<AppEvent> {
        self.events.borrow().clone()
    }
}

fn change() -> ContextChange {
    ContextChange {
        lang: Some("de".into()),
        theme: Some(Theme {
            mode: ThemeMode::Dark,
            vars: [("--accent".to_owned(), "#0a6".to_owned())].into(),
        }),
        ..ContextChange::default()
    }
}

#[wasm_bindgen_test]
async fn a_v1_app_is_ready_at_its_context_and_gets_no_v2_message() {
    let id = item(1);
    let fx = fixture(id, |o| o).await;
    fx.handshake(id, false).await;
    assert_eq!(fx.events(), [AppEvent::Ready]);
    let bridge = fx.bridge.as_ref().unwrap();
    assert!(!bridge.change_context(&change()));
    assert!(!bridge.ping(300).await);
    sleep(100).await;
    assert_eq!(received(&fx.win).len(), 1, "{:?}", received(&fx.win));
}

#[wasm_bindgen_test]
async fn the_host_can_tell_whether_the_app_speaks_v2_from_its_latest_context_request() {
    let id = item(10);
    let fx = fixture(id, |o| o).await;
    let bridge = fx.bridge.as_ref().unwrap();
    assert!(!bridge.app_speaks_v2(), "nothing announced yet");
    fx.handshake(id, true).await;
    assert!(bridge.app_speaks_v2());
    // The app reloaded as a v1 app (e.g. another version of it): its latest request counts.
    send(&fx.win, &hello(id, false));
    received_at_least(&fx.win, 2).await;
    assert!(!bridge.app_speaks_v2());
    send(&fx.win, &hello(id, true));
    received_at_least(&fx.win, 3).await;
    assert!(bridge.app_speaks_v2());
}

#[wasm_bindgen_test]
async fn a_v2_app_is_ready_when_it_says_so_and_gets_context_changes() {
    let id = item(2);
    let fx = fixture(id, |o| o).await;
    fx.handshake(id, true).await;
    assert!(fx.events().is_empty(), "{:?}", fx.events());
    send_on_port(&fx.win, 0, &Message::PostReady { item_id: id }.encode());
    assert!(wait_for(|| fx.events() == [AppEvent::Ready]).await);
    assert!(fx.bridge.as_ref().unwrap().change_context(&change()));
    let got = received_at_least(&fx.win, 2).await;
    assert_eq!(got[1].via, "port0");
    assert_eq!(
        got[1].message(),
        Message::ContextChanged {
            item_id: id,
            change: change()
        }
    );
}

#[wasm_bindgen_test]
async fn pings_are_answered_both_ways() {
    let id = item(3);
    let fx = fixture(id, |o| o).await;
    fx.handshake(id, true).await;
    assert_eq!(
        fx.answer(Message::Ping { item_id: id }).await,
        Message::Pong { item_id: id }
    );
    // The host pings; the fake app answers only once it has seen the PING.
    let bridge = fx.bridge.as_ref().unwrap();
    let pinged = bridge.ping(2000);
    let win = fx.win.clone();
    let answered = async move {
        assert!(wait_for(|| received(&win).iter().any(|r| r.data.contains("\"PING_"))).await);
        send_on_port(&win, 0, &Message::Pong { item_id: id }.encode());
    };
    let (ok, ()) = futures::join!(pinged, answered);
    assert!(ok);
    // Unanswered: false after the bound.
    assert!(!bridge.ping(200).await);
}

#[wasm_bindgen_test]
async fn teardown_waits_for_the_acknowledgement_then_detaches() {
    let id = item(4);
    let mut fx = fixture(id, |o| o).await;
    fx.handshake(id, true).await;
    let bridge = fx.bridge.take().unwrap();
    let win = fx.win.clone();
    let ack = async move {
        assert!(wait_for(|| received(&win).iter().any(|r| r.data.contains("TEARDOWN_"))).await);
        send_on_port(&win, 0, &Message::TeardownAck { item_id: id }.encode());
    };
    let (acked, ()) = futures::join!(bridge.teardown("navigation"), ack);
    assert!(acked);
    let td = received(&fx.win)
        .into_iter()
        .find(|r| r.data.contains("TEARDOWN_"))
        .unwrap();
    assert!(td.data.contains(r#""reason":"navigation""#), "{}", td.data);
    // Detached: nothing is answered any more.
    send(&fx.win, &hello(id, true));
    sleep(200).await;
    assert_eq!(received(&fx.win).len(), 2);
}

#[wasm_bindgen_test]
async fn a_silent_app_is_torn_down_at_the_bound() {
    let id = item(5);
    let mut fx = fixture(id, |o| o).await;
    fx.handshake(id, true).await;
    let started = js_sys::Date::now();
    assert!(!fx.bridge.take().unwrap().teardown("gone").await);
    let took = js_sys::Date::now() - started;
    assert!((450.0..3000.0).contains(&took), "{took} ms");
}

#[wasm_bindgen_test]
async fn links_are_opened_only_for_http_and_https() {
    let id = item(6);
    let fx = fixture(id, |o| o).await;
    fx.handshake(id, true).await;
    for bad in [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/relative",
        "file:///etc/passwd",
    ] {
        let got = fx
            .answer(Message::OpenLink {
                item_id: id,
                payload: UrlPayload { url: bad.into() },
            })
            .await;
        let Message::OpenLinkFailure { error, .. } = got else {
            panic!("{bad}: {got:?}")
        };
        assert_eq!(error.code, "LINK_REFUSED", "{bad}");
    }
}

#[wasm_bindgen_test]
async fn fullscreen_needs_a_gesture_and_inline_is_granted() {
    let id = item(7);
    let fx = fixture(id, |o| o).await;
    fx.handshake(id, true).await;
    let got = fx
        .answer(Message::RequestDisplayMode {
            item_id: id,
            payload: ModePayload {
                mode: DisplayMode::Fullscreen,
            },
        })
        .await;
    let Message::RequestDisplayModeFailure { error, .. } = got else {
        panic!("{got:?}")
    };
    assert_eq!(error.code, "USER_GESTURE_REQUIRED");
    let got = fx
        .answer(Message::RequestDisplayMode {
            item_id: id,
            payload: ModePayload {
                mode: DisplayMode::Inline,
            },
        })
        .await;
    assert_eq!(
        got,
        Message::RequestDisplayModeSuccess {
            item_id: id,
            payload: ModePayload {
                mode: DisplayMode::Inline
            }
        }
    );
    assert!(
        fx.events()
            .contains(&AppEvent::DisplayMode(DisplayMode::Inline))
    );
}

/// Makes `document.fullscreenElement` read `el` (headless Chromium enters no real fullscreen
/// without a gesture) and fires `fullscreenchange`, as the browser does when the user presses
/// Esc or the page's own control is used.
fn fake_fullscreen(el: Option<&HtmlIFrameElement>) {
    let f = js_sys::Function::new_with_args(
        "el",
        "Object.defineProperty(document, 'fullscreenElement', {get: () => el, configurable: true});
         document.dispatchEvent(new Event('fullscreenchange'));",
    );
    let v = el.map_or(wasm_bindgen::JsValue::NULL, |e| e.into());
    f.call1(&wasm_bindgen::JsValue::NULL, &v).unwrap();
}

#[wasm_bindgen_test]
async fn fullscreen_entered_or_left_without_the_app_asking_is_told_to_the_app() {
    let id = item(12);
    let fx = fixture(id, |o| o).await;
    fx.handshake(id, true).await;
    let container = |mode| Message::ContextChanged {
        item_id: id,
        change: ContextChange {
            container: Some(appframe_protocol::Container {
                display_mode: mode,
                ..Default::default()
            }),
            ..ContextChange::default()
        },
    };
    let before = received(&fx.win).len();
    fake_fullscreen(Some(&fx.iframe));
    let got = received_at_least(&fx.win, before + 1).await;
    assert_eq!(got[before].message(), container(DisplayMode::Fullscreen));
    // Leaving is told once.
    fake_fullscreen(None);
    fake_fullscreen(None);
    let got = received_at_least(&fx.win, before + 2).await;
    assert_eq!(got[before + 1].message(), container(DisplayMode::Inline));
    sleep(50).await;
    assert_eq!(received(&fx.win).len(), before + 2);
    assert!(fx.events().ends_with(&[
        AppEvent::DisplayMode(DisplayMode::Fullscreen),
        AppEvent::DisplayMode(DisplayMode::Inline)
    ]));
    // Leave the page's document as it was.
    js_sys::Reflect::delete_property(
        &web_sys::window().unwrap().document().unwrap(),
        &"fullscreenElement".into(),
    )
    .unwrap();
}

#[wasm_bindgen_test]
async fn failure_close_requests_and_the_ready_deadline_reach_the_host() {
    let id = item(8);
    let fx = fixture(id, |o| o.ready_timeout(Duration::from_millis(300))).await;
    fx.handshake(id, true).await;
    let failure = FailurePayload {
        code: "NO_WEBGL".into(),
        message: "this app needs WebGL".into(),
    };
    let msgs = [
        Message::PostFailure {
            item_id: id,
            error: failure.clone(),
        },
        Message::RequestClose { item_id: id },
    ];
    for m in msgs {
        send_on_port(&fx.win, 0, &m.encode());
    }
    let timed_out = |e: &AppEvent| matches!(e, AppEvent::Failed(f) if f.code == READY_TIMEOUT);
    assert!(wait_for(|| fx.events().iter().any(timed_out)).await);
    let events = fx.events();
    assert_eq!(
        events[..2],
        [AppEvent::Failed(failure), AppEvent::CloseRequested]
    );
}

#[wasm_bindgen_test]
async fn malformed_v2_payloads_are_ignored_with_their_reason() {
    let id = item(9);
    let fx = fixture(id, |o| o).await;
    fx.handshake(id, true).await;
    let ty = |t: &str| format!("{t}_{id}");
    for bad in [
        format!(
            r#"{{"type":"{}","payload":{{"mode":"huge"}}}}"#,
            ty("REQUEST_DISPLAY_MODE")
        ),
        format!(r#"{{"type":"{}","payload":{{"url":7}}}}"#, ty("OPEN_LINK")),
    ] {
        send_on_port(&fx.win, 0, &bad);
    }
    let ignored = || {
        fx.log
            .borrow()
            .iter()
            .filter(|e| matches!(&e.outcome, Outcome::Ignored(r) if r.starts_with("bad payload")))
            .count()
    };
    assert!(wait_for(|| ignored() == 2).await, "{:?}", fx.log.borrow());
    sleep(100).await;
    assert_eq!(received(&fx.win).len(), 1, "nothing answered");
}

/// GET_CONTEXT of a v2 app that announced `push-token` (as the page's boot script does), naming
/// `origin` as its own.
fn hello_pushed(id: ItemId, origin: String) -> String {
    ask_context(id, origin, Some(&["lifecycle", "push-token"]))
}

fn log_lines(fx: &Fx) -> Vec<String> {
    fx.log
        .borrow()
        .iter()
        .map(|e| format!("{:?} {}", e.direction, e.message_type))
        .collect()
}

#[wasm_bindgen_test]
async fn an_app_announcing_push_token_gets_the_token_after_the_context_without_asking() {
    let id = item(13);
    let calls = Rc::new(RefCell::new(Vec::<String>::new()));
    let provider = counting(&calls);
    let fx = fixture(id, move |o| o.token_provider(provider)).await;
    send(&fx.win, &hello_pushed(id, page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    let Message::GetContextSuccess { context, .. } = got[0].message() else {
        panic!("{}", got[0].data)
    };
    let caps = context.appframe.unwrap();
    assert!(caps.features.iter().any(|f| f == "push-token"), "{caps:?}");
    // On the port that came with the context, as the answer to a request would be.
    assert_eq!(got[1].via, "port0");
    assert_eq!(got[1].message(), token_success(id, "token-1"));
    assert_eq!(
        calls.borrow().len(),
        1,
        "one mint for the context and the push"
    );
    assert_eq!(
        log_lines(&fx),
        [
            "In GET_CONTEXT",
            "Out GET_CONTEXT_SUCCESS",
            "Out GET_AUTH_TOKEN_SUCCESS"
        ]
    );
    // Pushed once: a later request (after a 401, say) is relayed afresh.
    send_on_port(&fx.win, 0, &common::get_token(id, &page_origin()));
    let got = received_at_least(&fx.win, 3).await;
    assert!(got[2].data.contains("\"token-2\""), "{}", got[2].data);
    sleep(100).await;
    assert_eq!(received(&fx.win).len(), 3, "{:?}", received(&fx.win));
}

#[wasm_bindgen_test]
async fn no_token_is_pushed_to_an_app_that_did_not_announce_push_token() {
    for (n, v2) in [(14, false), (15, true)] {
        let id = item(n);
        let calls = Rc::new(RefCell::new(Vec::<String>::new()));
        let provider = counting(&calls);
        let fx = fixture(id, move |o| o.token_provider(provider)).await;
        fx.handshake(id, v2).await;
        sleep(100).await;
        // The context only: the token waits for the app's request (v1 traffic).
        assert_eq!(received(&fx.win).len(), 1, "{:?}", received(&fx.win));
        send_on_port(&fx.win, 0, &common::get_token(id, &page_origin()));
        let got = received_at_least(&fx.win, 2).await;
        assert!(got[1].data.contains("\"token-1\""), "{}", got[1].data);
        assert_eq!(calls.borrow().len(), 1);
    }
}

#[wasm_bindgen_test]
async fn a_pushed_token_has_the_checks_of_a_request() {
    // The payload names another origin than the window the request came from: what a request
    // naming it would get, ORIGIN_MISMATCH, and no mint.
    let id = item(16);
    let calls = Rc::new(RefCell::new(Vec::<String>::new()));
    let provider = counting(&calls);
    let fx = fixture(id, move |o| o.token_provider(provider)).await;
    send(&fx.win, &hello_pushed(id, "http://evil.example".into()));
    let got = received_at_least(&fx.win, 2).await;
    assert_eq!(got[1].via, "port0");
    let Message::GetAuthTokenFailure { error, .. } = got[1].message() else {
        panic!("expected a FAILURE, got {}", got[1].data)
    };
    assert_eq!(error.code, "ORIGIN_MISMATCH");
    assert_eq!(calls.borrow().len(), 0);
}

#[wasm_bindgen_test]
async fn the_token_is_pushed_in_mobile_mode_too() {
    // The app reads the port it was given whenever there is one (the SDK does): an app that
    // announced `push-token` must get the token there, or it would wait for it.
    let id = item(17);
    let calls = Rc::new(RefCell::new(Vec::<String>::new()));
    let provider = counting(&calls);
    let fx = fixture(id, move |mut o| {
        let mut ctx = LocalContext::new("/api", id);
        ctx.mobile = true;
        o.context = ctx.into();
        o.token_provider(provider)
    })
    .await;
    send(&fx.win, &hello_pushed(id, page_origin()));
    let got = received_at_least(&fx.win, 2).await;
    assert_eq!(got[1].via, "port0");
    assert_eq!(got[1].message(), token_success(id, "token-1"));
}
