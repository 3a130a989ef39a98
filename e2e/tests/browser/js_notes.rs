//! The js-notes app (plain JS on the SDK's JS facade) in the demo host.

use crate::notes::JS_NOTES_UI as UI;
use appframe_e2e::{
    Browser, Result,
    demo::{ALICE, BOB, CAROL, JS_NOTES},
    ensure,
    host_page::{open_app, settled_frame_height, wait_frame_fits_content},
    run,
};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_in_the_builder_lists_creates_and_deletes_notes() {
    run("js_notes_admin_builder", async |stack, b| {
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        let who = b.text("#who").await?;
        ensure!(who == "Alice (admin, builder)", "#who reads {who:?}");
        UI.wait_texts(b, &[]).await?;
        UI.add(b, "first note", "item").await?;
        UI.add(b, "second note", "member").await?;
        // Listed again from the server after a reload.
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        UI.wait_texts(b, &["first note", "second note"]).await?;
        UI.delete(b, "first note").await?;
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        UI.wait_texts(b, &["second note"]).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_in_the_player_creates_and_deletes_own_notes_but_not_others() {
    run("js_notes_reader_player", async |stack, b| {
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        UI.add(b, "from alice", "item").await?;

        open_app(b, stack, JS_NOTES, "player", CAROL).await?;
        let who = b.text("#who").await?;
        ensure!(who == "Carol (read, player)", "#who reads {who:?}");
        UI.wait_texts(b, &["from alice"]).await?;
        ensure!(
            !UI.can_delete(b, "from alice").await?,
            "a reader is offered to delete the admin's note"
        );
        UI.add(b, "from carol", "item").await?;
        ensure!(
            UI.can_delete(b, "from carol").await?,
            "Carol cannot delete her own note"
        );
        UI.delete(b, "from carol").await?;
        open_app(b, stack, JS_NOTES, "player", CAROL).await?;
        UI.wait_texts(b, &["from alice"]).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_members_member_notes_are_invisible_to_another_member() {
    run("js_notes_member_visibility", async |stack, b| {
        open_app(b, stack, JS_NOTES, "player", CAROL).await?;
        UI.add(b, "carol private", "member").await?;
        UI.add(b, "carol public", "item").await?;

        open_app(b, stack, JS_NOTES, "builder", BOB).await?;
        UI.wait_texts(b, &["carol public"]).await?;
        // The admin sees every row.
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        UI.wait_texts(b, &["carol private", "carol public"]).await?;
        Ok(())
    })
    .await;
}

/// In the js-notes frame: a second SDK connection through the real host (a new handshake and a
/// new port) that tries to create an app setting. Returns `{ok, id}` or `{ok:false, code, status}`.
async fn try_create_setting(b: &Browser, name: &str) -> Result<Value> {
    b.js_async(
        "const [name, key, done] = arguments;
         import('./sdk/appframe_sdk.js').then(async (m) => {
           await m.default();
           const app = await m.connect({ key });
           try {
             const s = await app.createAppSetting(name, { colors: ['#ff0000'] });
             done({ ok: true, id: s.id });
           } catch (e) {
             done({ ok: false, code: e.code, status: e.status, serverCode: e.serverCode });
           }
         }).catch((e) => done({ ok: false, code: 'script', status: String(e) }));",
        vec![json!(name), json!(JS_NOTES.key.to_string())],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_settings_are_writable_through_the_real_host_only_by_an_admin() {
    run("js_notes_settings_admin_only", async |stack, b| {
        open_app(b, stack, JS_NOTES, "builder", CAROL).await?;
        let refused = try_create_setting(b, "palette").await?;
        ensure!(
            refused["ok"] == json!(false)
                && refused["code"] == json!("Http")
                && refused["status"] == json!(403),
            "a reader's setting write should be refused with HTTP 403: {refused}"
        );
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        let created = try_create_setting(b, "palette").await?;
        ensure!(
            created["ok"] == json!(true),
            "the admin's setting write failed: {created}"
        );
        let stored = stack
            .state
            .store()
            .list_app_settings(
                JS_NOTES.item,
                Some("palette"),
                appframe_server::store::Page {
                    after: None,
                    limit: 10,
                },
            )
            .await?;
        ensure!(stored.len() == 1, "stored settings: {}", stored.len());
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_iframe_grows_when_notes_are_added() {
    run("js_notes_iframe_grows", async |stack, b| {
        open_app(b, stack, JS_NOTES, "builder", ALICE).await?;
        b.top().await?;
        let before = settled_frame_height(b).await?;
        b.enter_app_frame().await?;
        for i in 0..8 {
            UI.add(b, &format!("note number {i}"), "item").await?;
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

/// The app manifest (`examples/js-notes/appframe.toml`) reaches the frame: the demo host grants
/// exactly its permissions through `allow` and `sandbox` (not the defaults: no fullscreen, no
/// popups) and the app sees the granted list in its context (`app.capabilities`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manifest_sets_the_frames_permissions_and_the_app_sees_what_was_granted() {
    run("js_notes_manifest_granted", async |stack, b| {
        open_app(b, stack, JS_NOTES, "player", CAROL).await?;
        let granted = b.text("#granted").await?;
        ensure!(
            granted == "clipboard-write, forms",
            "#granted reads {granted:?}"
        );
        b.top().await?;
        let attrs = b
            .js(
                "const f = document.getElementById('app-frame');
                 return [f.getAttribute('allow'), f.getAttribute('sandbox')];",
                vec![],
            )
            .await?;
        ensure!(
            attrs
                == json!([
                    "clipboard-write",
                    "allow-scripts allow-same-origin allow-forms"
                ]),
            "iframe allow and sandbox: {attrs}"
        );
        Ok(())
    })
    .await;
}

/// The visibility last chosen is kept per member in the storage shim (`app.storage()`): it is
/// back after a reload, another member does not get it, and it is not app data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chosen_visibility_is_kept_per_member_in_the_storage_shim() {
    run("js_notes_storage_shim", async |stack, b| {
        open_app(b, stack, JS_NOTES, "player", CAROL).await?;
        b.select("#note-visibility", "item").await?;
        let store = stack.state.store();
        b.wait_until("the choice to reach the server", async |_| {
            let v = store
                .storage_get(JS_NOTES.item, CAROL, "visibility")
                .await?;
            Ok(v.filter(|(value, _)| value == "item").map(drop))
        })
        .await?;
        open_app(b, stack, JS_NOTES, "player", CAROL).await?;
        let chosen = b
            .js(
                "return document.getElementById('note-visibility').value;",
                vec![],
            )
            .await?;
        ensure!(
            chosen == json!("item"),
            "after a reload Carol's choice reads {chosen}"
        );
        open_app(b, stack, JS_NOTES, "builder", BOB).await?;
        let chosen = b
            .js(
                "return document.getElementById('note-visibility').value;",
                vec![],
            )
            .await?;
        ensure!(
            chosen == json!("member"),
            "Bob starts from the default, got {chosen}"
        );
        let rows = store
            .app_data_positions(
                &appframe_server::store::DataQuery::whole_item(JS_NOTES.item),
                10,
            )
            .await?;
        ensure!(
            rows.is_empty(),
            "the storage shim wrote app data: {} rows",
            rows.len()
        );
        Ok(())
    })
    .await;
}
