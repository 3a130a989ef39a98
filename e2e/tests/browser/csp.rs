//! The server's Content-Security-Policy leaves the host page, every demo app and Swagger UI
//! working, and the browser reports no violation.

use appframe_e2e::{
    Browser, Result,
    demo::{ALICE, APPS},
    ensure,
    host_page::open_app,
    run,
};
use serde_json::json;

/// Console lines in which Chromium reports a blocked load or script.
async fn violations(b: &Browser) -> Result<Vec<String>> {
    Ok(b.console()
        .await?
        .into_iter()
        .filter(|l| l.contains("Content Security Policy") || l.contains("Refused to"))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_page_apps_and_swagger_ui_run_under_the_csp_without_violations() {
    run("csp_no_violations", async |stack, b| {
        for app in APPS {
            open_app(b, stack, app, "builder", ALICE).await?;
        }
        b.top().await?;
        let policy = b
            .js_async(
                "const done = arguments[0]; fetch('/').then(r => done(r.headers.get('content-security-policy')), e => done('error: ' + e));",
                vec![],
            )
            .await?;
        let policy = policy.as_str().unwrap_or_default().to_owned();
        ensure!(
            policy.contains("frame-ancestors 'self'") && policy.contains("frame-src"),
            "the host page's policy: {policy:?}"
        );
        b.goto(&format!("{}/swagger/", stack.host)).await?;
        b.wait_until("Swagger UI to render the API's title", async |b| {
            let title = b
                .js("const t = document.querySelector('.swagger-ui .info .title'); return t ? t.textContent : null;", vec![])
                .await?;
            Ok(title.as_str().filter(|t| t.contains("appframe")).map(drop))
        })
        .await?;
        let seen = violations(b).await?;
        ensure!(seen.is_empty(), "CSP violations: {seen:#?}");
        // The check can fail: a page the policy does not allow is reported.
        b.js(
            "const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.body.append(s); return window.__inline ?? null;",
            vec![],
        )
        .await
        .and_then(|v| {
            ensure!(v == json!(null), "an inline script ran under Swagger UI's policy");
            Ok(())
        })?;
        let seen = b
            .wait_until("the blocked inline script to be reported", async |b| {
                let v = violations(b).await?;
                Ok((!v.is_empty()).then_some(v))
            })
            .await?;
        ensure!(!seen.is_empty(), "no report");
        Ok(())
    })
    .await;
}
