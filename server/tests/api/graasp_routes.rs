//! Every route the official Graasp client (`@graasp/apps-query-client` 4.1.0, `API_ROUTES` in
//! `src/api/routes.ts`) builds, built the way the client builds it, is served: not 404, not the
//! host page served at `/`, with a valid token. Fifteen are `${apiHost}/<path>` (string
//! concatenation); the chat bot is `new URL('app-items/<id>/chat-bot', apiHost)` and the socket
//! `new URL('/ws', API_HOST)` (URL resolution, which drops `apiHost`'s `/api`). `Url::join` is
//! the WHATWG resolution `new URL(relative, base)` performs.

use crate::api_tests;
use crate::common::*;
use reqwest::{Method, StatusCode, Url, header, multipart};
use serde_json::{Value, json};

/// What the host page at `/` answers for any unknown path.
const HOST_PAGE: &str = "<!doctype html><title>appframe host page</title>";

/// `${apiHost}/${path}`: how the client builds every route but the chat bot.
fn concat(api_host: &str, path: &str) -> String {
    format!("{api_host}/{path}")
}

/// `new URL(relative, base)`.
fn resolve(base: &str, relative: &str) -> String {
    Url::parse(base)
        .unwrap()
        .join(relative)
        .unwrap()
        .to_string()
}

