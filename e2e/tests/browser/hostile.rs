//! Hostile and broken surroundings: a foreign window talking to the host, an app frame sent to an
//! origin registered nowhere (the host page's CSP blocks it) or to another publisher's origin
//! (the bridge refuses it), hosts that never answer or refuse, and apps opened alone.

use crate::notes::{JS_NOTES_UI, STICKY_NOTES_UI};
use appframe_e2e::{
    Browser, Result, Stack,
    demo::{ALICE, COUNTER, JS_NOTES, STICKY_NOTES},
    ensure,
    host_page::{bridge_log, open_app, wait_app_ready, wait_log},
    run,
};
use serde_json::{Value, json};
use std::time::Duration;

/// A message the test posts after the hostile ones have been handled: messages from one window
/// to another arrive in order, so once the fence has arrived, any answer the host could have
/// sent to the hostile page before it has arrived too (no waiting for silence).
const FENCE: &str = "__e2e_fence";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_of_another_origin_posting_get_context_to_the_host_is_ignored_and_logged() {
    run("hostile_foreign_window", async |stack, b| {
        let target = stack.item_page(COUNTER.item, "builder", ALICE);
        let item = COUNTER.item.to_string();
        let key = COUNTER.key.to_string();
        b.goto(&stack.fixture(
            "framing-host.html",
            &[("target", &target), ("itemId", &item), ("key", &key)],
        ))
        .await?;
        b.enter_frame("#host-frame").await?;
        // The real app inside the framed host got its token: the bridge is attached and working.
        // Wait for the SUCCESS going out, not the request coming in: the token is fetched in
        // between, and a reply logged after `before` would look like one sent to the attacker.
        wait_log(b, "the app's GET_AUTH_TOKEN_SUCCESS sent", |l| {
            l.message_type == "GET_AUTH_TOKEN_SUCCESS" && l.direction == "out"
        })
        .await?;
        let before = bridge_log(b).await?;
        let contexts_before = count(&before, "out", "GET_CONTEXT_SUCCESS");
        let tokens_before = count(&before, "out", "GET_AUTH_TOKEN_SUCCESS");

        b.top().await?;
        let sent = b.js("return window.attack();", vec![]).await?;
        ensure!(sent == json!(4), "the fixture sent {sent}");
        b.enter_frame("#host-frame").await?;
        b.wait_until("4 foreign requests logged as ignored", async |b| {
            let ignored: Vec<_> = bridge_log(b)
                .await?
                .into_iter()
                .filter(|l| {
                    l.outcome == "ignored" && l.reason.contains("source is not the app iframe")
                })
                .collect();
            Ok((ignored.len() == 4).then_some(ignored))
        })
        .await?;
        // The fence goes from the host page's window to the attacker, the way an answer would.
        b.js(
            "window.parent.postMessage(arguments[0], '*');",
            vec![json!(FENCE)],
        )
        .await?;
        b.top().await?;
        b.wait_until("the fence to reach the attacker", async |b| {
            let fenced = b
                .js(
                    "return window.received.some(m => m.data === arguments[0]);",
                    vec![json!(FENCE)],
                )
                .await?;
            Ok((fenced == json!(true)).then_some(()))
        })
        .await?;
        b.enter_frame("#host-frame").await?;
        let log = bridge_log(b).await?;
        ensure!(
            count(&log, "out", "GET_CONTEXT_SUCCESS") == contexts_before,
            "the host answered a foreign GET_CONTEXT: {log:?}"
        );
        ensure!(
            count(&log, "out", "GET_AUTH_TOKEN_SUCCESS") == tokens_before,
            "the host sent a token to the foreign window: {log:?}"
        );
        b.top().await?;
        let received = b
            .js("return window.received.map(m => m.data);", vec![])
            .await?;
        ensure!(
            received == json!([FENCE]),
            "the foreign window received more than the fence: {received}"
        );
        Ok(())
    })
    .await;
}

