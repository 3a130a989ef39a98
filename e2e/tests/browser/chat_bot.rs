//! The chat bot from an example app: js-notes asks through the SDK's JS facade, the demo
//! server answers with its configured offline dev backend, and the app shows the answer.

use appframe_e2e::{
    demo::{CAROL, JS_NOTES},
    host_page::open_app,
    run,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_example_app_asks_the_chat_bot_and_shows_the_answer() {
    run("chat_bot_js_notes", async |stack, b| {
        open_app(b, stack, JS_NOTES, "player", CAROL).await?;
        b.wait_text("#status", "ready").await?;
        b.fill("#chat-text", "what is a note?").await?;
        b.click("#chat-ask").await?;
        b.wait_text("#chat-answer", "[dev chat bot] You said: what is a note?")
            .await?;
        Ok(())
    })
    .await;
}
