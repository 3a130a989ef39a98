//! Protocol v2 in the demo host (docs/protocol-v2.md) against two fixture apps framed for the
//! counter's item: `v1-app.html`, shaped like an app of the official Graasp client (it fails on
//! any message it does not expect), and `v2-app.html`, a v2 app in plain JS. Theme and language
//! changes, loading and error states, teardown, links and display modes, and a trace exported
//! then replayed on `/replay`.

use appframe_e2e::{
    Browser, Result, Stack,
    demo::{ALICE, COUNTER},
    ensure,
    host_page::{bridge_log, open_app, wait_app_ready, wait_log},
    run,
};
use serde_json::{Value, json};

/// The host → app messages that only a v2 app may receive.
const V2_TO_APP: [&str; 6] = [
    "CONTEXT_CHANGED",
    "TEARDOWN",
    "PING",
    "PONG",
    "OPEN_LINK_FAILURE",
    "REQUEST_DISPLAY_MODE_FAILURE",
];

/// Frames the fixture `page` (with `query`) for the counter's item and opens it as Alice.
async fn open_fixture(
    stack: &Stack,
    b: &Browser,
    page: &str,
    query: &[(&str, &str)],
) -> Result<()> {
    stack
        .serve_app_from(COUNTER, stack.fixture(page, query))
        .await?;
    open_app(b, stack, COUNTER, "builder", ALICE).await
}

/// In the app frame: what the fixture recorded, and whether this is still the same document.
async fn fixture_state(b: &Browser) -> Result<Value> {
    b.js(
        "return {state: window.state || null, loads: window.loads, errors: window.errors,
                 received: window.received, timeOrigin: performance.timeOrigin,
                 marker: window.marker || null};",
        vec![],
    )
    .await
}

/// From the host page: enters the app frame.
async fn enter_app(b: &Browser) -> Result<()> {
    b.top().await?;
    b.enter_app_frame().await
}

/// In the v2 fixture's frame: sends `ty` with `payload` and returns the answer (the first
/// message received afterwards whose type starts with `ty`).
async fn ask(b: &Browser, ty: &str, payload: Value) -> Result<Value> {
    b.js_async(
        "const [ty, payload, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
         const before = window.received.length;
         window.send(ty, payload);
         const poll = () => {
           const hit = window.received.slice(before).find((m) => m.type.startsWith(ty + '_'));
           if (hit) done(hit); else setTimeout(poll, 20);
         };
         poll();",
        vec![json!(ty), payload],
    )
    .await
}

