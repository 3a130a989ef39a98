//! Browser tests of protocol v2 on the app's side (`app/lifecycle.rs`, `embedded/lifecycle.rs`,
//! `lifecycle/`): against a fake v2 host page that records what it receives (`window.received`,
//! each with the time it arrived) and answers the app's requests as `window.answer` says.

use super::*;
use crate::{ContextChange, DisplayMode, ThemeMode};
use std::cell::Cell;

/// A fake v2 host: answers GET_CONTEXT with `appframe: {version: 2, features: FEATURES}` and a
/// port, keeps the port as `window.port` and `window.sendToApp(type, payload)` posts on it.
/// `window.answer`: `grant` (default), `gesture` (display mode refused), `refuse` (links
/// refused), `silent` (no answer to anything).
fn v2_host_html(features: &str) -> String {
    format!(
        r#"<!doctype html><script>
window.received = [];
window.answer = 'grant';
let item = '';
window.addEventListener('message', (e) => {{
  const msg = JSON.parse(e.data);
  window.received.push({{via: 'window', type: msg.type, payload: msg.payload, at: performance.now()}});
  if (!msg.type.startsWith('GET_CONTEXT_')) return;
  item = msg.type.slice('GET_CONTEXT_'.length);
  const context = {{apiHost: 'http://api.test/api', itemId: item, accountId: '{ACCOUNT}',
    permission: 'write', context: 'player', lang: 'en',
    appframe: {{version: 2, features: {features}}}}};
  const ch = new MessageChannel();
  window.port = ch.port1;
  const reply = (type, payload) => ch.port1.postMessage(JSON.stringify(
    payload === undefined ? {{type: type + '_' + item}} : {{type: type + '_' + item, payload}}));
  window.sendToApp = reply;
  ch.port1.onmessage = (pe) => {{
    const m = JSON.parse(pe.data);
    window.received.push({{via: 'port', type: m.type, payload: m.payload, at: performance.now()}});
    if (window.answer === 'silent') return;
    const kind = m.type.slice(0, m.type.length - item.length - 1);
    if (kind === 'PING') reply('PONG');
    if (kind === 'REQUEST_DISPLAY_MODE') {{
      if (window.answer === 'gesture') reply('REQUEST_DISPLAY_MODE_FAILURE',
        {{code: 'USER_GESTURE_REQUIRED', message: 'a user gesture is required'}});
      else reply('REQUEST_DISPLAY_MODE_SUCCESS', {{mode: m.payload.mode}});
    }}
    if (kind === 'OPEN_LINK') {{
      if (window.answer === 'refuse') reply('OPEN_LINK_FAILURE', {{code: 'LINK_REFUSED', message: 'no'}});
      else reply('OPEN_LINK_SUCCESS');
    }}
  }};
  e.source.postMessage(JSON.stringify({{type: 'GET_CONTEXT_SUCCESS_' + item, payload: context}}),
    '*', [ch.port2]);
}});
</script>"#
    )
}

const ALL: &str = r#"["lifecycle","context-changed","display-mode","open-link","ping"]"#;

async fn v2_host(features: &str) -> Host {
    Host {
        iframe: frame(&v2_host_html(features)).await,
    }
}

fn request_config() -> AppConfig {
    let mut c = config(2000);
    c.request_timeout = Duration::from_millis(300);
    c
}

