//! Browser tests of protocol v2 on the app side (docs/protocol-v2.md) against a stand-in host
//! page: it answers GET_CONTEXT with `appframe.version` 1 or 2, records what arrives on its
//! port, answers the app's requests as `window.answers` says (`grant`/`ok`, `refuse`, `silent`),
//! and `window.toApp(type, payload)` sends a message to the app on the latest port.

use super::*;
use appframe_protocol::{ContextChange, DisplayMode, Theme, ThemeMode};
use std::{future::Future, pin::Pin};

/// The stand-in host; `version` 0 is a Graasp host (no `appframe` in the context).
fn v2_host_html(version: u32) -> String {
    let caps = match version {
        0 => "undefined".to_owned(),
        1 => r#"{"version":1,"features":["failure","rehandshake"]}"#.to_owned(),
        v => format!(
            r#"{{"version":{v},"features":["failure","context-changed","lifecycle","display-mode","open-link","ping"]}}"#
        ),
    };
    format!(
        r#"<!doctype html><script>
window.received = [];
window.answers = {{display: 'grant', link: 'ok', ping: 'ok'}};
let port = null, item = '';
const msg = (type, payload) => JSON.stringify(payload === undefined ? {{type}} : {{type, payload}});
window.toApp = (type, payload) => port.postMessage(msg(type + '_' + item, payload));
window.addEventListener('message', (e) => {{
  if (typeof e.data !== 'string') return;
  const m = JSON.parse(e.data);
  window.received.push({{via: 'window', type: m.type, payload: m.payload, at: Date.now()}});
  if (!m.type.startsWith('GET_CONTEXT_')) return;
  item = m.type.slice('GET_CONTEXT_'.length);
  const context = {{apiHost: 'http://api.test/api', itemId: item, accountId: '{ACCOUNT}',
    permission: 'admin', context: 'builder', lang: 'fr', appframe: {caps}}};
  const ch = new MessageChannel();
  port = ch.port1;
  const p = ch.port1;
  p.onmessage = (pe) => {{
    const r = JSON.parse(pe.data);
    window.received.push({{via: 'port', type: r.type, payload: r.payload, at: Date.now()}});
    const kind = r.type.slice(0, r.type.length - item.length - 1);
    const a = window.answers;
    if (kind === 'GET_AUTH_TOKEN') p.postMessage(msg('GET_AUTH_TOKEN_SUCCESS_' + item, {{token: 't'}}));
    if (kind === 'REQUEST_DISPLAY_MODE' && a.display === 'grant')
      p.postMessage(msg('REQUEST_DISPLAY_MODE_SUCCESS_' + item, {{mode: r.payload.mode}}));
    if (kind === 'REQUEST_DISPLAY_MODE' && a.display === 'refuse')
      p.postMessage(msg('REQUEST_DISPLAY_MODE_FAILURE_' + item,
        {{code: 'USER_GESTURE_REQUIRED', message: 'fullscreen needs a click in the app'}}));
    if (kind === 'OPEN_LINK' && a.link === 'ok') p.postMessage(msg('OPEN_LINK_SUCCESS_' + item));
    if (kind === 'OPEN_LINK' && a.link === 'refuse')
      p.postMessage(msg('OPEN_LINK_FAILURE_' + item, {{code: 'LINK_REFUSED', message: 'not on the list'}}));
    if (kind === 'PING' && a.ping === 'ok') p.postMessage(msg('PONG_' + item));
  }};
  e.source.postMessage(msg('GET_CONTEXT_SUCCESS_' + item, context), '*', [ch.port2]);
}});
</script>"#
    )
}

async fn v2_host(version: u32) -> Host {
    Host {
        iframe: frame(&v2_host_html(version)).await,
    }
}

fn cfg() -> AppConfig {
    let mut c = config(2000);
    c.request_timeout = Duration::from_millis(300);
    c
}