fn count(log: &[appframe_e2e::host_page::LogLine], direction: &str, ty: &str) -> usize {
    log.iter()
        .filter(|l| l.direction == direction && l.message_type == ty)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_frame_navigated_to_an_origin_registered_nowhere_is_blocked_by_the_csp() {
    run("hostile_unregistered_origin_csp", async |stack, b| {
        open_app(b, stack, COUNTER, "builder", ALICE).await?;
        b.top().await?;
        let before = bridge_log(b).await?;
        b.console().await?;
        b.enter_app_frame().await?;
        let rogue = stack.fixture("rogue-app.html", &[("itemId", &COUNTER.item.to_string())]);
        // The app itself navigates away, as a compromised app could.
        b.js("location.replace(arguments[0]);", vec![json!(rogue)])
            .await?;
        b.top().await?;
        let blocked = b
            .wait_until("the host page's CSP to block the frame", async |b| {
                Ok(b.console()
                    .await?
                    .into_iter()
                    .find(|l| l.contains("Content Security Policy") && l.contains(&stack.fixtures)))
            })
            .await?;
        ensure!(blocked.contains("frame-src"), "blocked by {blocked}");
        let log = bridge_log(b).await?;
        ensure!(
            count(&log, "out", "GET_CONTEXT_SUCCESS")
                == count(&before, "out", "GET_CONTEXT_SUCCESS")
                && count(&log, "out", "GET_AUTH_TOKEN_SUCCESS")
                    == count(&before, "out", "GET_AUTH_TOKEN_SUCCESS"),
            "the blocked page was answered: {log:?}"
        );
        Ok(())
    })
    .await;
}

/// The bridge, not only the CSP, refuses a frame that left its app's origin: here for an origin
/// the CSP allows because another publisher registered it (a host page without our CSP would
/// allow any).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_frame_navigated_to_another_publishers_origin_gets_no_context_and_no_token() {
    run("hostile_other_publisher_origin", async |stack, b| {
        let other = appframe_server::store::Publisher {
            name: "other-publisher".into(),
            origins: vec![stack.fixtures.clone()],
        };
        stack.state.store().upsert_publisher(&other).await?;
        stack.state.refresh_origins().await?;
        open_app(b, stack, COUNTER, "builder", ALICE).await?;
        b.top().await?;
        let before = bridge_log(b).await?;
        b.enter_app_frame().await?;
        let item = COUNTER.item.to_string();
        let key = COUNTER.key.to_string();
        let rogue = stack.fixture(
            "rogue-app.html",
            &[
                ("itemId", &item),
                ("key", &key),
                ("apiHost", &stack.api_host()),
            ],
        );
        // The app itself navigates away, as a compromised app could.
        b.js("location.replace(arguments[0]);", vec![json!(rogue)])
            .await?;
        b.top().await?;
        b.wait_until("the rogue page in the app frame", async |b| {
            b.top().await?;
            b.enter_app_frame().await?;
            let report = b.js("return window.report || null;", vec![]).await?;
            Ok((report["directToken"] != json!("pending") && !report.is_null()).then_some(()))
        })
        .await?;
        // Once the host has refused all six requests, the fence goes from the host page's window
        // to the rogue page, the way an answer would.
        b.top().await?;
        b.wait_until(
            "the host to refuse the rogue page's six requests",
            async |b| {
                let refused = bridge_log(b)
                    .await?
                    .iter()
                    .filter(|l| l.outcome == "ignored" && l.reason.contains("not registered"))
                    .count();
                Ok((refused >= 6).then_some(()))
            },
        )
        .await?;
        b.js(
            "document.getElementById('app-frame').contentWindow.postMessage(arguments[0], '*');",
            vec![json!(FENCE)],
        )
        .await?;
        b.enter_app_frame().await?;
        let report = b
            .wait_until("the fence to reach the rogue page", async |b| {
                let report = b.js("return window.report;", vec![]).await?;
                let fenced = report["received"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|m| m == FENCE));
                Ok(fenced.then_some(report))
            })
            .await?;
        ensure!(
            report["received"] == json!([FENCE]),
            "the rogue page received more than the fence: {report}"
        );
        ensure!(
            report["ports"] == json!(0),
            "the rogue page got a port: {report}"
        );
        let direct = report["directToken"].as_str().unwrap_or_default();
        ensure!(
            direct.starts_with("blocked"),
            "the rogue page read the token route's answer: {direct}"
        );

        b.top().await?;
        let log = bridge_log(b).await?;
        let refused: Vec<_> = log
            .iter()
            .filter(|l| l.outcome == "ignored" && l.reason.contains("not registered"))
            .map(|l| l.message_type.as_str())
            .collect();
        ensure!(
            refused.iter().filter(|t| **t == "GET_CONTEXT").count() == 3
                && refused.iter().filter(|t| **t == "GET_AUTH_TOKEN").count() == 3,
            "expected 3 GET_CONTEXT and 3 GET_AUTH_TOKEN ignored for the origin: {log:?}"
        );
        ensure!(
            count(&log, "out", "GET_CONTEXT_SUCCESS")
                == count(&before, "out", "GET_CONTEXT_SUCCESS")
                && count(&log, "out", "GET_AUTH_TOKEN_SUCCESS")
                    == count(&before, "out", "GET_AUTH_TOKEN_SUCCESS"),
            "the rogue page was answered: {log:?}"
        );
        Ok(())
    })
    .await;
}

