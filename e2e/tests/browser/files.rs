//! Uploaded files never become active content on the app's origin.

use crate::notes::STICKY_NOTES_UI as UI;
use appframe_e2e::{
    Error,
    demo::{BOB, STICKY_NOTES},
    ensure,
    host_page::open_app,
    run,
};
use serde_json::json;

/// The uploaded page: were it rendered, its script would mark the app's window and storage.
const EVIL_HTML: &str = "<!doctype html><title>evil</title><script>\
    window.parent.__pwned = 1; localStorage.setItem('pwned', '1');\
    </script><p>evil</p>\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_html_file_opened_from_its_download_url_does_not_run_its_script() {
    run("files_html_is_inert", async |stack, b| {
        open_app(b, stack, STICKY_NOTES, "builder", BOB).await?;
        UI.add(b, "with a page", "item").await?;
        let li = UI.note(b, "with a page").await?;
        let id = li
            .attr("data-id")
            .await?
            .ok_or_else(|| Error::Check("note without data-id".into()))?;
        let file = tempfile::Builder::new().suffix(".html").tempfile()?;
        std::fs::write(file.path(), EVIL_HTML)?;
        let input = b.find(&format!("#attach-{id}")).await?;
        input.send_keys(&file.path().display().to_string()).await?;
        b.click("li.note .download").await?;
        let link = b.find("li.note a.file-link").await?;
        let href = link.attr("href").await?.unwrap_or_default();
        ensure!(href.starts_with("blob:"), "download link {href:?}");
        let ty = b
            .js_async(
                "const [url, done] = arguments; fetch(url).then(r => r.blob()).then(b => done(b.type), e => done('error: ' + e));",
                vec![json!(href)],
            )
            .await?;
        // Opened the way an app shows a file: a frame navigated to the blob URL, which has the
        // app's origin. A text/html blob would run the script in it.
        b.js(
            "const f = document.createElement('iframe'); f.id = 'e2e-opened'; f.src = arguments[0]; document.body.append(f);",
            vec![json!(href)],
        )
        .await?;
        let outcome = b
            .wait_until("the script to run or the file to be downloaded", async |b| {
                let pwned = b
                    .js("return window.__pwned === 1 || localStorage.getItem('pwned') === '1';", vec![])
                    .await?;
                if pwned == json!(true) {
                    return Ok(Some("the uploaded script ran on the app's origin".to_owned()));
                }
                Ok((!b.downloads().is_empty()).then(|| "downloaded".to_owned()))
            })
            .await?;
        ensure!(outcome == "downloaded", "{outcome} (blob type {ty})");
        ensure!(
            ty == json!("application/octet-stream"),
            "the blob is typed {ty}"
        );
        let pwned = b
            .js("return [window.__pwned ?? null, localStorage.getItem('pwned')];", vec![])
            .await?;
        ensure!(pwned == json!([null, null]), "the script left {pwned}");
        Ok(())
    })
    .await;
}
