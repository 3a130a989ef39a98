//! Protocol v2 through the SDK: the js-notes example (plain JS on the SDK's JS facade) in the
//! demo host. The host's theme and language reach the running app without a reload, and a draft
//! typed just before the host closes the app is written by the app's teardown handler, which
//! holds the acknowledgement until the write is done.

use crate::notes::JS_NOTES_UI as UI;
use appframe_e2e::{
    Browser, Result,
    demo::{ALICE, JS_NOTES},
    ensure,
    host_page::open_app,
    run,
};
use serde_json::{Value, json};

/// In the app frame: the document's identity and what the host's theme did to it.
async fn app_state(b: &Browser) -> Result<Value> {
    b.js(
        "const root = document.documentElement;
         return {timeOrigin: performance.timeOrigin, theme: root.dataset.theme || null,
                 bg: getComputedStyle(root).getPropertyValue('--af-bg').trim(),
                 lang: document.getElementById('lang').textContent};",
        vec![],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_theme_and_language_reach_js_notes_without_a_reload() {
    run("sdk_v2_live_context", async |stack, b| {
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        let before = app_state(b).await?;
        ensure!(before["lang"] == json!("en"), "{before}");

        b.top().await?;
        b.select("#theme", "dark").await?;
        b.enter_app_frame().await?;
        b.wait_text("#theme", "dark").await?;
        let dark = app_state(b).await?;
        ensure!(dark["theme"] == json!("dark"), "{dark}");
        ensure!(
            dark["bg"] != json!(""),
            "no --af-bg on the app's root: {dark}"
        );
        ensure!(
            dark["timeOrigin"] == before["timeOrigin"],
            "the app reloaded for the theme: {before} → {dark}"
        );

        b.top().await?;
        b.select("#lang", "fr").await?;
        b.enter_app_frame().await?;
        b.wait_text("#lang", "fr").await?;
        let fr = app_state(b).await?;
        ensure!(
            fr["timeOrigin"] == before["timeOrigin"],
            "the app reloaded for the language: {before} → {fr}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_typed_just_before_the_host_closes_the_app_is_saved_at_teardown() {
    run("sdk_v2_teardown_flush", async |stack, b| {
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        UI.wait_texts(b, &[]).await?;
        // js-notes saves a draft 1 s after the last keystroke: closed at once, only the app's
        // teardown handler writes it, and the host waits for its acknowledgement.
        b.fill("#note-text", "typed right before closing").await?;
        b.top().await?;
        b.click("#app-close-now").await?;
        b.wait_count("#app-closed", 1).await?;
        let closed = b.text("#app-closed").await?;
        ensure!(
            closed.contains("saved its work"),
            "the app did not acknowledge the teardown: {closed:?}"
        );
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        let draft = b
            .js("return document.getElementById('note-text').value;", vec![])
            .await?;
        ensure!(
            draft == json!("typed right before closing"),
            "the draft after reopening: {draft}"
        );
        Ok(())
    })
    .await;
}
