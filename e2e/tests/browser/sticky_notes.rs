//! The sticky-notes app (leptos) in the demo host.

use crate::notes::STICKY_NOTES_UI as UI;
use appframe_e2e::{
    Browser, Result,
    demo::{ALICE, BOB, CAROL, STICKY_NOTES},
    ensure,
    host_page::{open_app, settled_frame_height, wait_frame_fits_content},
    run,
};
use fantoccini::Locator;
use serde_json::json;

/// Edits the note showing `from` to read `to` (textarea, Save) and waits for the new text.
async fn edit(b: &Browser, from: &str, to: &str) -> Result<()> {
    let li = UI.note(b, from).await?;
    li.find(Locator::Css(".edit")).await?.click().await?;
    let area = b.find("li.note textarea.edit-text").await?;
    area.clear().await?;
    area.send_keys(to).await?;
    b.click("li.note .save").await?;
    UI.note(b, to).await?;
    let status = b.text("#status").await?;
    ensure!(status == "ready", "after editing the app reads {status:?}");
    Ok(())
}

/// The palette offered for new notes.
async fn palette(b: &Browser) -> Result<Vec<String>> {
    let v = b
        .js(
            "return Array.from(document.querySelectorAll('#new-note-color option')).map(o => o.value);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_in_the_builder_creates_edits_and_deletes_a_note() {
    run("sticky_admin_builder", async |stack, b| {
        open_app(b, stack, STICKY_NOTES, "builder", ALICE).await?;
        let who = b.text("#who").await?;
        ensure!(who == "Alice (admin, builder)", "#who reads {who:?}");
        UI.wait_texts(b, &[]).await?;
        UI.add(b, "buy milk", "item").await?;
        edit(b, "buy milk", "buy oat milk").await?;
        open_app(b, stack, STICKY_NOTES, "builder", ALICE).await?;
        UI.wait_texts(b, &["buy oat milk"]).await?;
        UI.delete(b, "buy oat milk").await?;
        open_app(b, stack, STICKY_NOTES, "builder", ALICE).await?;
        UI.wait_texts(b, &[]).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_in_the_player_edits_and_deletes_only_their_own_notes() {
    run("sticky_reader_player", async |stack, b| {
        open_app(b, stack, STICKY_NOTES, "builder", ALICE).await?;
        UI.add(b, "admin note", "item").await?;

        open_app(b, stack, STICKY_NOTES, "player", CAROL).await?;
        let who = b.text("#who").await?;
        ensure!(who == "Carol (read, player)", "#who reads {who:?}");
        UI.wait_texts(b, &["admin note"]).await?;
        let admin_note = UI.note(b, "admin note").await?;
        ensure!(
            admin_note
                .find_all(Locator::Css(".edit, .delete"))
                .await?
                .is_empty(),
            "a reader is offered to change the admin's note"
        );
        UI.add(b, "reader note", "item").await?;
        edit(b, "reader note", "reader note, edited").await?;
        open_app(b, stack, STICKY_NOTES, "player", CAROL).await?;
        UI.wait_texts(b, &["admin note", "reader note, edited"])
            .await?;
        UI.delete(b, "reader note, edited").await?;
        open_app(b, stack, STICKY_NOTES, "player", CAROL).await?;
        UI.wait_texts(b, &["admin note"]).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_members_member_notes_are_invisible_to_another_member() {
    run("sticky_member_visibility", async |stack, b| {
        open_app(b, stack, STICKY_NOTES, "builder", BOB).await?;
        UI.add(b, "bob private", "member").await?;
        UI.add(b, "bob public", "item").await?;

        open_app(b, stack, STICKY_NOTES, "player", CAROL).await?;
        UI.wait_texts(b, &["bob public"]).await?;
        open_app(b, stack, STICKY_NOTES, "builder", ALICE).await?;
        UI.wait_texts(b, &["bob private", "bob public"]).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_gets_the_palette_editor_and_the_saved_palette_reaches_everyone() {
    run("sticky_settings_admin_only", async |stack, b| {
        open_app(b, stack, STICKY_NOTES, "builder", CAROL).await?;
        ensure!(
            b.count("#settings-editor").await? == 0,
            "a reader is shown the palette editor"
        );
        // The player view presents everyone as a reader, the admin too.
        open_app(b, stack, STICKY_NOTES, "player", ALICE).await?;
        ensure!(
            b.count("#settings-editor").await? == 0,
            "the player view shows the palette editor"
        );

        open_app(b, stack, STICKY_NOTES, "builder", ALICE).await?;
        b.fill("#colors-input", "#123456, #abcdef").await?;
        b.click("#save-colors").await?;
        b.wait_until("the new palette in the note colour select", async |b| {
            Ok((palette(b).await? == ["#123456", "#abcdef"]).then_some(()))
        })
        .await?;
        let status = b.text("#status").await?;
        ensure!(
            status == "ready",
            "after saving the palette the app reads {status:?}"
        );

        open_app(b, stack, STICKY_NOTES, "player", CAROL).await?;
        let seen = palette(b).await?;
        ensure!(
            seen == ["#123456", "#abcdef"],
            "Carol sees the palette {seen:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_in_the_analytics_view_sees_the_action_log_and_a_reader_does_not() {
    run("sticky_action_log", async |stack, b| {
        open_app(b, stack, STICKY_NOTES, "player", CAROL).await?;
        UI.add(b, "logged note", "item").await?;
        open_app(b, stack, STICKY_NOTES, "analytics", CAROL).await?;
        ensure!(
            b.count("#action-log").await? == 0,
            "a reader is shown the action log"
        );
        open_app(b, stack, STICKY_NOTES, "analytics", ALICE).await?;
        let row = b
            .wait_text_where("#action-log .action", "Carol's create-note action", |t| {
                t.contains("Carol") && t.contains("create-note")
            })
            .await?;
        ensure!(!row.is_empty(), "empty action row");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_gets_a_file_attachment_that_its_creator_can_download() {
    run("sticky_attachment", async |stack, b| {
        open_app(b, stack, STICKY_NOTES, "builder", BOB).await?;
        UI.add(b, "with a file", "item").await?;
        let li = UI.note(b, "with a file").await?;
        let id = li
            .attr("data-id")
            .await?
            .ok_or_else(|| appframe_e2e::Error::Check("note without data-id".into()))?;
        let file = tempfile::Builder::new().suffix(".txt").tempfile()?;
        std::fs::write(file.path(), "hello from the e2e test\n")?;
        let input = b.find(&format!("#attach-{id}")).await?;
        input.send_keys(&file.path().display().to_string()).await?;
        b.click("li.note .download").await?;
        let link = b.find("li.note a.file-link").await?;
        let href = link.attr("href").await?.unwrap_or_default();
        ensure!(href.starts_with("blob:"), "download link {href:?}");
        // The blob holds the uploaded bytes.
        let text = b
            .js_async(
                "const [url, done] = arguments; fetch(url).then(r => r.text()).then(done, e => done('error: ' + e));",
                vec![json!(href)],
            )
            .await?;
        ensure!(
            text == json!("hello from the e2e test\n"),
            "downloaded {text}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_iframe_grows_when_notes_are_added() {
    run("sticky_iframe_grows", async |stack, b| {
        open_app(b, stack, STICKY_NOTES, "builder", ALICE).await?;
        b.top().await?;
        let before = settled_frame_height(b).await?;
        b.enter_app_frame().await?;
        for i in 0..6 {
            UI.add(b, &format!("sticky number {i}"), "item").await?;
        }
        let (after, content) = wait_frame_fits_content(b, before + 100.0).await?;
        ensure!(
            after > before,
            "iframe {before} -> {after} px (content {content} px)"
        );
        Ok(())
    })
    .await;
}