impl Host {
    /// Sends `type` (without the item suffix) to the app on the host's port.
    fn to_app(&self, ty: &str, payload: Option<Value>) {
        let f: js_sys::Function = js_sys::Reflect::get(&self.window(), &"toApp".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        let payload = payload.map_or(JsValue::UNDEFINED, |p| {
            js_sys::JSON::parse(&p.to_string()).unwrap()
        });
        f.call2(&JsValue::NULL, &ty.into(), &payload).unwrap();
    }

    /// How the host answers the app's requests: `which` in `display`, `link`, `ping`.
    fn answer(&self, which: &str, how: &str) {
        let answers = js_sys::Reflect::get(&self.window(), &"answers".into()).unwrap();
        js_sys::Reflect::set(&answers, &which.into(), &how.into()).unwrap();
    }

    /// The port messages of `kind` (type without the item suffix).
    fn port_messages(&self, kind: &str) -> Vec<Value> {
        let ty = format!("{kind}_{ITEM}");
        self.received()
            .into_iter()
            .filter(|m| m["via"] == "port" && m["type"] == ty.as_str())
            .collect()
    }

    /// Waits up to 2 s for a port message of `kind`.
    async fn wait_for(&self, kind: &str) -> Value {
        for _ in 0..200 {
            if let Some(m) = self.port_messages(kind).pop() {
                return m;
            }
            sleep(10).await;
        }
        panic!("no {kind} arrived: {:?}", self.received());
    }
}

#[wasm_bindgen_test]
async fn get_context_announces_protocol_v2_and_lifecycle() {
    let host = v2_host(2).await;
    let _app = connect(&host, cfg()).await.unwrap();
    let asks = host.received_of("GET_CONTEXT_");
    assert_eq!(
        asks[0]["payload"]["appframe"],
        json!({"version": 2, "features": ["lifecycle"]})
    );
}

#[wasm_bindgen_test]
async fn a_context_change_reaches_the_callback_the_context_and_the_theme() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg().apply_theme(true)).await.unwrap();
    let seen: Rc<RefCell<Vec<ContextChange>>> = Rc::default();
    let s = seen.clone();
    app.on_context_change(move |c| s.borrow_mut().push(c.clone()));
    host.to_app(
        "CONTEXT_CHANGED",
        Some(json!({"lang": "de", "permission": "read",
            "theme": {"mode": "dark", "vars": {"--appframe-test-bg": "#010203"}}})),
    );
    for _ in 0..100 {
        if !seen.borrow().is_empty() {
            break;
        }
        sleep(10).await;
    }
    let expected = ContextChange {
        lang: Some("de".into()),
        permission: Some(Permission::Read),
        theme: Some(Theme {
            mode: ThemeMode::Dark,
            vars: [("--appframe-test-bg".to_owned(), "#010203".to_owned())].into(),
        }),
        ..ContextChange::default()
    };
    assert_eq!(*seen.borrow(), vec![expected]);
    let ctx = app.context();
    assert_eq!(
        (ctx.lang.as_str(), ctx.permission),
        ("de", Permission::Read)
    );
    let root: web_sys::HtmlElement = win()
        .document()
        .unwrap()
        .document_element()
        .unwrap()
        .dyn_into()
        .unwrap();
    let style = root.style();
    assert_eq!(
        style.get_property_value("--appframe-test-bg").unwrap(),
        "#010203"
    );
    assert_eq!(root.get_attribute("data-theme").as_deref(), Some("dark"));
    style.remove_property("--appframe-test-bg").unwrap();
    style.remove_property("color-scheme").unwrap();
    root.remove_attribute("data-theme").unwrap();
}

#[wasm_bindgen_test]
async fn without_apply_theme_the_document_is_left_alone() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg()).await.unwrap();
    let seen = Rc::new(RefCell::new(0));
    let s = seen.clone();
    app.on_context_change(move |_| *s.borrow_mut() += 1);
    host.to_app(
        "CONTEXT_CHANGED",
        Some(json!({"theme": {"mode": "dark", "vars": {"--appframe-test-fg": "red"}}})),
    );
    for _ in 0..100 {
        if *seen.borrow() > 0 {
            break;
        }
        sleep(10).await;
    }
    assert_eq!(*seen.borrow(), 1);
    let root = win().document().unwrap().document_element().unwrap();
    assert_eq!(root.get_attribute("data-theme"), None);
}

/// A teardown handler that records on the host page, after `ms`, that it flushed.
fn flushing_handler(
    host: &Host,
    ms: u32,
) -> impl Fn(String) -> Pin<Box<dyn Future<Output = ()>>> + 'static {
    let hw = host.window();
    move |reason| {
        let hw = hw.clone();
        Box::pin(async move {
            sleep(ms).await;
            let received = js_sys::Reflect::get(&hw, &"received".into()).unwrap();
            let entry = js_sys::JSON::parse(
                &json!({"via": "port", "type": format!("FLUSHED_{ITEM}"), "payload": reason})
                    .to_string(),
            )
            .unwrap();
            received.unchecked_ref::<js_sys::Array>().push(&entry);
        })
    }
}

