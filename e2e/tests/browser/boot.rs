//! The page's boot script (`app-sdk/js/boot.js`) on its own, in a page with no SDK, framed by
//! the demo host through the real bridge: it asks for the context while the page parses,
//! announcing `push-token`, so the bridge sends the token after the context unasked; it leaves
//! the port unstarted so the token waits for the SDK, and hands both over only to the exact
//! GET_CONTEXT text the SDK would post. Framed by a v1 host that answers late, it asks for the
//! token itself on the port of that answer, even when the SDK claimed the request before it.

use appframe_e2e::{
    Result, Stack,
    demo::{ALICE, COUNTER},
    ensure,
    host_page::{bridge_log, wait_log},
    run,
};
use serde_json::json;

/// Points the counter app at the boot-only fixture page (on the fixtures origin, which joins the
/// counter's publisher), so the host frames that page for the counter's item.
async fn frame_the_boot_only_page(stack: &Stack) -> Result<()> {
    stack
        .serve_app_from(COUNTER, stack.fixture("boot-only.html", &[]))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_boot_script_gets_the_context_and_the_token_before_any_sdk_runs() {
    run("boot_script_alone", async |stack, b| {
        frame_the_boot_only_page(stack).await?;
        b.goto(&stack.item_page(COUNTER.item, "builder", ALICE))
            .await?;
        // No SDK on the page: whatever the host answers, the boot script asked for.
        wait_log(b, "the token sent to the frame", |l| {
            l.direction == "out"
                && l.message_type == "GET_AUTH_TOKEN_SUCCESS"
                && l.outcome == "sent"
        })
        .await?;
        let log = bridge_log(b).await?;
        let count = |dir: &str, ty: &str, outcome: &str| {
            log.iter()
                .filter(|l| l.direction == dir && l.message_type == ty && l.outcome == outcome)
                .count()
        };
        ensure!(count("in", "GET_CONTEXT", "handled") == 1, "log: {log:?}");
        ensure!(
            count("out", "GET_CONTEXT_SUCCESS", "sent") == 1,
            "log: {log:?}"
        );
        // Pushed by the bridge after the context: the boot script did not ask.
        ensure!(
            count("in", "GET_AUTH_TOKEN", "handled") == 0,
            "log: {log:?}"
        );
        ensure!(
            count("out", "GET_AUTH_TOKEN_SUCCESS", "sent") == 1,
            "log: {log:?}"
        );
        ensure!(
            !log.iter()
                .any(|l| l.outcome == "ignored" || l.outcome == "failed"),
            "log: {log:?}"
        );
        b.enter_app_frame().await?;
        // The SDK's claim: the exact text answers 2 (context and token asked); the kept answer
        // is replayed with its port, and the token reply was waiting in that port's queue.
        let claim = claim_as_the_sdk(b).await?;
        ensure!(claim == json!(2), "claim: {claim}");
        let claimed = claim_result(b).await?;
        let item = COUNTER.item.to_string();
        ensure!(
            claimed["context"] == json!(format!("GET_CONTEXT_SUCCESS_{item}")),
            "{claimed}"
        );
        ensure!(
            claimed["token"]["type"] == json!(format!("GET_AUTH_TOKEN_SUCCESS_{item}")),
            "{claimed}"
        );
        ensure!(
            claimed["token"]["payload"]["token"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "{claimed}"
        );
        // Called once: the global is gone after the claim.
        let gone = b.js("return typeof window.appframeBoot;", vec![]).await?;
        ensure!(gone == json!("undefined"), "appframeBoot is {gone}");
        Ok(())
    })
    .await;
}

/// In the app frame: claims the boot script's request with the SDK's own GET_CONTEXT text (its
/// protocol-v2 announcement, without `push-token`), as the SDK does, and returns the claim. The
/// first answer's type, whether it came live (after the claim) rather than replayed, and the first
/// message on its port are then kept in `window.claimed` for [`claim_result`].
async fn claim_as_the_sdk(b: &appframe_e2e::Browser) -> Result<serde_json::Value> {
    b.js(
        "const item = new URLSearchParams(location.search).get('itemId');
         const text = JSON.stringify({type: 'GET_CONTEXT_' + item,
           payload: {key: arguments[0], origin: location.origin,
                     appframe: {version: 2, features: ['lifecycle']}}});
         addEventListener('message', (e) => {
           const port = e.ports[0];
           if (!port) return;
           port.onmessage = (m) => { window.claimed = {context: JSON.parse(e.data).type,
                                                       live: e.isTrusted,
                                                       token: JSON.parse(m.data)}; };
         });
         return appframeBoot(text);",
        vec![json!(COUNTER.key.to_string())],
    )
    .await
}

/// In the app frame: what [`claim_as_the_sdk`] received, once its port had a message.
async fn claim_result(b: &appframe_e2e::Browser) -> Result<serde_json::Value> {
    b.wait_until("the token on the claimed port", async |b| {
        let v = b.js("return window.claimed || null;", vec![]).await?;
        Ok((!v.is_null()).then_some(v))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v1_host_answering_after_the_claim_is_asked_for_the_token_once() {
    run("boot_script_held_v1_host", async |stack, b| {
        let item = COUNTER.item.to_string();
        // A host without `push-token` that answers GET_CONTEXT only when told to: the claim below
        // comes first, so the boot script's listener must still be there to ask for the token.
        b.goto(&stack.fixture(
            "test-host.html",
            &[
                ("app", &stack.fixture("boot-only.html", &[])),
                ("itemId", &item),
                ("mode", "held-v1"),
                ("apiHost", &stack.api_host()),
            ],
        ))
        .await?;
        b.wait_until("the boot script's GET_CONTEXT at the host", async |b| {
            let ready = b
                .js("return typeof window.answerContext === 'function';", vec![])
                .await?;
            Ok((ready == json!(true)).then_some(()))
        })
        .await?;
        b.enter_frame("#app-frame").await?;
        let claim = claim_as_the_sdk(b).await?;
        ensure!(claim == json!(2), "claim: {claim}");
        b.top().await?;
        b.js("window.answerContext();", vec![]).await?;
        b.enter_frame("#app-frame").await?;
        let claimed = claim_result(b).await?;
        ensure!(
            claimed["live"] == json!(true),
            "replayed, not live: {claimed}"
        );
        ensure!(
            claimed["token"]
                == json!({"type": format!("GET_AUTH_TOKEN_SUCCESS_{item}"),
                          "payload": {"token": "test-host-token"}}),
            "{claimed}"
        );
        b.top().await?;
        let from_app = b.js("return window.fromApp;", vec![]).await?;
        let count = |channel: &str, ty: &str| {
            from_app.as_array().map_or(0, |m| {
                m.iter()
                    .filter(|m| {
                        m["channel"] == json!(channel) && m["type"] == json!(format!("{ty}_{item}"))
                    })
                    .count()
            })
        };
        ensure!(count("window", "GET_CONTEXT") == 1, "{from_app}");
        ensure!(count("port", "GET_AUTH_TOKEN") == 1, "{from_app}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_boot_script_hands_nothing_to_another_request_text() {
    run("boot_script_declines", async |stack, b| {
        frame_the_boot_only_page(stack).await?;
        b.goto(&stack.item_page(COUNTER.item, "builder", ALICE))
            .await?;
        wait_log(b, "the context sent to the frame", |l| {
            l.direction == "out" && l.message_type == "GET_CONTEXT_SUCCESS" && l.outcome == "sent"
        })
        .await?;
        b.enter_app_frame().await?;
        // Another key (e.g. an SDK configured for another app): declined, nothing replayed, and
        // the SDK would then ask itself.
        let declined = b
            .js_async(
                "const done = arguments[arguments.length - 1];
                 let replayed = 0;
                 addEventListener('message', () => { replayed += 1; });
                 const item = new URLSearchParams(location.search).get('itemId');
                 const claim = appframeBoot(JSON.stringify({type: 'GET_CONTEXT_' + item,
                   payload: {key: 'another-key', origin: location.origin}}));
                 setTimeout(() => done({claim, replayed}), 300);",
                vec![],
            )
            .await?;
        ensure!(declined == json!({"claim": 0, "replayed": 0}), "{declined}");
        Ok(())
    })
    .await;
}
