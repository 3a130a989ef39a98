//! Helpers that know the demo host page (`#app-frame`, `#bridge-log`) and the apps' `#status`.

use crate::{
    browser::Browser,
    demo::DemoApp,
    error::{Error, Result},
    stack::Stack,
};
use serde::Deserialize;
use uuid::Uuid;

/// One line of the host page's bridge log panel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogLine {
    /// `in` (to the host) or `out` (to the app).
    pub direction: String,
    /// `handled`, `sent`, `ignored` or `failed`.
    pub outcome: String,
    /// Message type without the item suffix, e.g. `GET_CONTEXT`.
    #[serde(rename = "type")]
    pub message_type: String,
    /// Why it was ignored or failed (empty otherwise).
    pub reason: String,
}

/// The bridge log as the host page shows it (the current frame must be the host page).
pub async fn bridge_log(b: &Browser) -> Result<Vec<LogLine>> {
    let v = b
        .js(
            r#"return Array.from(document.querySelectorAll('#bridge-log li')).map(li => ({
                direction: li.classList.contains('in') ? 'in' : 'out',
                outcome: ['handled','sent','ignored','failed'].find(c => li.classList.contains(c)) || '',
                type: li.dataset.type || '',
                reason: (li.querySelector('.reason') || {}).textContent || ''
            }));"#,
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// Waits until the bridge log has a line satisfying `accept`; `what` describes it.
pub async fn wait_log(
    b: &Browser,
    what: &str,
    accept: impl Fn(&LogLine) -> bool,
) -> Result<LogLine> {
    b.wait_until(&format!("a bridge log line: {what}"), async |b| {
        Ok(bridge_log(b).await?.into_iter().find(|l| accept(l)))
    })
    .await
}

/// In the app's frame: waits until `#status` reads `ready`; an `error: ...` status fails at once.
pub async fn wait_app_ready(b: &Browser) -> Result<()> {
    let status = b
        .wait_text_where("#status", "ready (or an error)", |t| {
            t == "ready" || t.starts_with("error")
        })
        .await?;
    if status == "ready" {
        Ok(())
    } else {
        Err(Error::Check(format!("the app reported {status:?}")))
    }
}

/// Opens `app`'s demo item in `view` as `member`, enters the app iframe and waits for `ready`.
/// Leaves the browser inside the app frame.
pub async fn open_app(
    b: &Browser,
    stack: &Stack,
    app: DemoApp,
    view: &str,
    member: Uuid,
) -> Result<()> {
    open_item(b, stack, app.item, view, member).await
}

/// [`open_app`] for any item of the stack's config (e.g. one of an app under development).
pub async fn open_item(
    b: &Browser,
    stack: &Stack,
    item: Uuid,
    view: &str,
    member: Uuid,
) -> Result<()> {
    b.goto(&stack.item_page(item, view, member)).await?;
    // The page (re)attaches the bridge once the item and the member are loaded; entering the
    // frame before that would enter the blank document that is about to be replaced.
    b.wait_until("the app iframe to get its src", async |b| {
        let src = b
            .js(
                "const f = document.getElementById('app-frame'); return f ? f.getAttribute('src') : null;",
                vec![],
            )
            .await?;
        Ok(src.as_str().filter(|s| !s.is_empty()).map(drop))
    })
    .await?;
    b.wait_until("the app frame to show its #status", async |b| {
        b.top().await?;
        b.enter_app_frame().await?;
        Ok((b.count("#status").await? > 0).then_some(()))
    })
    .await?;
    wait_app_ready(b).await
}

/// The rendered height of the app iframe in CSS px (the current frame must be the host page).
pub async fn frame_height(b: &Browser) -> Result<f64> {
    let v = b
        .js(
            "return document.getElementById('app-frame').getBoundingClientRect().height;",
            vec![],
        )
        .await?;
    v.as_f64()
        .ok_or_else(|| Error::Check(format!("iframe height is not a number: {v}")))
}

/// The height of the app's content in its frame: the body's box plus its margins (the browser
/// must be inside the app frame).
pub async fn content_height(b: &Browser) -> Result<f64> {
    let v = b
        .js(
            "const s = getComputedStyle(document.body);
             return document.body.getBoundingClientRect().height
               + parseFloat(s.marginTop) + parseFloat(s.marginBottom);",
            vec![],
        )
        .await?;
    v.as_f64()
        .ok_or_else(|| Error::Check(format!("content height is not a number: {v}")))
}

/// The iframe height once it has not changed for half a second (the host page's frame).
pub async fn settled_frame_height(b: &Browser) -> Result<f64> {
    let mut last = frame_height(b).await?;
    let mut since = std::time::Instant::now();
    b.wait_until("the iframe height to settle", async |b| {
        let h = frame_height(b).await?;
        if (h - last).abs() > 0.5 {
            last = h;
            since = std::time::Instant::now();
        }
        Ok((since.elapsed() >= std::time::Duration::from_millis(500)).then_some(h))
    })
    .await
}

/// From the host page: waits until the app iframe is taller than `min` and fits the app's
/// content (no scrollbar, at most a few px of slack), and returns (iframe, content) heights.
/// Leaves the browser in the host page.
pub async fn wait_frame_fits_content(b: &Browser, min: f64) -> Result<(f64, f64)> {
    let mut last = (0.0, 0.0);
    let r = b
        .wait_until(
            &format!("the iframe to grow past {min} px and fit its content"),
            async |b| {
                b.top().await?;
                let frame = frame_height(b).await?;
                b.enter_app_frame().await?;
                let content = content_height(b).await?;
                b.top().await?;
                last = (frame, content);
                Ok(
                    (frame > min && frame >= content - 1.0 && frame <= content.ceil() + 8.0)
                        .then_some((frame, content)),
                )
            },
        )
        .await;
    r.map_err(|e| match e {
        Error::Timeout { what, waited_ms } => Error::Timeout {
            what: format!("{what}; last iframe/content heights: {last:?}"),
            waited_ms,
        },
        e => e,
    })
}
