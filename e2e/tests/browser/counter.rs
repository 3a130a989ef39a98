//! The counter app (Rust, no UI framework) in the demo host.

use appframe_e2e::{
    Result, Stack,
    demo::{ALICE, CAROL, COUNTER},
    ensure,
    host_page::open_app,
    run,
};
use appframe_server::store::Page;

/// Actions the server stored for the counter item, as (account, type).
async fn stored_actions(stack: &Stack) -> Result<Vec<(uuid::Uuid, String)>> {
    let rows = stack
        .state
        .store()
        .list_app_actions(
            COUNTER.item,
            None,
            Page {
                after: None,
                limit: 1000,
            },
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.account.id.0, r.ty)).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_in_the_builder_adds_clicks_that_persist_and_are_posted_as_actions() {
    run("counter_admin_builder", async |stack, b| {
        open_app(b, stack, COUNTER, "builder", ALICE).await?;
        let who = b.text("#who").await?;
        ensure!(who == "Alice (admin, builder)", "#who reads {who:?}");
        b.wait_text("#count", "0").await?;
        b.click("#increment").await?;
        b.wait_text("#count", "1").await?;
        b.click("#increment").await?;
        b.wait_text("#count", "2").await?;
        // A reload lists the rows again from the server.
        open_app(b, stack, COUNTER, "builder", ALICE).await?;
        b.wait_text("#count", "2").await?;
        let actions = stored_actions(stack).await?;
        ensure!(
            actions == vec![(ALICE, "click".to_owned()), (ALICE, "click".to_owned())],
            "stored actions: {actions:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_in_the_player_sees_everyones_clicks_and_adds_their_own() {
    run("counter_reader_player", async |stack, b| {
        open_app(b, stack, COUNTER, "builder", ALICE).await?;
        b.wait_text("#count", "0").await?;
        b.click("#increment").await?;
        b.wait_text("#count", "1").await?;

        open_app(b, stack, COUNTER, "player", CAROL).await?;
        let who = b.text("#who").await?;
        ensure!(who == "Carol (read, player)", "#who reads {who:?}");
        // Clicks are item-visible rows: Carol counts Alice's.
        b.wait_text("#count", "1").await?;
        b.click("#increment").await?;
        b.wait_text("#count", "2").await?;
        open_app(b, stack, COUNTER, "player", CAROL).await?;
        b.wait_text("#count", "2").await?;
        let actions = stored_actions(stack).await?;
        ensure!(
            actions.iter().filter(|(a, _)| *a == CAROL).count() == 1,
            "Carol's click should be one stored action: {actions:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_gives_the_counter_a_context_a_port_and_a_token_through_the_bridge() {
    use appframe_e2e::host_page::bridge_log;
    run("counter_bridge_log", async |stack, b| {
        open_app(b, stack, COUNTER, "analytics", ALICE).await?;
        let who = b.text("#who").await?;
        ensure!(who == "Alice (admin, analytics)", "#who reads {who:?}");
        let boot = b
            .js(
                "const s = document.querySelector('script[data-appframe-boot]');
                 return s ? s.textContent.length : -1;",
                vec![],
            )
            .await?;
        ensure!(
            boot.as_i64().is_some_and(|n| n > 0),
            "the page should carry the boot script the build fills in: {boot}"
        );
        b.top().await?;
        let log = bridge_log(b).await?;
        // The boot script asked while the page parsed; the SDK took that answer instead of
        // asking again (a second GET_CONTEXT would mean it did not). The boot script announced
        // `push-token`, so the bridge sent the token after the context and nobody asked for it.
        let count = |dir: &str, ty: &str| {
            log.iter()
                .filter(|l| l.direction == dir && l.message_type == ty)
                .count()
        };
        ensure!(count("in", "GET_CONTEXT") == 1, "log: {log:?}");
        ensure!(count("in", "GET_AUTH_TOKEN") == 0, "log: {log:?}");
        ensure!(count("out", "GET_AUTH_TOKEN_SUCCESS") == 1, "log: {log:?}");
        let has = |dir: &str, ty: &str, outcome: &str| {
            log.iter()
                .any(|l| l.direction == dir && l.message_type == ty && l.outcome == outcome)
        };
        ensure!(has("in", "GET_CONTEXT", "handled"), "log: {log:?}");
        ensure!(has("out", "GET_CONTEXT_SUCCESS", "sent"), "log: {log:?}");
        ensure!(has("out", "GET_AUTH_TOKEN_SUCCESS", "sent"), "log: {log:?}");
        ensure!(
            !log.iter()
                .any(|l| l.outcome == "ignored" || l.outcome == "failed"),
            "a well-behaved app should cause no ignored or failed line: {log:?}"
        );
        Ok(())
    })
    .await;
}