/// Sends one request as the client does (Bearer token, the app's Origin) and asserts it was
/// served: a 2xx that is not the host page. Returns the body.
async fn served(
    app: &AppClient,
    name: &str,
    method: Method,
    url: &str,
    body: Option<Value>,
    form: Option<multipart::Form>,
) -> String {
    let mut req = app
        .http
        .request(method.clone(), url)
        .bearer_auth(&app.token)
        .header(header::ORIGIN, &app.origin);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(f) = form {
        req = req.multipart(f);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_ne!(
        status,
        StatusCode::NOT_FOUND,
        "{name}: {method} {url}: {text}"
    );
    assert!(
        !text.contains(HOST_PAGE),
        "{name}: {method} {url} answered the host page"
    );
    assert!(
        status.is_success(),
        "{name}: {method} {url}: {status} {text}"
    );
    text
}

fn upload(name: &str) -> multipart::Form {
    multipart::Form::new().part(
        "files",
        multipart::Part::bytes(b"file".to_vec())
            .file_name(name.to_owned())
            .mime_str("text/plain")
            .unwrap(),
    )
}

fn id_of(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap();
    let v = if let Value::Array(mut a) = v {
        a.remove(0)
    } else {
        v
    };
    v["id"].as_str().unwrap().to_owned()
}

api_tests! {
    /// The 16 routes of `API_ROUTES` and the socket, with a host page served at `/`.
    async fn every_route_of_the_graasp_clients_api_routes_is_served(t) {
        let host = t.data_dir().join("host-page");
        std::fs::create_dir_all(&host).unwrap();
        std::fs::write(host.join("index.html"), HOST_PAGE).unwrap();
        let dev: appframe_server::config::ChatBotConfig =
            toml::from_str("backend = \"dev\"\ndefault_model = \"m\"").unwrap();
        t.restart(move |c| {
            c.server.host_dir = Some(host);
            c.chat_bot = Some(dev);
        }).await;
        // The host page really answers unknown paths, so "not the host page" means something.
        let r = t.http.get(t.url("/app-items/nothing-here")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains(HOST_PAGE));

        let app = t.app_for(ALICE, NOTES_ITEM).await;
        let api = t.api.clone();
        let item = NOTES_ITEM;
        let mut seen = Vec::new();
        let mut route = |name: &'static str| seen.push(name);

        route("buildPostAppDataRoute");
        let data = served(&app, "post app data", Method::POST, &concat(&api, &format!("app-items/{item}/app-data")), Some(json!({"type": "note", "data": {"text": "hi"}})), None).await;
        let data_id = id_of(&data);
        route("buildGetAppDataRoute");
        served(&app, "get app data", Method::GET, &concat(&api, &format!("app-items/{item}/app-data")), None, None).await;
        route("buildPatchAppDataRoute");
        served(&app, "patch app data", Method::PATCH, &concat(&api, &format!("app-items/{item}/app-data/{data_id}")), Some(json!({"data": {"text": "edited"}})), None).await;
        route("buildPostAppActionRoute");
        served(&app, "post app action", Method::POST, &concat(&api, &format!("app-items/{item}/app-action")), Some(json!({"type": "click", "data": {}})), None).await;
        route("buildGetAppActionsRoute");
        served(&app, "get app actions", Method::GET, &concat(&api, &format!("app-items/{item}/app-action")), None, None).await;
        route("buildPostAppSettingRoute");
        let setting = served(&app, "post app setting", Method::POST, &concat(&api, &format!("app-items/{item}/app-settings")), Some(json!({"name": "config", "data": {}})), None).await;
        let setting_id = id_of(&setting);
        route("buildGetAppSettingsRoute");
        served(&app, "get app settings", Method::GET, &concat(&api, &format!("app-items/{item}/app-settings")), None, None).await;
        route("buildPatchAppSettingRoute");
        served(&app, "patch app setting", Method::PATCH, &concat(&api, &format!("app-items/{item}/app-settings/{setting_id}")), Some(json!({"data": {"a": 1}})), None).await;
        route("buildGetContextRoute");
        served(&app, "get context", Method::GET, &concat(&api, &format!("app-items/{item}/context")), None, None).await;
        route("buildUploadAppDataFilesRoute");
        let file = served(&app, "upload app data file", Method::POST, &concat(&api, &format!("app-items/app-data/upload?id={item}")), None, Some(upload("a.txt"))).await;
        route("buildDownloadAppDataFileRoute");
        let url = served(&app, "download app data file", Method::GET, &concat(&api, &format!("app-items/app-data/{}/download", id_of(&file))), None, None).await;
        assert_eq!(plain_client().get(url.trim()).send().await.unwrap().bytes().await.unwrap().as_ref(), b"file");
        route("buildUploadAppSettingFilesRoute");
        let file = served(&app, "upload app setting file", Method::POST, &concat(&api, &format!("app-items/app-settings/upload?id={item}")), None, Some(upload("b.txt"))).await;
        route("buildDownloadAppSettingFileRoute");
        served(&app, "download app setting file", Method::GET, &concat(&api, &format!("app-items/app-settings/{}/download", id_of(&file))), None, None).await;
        route("buildPostChatBotRoute");
        let chat_url = resolve(&api, &format!("app-items/{item}/chat-bot?gptVersion=gpt-4o"));
        assert!(!chat_url.contains("/api/"), "the client's resolution drops /api: {chat_url}");
        let answer = served(&app, "post chat bot", Method::POST, &chat_url, Some(json!([{"role": "user", "content": "hi"}])), None).await;
        assert_eq!(serde_json::from_str::<Value>(&answer).unwrap()["completion"], "[dev chat bot] You said: hi");
        route("buildDeleteAppDataRoute");
        served(&app, "delete app data", Method::DELETE, &concat(&api, &format!("app-items/{item}/app-data/{data_id}")), None, None).await;
        route("buildDeleteAppSettingRoute");
        served(&app, "delete app setting", Method::DELETE, &concat(&api, &format!("app-items/{item}/app-settings/{setting_id}")), None, None).await;
        assert_eq!(seen.len(), 16, "every route of API_ROUTES: {seen:?}");

        // The socket: `new URL('/ws', API_HOST)` with `ws:`, the user's cookie, the app's Origin.
        let mut ws_url = Url::parse(&resolve(&api, "/ws")).unwrap();
        ws_url.set_scheme("ws").unwrap();
        assert_eq!(ws_url.path(), "/ws");
        let login = t.http.post(t.url("/api/login")).json(&json!({"memberId": CAROL})).send().await.unwrap();
        let cookie = header_str(&login, "set-cookie").split(';').next().unwrap().to_owned();
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = ws_url.as_str().into_client_request().unwrap();
        req.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
        req.headers_mut().insert(header::ORIGIN, APP_ORIGIN.parse().unwrap());
        let (socket, res) = tokio_tungstenite::connect_async(req).await.expect("the socket at the resolved URL upgrades");
        assert_eq!(res.status().as_u16(), 101);
        drop(socket);
    }
}