impl Host {
    fn send_to_app(&self, ty: &str, payload: Option<Value>) {
        let f: js_sys::Function = js_sys::Reflect::get(&self.window(), &"sendToApp".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        let p = payload.map_or(JsValue::UNDEFINED, |v| {
            js_sys::JSON::parse(&v.to_string()).unwrap()
        });
        f.call2(&JsValue::NULL, &ty.into(), &p).unwrap();
    }

    /// The port messages the host received, by type prefix.
    fn on_port(&self, prefix: &str) -> Vec<Value> {
        self.received_of(prefix)
            .into_iter()
            .filter(|m| m["via"] == "port")
            .collect()
    }
}

fn root_var(name: &str) -> String {
    let root: web_sys::HtmlElement = win()
        .document()
        .unwrap()
        .document_element()
        .unwrap()
        .dyn_into()
        .unwrap();
    root.style().get_property_value(name).unwrap()
}

#[wasm_bindgen_test]
async fn the_app_announces_v2_and_answers_ping_and_teardown_by_itself() {
    let host = v2_host(ALL).await;
    let _app = connect(&host, config(2000)).await.unwrap();
    let ask = &host.received_of("GET_CONTEXT_")[0];
    assert_eq!(
        ask["payload"]["appframe"],
        json!({"version": 2, "features": ["lifecycle"]})
    );
    // No v2 call made: the channel answers the host's PING and TEARDOWN itself.
    host.send_to_app("PING", None);
    host.send_to_app("TEARDOWN", Some(json!({"reason": "navigation"})));
    until(|| host.on_port("TEARDOWN_ACK_").len() == 1).await;
    assert_eq!(host.on_port("PONG_").len(), 1);
    assert_eq!(host.on_port("TEARDOWN_ACK_").len(), 1);
    assert_eq!(
        host.on_port("TEARDOWN_ACK_")[0]["type"],
        format!("TEARDOWN_ACK_{ITEM}")
    );
}

#[wasm_bindgen_test]
async fn context_changes_reach_the_listener_the_context_and_the_document() {
    let host = v2_host(ALL).await;
    let app = connect(&host, config(2000)).await.unwrap();
    let seen: Rc<RefCell<Vec<ContextChange>>> = Rc::default();
    let s = seen.clone();
    app.on_context_change(move |c| s.borrow_mut().push(c.clone()));
    app.apply_theme();
    host.send_to_app(
        "CONTEXT_CHANGED",
        Some(json!({"lang": "de", "theme": {"mode": "dark", "vars": {"--af-bg": "#111", "--af-old": "x"}},
                    "permission": "read", "container": {"width": 640, "displayMode": "inline"}})),
    );
    sleep(50).await;
    host.send_to_app(
        "CONTEXT_CHANGED",
        Some(json!({"theme": {"mode": "light", "vars": {"--af-bg": "#fff"}}})),
    );
    // Malformed: ignored, and the app goes on.
    host.send_to_app("CONTEXT_CHANGED", Some(json!({"permission": "superuser"})));
    host.send_to_app("CONTEXT_CHANGED", None);
    sleep(50).await;
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].lang.as_deref(), Some("de"));
    assert_eq!(seen[0].permission, Some(Permission::Read));
    assert_eq!(seen[0].container.as_ref().unwrap().width, Some(640.0));
    let ctx = app.context();
    assert_eq!(
        (ctx.lang.as_str(), ctx.permission),
        ("de", Permission::Read)
    );
    assert_eq!(app.theme().unwrap().mode, ThemeMode::Light);
    assert_eq!(app.container().unwrap().width, Some(640.0));
    // The second theme replaced the first: `--af-old` is gone.
    assert_eq!(root_var("--af-bg"), "#fff");
    assert_eq!(root_var("--af-old"), "");
    assert_eq!(root_var("color-scheme"), "light");
    let root = win().document().unwrap().document_element().unwrap();
    assert_eq!(root.get_attribute("data-theme").as_deref(), Some("light"));
    // Leave the test page as it was.
    root.remove_attribute("style").unwrap();
    root.remove_attribute("data-theme").unwrap();
}

#[wasm_bindgen_test]
async fn removed_listeners_and_handlers_and_a_dropped_stream_are_called_no_more() {
    let host = v2_host(ALL).await;
    let app = connect(&host, config(2000)).await.unwrap();
    let (kept, removed): (Rc<RefCell<u32>>, Rc<RefCell<u32>>) = Default::default();
    let (k, r) = (kept.clone(), removed.clone());
    let _kept = app.on_context_change(move |_| *k.borrow_mut() += 1);
    let listener = app.on_context_change(move |_| *r.borrow_mut() += 1);
    let stream = app.context_changes();
    let handler = app.on_teardown(|_| async {});
    assert_eq!(app.lifecycle_counts(), (3, 1));
    host.send_to_app("CONTEXT_CHANGED", Some(json!({"lang": "de"})));
    until(|| *kept.borrow() == 1).await;
    assert_eq!(*removed.borrow(), 1);
    listener.remove();
    drop(stream);
    handler.remove();
    // Only the kept listener is left: a component that came and went leaves nothing behind.
    assert_eq!(app.lifecycle_counts(), (1, 0));
    host.send_to_app("CONTEXT_CHANGED", Some(json!({"lang": "fr"})));
    until(|| *kept.borrow() == 2).await;
    assert_eq!(*removed.borrow(), 1);
    assert_eq!(app.context().lang, "fr");
}

