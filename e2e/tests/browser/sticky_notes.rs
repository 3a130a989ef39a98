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
    b.click_element(&li.find(Locator::Css(".edit")).await?)
        .await?;
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

/// Marks the element of the note showing `text`, so that [`same_card`] can tell whether the
/// page rebuilt it.
async fn mark_card(b: &Browser, text: &str) -> Result<()> {
    let li = UI.note(b, text).await?;
    b.js(
        "arguments[0].__e2eCard = 'kept';",
        vec![serde_json::to_value(&li)?],
    )
    .await?;
    Ok(())
}

/// Whether the element of note `id` is still the one [`mark_card`] marked.
async fn same_card(b: &Browser, id: &str) -> Result<bool> {
    let kept = b
        .js(
            "const li = document.querySelector(`li.note[data-id=\"${arguments[0]}\"]`);
             return li ? li.__e2eCard === 'kept' : false;",
            vec![json!(id)],
        )
        .await?;
    Ok(kept == json!(true))
}

/// The inline background of note `id`.
async fn card_background(b: &Browser, id: &str) -> Result<String> {
    let v = b
        .js(
            "const li = document.querySelector(`li.note[data-id=\"${arguments[0]}\"]`);
             return li ? li.style.background : '';",
            vec![json!(id)],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

/// The race of issue 11, forced: a live update of the very note being edited (its colour,
/// changed by the same admin in another browser) arrives between "Edit" and "Save". The card
/// must stay the same element with its editor and draft open, Save must reach the server, and
/// the other tab's colour must survive (the editor only writes what the user changed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_being_edited_keeps_its_editor_and_draft_through_a_live_update_of_itself() {
    run("sticky_edit_through_live_update", async |stack, b| {
        let other = Browser::start().await?;
        let outcome = async {
            open_app(b, stack, STICKY_NOTES, "builder", ALICE).await?;
            UI.add(b, "race note", "item").await?;
            UI.add(b, "bystander", "item").await?;
            let li = UI.note(b, "race note").await?;
            let id = li
                .attr("data-id")
                .await?
                .ok_or_else(|| appframe_e2e::Error::Check("note without data-id".into()))?;
            let before = card_background(b, &id).await?;
            mark_card(b, "race note").await?;

            // Alice opens the editor and types, but has not saved yet.
            b.click_element(&li.find(Locator::Css(".edit")).await?)
        .await?;
            let area = b.find("li.note textarea.edit-text").await?;
            area.clear().await?;
            area.send_keys("race note, mine").await?;

            // Meanwhile, in another browser, she changes the note's colour and saves.
            open_app(&other, stack, STICKY_NOTES, "builder", ALICE).await?;
            let card = UI.note(&other, "race note").await?;
            other
                .click_element(&card.find(Locator::Css(".edit")).await?)
                .await?;
            let colours = palette(&other).await?;
            let new_colour = colours
                .iter()
                .find(|c| !before.is_empty() && !colour_matches(&before, c))
                .cloned()
                .ok_or_else(|| appframe_e2e::Error::Check(format!("no other colour in {colours:?}")))?;
            other.select("li.note select.edit-color", &new_colour).await?;
            other.click("li.note .save").await?;
            other
                .wait_until("the other browser's save", async |o| {
                    Ok((o.count("li.note textarea.edit-text").await? == 0).then_some(()))
                })
                .await?;

            // The live update reaches the first browser: the card shows the new colour...
            b.wait_until("the live colour change in the editing browser", async |b| {
                let now = card_background(b, &id).await?;
                Ok(colour_matches(&now, &new_colour).then_some(()))
            })
            .await?;
            // ...and is the same element, its editor open with the draft as typed.
            ensure!(
                same_card(b, &id).await?,
                "the live update rebuilt the card being edited"
            );
            let draft = b
                .js(
                    "const t = document.querySelector('li.note textarea.edit-text'); return t ? t.value : null;",
                    vec![],
                )
                .await?;
            ensure!(
                draft == json!("race note, mine"),
                "the editor's draft after the live update: {draft}"
            );

            b.click("li.note .save").await?;
            UI.note(b, "race note, mine").await?;
            let status = b.text("#status").await?;
            ensure!(status == "ready", "after saving the app reads {status:?}");
            // Saved as typed, in the colour the other tab chose; both browsers agree.
            ensure!(
                colour_matches(&card_background(b, &id).await?, &new_colour),
                "saving the text reverted the other tab's colour"
            );
            UI.note(&other, "race note, mine").await?;
            other
                .wait_until("the other browser to show the colour", async |o| {
                    Ok(colour_matches(&card_background(o, &id).await?, &new_colour).then_some(()))
                })
                .await?;
            Ok(())
        }
        .await;
        let _ = other.close().await;
        outcome
    })
    .await;
}

/// Whether a CSS `background` value (the browser writes `rgb(r, g, b)`) is the hex colour
/// `#rrggbb`.
fn colour_matches(css: &str, hex: &str) -> bool {
    let h = hex.trim_start_matches('#');
    let channel = |i: usize| h.get(i..i + 2).and_then(|c| u8::from_str_radix(c, 16).ok());
    match (channel(0), channel(2), channel(4)) {
        (Some(r), Some(g), Some(b)) => css.contains(&format!("rgb({r}, {g}, {b})")),
        _ => false,
    }
}