#[wasm_bindgen_test]
async fn teardown_runs_the_handler_then_acks() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg()).await.unwrap();
    app.on_teardown(flushing_handler(&host, 100));
    host.to_app("TEARDOWN", Some(json!({"reason": "navigation"})));
    let ack = host.wait_for("TEARDOWN_ACK").await;
    assert_eq!(ack["payload"], Value::Null, "the ack has no payload");
    let kinds: Vec<String> = host
        .received()
        .iter()
        .filter(|m| m["via"] == "port")
        .map(|m| m["type"].as_str().unwrap().to_owned())
        .collect();
    let flushed = kinds
        .iter()
        .position(|k| k.starts_with("FLUSHED_"))
        .unwrap();
    let acked = kinds
        .iter()
        .position(|k| k.starts_with("TEARDOWN_ACK_"))
        .unwrap();
    assert!(
        flushed < acked,
        "the write is flushed before the ack: {kinds:?}"
    );
    assert_eq!(host.port_messages("FLUSHED")[0]["payload"], "navigation");
}

#[wasm_bindgen_test]
async fn teardown_acks_at_the_bound_when_the_handler_hangs() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg()).await.unwrap();
    app.on_teardown(flushing_handler(&host, 60_000));
    let start = js_sys::Date::now();
    host.to_app("TEARDOWN", Some(json!({"reason": "closed"})));
    let ack = host.wait_for("TEARDOWN_ACK").await;
    let elapsed = ack["at"].as_f64().unwrap() - start;
    // 450 ms is the bound; the upper margin is for timers of a loaded test machine.
    assert!(
        (440.0..650.0).contains(&elapsed),
        "acked {elapsed} ms after TEARDOWN"
    );
    assert!(host.port_messages("FLUSHED").is_empty());
}

#[wasm_bindgen_test]
async fn teardown_without_a_handler_acks_at_once() {
    let host = v2_host(2).await;
    let _app = connect(&host, cfg()).await.unwrap();
    let start = js_sys::Date::now();
    host.to_app("TEARDOWN", None);
    let ack = host.wait_for("TEARDOWN_ACK").await;
    let elapsed = ack["at"].as_f64().unwrap() - start;
    assert!(elapsed < 200.0, "acked after {elapsed} ms");
}

#[wasm_bindgen_test]
async fn a_host_ping_is_answered_with_pong() {
    let host = v2_host(2).await;
    let _app = connect(&host, cfg()).await.unwrap();
    host.to_app("PING", None);
    let pong = host.wait_for("PONG").await;
    assert_eq!(pong["payload"], Value::Null);
}

#[wasm_bindgen_test]
async fn the_app_pings_the_host_and_reports_a_lost_one() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg()).await.unwrap();
    assert_eq!(app.ping().await, Ok(()));
    assert_eq!(host.port_messages("PING").len(), 1);
    host.answer("ping", "silent");
    assert_eq!(app.ping().await, Err(Error::HostLost));
}

#[wasm_bindgen_test]
async fn display_mode_is_granted_refused_or_timed_out() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg()).await.unwrap();
    assert_eq!(
        app.request_display_mode(DisplayMode::Fullscreen).await,
        Ok(DisplayMode::Fullscreen)
    );
    assert_eq!(
        host.port_messages("REQUEST_DISPLAY_MODE")[0]["payload"],
        json!({"mode": "fullscreen"})
    );
    host.answer("display", "refuse");
    let refused = app.request_display_mode(DisplayMode::Fullscreen).await;
    assert_eq!(
        refused,
        Err(Error::DisplayModeRefused {
            code: "USER_GESTURE_REQUIRED".into(),
            message: "fullscreen needs a click in the app".into()
        })
    );
    host.answer("display", "silent");
    assert_eq!(
        app.request_display_mode(DisplayMode::Inline).await,
        Err(Error::DisplayModeTimeout)
    );
}

#[wasm_bindgen_test]
async fn concurrent_display_mode_requests_share_one_answer() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg()).await.unwrap();
    let (a, b) = (app.clone(), app.clone());
    let first =
        wasm_bindgen_futures::JsFuture::from(wasm_bindgen_futures::future_to_promise(async move {
            let m = a.request_display_mode(DisplayMode::Fullscreen).await;
            Ok(JsValue::from(m == Ok(DisplayMode::Fullscreen)))
        }));
    let second = b.request_display_mode(DisplayMode::Fullscreen).await;
    assert_eq!(second, Ok(DisplayMode::Fullscreen));
    assert_eq!(first.await.unwrap(), JsValue::TRUE);
}