#[wasm_bindgen_test]
async fn lifecycle_messages_go_to_a_v2_host_and_never_to_a_v1_host() {
    let host = v2_host(ALL).await;
    let app = connect(&host, config(2000)).await.unwrap();
    app.ready().unwrap();
    app.fail("BOOT_FAILED", "no WebGL").unwrap();
    app.request_close().unwrap();
    sleep(50).await;
    assert_eq!(host.on_port("POST_READY_").len(), 1);
    assert_eq!(
        host.on_port("POST_FAILURE_")[0]["payload"],
        json!({"code": "BOOT_FAILED", "message": "no WebGL"})
    );
    assert_eq!(host.on_port("REQUEST_CLOSE_").len(), 1);

    // The v1 fake host (`appframe.version` 1): nothing of v2 is sent.
    let v1 = Host::new("ok").await;
    let app = connect(&v1, config(2000)).await.unwrap();
    app.ready().unwrap();
    app.fail("X", "y").unwrap();
    assert_eq!(
        app.request_close(),
        Err(Error::HostUnsupported("lifecycle"))
    );
    assert_eq!(app.ping().await, Err(Error::HostUnsupported("ping")));
    assert_eq!(
        app.request_display_mode(DisplayMode::Fullscreen).await,
        Err(Error::HostUnsupported("display-mode"))
    );
    sleep(50).await;
    let sent: Vec<String> = v1
        .received()
        .iter()
        .map(|m| m["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, [format!("GET_CONTEXT_{ITEM}")], "{sent:?}");
}

#[wasm_bindgen_test]
async fn display_mode_requests_are_granted_refused_or_time_out() {
    let host = v2_host(ALL).await;
    let app = connect(&host, request_config()).await.unwrap();
    assert_eq!(
        app.request_display_mode(DisplayMode::Fullscreen).await,
        Ok(DisplayMode::Fullscreen)
    );
    assert_eq!(
        host.on_port("REQUEST_DISPLAY_MODE_")[0]["payload"],
        json!({"mode": "fullscreen"})
    );
    host.set("answer", "gesture".into());
    let refused = app.request_display_mode(DisplayMode::Fullscreen).await;
    assert_eq!(
        refused,
        Err(Error::HostRefused {
            code: "USER_GESTURE_REQUIRED".into(),
            message: "a user gesture is required".into()
        })
    );
    host.set("answer", "silent".into());
    let start = js_sys::Date::now();
    let silent = app.request_display_mode(DisplayMode::Inline).await;
    let waited = js_sys::Date::now() - start;
    assert_eq!(silent, Err(Error::HostTimeout("REQUEST_DISPLAY_MODE")));
    assert!((290.0..2000.0).contains(&waited), "{waited} ms");

    // A host that does not offer display modes is not asked.
    let bare = v2_host(r#"["lifecycle"]"#).await;
    let app = connect(&bare, request_config()).await.unwrap();
    assert_eq!(
        app.request_display_mode(DisplayMode::Fullscreen).await,
        Err(Error::HostUnsupported("display-mode"))
    );
    assert!(bare.on_port("REQUEST_DISPLAY_MODE_").is_empty());
}

#[wasm_bindgen_test]
async fn links_are_checked_before_and_by_the_host() {
    let host = v2_host(ALL).await;
    let app = connect(&host, request_config()).await.unwrap();
    for bad in [
        "javascript:alert(1)",
        "data:text/html,x",
        "/relative",
        " https://x.test",
    ] {
        let err = app.open_link(bad).await.unwrap_err();
        assert_eq!(err.code(), "HostRefused", "{bad}");
    }
    assert!(
        host.on_port("OPEN_LINK_").is_empty(),
        "refused links were sent"
    );
    app.open_link("https://example.org/a?b=1").await.unwrap();
    assert_eq!(
        host.on_port("OPEN_LINK_")[0]["payload"],
        json!({"url": "https://example.org/a?b=1"})
    );
    host.set("answer", "refuse".into());
    assert_eq!(
        app.open_link("https://example.org/").await,
        Err(Error::HostRefused {
            code: "LINK_REFUSED".into(),
            message: "no".into()
        })
    );
}

#[wasm_bindgen_test]
async fn ping_reports_a_lost_host() {
    let host = v2_host(ALL).await;
    let app = connect(&host, request_config()).await.unwrap();
    app.ping().await.unwrap();
    host.set("answer", "silent".into());
    assert_eq!(app.ping().await, Err(Error::HostLost));
    // Several pings waiting together are all answered by one PONG.
    host.set("answer", "grant".into());
    let (a, b) = futures::join!(app.ping(), app.ping());
    assert_eq!((a, b), (Ok(()), Ok(())));
}

#[wasm_bindgen_test]
async fn teardown_waits_for_the_handlers_within_the_bound() {
    let host = v2_host(ALL).await;
    let app = connect(&host, config(2000)).await.unwrap();
    let flushed = Rc::new(Cell::new(false));
    let f = flushed.clone();
    app.on_teardown(move |reason| {
        let f = f.clone();
        async move {
            assert_eq!(reason, "navigation");
            sleep(100).await;
            f.set(true);
        }
    });
    host.send_to_app("TEARDOWN", Some(json!({"reason": "navigation"})));
    sleep(30).await;
    assert!(
        host.on_port("TEARDOWN_ACK_").is_empty(),
        "acked before the handler finished"
    );
    until(|| !host.on_port("TEARDOWN_ACK_").is_empty()).await;
    assert!(flushed.get(), "acked before the handler finished");
    assert_eq!(host.on_port("TEARDOWN_ACK_").len(), 1);

    // A handler that never finishes: acknowledged at the bound anyway.
    let host = v2_host(ALL).await;
    let app = connect(&host, config(2000)).await.unwrap();
    app.on_teardown(|_| std::future::pending::<()>());
    host.send_to_app("TEARDOWN", None);
    // The bound is 450 ms: never earlier, and it does come.
    sleep(300).await;
    assert!(host.on_port("TEARDOWN_ACK_").is_empty());
    until(|| !host.on_port("TEARDOWN_ACK_").is_empty()).await;
}

/// Clicks the standalone dev overlay's theme switch; returns the overlay.
#[cfg(feature = "standalone")]
pub(super) fn click_overlay_theme() -> web_sys::Element {
    let overlay = win()
        .document()
        .unwrap()
        .get_element_by_id(crate::lifecycle::overlay::OVERLAY_ID)
        .expect("the overlay is shown");
    let button: web_sys::HtmlElement = overlay
        .query_selector("[data-appframe-theme]")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    button.click();
    overlay
}

/// Waits (up to 5 s, then fails) until `f` holds.
async fn until(f: impl Fn() -> bool) {
    for _ in 0..250 {
        if f() {
            return;
        }
        sleep(20).await;
    }
    panic!("not within 5 s");
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_the_dev_overlay_switches_theme_and_language() {
    use crate::lifecycle::overlay::OVERLAY_ID;
    let app = App::standalone_with(
        standalone_config(&unique_key()),
        Backing::Memory(MemoryStore::default()),
        item(),
        "http://app.test".into(),
        "http://app.test/index.html".into(),
    )
    .unwrap();
    let seen: Rc<RefCell<Vec<ContextChange>>> = Rc::default();
    let s = seen.clone();
    app.on_context_change(move |c| s.borrow_mut().push(c.clone()));
    let doc = win().document().unwrap();
    let overlay = click_overlay_theme();
    let select = overlay
        .query_selector("[data-appframe-lang]")
        .unwrap()
        .unwrap();
    js_sys::Reflect::set(&select, &"value".into(), &"fr".into()).unwrap();
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    {
        let seen = seen.borrow();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].theme.as_ref().unwrap().mode, ThemeMode::Dark);
        assert_eq!(seen[1].lang.as_deref(), Some("fr"));
    }
    assert_eq!(app.context().lang, "fr");
    assert_eq!(app.theme().unwrap().mode, ThemeMode::Dark);
    // The standalone host's other answers.
    app.ready().unwrap();
    app.ping().await.unwrap();
    assert_eq!(
        app.open_link("javascript:alert(1)")
            .await
            .unwrap_err()
            .code(),
        "HostRefused"
    );
    drop(app);
    assert!(
        doc.get_element_by_id(OVERLAY_ID).is_none(),
        "the overlay outlives its app"
    );
}
