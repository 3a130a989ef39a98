//! Live updates across two browser sessions (two Chromium instances, two members): a note
//! written in one appears in the other without a reload, through the server's `/api/ws`.

use crate::notes::{JS_NOTES_UI, NotesUi, STICKY_NOTES_UI};
use appframe_e2e::{
    Browser, Result,
    demo::{ALICE, BOB, CAROL, DemoApp, JS_NOTES, STICKY_NOTES},
    ensure,
    host_page::open_app,
    run,
};
use serde_json::json;

/// Marks the app document, so that [`still_same_page`] can tell it was not reloaded.
async fn mark_page(b: &Browser) -> Result<()> {
    b.js("window.__e2eLiveMark = 'kept';", vec![]).await?;
    Ok(())
}

/// Fails if the app document was reloaded (or replaced) since [`mark_page`].
async fn still_same_page(b: &Browser) -> Result<()> {
    let mark = b.js("return window.__e2eLiveMark || null;", vec![]).await?;
    ensure!(
        mark == json!("kept"),
        "the app page was reloaded (mark is {mark})"
    );
    Ok(())
}

/// Alice (admin, builder) in `main`, Bob (write, player) in a second Chromium: notes each adds
/// reach the other live; then Carol (read) replaces Alice and never sees Bob's member note.
async fn two_members_see_each_others_notes_live(
    stack: &appframe_e2e::Stack,
    main: &Browser,
    app: DemoApp,
    ui: &NotesUi,
) -> Result<()> {
    let bob = Browser::start().await?;
    let outcome = async {
        open_app(main, stack, app, "builder", ALICE).await?;
        open_app(&bob, stack, app, "player", BOB).await?;
        mark_page(main).await?;
        mark_page(&bob).await?;
        ui.wait_texts(&bob, &[]).await?;

        ui.add(main, "from alice", "item").await?;
        ui.wait_texts(&bob, &["from alice"]).await?;
        ui.add(&bob, "from bob", "item").await?;
        ui.wait_texts(main, &["from alice", "from bob"]).await?;
        still_same_page(main).await?;
        still_same_page(&bob).await?;

        // Carol (read) takes Alice's place; Bob's member note is his (and admins') only, so
        // it must not reach her, while his next item note does.
        open_app(main, stack, app, "player", CAROL).await?;
        mark_page(main).await?;
        ui.wait_texts(main, &["from alice", "from bob"]).await?;
        ui.add(&bob, "bob private", "member").await?;
        ui.add(&bob, "bob public", "item").await?;
        ui.wait_texts(main, &["from alice", "from bob", "bob public"])
            .await?;
        let shown = ui.texts(main).await?;
        ensure!(
            !shown.iter().any(|t| t == "bob private"),
            "Carol sees Bob's member note: {shown:?}"
        );
        still_same_page(main).await?;
        still_same_page(&bob).await?;
        Ok(())
    }
    .await;
    let _ = bob.close().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sticky_notes_of_one_member_appear_live_for_another_and_member_notes_stay_private() {
    run("live_sticky_notes_two_members", async |stack, b| {
        two_members_see_each_others_notes_live(stack, b, STICKY_NOTES, &STICKY_NOTES_UI).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_notes_of_one_member_appear_live_for_another_through_the_js_facade() {
    run("live_js_notes_two_members", async |stack, b| {
        two_members_see_each_others_notes_live(stack, b, JS_NOTES, &JS_NOTES_UI).await
    })
    .await;
}

/// js-notes re-renders only what changed: when another member's note arrives live, the cards
/// already shown stay the same elements (a rebuilt card would swallow a click landing on its
/// Delete button at that moment).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_notes_keeps_the_cards_it_shows_when_a_live_note_arrives() {
    run("live_js_notes_cards_kept", async |stack, b| {
        let bob = Browser::start().await?;
        let outcome = async {
            open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
            open_app(&bob, stack, JS_NOTES, "player", BOB).await?;
            JS_NOTES_UI.add(b, "kept card", "item").await?;
            let li = JS_NOTES_UI.note(b, "kept card").await?;
            b.js(
                "arguments[0].__e2eCard = 'kept';",
                vec![serde_json::to_value(&li)?],
            )
            .await?;
            JS_NOTES_UI.add(&bob, "arriving", "item").await?;
            JS_NOTES_UI
                .wait_texts(b, &["kept card", "arriving"])
                .await?;
            let kept = b
                .js(
                    "return Array.from(document.querySelectorAll('li.note'))
                       .some(li => li.__e2eCard === 'kept');",
                    vec![],
                )
                .await?;
            ensure!(
                kept == json!(true),
                "the live note rebuilt the cards already shown"
            );
            Ok(())
        }
        .await;
        let _ = bob.close().await;
        outcome
    })
    .await;
}