#[wasm_bindgen_test]
async fn links_are_opened_refused_or_timed_out() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg()).await.unwrap();
    assert_eq!(app.open_link("https://example.org/a?b=1").await, Ok(()));
    assert_eq!(
        host.port_messages("OPEN_LINK")[0]["payload"],
        json!({"url": "https://example.org/a?b=1"})
    );
    host.answer("link", "refuse");
    assert_eq!(
        app.open_link("http://example.org/").await,
        Err(Error::LinkRefused {
            code: "LINK_REFUSED".into(),
            message: "not on the list".into()
        })
    );
    host.answer("link", "silent");
    assert_eq!(
        app.open_link("https://example.org/").await,
        Err(Error::LinkTimeout)
    );
    // Refused by the SDK itself: the host never sees these.
    let before = host.port_messages("OPEN_LINK").len();
    for url in [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
    ] {
        let e = app.open_link(url).await.unwrap_err();
        assert_eq!(e.code(), "LinkRefused", "{url}");
    }
    assert_eq!(host.port_messages("OPEN_LINK").len(), before);
}

#[wasm_bindgen_test]
async fn ready_failure_and_close_reach_a_v2_host() {
    let host = v2_host(2).await;
    let app = connect(&host, cfg()).await.unwrap();
    app.ready().unwrap();
    app.fail("NO_WEBGL", "WebGL is off").unwrap();
    app.request_close().unwrap();
    assert_eq!(host.wait_for("POST_READY").await["payload"], Value::Null);
    assert_eq!(
        host.wait_for("POST_FAILURE").await["payload"],
        json!({"code": "NO_WEBGL", "message": "WebGL is off"})
    );
    assert_eq!(host.wait_for("REQUEST_CLOSE").await["payload"], Value::Null);
}

/// Version 1 and Graasp hosts get no v2 message: the calls without answer do nothing, those
/// with one are `Unsupported`, and the host's traffic is the v1 traffic only.
#[wasm_bindgen_test]
async fn a_v1_or_graasp_host_gets_no_v2_message() {
    for version in [1, 0] {
        let host = v2_host(version).await;
        let app = connect(&host, cfg()).await.unwrap();
        app.on_teardown(flushing_handler(&host, 1));
        app.ready().unwrap();
        app.fail("X", "y").unwrap();
        app.request_close().unwrap();
        assert_eq!(
            app.request_display_mode(DisplayMode::Fullscreen).await,
            Err(Error::Unsupported("display-mode"))
        );
        assert_eq!(
            app.open_link("https://example.org/").await,
            Err(Error::Unsupported("open-link"))
        );
        assert_eq!(app.ping().await, Err(Error::Unsupported("ping")));
        app.auth_token().await.unwrap();
        sleep(50).await;
        let kinds: Vec<String> = host
            .received()
            .iter()
            .map(|m| m["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            kinds,
            vec![
                format!("GET_CONTEXT_{ITEM}"),
                format!("GET_AUTH_TOKEN_{ITEM}")
            ],
            "host version {version}"
        );
    }
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_grants_modes_refuses_bad_links_and_its_overlay_changes_the_context() {
    let app = App::standalone(super::standalone_config(&super::unique_key())).unwrap();
    assert_eq!(
        app.request_display_mode(DisplayMode::Fullscreen).await,
        Ok(DisplayMode::Fullscreen)
    );
    assert_eq!(app.ready(), Ok(()));
    assert_eq!(app.ping().await, Ok(()));
    assert_eq!(
        app.open_link("javascript:alert(1)")
            .await
            .unwrap_err()
            .code(),
        "LinkRefused"
    );
    let seen: Rc<RefCell<Vec<ContextChange>>> = Rc::default();
    let s = seen.clone();
    app.on_context_change(move |c| s.borrow_mut().push(c.clone()));
    // A second listener does not add a second overlay.
    app.on_context_change(|_| {});
    let doc = win().document().unwrap();
    let overlays = doc.query_selector_all("[data-appframe-overlay]").unwrap();
    assert_eq!(overlays.length(), 1);
    let buttons = doc
        .query_selector_all("[data-appframe-overlay] button")
        .unwrap();
    let click = |i: u32| {
        buttons
            .get(i)
            .unwrap()
            .dyn_into::<web_sys::HtmlElement>()
            .unwrap()
            .click()
    };
    click(0);
    click(1);
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].theme.as_ref().map(|t| t.mode),
        Some(ThemeMode::Dark)
    );
    assert_eq!(seen[1].lang.as_deref(), Some("fr"));
    assert_eq!(app.context().lang, "fr");
    drop(app);
    // The overlay goes with the app.
    assert_eq!(
        doc.query_selector_all("[data-appframe-overlay]")
            .unwrap()
            .length(),
        0
    );
}