/// Opens the counter inside the misbehaving fixture host in `mode`, and returns the app's final
/// status and the messages the host received from it.
async fn counter_in_test_host(stack: &Stack, b: &Browser, mode: &str) -> Result<(String, Value)> {
    let item = COUNTER.item.to_string();
    b.goto(&stack.fixture(
        "test-host.html",
        &[
            ("app", &stack.app_page(COUNTER)),
            ("itemId", &item),
            ("mode", mode),
            ("apiHost", &stack.api_host()),
        ],
    ))
    .await?;
    b.enter_frame("#app-frame").await?;
    // The SDK's default handshake timeout is 5 s; allow for a slow machine on top.
    let status = b
        .wait_until_for(
            "the app to give up with an error",
            Duration::from_secs(30),
            async |b| {
                let t = b.text("#status").await?;
                Ok(t.starts_with("error").then_some(t))
            },
        )
        .await?;
    b.top().await?;
    let from_app = b.js("return window.fromApp;", vec![]).await?;
    Ok((status, from_app))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_never_answers_makes_the_app_fail_with_context_timeout() {
    run("hostile_silent_host", async |stack, b| {
        let (status, from_app) = counter_in_test_host(stack, b, "silent").await?;
        ensure!(
            status == "error: ContextTimeout",
            "the app shows {status:?}"
        );
        let asked = from_app.as_array().is_some_and(|m| {
            m.iter()
                .any(|m| m["type"] == json!(format!("GET_CONTEXT_{}", COUNTER.item)))
        });
        ensure!(asked, "the app never asked for a context: {from_app}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_answers_context_failure_makes_the_app_fail_with_context_refused() {
    run("hostile_context_failure_host", async |stack, b| {
        let (status, _) = counter_in_test_host(stack, b, "context-failure").await?;
        ensure!(
            status == "error: ContextRefused",
            "the app shows {status:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_refuses_the_token_makes_the_app_fail_with_token_refused() {
    run("hostile_token_failure_host", async |stack, b| {
        let (status, from_app) = counter_in_test_host(stack, b, "token-failure").await?;
        ensure!(status == "error: TokenRefused", "the app shows {status:?}");
        let on_port = from_app.as_array().is_some_and(|m| {
            m.iter().any(|m| {
                m["channel"] == json!("port")
                    && m["type"] == json!(format!("GET_AUTH_TOKEN_{}", COUNTER.item))
            })
        });
        ensure!(
            on_port,
            "the app did not ask for its token on the port: {from_app}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_app_opened_alone_runs_in_standalone_mode_and_keeps_its_data() {
    run("standalone_apps", async |stack, b| {
        b.goto(&stack.app_page(COUNTER)).await?;
        wait_app_ready(b).await?;
        let who = b.text("#who").await?;
        ensure!(
            who.ends_with("standalone mode"),
            "counter #who reads {who:?}"
        );
        b.wait_text("#count", "0").await?;
        b.click("#increment").await?;
        b.wait_text("#count", "1").await?;
        b.goto(&stack.app_page(COUNTER)).await?;
        wait_app_ready(b).await?;
        b.wait_text("#count", "1").await?;

        b.goto(&stack.app_page(JS_NOTES)).await?;
        wait_app_ready(b).await?;
        let who = b.text("#who").await?;
        ensure!(
            who.ends_with("standalone mode"),
            "js-notes #who reads {who:?}"
        );
        JS_NOTES_UI.add(b, "kept in the browser", "item").await?;
        b.goto(&stack.app_page(JS_NOTES)).await?;
        wait_app_ready(b).await?;
        JS_NOTES_UI.wait_texts(b, &["kept in the browser"]).await?;

        b.goto(&stack.app_page(STICKY_NOTES)).await?;
        wait_app_ready(b).await?;
        let who = b.text("#who").await?;
        ensure!(
            who.ends_with("standalone mode"),
            "sticky-notes #who reads {who:?}"
        );
        STICKY_NOTES_UI
            .add(b, "standalone sticky", "member")
            .await?;
        b.goto(&stack.app_page(STICKY_NOTES)).await?;
        wait_app_ready(b).await?;
        STICKY_NOTES_UI
            .wait_texts(b, &["standalone sticky"])
            .await?;
        Ok(())
    })
    .await;
}
