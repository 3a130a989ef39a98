//! What the scale-out tests do over HTTP and WebSocket against any base URL (an instance or
//! the load balancer): log in, mint a token, upload, fetch a signed URL, hold a websocket.

use crate::common::{APP_ORIGIN, cookie_client, json_ok, key_of, plain_client};
use futures::{SinkExt, StreamExt};
use reqwest::{Client, Response, StatusCode, header, multipart};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

/// A host session: a cookie client logged in as `member` through `base`.
pub async fn login(base: &str, member: &str) -> Client {
    let c = cookie_client();
    let r = c
        .post(format!("{base}/api/login"))
        .json(&json!({ "memberId": member }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "login at {base}: {}", r.status());
    c
}

/// An app token for `item`, minted through `base` with `session`.
pub async fn mint(base: &str, session: &Client, item: &str) -> String {
    let r = session
        .post(format!("{base}/api/app-items/{item}/api-access-token"))
        .json(&json!({ "key": key_of(item), "origin": APP_ORIGIN }))
        .send()
        .await
        .unwrap();
    let v = json_ok(r).await;
    v["token"].as_str().expect("token").to_owned()
}

/// A request to `base + /api + path` as an app: Bearer `token`, the app's `Origin`.
pub fn app_req(
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    plain_client()
        .request(method, format!("{base}/api{path}"))
        .bearer_auth(token)
        .header(header::ORIGIN, APP_ORIGIN)
}

/// Uploads `bytes` as an app-data file through `base`; the raw response.
pub async fn upload(base: &str, token: &str, name: &str, bytes: Vec<u8>) -> Response {
    let part = multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap();
    app_req(
        base,
        token,
        reqwest::Method::POST,
        "/app-items/app-data/upload",
    )
    .multipart(multipart::Form::new().part("files", part))
    .send()
    .await
    .unwrap()
}

/// The signed download URL of app data `id`, asked through `base`.
pub async fn download_url(base: &str, token: &str, id: &str) -> String {
    let r = app_req(
        base,
        token,
        reqwest::Method::GET,
        &format!("/app-items/app-data/{id}/download"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "download URL of {id}");
    r.text().await.unwrap()
}

/// Fetches `url` without credentials, streaming: status, length and SHA-256 of the body.
pub async fn fetch_digest(url: &str) -> (StatusCode, u64, [u8; 32]) {
    let r = plain_client().get(url).send().await.unwrap();
    let status = r.status();
    let mut hash = Sha256::new();
    let mut len = 0u64;
    let mut body = r.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        len += chunk.len() as u64;
        hash.update(&chunk);
    }
    (status, len, hash.finalize().into())
}

/// SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `len` bytes that differ from block to block (no compression or deduplication can shortcut
/// them).
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// A websocket on `/api/ws` of `base`, authenticated by an app token.
pub struct Ws {
    s: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    /// `X-Appframe-Instance` of the upgrade answer, when it came through the balancer.
    pub instance: Option<String>,
}

impl Ws {
    /// Connects with `token` (as an app does) and subscribes to `app-data` of `item`.
    pub async fn subscribe(base: &str, token: &str, item: &str) -> Ws {
        let mut req = format!("{}/api/ws", base.replacen("http://", "ws://", 1))
            .into_client_request()
            .unwrap();
        let h = req.headers_mut();
        h.insert(header::ORIGIN, APP_ORIGIN.parse().unwrap());
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            format!("appframe.v1, appframe.token.{token}")
                .parse()
                .unwrap(),
        );
        let (s, res) = tokio_tungstenite::connect_async(req).await.unwrap();
        let instance = res
            .headers()
            .get("x-appframe-instance")
            .map(|v| v.to_str().unwrap().to_owned());
        let mut ws = Ws { s, instance };
        let sub =
            json!({"realm": "notif", "action": "subscribe", "topic": "app-data", "channel": item});
        ws.s.send(Message::Text(sub.to_string().into()))
            .await
            .unwrap();
        let r = ws.next().await;
        assert_eq!(r["status"], "success", "subscribe: {r}");
        ws
    }

    /// The next message that is not a heartbeat (panics after 10 s).
    pub async fn next(&mut self) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(10), self.s.next())
                .await
                .expect("a websocket message within 10 s")
                .expect("the websocket is open")
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if !(v["type"] == "info" && v["message"] == "heartbeat") {
                    return v;
                }
            }
        }
    }
}