/// Waits until the fixture in the frame shows `text` in `#id`.
async fn wait_fixture_text(b: &Browser, id: &str, text: &str) -> Result<()> {
    b.wait_text(&format!("#{id}"), text).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v1_app_sees_no_v2_traffic_when_the_host_changes_theme_and_language() {
    run("v2_v1_app_unchanged", async |stack, b| {
        open_fixture(stack, b, "v1-app.html", &[]).await?;
        b.js("window.marker = 'before';", vec![]).await?;
        b.top().await?;
        b.wait_count("#app-loading", 0).await?;
        ensure!(b.count("#app-error").await? == 0, "an error panel is shown");
        // A theme change: nothing for a v1 app, and no reload.
        b.select("#theme", "dark").await?;
        let page_theme = b
            .js("return document.documentElement.dataset.theme;", vec![])
            .await?;
        ensure!(
            page_theme == json!("dark"),
            "the page's theme is {page_theme}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        enter_app(b).await?;
        let s = fixture_state(b).await?;
        ensure!(s["marker"] == json!("before"), "the app reloaded: {s}");
        ensure!(s["errors"] == json!([]), "{s}");
        ensure!(s["received"].as_array().map(Vec::len) == Some(2), "{s}");
        // A language change: a v1 app is attached again with the new language, as before v2.
        b.top().await?;
        b.select("#lang", "fr").await?;
        b.wait_until("the v1 app to reload in French", async |b| {
            // Entered anew each time: the frame's document is being replaced.
            enter_app(b).await?;
            let s = fixture_state(b).await?;
            Ok((s["loads"] == json!(2)).then_some(()))
        })
        .await?;
        wait_app_ready(b).await?;
        wait_fixture_text(b, "lang", "fr").await?;
        let all = b.js("return window.allReceived();", vec![]).await?;
        let all: Vec<String> = serde_json::from_value(all)?;
        ensure!(all.len() == 4, "over both loads the app received {all:?}");
        for m in &all {
            ensure!(
                !V2_TO_APP.iter().any(|t| m.contains(&format!("\"{t}_"))),
                "a v2 message reached the v1 app: {m}"
            );
        }
        b.top().await?;
        ensure!(b.count("#app-error").await? == 0, "an error panel is shown");
        let log = bridge_log(b).await?;
        ensure!(
            !log.iter()
                .any(|l| l.direction == "out" && V2_TO_APP.contains(&l.message_type.as_str())),
            "the host sent a v2 message: {log:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v2_app_gets_theme_and_language_live_and_acknowledges_its_teardown() {
    run("v2_live_context_and_teardown", async |stack, b| {
        open_fixture(stack, b, "v2-app.html", &[]).await?;
        // The current theme reaches the app once it is ready.
        wait_fixture_text(b, "theme", "light").await?;
        b.js("window.marker = 'before';", vec![]).await?;
        let before = fixture_state(b).await?;
        b.top().await?;
        b.wait_count("#app-loading", 0).await?;
        b.select("#theme", "dark").await?;
        b.select("#lang", "fr").await?;
        enter_app(b).await?;
        wait_fixture_text(b, "theme", "dark").await?;
        wait_fixture_text(b, "lang", "fr").await?;
        let s = fixture_state(b).await?;
        ensure!(
            s["marker"] == json!("before")
                && s["loads"] == json!(1)
                && s["timeOrigin"] == before["timeOrigin"],
            "the app reloaded: {s}"
        );
        ensure!(s["state"]["vars"]["--af-bg"] == json!("#14181f"), "{s}");
        ensure!(s["errors"] == json!([]), "{s}");
        // The app asks to be closed; the host's "Close" tears it down and it acknowledges.
        b.js("window.send('REQUEST_CLOSE');", vec![]).await?;
        b.top().await?;
        b.click("#app-close").await?;
        b.wait_text_where("#app-closed", "the acknowledged close", |t| {
            t.contains("saved its work")
        })
        .await?;
        let log = bridge_log(b).await?;
        let has = |dir: &str, ty: &str, outcome: &str| {
            log.iter()
                .any(|l| l.direction == dir && l.message_type == ty && l.outcome == outcome)
        };
        ensure!(has("in", "REQUEST_CLOSE", "handled"), "{log:?}");
        ensure!(has("out", "TEARDOWN", "sent"), "{log:?}");
        ensure!(has("in", "TEARDOWN_ACK", "handled"), "{log:?}");
        let src = b
            .js(
                "return document.getElementById('app-frame').getAttribute('src');",
                vec![],
            )
            .await?;
        ensure!(src == json!("about:blank"), "the frame still shows {src}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_fullscreen_without_a_gesture_are_refused() {
    run("v2_refusals", async |stack, b| {
        // No click in the host page before the request: no user activation anywhere.
        open_fixture(stack, b, "v2-app.html", &[]).await?;
        let got = ask(b, "REQUEST_DISPLAY_MODE", json!({"mode": "fullscreen"})).await?;
        ensure!(
            got["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("REQUEST_DISPLAY_MODE_FAILURE_"))
                && got["payload"]["code"] == json!("USER_GESTURE_REQUIRED"),
            "{got}"
        );
        for url in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
        ] {
            let got = ask(b, "OPEN_LINK", json!({ "url": url })).await?;
            ensure!(
                got["type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("OPEN_LINK_FAILURE_"))
                    && got["payload"]["code"] == json!("LINK_REFUSED"),
                "{url}: {got}"
            );
        }
        // The host's own button: a click is a gesture, so the frame goes full screen.
        b.top().await?;
        b.click("#fullscreen").await?;
        b.wait_until("the app frame to be full screen", async |b| {
            let id = b
                .js(
                    "return document.fullscreenElement ? document.fullscreenElement.id : null;",
                    vec![],
                )
                .await?;
            Ok((id == json!("app-frame")).then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_shows_loading_until_ready_and_an_error_panel_with_retry_on_failure() {
    run("v2_loading_and_failure", async |stack, b| {
        open_fixture(stack, b, "v2-app.html", &[("ready", "manual")]).await?;
        b.top().await?;
        b.find("#app-loading").await?;
        enter_app(b).await?;
        b.js("window.send('POST_READY');", vec![]).await?;
        b.top().await?;
        b.wait_count("#app-loading", 0).await?;
        enter_app(b).await?;
        b.js(
            "window.send('POST_FAILURE', {code: 'NO_WEBGL', message: 'this app needs WebGL'});",
            vec![],
        )
        .await?;
        b.top().await?;
        b.wait_text_where("#app-error", "the app's failure", |t| {
            t.contains("NO_WEBGL") && t.contains("this app needs WebGL")
        })
        .await?;
        // Retry attaches the app again: a new load, ready, and the panel is gone.
        b.click("#app-retry").await?;
        b.wait_count("#app-error", 0).await?;
        b.wait_until("the app to load again", async |b| {
            enter_app(b).await?;
            let s = fixture_state(b).await?;
            Ok((s["loads"] == json!(2)).then_some(()))
        })
        .await?;
        wait_app_ready(b).await?;
        b.js("window.send('POST_READY');", vec![]).await?;
        b.top().await?;
        b.wait_count("#app-loading", 0).await?;
        ensure!(b.count("#app-error").await? == 0, "the error panel is back");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_exported_after_a_theme_change_replays_to_the_same_state_without_tokens() {
    run("v2_trace_replay", async |stack, b| {
        open_fixture(stack, b, "v2-app.html", &[]).await?;
        wait_fixture_text(b, "token", "ok").await?;
        let token = b.js("return window.tokenSeen;", vec![]).await?;
        let token = token.as_str().unwrap_or_default().to_owned();
        ensure!(token.len() > 20, "the app got no token: {token:?}");
        b.top().await?;
        b.select("#theme", "dark").await?;
        b.select("#lang", "fr").await?;
        enter_app(b).await?;
        wait_fixture_text(b, "theme", "dark").await?;
        wait_fixture_text(b, "lang", "fr").await?;
        b.top().await?;
        wait_log(b, "the language change sent", |l| {
            l.message_type == "CONTEXT_CHANGED" && l.outcome == "sent"
        })
        .await?;
        // Nor does the page show it: the log lines' tooltips are redacted too.
        let titles = b
            .js(
                "return [...document.querySelectorAll('li[title]')].map(l => l.title).join('\\n');",
                vec![],
            )
            .await?;
        let titles = titles.as_str().unwrap_or_default();
        ensure!(
            titles.contains("[redacted]"),
            "no redacted token in the log: {titles}"
        );
        ensure!(!titles.contains(&token), "a log tooltip shows the token");
        b.click("#export-trace").await?;
        let name = format!("appframe-trace-{}.json", COUNTER.item);
        b.wait_until("the trace to be downloaded", async |b| {
            Ok(b.downloads().contains(&name).then_some(()))
        })
        .await?;
        let text = std::fs::read_to_string(b.profile_dir().join("downloads").join(&name))?;
        ensure!(!text.contains(&token), "the trace holds the token");
        let trace: Value = serde_json::from_str(&text)?;
        ensure!(
            trace["format"] == json!("appframe-trace") && trace["version"] == json!(1),
            "{trace}"
        );
        ensure!(
            trace["app"]["itemId"] == json!(COUNTER.item.to_string()),
            "{}",
            trace["app"]
        );
        ensure!(text.contains("[redacted]"), "no redacted token in {text}");

        // The replay page: no login, no server; the trace's context and host messages.
        b.goto(&format!("{}/replay", stack.host)).await?;
        b.find("#trace-text").await?;
        b.js(
            "const t = document.getElementById('trace-text');
             t.value = arguments[0];
             t.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![json!(text)],
        )
        .await?;
        b.click("#replay-start").await?;
        b.wait_text_where("#replay-status", "the replay done", |t| {
            t.starts_with("replayed")
        })
        .await?;
        enter_app(b).await?;
        wait_fixture_text(b, "theme", "dark").await?;
        wait_fixture_text(b, "lang", "fr").await?;
        wait_fixture_text(b, "token", "refused: REPLAY_NO_SERVER").await?;
        let s = fixture_state(b).await?;
        ensure!(s["state"]["vars"]["--af-bg"] == json!("#14181f"), "{s}");
        ensure!(s["errors"] == json!([]), "{s}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replay_page_refuses_a_trace_of_an_unknown_version() {
    run("v2_replay_unknown_version", async |stack, b| {
        b.goto(&format!("{}/replay", stack.host)).await?;
        b.find("#trace-text").await?;
        b.fill(
            "#trace-text",
            r#"{"format":"appframe-trace","version":9,"entries":[]}"#,
        )
        .await?;
        b.click("#replay-start").await?;
        b.wait_text(
            "#replay-error",
            "trace version 9 is not supported: this page reads version 1 only",
        )
        .await?;
        let src = b
            .js(
                "return document.getElementById('app-frame').getAttribute('src');",
                vec![],
            )
            .await?;
        ensure!(src.is_null(), "a frame was loaded: {src}");
        Ok(())
    })
    .await;
}
