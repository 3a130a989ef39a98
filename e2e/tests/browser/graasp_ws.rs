//! A Graasp-client-shaped app with websockets on: it opens `new URL('/ws', API_HOST)` (the
//! origin's root) with the user's cookie from a registered app origin, and receives another
//! member's write live.

use appframe_e2e::{
    Error, Result,
    demo::{BOB, CAROL, JS_NOTES},
    host_page::open_app,
    run,
};
use axum::{
    body::Body,
    http::{Request, header},
};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The demo integration key (server/demo.toml).
const API_KEY: &str = "demo-integration-key-change-me";

/// One request through the stack's server, in process; the JSON answer (`null` when empty).
async fn call(
    stack: &appframe_e2e::Stack,
    path: &str,
    bearer: &str,
    origin: Option<&str>,
    body: Value,
) -> Result<Value> {
    let mut req = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    let req = req
        .body(Body::from(body.to_string()))
        .map_err(|e| Error::Check(e.to_string()))?;
    let res = appframe_server::app(stack.state.clone())
        .oneshot(req)
        .await
        .map_err(|e| Error::Check(e.to_string()))?;
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .map_err(|e| Error::Check(e.to_string()))?;
    if !status.is_success() {
        return Err(Error::Check(format!(
            "POST {path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        )));
    }
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graasp_client_shaped_app_with_websockets_on_gets_another_members_write_live() {
    run("graasp_ws_root", async |stack, b| {
        // The fixture's origin stands for the app's: the operator registers it for the demo
        // publisher (the cookie socket of a registered origin reaches that publisher's items).
        let publisher = appframe_server::config::Config::demo().publishers[0]
            .name
            .clone();
        call(
            stack,
            "/api/admin/publishers",
            API_KEY,
            None,
            json!({"name": publisher, "origins": [stack.apps, stack.fixtures]}),
        )
        .await?;
        // Carol logs in through the host page: her session cookie is the socket's only credential.
        open_app(b, stack, JS_NOTES, "player", CAROL).await?;
        b.top().await?;
        let item = JS_NOTES.item.to_string();
        let api_host = stack.api_host();
        b.goto(&stack.fixture(
            "graasp-ws-app.html",
            &[("apiHost", api_host.as_str()), ("itemId", item.as_str())],
        ))
        .await?;
        b.wait_text("#status", "subscribed").await?;
        // Bob writes through the API, from the app's origin, with his own token.
        let token = call(
            stack,
            "/api/admin/app-tokens",
            API_KEY,
            None,
            json!({"memberId": BOB, "itemId": item, "key": JS_NOTES.key, "origin": stack.apps}),
        )
        .await?;
        let token = token["token"].as_str().unwrap_or_default().to_owned();
        call(
            stack,
            &format!("/api/app-items/{item}/app-data"),
            &token,
            Some(&stack.apps),
            json!({"type": "note", "data": {"text": "live from bob"}, "visibility": "item"}),
        )
        .await?;
        b.wait_text("li.update", "live from bob").await?;
        Ok(())
    })
    .await;
}
