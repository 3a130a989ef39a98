//! Black-box tests of `/api/ws`: the real server on `127.0.0.1:0`, websocket clients from
//! tokio-tungstenite, writes through the HTTP API.
//!
//! Each test runs on SQLite (`sqlite::*`) and on Postgres (`postgres::*`, a fresh database per
//! test) when `APPFRAME_TEST_DATABASE_URL` is set, e.g.
//! `APPFRAME_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test -p appframe-server --test ws`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;
#[path = "ws/delivery.rs"]
mod delivery;
#[path = "ws/fuzz.rs"]
mod fuzz;
#[path = "ws/membership_cache.rs"]
mod membership_cache;
#[path = "../../protocol/tests/strategies/mod.rs"]
mod strategies;

use common::*;
use futures::{SinkExt, StreamExt};
use reqwest::{Method, header};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{self, Message, client::IntoClientRequest},
};

/// How long a test waits for a message that must come.
const WAIT: Duration = Duration::from_secs(10);
/// How long a test waits to be sure a message does not come.
const QUIET: Duration = Duration::from_millis(400);

/// How a test client authenticates.
#[derive(Debug, Clone, Default)]
struct Auth {
    cookie: Option<String>,
    token: Option<String>,
    origin: Option<String>,
    /// A raw `Sec-WebSocket-Protocol` value instead of the one built from `token`.
    protocols: Option<String>,
    /// The URL path; `/api/ws` when none.
    path: Option<String>,
}

/// A raw session cookie (`appframe_session=...`) of a dev login.
async fn session_cookie(t: &TestServer, member: &str) -> String {
    let r = t
        .http
        .post(t.url("/api/login"))
        .json(&json!({ "memberId": member }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "login: {}", r.status());
    let set = header_str(&r, "set-cookie");
    set.split(';').next().unwrap().to_owned()
}

fn cookie_auth(cookie: String) -> Auth {
    Auth {
        cookie: Some(cookie),
        ..Auth::default()
    }
}

fn token_auth(token: String) -> Auth {
    Auth {
        token: Some(token),
        origin: Some(APP_ORIGIN.to_owned()),
        ..Auth::default()
    }
}

struct Ws {
    s: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The subprotocol the server selected.
    protocol: Option<String>,
}

/// Opens `/api/ws` with `auth`; `Err` carries the HTTP status of a refused upgrade.
async fn try_connect(base: &str, auth: &Auth) -> Result<Ws, u16> {
    let url = format!(
        "{}{}",
        base.replacen("http://", "ws://", 1),
        auth.path.as_deref().unwrap_or("/api/ws")
    );
    let mut req = url.into_client_request().unwrap();
    let h = req.headers_mut();
    if let Some(c) = &auth.cookie {
        h.insert(header::COOKIE, c.parse().unwrap());
    }
    if let Some(o) = &auth.origin {
        h.insert(header::ORIGIN, o.parse().unwrap());
    }
    if let Some(t) = &auth.token {
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            format!("appframe.v1, appframe.token.{t}").parse().unwrap(),
        );
    }
    if let Some(p) = &auth.protocols {
        h.insert(header::SEC_WEBSOCKET_PROTOCOL, p.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((s, res)) => Ok(Ws {
            s,
            protocol: res
                .headers()
                .get(header::SEC_WEBSOCKET_PROTOCOL)
                .map(|v| v.to_str().unwrap().to_owned()),
        }),
        Err(tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("websocket connect failed: {e}"),
    }
}

/// Like [`connect`] with a small socket receive buffer: a client that stops reading fills it
/// (and the server's send buffer) after a few large messages.
async fn connect_small_buffer(t: &TestServer, auth: &Auth) -> Ws {
    let addr: std::net::SocketAddr = t.base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let mut req = format!("ws://{addr}/api/ws").into_client_request().unwrap();
    if let Some(c) = &auth.cookie {
        req.headers_mut().insert(header::COOKIE, c.parse().unwrap());
    }
    let (s, _) = tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream))
        .await
        .unwrap();
    Ws { s, protocol: None }
}

async fn connect(t: &TestServer, auth: &Auth) -> Ws {
    try_connect(&t.base, auth)
        .await
        .unwrap_or_else(|s| panic!("upgrade refused with {s}"))
}

/// What a client saw next.
#[derive(Debug)]
enum Seen {
    Json(Value),
    Closed(Option<u16>),
}

impl Ws {
    async fn send(&mut self, v: Value) {
        self.s
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    async fn send_raw(&mut self, text: &str) {
        self.s.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next JSON message or close, skipping heartbeats and pings; `None` on timeout.
    async fn next_within(&mut self, d: Duration) -> Option<Seen> {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            let m = tokio::time::timeout_at(deadline, self.s.next())
                .await
                .ok()?;
            match m {
                None | Some(Err(_)) => return Some(Seen::Closed(None)),
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    if v["type"] == "info" && v["message"] == "heartbeat" {
                        continue;
                    }
                    return Some(Seen::Json(v));
                }
                Some(Ok(Message::Close(f))) => {
                    return Some(Seen::Closed(f.map(|f| u16::from(f.code))));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next JSON message (panics on close or timeout).
    async fn next(&mut self) -> Value {
        match self.next_within(WAIT).await {
            Some(Seen::Json(v)) => v,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Asserts nothing arrives for a while.
    async fn quiet(&mut self) {
        if let Some(s) = self.next_within(QUIET).await {
            panic!("expected no message, got {s:?}");
        }
    }

    /// Sends a subscription request and returns the response.
    async fn request(&mut self, action: &str, topic: &str, channel: &str) -> Value {
        let req = json!({"realm": "notif", "action": action, "topic": topic, "channel": channel});
        self.send(req.clone()).await;
        let r = self.next().await;
        assert_eq!(r["type"], "response", "{r}");
        assert_eq!(r["realm"], "notif", "{r}");
        if r["status"] == "success" {
            assert_eq!(r["request"], req, "a success echoes the request: {r}");
            assert!(r.get("error").is_none(), "{r}");
        }
        r
    }

    async fn subscribe(&mut self, topic: &str, channel: &str) {
        let r = self.request("subscribe", topic, channel).await;
        assert_eq!(r["status"], "success", "subscribe {topic} {channel}: {r}");
    }

    /// The next message, asserted to be an update of `topic` on `item` with operation `op`;
    /// returns the entity.
    async fn update(&mut self, topic: &str, item: &str, op: &str) -> Value {
        let v = self.next().await;
        assert_eq!(v["type"], "update", "{v}");
        assert_eq!(v["realm"], "notif", "{v}");
        assert_eq!(v["topic"], topic, "{v}");
        assert_eq!(v["channel"], item, "{v}");
        let body = v["body"].as_object().unwrap();
        assert_eq!(body["kind"], topic, "{v}");
        assert_eq!(body["op"], op, "{v}");
        let field = match topic {
            "app-data" => "appData",
            "app-actions" => "appAction",
            _ => "appSetting",
        };
        assert_eq!(body.len(), 3, "body is exactly {{kind, op, {field}}}: {v}");
        body[field].clone()
    }

    /// Expects `{type:'info', message:'closing', extra:{reason}}` then a close with `code`.
    async fn closed_with(&mut self, reason: &str, code: u16) {
        loop {
            match self.next_within(WAIT).await {
                Some(Seen::Json(v)) if v["type"] == "update" => continue,
                Some(Seen::Json(v)) => {
                    assert_eq!(v["type"], "info", "{v}");
                    assert_eq!(v["message"], "closing", "{v}");
                    assert_eq!(v["extra"]["reason"], reason, "{v}");
                    break;
                }
                other => panic!("expected the closing info {reason:?}, got {other:?}"),
            }
        }
        match self.next_within(WAIT).await {
            Some(Seen::Closed(c)) => assert_eq!(c, Some(code), "close code"),
            other => panic!("expected a close {code}, got {other:?}"),
        }
    }
}

fn admin_req(t: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    t.http.request(method, t.url(path)).bearer_auth(API_KEY)
}

async fn set_permission(t: &TestServer, member: &str, item: &str, permission: &str) {
    let r = admin_req(t, Method::POST, "/api/admin/memberships")
        .json(&json!({"member": member, "item": item, "permission": permission}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "set membership: {}", r.status());
}

async fn remove_membership(t: &TestServer, member: &str, item: &str) {
    let r = admin_req(
        t,
        Method::DELETE,
        &format!("/api/admin/memberships/{item}/{member}"),
    )
    .send()
    .await
    .unwrap();
    assert!(r.status().is_success(), "delete membership: {}", r.status());
}

fn note(text: &str) -> Value {
    json!({"type": "note", "data": {"text": text}, "visibility": "item"})
}

api_tests! {
    /// The official client opens `new URL('/ws', API_HOST)`, the origin's root, with the
    /// user's cookie from the app's origin: the root `/ws` is the same socket as `/api/ws`
    /// (same auth and origin rules), even when a host page is served at `/`, and a
    /// Graasp-shaped app connection gets another member's write live.
    async fn the_root_ws_is_the_same_socket_as_api_ws_and_a_graasp_shaped_app_gets_live_updates(t) {
        let host = t.data_dir().join("host-page");
        std::fs::create_dir_all(&host).unwrap();
        std::fs::write(host.join("index.html"), "<!doctype html><title>host page</title>").unwrap();
        t.restart(move |c| c.server.host_dir = Some(host)).await;
        let root = |auth: Auth| Auth { path: Some("/ws".into()), ..auth };
        let cookie = session_cookie(t, CAROL).await;
        assert_eq!(try_connect(&t.base, &root(Auth::default())).await.err(), Some(401));
        let evil = Auth { origin: Some(EVIL_ORIGIN.into()), ..cookie_auth(cookie.clone()) };
        assert_eq!(try_connect(&t.base, &root(evil)).await.err(), Some(403));
        let r = t.http.get(t.url("/ws")).send().await.unwrap();
        assert_ne!(r.status().as_u16(), 200, "the root /ws is not the host page");
        assert!(!r.text().await.unwrap().contains("host page"));
        let mut app = connect(t, &root(Auth { origin: Some(APP_ORIGIN.into()), ..cookie_auth(cookie) })).await;
        app.subscribe("app-data", NOTES_ITEM).await;
        let bob = t.app_for(BOB, NOTES_ITEM).await;
        let posted = bob.post_data(NOTES_ITEM, note("live at the root")).await;
        assert_eq!(app.update("app-data", NOTES_ITEM, "post").await, posted);
        let token = t.token_for(CAROL, NOTES_ITEM).await;
        let mut tok = connect(t, &root(token_auth(token))).await;
        assert_eq!(tok.protocol.as_deref(), Some("appframe.v1"));
        tok.subscribe("app-data", NOTES_ITEM).await;
    }

    /// A host page (session cookie, no Origin or the host's Origin) sees item-visible app data
    /// posted, patched and deleted by another member, with Graasp's exact update shape.
    async fn a_cookie_subscriber_sees_item_visible_data_posted_patched_and_deleted(t) {
        let mut bob = connect(t, &cookie_auth(session_cookie(t, BOB).await)).await;
        assert_eq!(bob.protocol, None, "a cookie connection has no subprotocol");
        bob.subscribe("app-data", NOTES_ITEM).await;
        let mut host = connect(t, &Auth { origin: Some(t.base.clone()), ..cookie_auth(session_cookie(t, CAROL).await) }).await;
        host.subscribe("app-data", NOTES_ITEM).await;
        let alice = t.app_for(ALICE, NOTES_ITEM).await;
        let posted = alice.post_data(NOTES_ITEM, note("hello")).await;
        for ws in [&mut bob, &mut host] {
            assert_eq!(ws.update("app-data", NOTES_ITEM, "post").await, posted);
        }
        let r = alice.req(Method::PATCH, &format!("/app-items/{NOTES_ITEM}/app-data/{}", posted["id"].as_str().unwrap()))
            .json(&json!({"data": {"text": "edited"}})).send().await.unwrap();
        let patched = json_ok(r).await;
        assert_eq!(bob.update("app-data", NOTES_ITEM, "patch").await, patched);
        let r = alice.req(Method::DELETE, &format!("/app-items/{NOTES_ITEM}/app-data/{}", posted["id"].as_str().unwrap()))
            .send().await.unwrap();
        assert!(r.status().is_success());
        let deleted = bob.update("app-data", NOTES_ITEM, "delete").await;
        assert_eq!(deleted["id"], posted["id"]);
        assert_eq!(deleted["data"]["text"], "edited");
        bob.quiet().await;
    }

    /// An app (token in the subprotocol, its own Origin) gets `appframe.v1` back and updates of
    /// its item.
    async fn a_token_subscriber_gets_the_subprotocol_and_updates_of_its_item(t) {
        let token = t.token_for(CAROL, NOTES_ITEM).await;
        let mut carol = connect(t, &token_auth(token.clone())).await;
        assert_eq!(carol.protocol.as_deref(), Some("appframe.v1"));
        carol.subscribe("app-data", NOTES_ITEM).await;
        carol.subscribe("app-settings", NOTES_ITEM).await;
        // Without an Origin header (a native client) the token alone is enough.
        let mut native = connect(t, &Auth { token: Some(token), ..Auth::default() }).await;
        native.subscribe("app-data", NOTES_ITEM).await;
        let bob = t.app_for(BOB, NOTES_ITEM).await;
        let posted = bob.post_data(NOTES_ITEM, note("from bob")).await;
        assert_eq!(carol.update("app-data", NOTES_ITEM, "post").await, posted);
        assert_eq!(native.update("app-data", NOTES_ITEM, "post").await, posted);
        let alice = t.app_for(ALICE, NOTES_ITEM).await;
        let setting = alice.post_setting(NOTES_ITEM, json!({"name": "board", "data": {"color": "blue"}})).await;
        assert_eq!(carol.update("app-settings", NOTES_ITEM, "post").await, setting);
    }

    /// No cookie and no token, a bad token, an unknown session: 401; a token without
    /// `appframe.v1`: 400; all before the upgrade.
    async fn an_upgrade_without_valid_credentials_is_refused_before_upgrading(t) {
        assert_eq!(try_connect(&t.base, &Auth::default()).await.err(), Some(401));
        let forged = sign_token(&json!({"sub": {"accountId": BOB, "itemId": NOTES_ITEM, "key": NOTES_KEY, "origin": APP_ORIGIN}, "iat": now_secs(), "exp": now_secs() + 60}), "another-secret-another-secret-another-secret");
        assert_eq!(try_connect(&t.base, &token_auth(forged)).await.err(), Some(401));
        let expired = sign_token(&json!({"sub": {"accountId": BOB, "itemId": NOTES_ITEM, "key": NOTES_KEY, "origin": APP_ORIGIN}, "iat": now_secs() - 100, "exp": now_secs() - 10}), JWT_SECRET);
        assert_eq!(try_connect(&t.base, &token_auth(expired)).await.err(), Some(401));
        assert_eq!(try_connect(&t.base, &cookie_auth("appframe_session=nope".into())).await.err(), Some(401));
        // A token offered without `appframe.v1` could not be answered with a subprotocol the
        // browser accepts: refused before the upgrade.
        let token = t.token_for(BOB, NOTES_ITEM).await;
        let bare = Auth { protocols: Some(format!("appframe.token.{token}")), ..Auth::default() };
        assert_eq!(try_connect(&t.base, &bare).await.err(), Some(400));
    }

    /// Cross-site WebSocket hijacking guard: a session cookie is honoured only from the host
    /// page's origin or a registered publisher origin (else 403 AFERR010); a token only from
    /// its own origin (else 401 AFERR019, as on REST: the token is not valid for this caller).
    async fn an_upgrade_from_a_foreign_origin_or_another_origin_than_the_tokens_is_refused(t) {
        let cookie = session_cookie(t, BOB).await;
        let evil = Auth { origin: Some(EVIL_ORIGIN.into()), ..cookie_auth(cookie.clone()) };
        assert_eq!(try_connect(&t.base, &evil).await.err(), Some(403));
        let publisher = Auth { origin: Some(APP_ORIGIN.into()), ..cookie_auth(cookie.clone()) };
        assert!(try_connect(&t.base, &publisher).await.is_ok());
        let token = t.token_for(BOB, NOTES_ITEM).await;
        for origin in [APP_ORIGIN_2, EVIL_ORIGIN, "null"] {
            let other = Auth { origin: Some(origin.into()), ..token_auth(token.clone()) };
            assert_eq!(try_connect(&t.base, &other).await.err(), Some(401), "token origin mismatch {origin}");
        }
        let r = t.http.get(t.url("/api/ws")).header(header::ORIGIN, EVIL_ORIGIN)
            .header(header::SEC_WEBSOCKET_PROTOCOL, format!("appframe.v1, appframe.token.{token}"))
            .send().await.unwrap();
        expect_error(r, 401, Some("AFERR019")).await;
    }

    /// A token connection is closed at the next heartbeat once its host session logged out
    /// (`token-revoked`, 4001), and the revoked token opens no new one (401 AFERR020).
    with(|c| c.server.ws_heartbeat_secs = 1)
    async fn a_token_connection_is_closed_when_the_session_it_was_minted_in_ends(t) {
        let cookie = session_cookie(t, BOB).await;
        let r = t.http.post(t.url(&format!("/api/app-items/{NOTES_ITEM}/api-access-token")))
            .header(header::COOKIE, &cookie)
            .json(&json!({"key": NOTES_KEY, "origin": APP_ORIGIN})).send().await.unwrap();
        let token = json_ok(r).await["token"].as_str().unwrap().to_owned();
        let mut ws = connect(t, &token_auth(token.clone())).await;
        ws.subscribe("app-data", NOTES_ITEM).await;
        let mut other = connect(t, &token_auth(t.token_for(BOB, NOTES_ITEM).await)).await;
        other.subscribe("app-data", NOTES_ITEM).await;
        let r = t.http.post(t.url("/api/logout")).header(header::COOKIE, &cookie).json(&json!({})).send().await.unwrap();
        assert!(r.status().is_success(), "logout: {}", r.status());
        ws.closed_with("token-revoked", 4001).await;
        assert_eq!(try_connect(&t.base, &token_auth(token.clone())).await.err(), Some(401));
        let r = t.http.get(t.url("/api/ws")).header(header::ORIGIN, APP_ORIGIN)
            .header(header::SEC_WEBSOCKET_PROTOCOL, format!("appframe.v1, appframe.token.{token}"))
            .send().await.unwrap();
        expect_error(r, 401, Some("AFERR020")).await;
        // The token of another session is still served.
        let posted = t.app_for(ALICE, NOTES_ITEM).await.post_data(NOTES_ITEM, note("still here")).await;
        assert_eq!(other.update("app-data", NOTES_ITEM, "post").await, posted);
    }

    /// A cookie connection opened by a publisher's page may only subscribe to that
    /// publisher's items; the host page may subscribe to any item the member reads.
    async fn a_publisher_origin_cookie_connection_is_limited_to_its_publishers_items(t) {
        let cookie = session_cookie(t, ALICE).await;
        let mut app = connect(t, &Auth { origin: Some(APP_ORIGIN.into()), ..cookie_auth(cookie.clone()) }).await;
        app.subscribe("app-data", NOTES_ITEM).await;
        let r = app.request("subscribe", "app-data", FOREIGN_ITEM).await;
        assert_eq!(r["error"]["name"], "ACCESS_DENIED", "{r}");
        let mut foreign = connect(t, &Auth { origin: Some(FOREIGN_ORIGIN.into()), ..cookie_auth(cookie.clone()) }).await;
        foreign.subscribe("app-data", FOREIGN_ITEM).await;
        let mut host = connect(t, &cookie_auth(cookie)).await;
        host.subscribe("app-data", FOREIGN_ITEM).await;
        host.subscribe("app-data", NOTES_ITEM).await;
    }

    /// A publisher-origin cookie connection (the Graasp client's) gets no more than its member
    /// may read: no item without a membership, no actions without admin.
    async fn a_publisher_origin_cookie_connection_is_limited_to_what_its_member_reads(t) {
        let dave = session_cookie(t, DAVE).await;
        let mut ws = connect(t, &Auth { origin: Some(APP_ORIGIN.into()), ..cookie_auth(dave) }).await;
        let r = ws.request("subscribe", "app-data", NOTES_ITEM).await;
        assert_eq!(r["error"]["name"], "ACCESS_DENIED", "{r}");
        let carol = session_cookie(t, CAROL).await;
        let mut ws = connect(t, &Auth { origin: Some(APP_ORIGIN.into()), ..cookie_auth(carol) }).await;
        ws.subscribe("app-data", COUNTER_ITEM).await;
        let r = ws.request("subscribe", "app-actions", COUNTER_ITEM).await;
        assert_eq!(r["error"]["name"], "ACCESS_DENIED", "{r}");
    }

    /// A token connection may only subscribe to the token's item.
    async fn a_token_connection_may_only_subscribe_to_its_own_item(t) {
        let mut ws = connect(t, &token_auth(t.token_for(ALICE, NOTES_ITEM).await)).await;
        let r = ws.request("subscribe", "app-data", COUNTER_ITEM).await;
        assert_eq!(r["status"], "error", "{r}");
        assert_eq!(r["error"]["name"], "ACCESS_DENIED", "{r}");
        ws.subscribe("app-actions", NOTES_ITEM).await;
    }

    /// Member-visible data reaches its creator, its addressed account and admins, and no other
    /// reader; item-visible data reaches every reader.
    async fn member_visible_data_reaches_creator_addressed_account_and_admins_only(t) {
        let mut subs = Vec::new();
        for m in [ALICE, BOB, CAROL] {
            let mut ws = connect(t, &cookie_auth(session_cookie(t, m).await)).await;
            ws.subscribe("app-data", NOTES_ITEM).await;
            subs.push(ws);
        }
        let [alice, bob, carol] = &mut subs[..] else { unreachable!() };
        let bob_app = t.app_for(BOB, NOTES_ITEM).await;
        // Bob's private note: Bob (creator) and Alice (admin), not Carol.
        let private = bob_app.post_data(NOTES_ITEM, json!({"type": "note", "data": {"t": 1}, "visibility": "member"})).await;
        assert_eq!(bob.update("app-data", NOTES_ITEM, "post").await, private);
        assert_eq!(alice.update("app-data", NOTES_ITEM, "post").await, private);
        // A note Bob addresses to Carol: Carol (addressed) now receives it.
        let to_carol = bob_app.post_data(NOTES_ITEM, json!({"type": "note", "data": {"t": 2}, "visibility": "member", "accountId": CAROL})).await;
        assert_eq!(carol.update("app-data", NOTES_ITEM, "post").await, to_carol, "Carol did not get Bob's private note first");
        assert_eq!(bob.update("app-data", NOTES_ITEM, "post").await, to_carol);
        assert_eq!(alice.update("app-data", NOTES_ITEM, "post").await, to_carol);
        // A private note of Carol's own: Bob (write, not admin) must not see it.
        let carol_app = t.app_for(CAROL, NOTES_ITEM).await;
        let carols = carol_app.post_data(NOTES_ITEM, json!({"type": "note", "data": {"t": 3}, "visibility": "member"})).await;
        assert_eq!(carol.update("app-data", NOTES_ITEM, "post").await, carols);
        assert_eq!(alice.update("app-data", NOTES_ITEM, "post").await, carols);
        bob.quiet().await;
        // An uploaded file is member-visible data too.
        let form = reqwest::multipart::Form::new().part("files", reqwest::multipart::Part::bytes(b"hi".to_vec()).file_name("a.txt").mime_str("text/plain").unwrap());
        let r = carol_app.req(Method::POST, &format!("/app-items/app-data/upload?id={NOTES_ITEM}")).multipart(form).send().await.unwrap();
        let file = json_ok(r).await;
        assert_eq!(carol.update("app-data", NOTES_ITEM, "post").await, file);
        assert_eq!(alice.update("app-data", NOTES_ITEM, "post").await, file);
        bob.quiet().await;
    }

    /// App actions: only admins may subscribe, and only admins receive them.
    async fn app_actions_reach_admins_only(t) {
        let mut bob = connect(t, &cookie_auth(session_cookie(t, BOB).await)).await;
        let r = bob.request("subscribe", "app-actions", NOTES_ITEM).await;
        assert_eq!(r["error"]["name"], "ACCESS_DENIED", "{r}");
        let mut alice = connect(t, &cookie_auth(session_cookie(t, ALICE).await)).await;
        alice.subscribe("app-actions", NOTES_ITEM).await;
        let bob_app = t.app_for(BOB, NOTES_ITEM).await;
        bob_app.post_action(NOTES_ITEM, json!({"type": "click", "data": {"x": 1}})).await;
        let action = alice.update("app-actions", NOTES_ITEM, "post").await;
        assert_eq!(action["type"], "click");
        assert_eq!(action["account"]["id"], BOB);
        assert_eq!(action["data"], json!({"x": 1}));
    }

    /// Permissions are checked again for every event: a member removed (or demoted) after
    /// subscribing stops receiving what they may no longer see.
    async fn a_revoked_or_demoted_member_stops_receiving_updates(t) {
        let mut carol = connect(t, &cookie_auth(session_cookie(t, CAROL).await)).await;
        carol.subscribe("app-data", NOTES_ITEM).await;
        let mut bob = connect(t, &cookie_auth(session_cookie(t, BOB).await)).await;
        bob.subscribe("app-data", NOTES_ITEM).await;
        let mut alice = connect(t, &cookie_auth(session_cookie(t, ALICE).await)).await;
        alice.subscribe("app-actions", NOTES_ITEM).await;
        let app = t.app_for(ALICE, NOTES_ITEM).await;
        let first = app.post_data(NOTES_ITEM, note("one")).await;
        assert_eq!(carol.update("app-data", NOTES_ITEM, "post").await, first);
        assert_eq!(bob.update("app-data", NOTES_ITEM, "post").await, first);
        remove_membership(t, CAROL, NOTES_ITEM).await;
        let second = app.post_data(NOTES_ITEM, note("two")).await;
        assert_eq!(bob.update("app-data", NOTES_ITEM, "post").await, second);
        carol.quiet().await;
        // Alice, demoted to write, no longer receives actions.
        app.post_action(NOTES_ITEM, json!({"type": "first", "data": {}})).await;
        alice.update("app-actions", NOTES_ITEM, "post").await;
        set_permission(t, ALICE, NOTES_ITEM, "write").await;
        app.post_action(NOTES_ITEM, json!({"type": "second", "data": {}})).await;
        alice.quiet().await;
        // Given back, she receives them again.
        set_permission(t, ALICE, NOTES_ITEM, "admin").await;
        app.post_action(NOTES_ITEM, json!({"type": "third", "data": {}})).await;
        assert_eq!(alice.update("app-actions", NOTES_ITEM, "post").await["type"], "third");
    }

    /// App settings posted, patched and deleted reach every reader.
    async fn app_settings_changes_reach_every_reader(t) {
        let mut carol = connect(t, &cookie_auth(session_cookie(t, CAROL).await)).await;
        carol.subscribe("app-settings", NOTES_ITEM).await;
        let alice = t.app_for(ALICE, NOTES_ITEM).await;
        let s = alice.post_setting(NOTES_ITEM, json!({"name": "cfg", "data": {"a": 1}})).await;
        assert_eq!(carol.update("app-settings", NOTES_ITEM, "post").await, s);
        let id = s["id"].as_str().unwrap();
        let p = json_ok(alice.req(Method::PATCH, &format!("/app-items/{NOTES_ITEM}/app-settings/{id}")).json(&json!({"data": {"a": 2}})).send().await.unwrap()).await;
        assert_eq!(carol.update("app-settings", NOTES_ITEM, "patch").await, p);
        let r = alice.req(Method::DELETE, &format!("/app-items/{NOTES_ITEM}/app-settings/{id}")).send().await.unwrap();
        assert!(r.status().is_success());
        assert_eq!(carol.update("app-settings", NOTES_ITEM, "delete").await["id"], id);
    }

    /// Bad input gets an error response with Graasp's error names, and the connection and its
    /// other subscriptions keep working.
    async fn bad_requests_get_error_responses_and_leave_the_connection_working(t) {
        let mut ws = connect(t, &cookie_auth(session_cookie(t, BOB).await)).await;
        ws.subscribe("app-data", NOTES_ITEM).await;
        for raw in ["not json", "[1,2]", r#"{"realm":"notif","action":"dance","topic":"app-data","channel":"x"}"#,
                    r#"{"realm":"other","action":"subscribe","topic":"app-data","channel":"972072cf-56bb-4c7f-afcb-33f3427a68aa"}"#,
                    r#"{"realm":"notif","action":"subscribe"}"#] {
            ws.send_raw(raw).await;
            let r = ws.next().await;
            assert_eq!(r["type"], "response", "{raw}: {r}");
            assert_eq!(r["status"], "error", "{raw}: {r}");
            assert_eq!(r["error"]["name"], "BAD_REQUEST", "{raw}: {r}");
            assert!(r["error"]["message"].is_string(), "{r}");
            assert!(r.get("request").is_none(), "an unparsed request is not echoed: {r}");
        }
        let cases = [
            ("subscribe", "app-things", NOTES_ITEM.to_owned(), "NOT_FOUND"),
            ("subscribe", "app-data", "not-an-id".to_owned(), "BAD_REQUEST"),
            ("subscribe", "app-data", uuid::Uuid::new_v4().to_string(), "NOT_FOUND"),
            ("subscribe", "app-data", FOREIGN_ITEM.to_owned(), "ACCESS_DENIED"),
            ("unsubscribe", "app-settings", NOTES_ITEM.to_owned(), "NOT_FOUND"),
        ];
        for (action, topic, channel, name) in cases {
            let r = ws.request(action, topic, &channel).await;
            assert_eq!(r["status"], "error", "{r}");
            assert_eq!(r["error"]["name"], name, "{action} {topic} {channel}: {r}");
            assert_eq!(r["request"]["channel"], channel.as_str(), "the request is echoed: {r}");
        }
        ws.s.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
        assert_eq!(ws.next().await["error"]["name"], "BAD_REQUEST");
        let posted = t.app_for(ALICE, NOTES_ITEM).await.post_data(NOTES_ITEM, note("still here")).await;
        assert_eq!(ws.update("app-data", NOTES_ITEM, "post").await, posted);
    }

    /// `unsubscribe` stops one subscription; `subscribeOnly` drops all others first;
    /// `disconnect` closes the connection normally.
    async fn unsubscribe_subscribe_only_and_disconnect_change_what_is_received(t) {
        let mut ws = connect(t, &cookie_auth(session_cookie(t, ALICE).await)).await;
        ws.subscribe("app-data", NOTES_ITEM).await;
        ws.subscribe("app-data", COUNTER_ITEM).await;
        let r = ws.request("unsubscribe", "app-data", NOTES_ITEM).await;
        assert_eq!(r["status"], "success", "{r}");
        let notes = t.app_for(ALICE, NOTES_ITEM).await;
        let counter = t.app_for(ALICE, COUNTER_ITEM).await;
        notes.post_data(NOTES_ITEM, note("unheard")).await;
        let c = counter.post_data(COUNTER_ITEM, note("heard")).await;
        assert_eq!(ws.update("app-data", COUNTER_ITEM, "post").await, c);
        let r = ws.request("subscribeOnly", "app-settings", NOTES_ITEM).await;
        assert_eq!(r["status"], "success", "{r}");
        counter.post_data(COUNTER_ITEM, note("unheard")).await;
        let s = notes.post_setting(NOTES_ITEM, json!({"name": "only", "data": {}})).await;
        assert_eq!(ws.update("app-settings", NOTES_ITEM, "post").await, s);
        ws.send(json!({"realm": "notif", "action": "disconnect"})).await;
        match ws.next_within(WAIT).await {
            Some(Seen::Closed(code)) => assert_eq!(code, Some(1000)),
            other => panic!("expected a normal close, got {other:?}"),
        }
    }

    /// A connection holds a bounded number of subscriptions.
    with(|c| c.server.ws_max_subscriptions = 2)
    async fn subscriptions_per_connection_are_capped(t) {
        let mut ws = connect(t, &cookie_auth(session_cookie(t, ALICE).await)).await;
        ws.subscribe("app-data", NOTES_ITEM).await;
        ws.subscribe("app-data", COUNTER_ITEM).await;
        ws.subscribe("app-data", COUNTER_ITEM).await;
        let r = ws.request("subscribe", "app-settings", NOTES_ITEM).await;
        assert_eq!(r["error"]["name"], "BAD_REQUEST", "{r}");
        ws.subscribe("app-data", NOTES_ITEM).await;
    }

    /// A client message over the size limit ends that connection (close 1009), not others.
    with(|c| c.server.ws_max_message_bytes = 4096)
    async fn an_oversized_client_message_closes_only_that_connection(t) {
        let cookie = session_cookie(t, BOB).await;
        let mut big = connect(t, &cookie_auth(cookie.clone())).await;
        let mut other = connect(t, &cookie_auth(cookie)).await;
        other.subscribe("app-data", NOTES_ITEM).await;
        let _ = big.s.send(Message::Text("x".repeat(10_000).into())).await;
        match big.next_within(WAIT).await {
            Some(Seen::Closed(c)) => assert!(c.is_none() || c == Some(1009), "close code {c:?}"),
            other => panic!("expected the oversized connection to close, got {other:?}"),
        }
        let posted = t.app_for(ALICE, NOTES_ITEM).await.post_data(NOTES_ITEM, note("ok")).await;
        assert_eq!(other.update("app-data", NOTES_ITEM, "post").await, posted);
    }

    /// A subscriber that stops reading is dropped with `slow-consumer` (close 1008) once its
    /// queue is full, while a reading subscriber gets every event.
    // The closing grace is long: the slow client starts reading only after the last post, which
    // on a loaded machine can be many seconds after the server dropped it.
    with(|c| { c.server.ws_queue_len = 4; c.server.max_body_bytes = 256 * 1024; c.server.ws_close_secs = 120; })
    async fn a_slow_consumer_is_dropped_while_a_fast_one_keeps_receiving(t) {
        let mut slow = connect_small_buffer(t, &cookie_auth(session_cookie(t, CAROL).await)).await;
        slow.subscribe("app-data", NOTES_ITEM).await;
        let mut fast = connect(t, &cookie_auth(session_cookie(t, BOB).await)).await;
        fast.subscribe("app-data", NOTES_ITEM).await;
        let app = t.app_for(ALICE, NOTES_ITEM).await;
        let filler = "x".repeat(200 * 1024);
        // Enough data to fill the socket buffers between the server and the slow client (a
        // small receive buffer, and it does not read), then its queue of 4 messages.
        for i in 0..40 {
            let posted = app.post_data(NOTES_ITEM, json!({"type": "note", "data": {"i": i, "f": filler}, "visibility": "item"})).await;
            let got = fast.update("app-data", NOTES_ITEM, "post").await;
            assert_eq!(got["id"], posted["id"], "the fast subscriber gets event {i} in order");
        }
        slow.closed_with("slow-consumer", 1008).await;
    }

    /// At the token's expiry the server says why and closes with 4001. (The lifetime leaves a
    /// loaded machine time to connect and subscribe before it ends.)
    with(|c| c.server.token_ttl_secs = 5)
    async fn a_token_connection_is_closed_with_4001_when_its_token_expires(t) {
        let mut ws = connect(t, &token_auth(t.token_for(BOB, NOTES_ITEM).await)).await;
        ws.subscribe("app-data", NOTES_ITEM).await;
        ws.closed_with("token-expired", 4001).await;
    }

    /// The server sends heartbeats and pings; a client that never answers is closed as idle.
    with(|c| { c.server.ws_heartbeat_secs = 1; c.server.ws_idle_secs = 3; })
    async fn heartbeats_are_sent_and_a_silent_client_is_closed(t) {
        let cookie = session_cookie(t, BOB).await;
        let mut ws = connect(t, &cookie_auth(cookie.clone())).await;
        let m = tokio::time::timeout(WAIT, ws.s.next()).await.unwrap().unwrap().unwrap();
        let v: Value = serde_json::from_str(m.to_text().unwrap()).unwrap();
        assert_eq!(v, json!({"realm": "notif", "type": "info", "message": "heartbeat"}));
        // A client that reads (and so answers pings) stays open past the idle time.
        let until = tokio::time::Instant::now() + Duration::from_secs(4);
        while tokio::time::Instant::now() < until {
            assert!(ws.next_within(Duration::from_millis(500)).await.is_none());
        }
        // One that does not read sends no pongs and is closed.
        let mut silent = connect(t, &cookie_auth(cookie)).await;
        tokio::time::sleep(Duration::from_secs(4)).await;
        silent.closed_with("idle", 1001).await;
    }

    /// Logging out ends the session's websocket connections at the next heartbeat.
    with(|c| c.server.ws_heartbeat_secs = 1)
    async fn logging_out_closes_the_sessions_connections(t) {
        let cookie = session_cookie(t, BOB).await;
        let mut ws = connect(t, &cookie_auth(cookie.clone())).await;
        let r = t.http.post(t.url("/api/logout")).header(header::COOKIE, &cookie).json(&json!({})).send().await.unwrap();
        assert!(r.status().is_success(), "logout: {}", r.status());
        ws.closed_with("session-ended", 4001).await;
    }

    /// A 1 MiB note is delivered whole (on Postgres it is larger than a NOTIFY payload and
    /// goes through the event table).
    with(|c| c.server.max_body_bytes = 2 * 1024 * 1024)
    async fn a_one_mebibyte_update_is_delivered_whole(t) {
        let mut ws = connect(t, &cookie_auth(session_cookie(t, CAROL).await)).await;
        ws.subscribe("app-data", NOTES_ITEM).await;
        let big = "n".repeat(1024 * 1024);
        let app = t.app_for(BOB, NOTES_ITEM).await;
        let posted = app.post_data(NOTES_ITEM, json!({"type": "note", "data": {"big": big}, "visibility": "item"})).await;
        let got = ws.update("app-data", NOTES_ITEM, "post").await;
        assert_eq!(got["data"]["big"].as_str().map(str::len), Some(1024 * 1024));
        assert_eq!(got, posted);
        // A small one after it keeps the order.
        let small = app.post_data(NOTES_ITEM, note("small")).await;
        assert_eq!(ws.update("app-data", NOTES_ITEM, "post").await, small);
    }
}

/// Graceful shutdown says so and closes every websocket with 1001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_websockets_with_1001() {
    let t = TestServer::start(Backend::Sqlite, |_| {}).await;
    let mut ws = connect(&t, &cookie_auth(session_cookie(&t, BOB).await)).await;
    ws.subscribe("app-data", NOTES_ITEM).await;
    let reader = tokio::spawn(async move { ws.closed_with("shutdown", 1001).await });
    tokio::time::timeout(WAIT, t.stop())
        .await
        .expect("the server stops in time");
    reader.await.unwrap();
}

/// A running `appframe-server` process, killed when dropped.
struct Instance {
    child: std::process::Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the built binary with the test config on `database_url`, and waits until it answers.
async fn spawn_instance(dir: &std::path::Path, name: &str, database_url: &str) -> Instance {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut config = test_config();
    config.server.addr = format!("127.0.0.1:{port}");
    config.server.public_url = base.clone();
    config.server.data_dir = dir.join(name);
    config.server.database_url = Some(database_url.to_owned());
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, toml::to_string(&config).unwrap()).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_appframe-server"))
        .arg("serve")
        .arg("--config")
        .arg(&file)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("APPFRAME_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut inst = Instance { child, base };
    let http = plain_client();
    for attempt in 0.. {
        if let Ok(Some(status)) = inst.child.try_wait() {
            panic!("instance {name} exited while starting: {status}");
        }
        match http
            .get(format!("{}/api/app-items/list", inst.base))
            .send()
            .await
        {
            Ok(_) => break,
            Err(e) if attempt > 600 => panic!("instance {name} does not answer: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    inst
}

/// Tests that only mean something on Postgres (LISTEN/NOTIFY). Named `postgres_only::*` so that
/// the SQLite run can skip them instead of counting an early return as a pass.
mod postgres_only {
    use super::*;

    /// On Postgres, when the listening connection is lost, subscribers are told to `resync`
    /// (notifications sent meanwhile are gone), and delivery resumes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lost_listener_connection_makes_subscribers_resync() {
        let Some(backend) = Backend::postgres_from_env() else {
            eprintln!("skipped: set APPFRAME_TEST_DATABASE_URL to run on Postgres");
            return;
        };
        let t = TestServer::start(backend, |_| {}).await;
        let mut ws = connect(&t, &cookie_auth(session_cookie(&t, BOB).await)).await;
        ws.subscribe("app-data", NOTES_ITEM).await;
        let db = t.config.server.database_url.clone().unwrap();
        {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&db).await.unwrap();
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = $1 AND datname = current_database()",
            )
            .bind(appframe_server::ws::pg::LISTENER_APP_NAME)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            assert_eq!(killed, vec![true], "exactly one listener connection");
        }
        let v = ws.next().await;
        assert_eq!(
            v,
            json!({"realm": "notif", "type": "info", "message": "resync"})
        );
        let posted = t
            .app_for(ALICE, NOTES_ITEM)
            .await
            .post_data(NOTES_ITEM, note("after"))
            .await;
        assert_eq!(ws.update("app-data", NOTES_ITEM, "post").await, posted);
        t.stop().await;
    }

    /// Two server processes on different ports share one Postgres database: a write through one
    /// reaches a subscriber of the other (LISTEN/NOTIFY), with per-event permission checks there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_through_one_instance_reaches_a_subscriber_of_another() {
        let Some(Backend::Postgres(admin_url)) = Backend::postgres_from_env() else {
            eprintln!(
                "skipped: set APPFRAME_TEST_DATABASE_URL to run the two-instance test on Postgres"
            );
            return;
        };
        let (_db, url) = PgDatabase::create(&admin_url).await;
        let dir = tempfile::tempdir().unwrap();
        // The first one migrates; the second starts on the migrated database.
        let a = spawn_instance(dir.path(), "a", &url).await;
        let b = spawn_instance(dir.path(), "b", &url).await;
        let http = plain_client();
        let login = |base: String, member: &'static str| {
            let http = http.clone();
            async move {
                let r = http
                    .post(format!("{base}/api/login"))
                    .json(&json!({"memberId": member}))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                header_str(&r, "set-cookie")
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned()
            }
        };
        // Carol subscribes on B (sessions live in the shared database: a cookie from A works too).
        let carol_cookie = login(a.base.clone(), CAROL).await;
        let mut carol = try_connect(&b.base, &cookie_auth(carol_cookie))
            .await
            .unwrap();
        carol.subscribe("app-data", NOTES_ITEM).await;
        let mut alice_b = try_connect(&b.base, &cookie_auth(login(b.base.clone(), ALICE).await))
            .await
            .unwrap();
        alice_b.subscribe("app-data", NOTES_ITEM).await;
        // Bob writes through A with an app token issued by A.
        let bob_cookie = login(a.base.clone(), BOB).await;
        let r = http
            .post(format!(
                "{}/api/app-items/{NOTES_ITEM}/api-access-token",
                a.base
            ))
            .header(header::COOKIE, &bob_cookie)
            .json(&json!({"key": NOTES_KEY, "origin": APP_ORIGIN}))
            .send()
            .await
            .unwrap();
        let token = json_ok(r).await["token"].as_str().unwrap().to_owned();
        let bob = AppClient {
            http: http.clone(),
            api: format!("{}/api", a.base),
            token,
            origin: APP_ORIGIN.into(),
        };
        let public = bob.post_data(NOTES_ITEM, note("across instances")).await;
        assert_eq!(carol.update("app-data", NOTES_ITEM, "post").await, public);
        assert_eq!(alice_b.update("app-data", NOTES_ITEM, "post").await, public);
        // Bob's private note reaches the admin on B, not Carol.
        let private = bob
            .post_data(
                NOTES_ITEM,
                json!({"type": "note", "data": {}, "visibility": "member"}),
            )
            .await;
        assert_eq!(
            alice_b.update("app-data", NOTES_ITEM, "post").await,
            private
        );
        carol.quiet().await;
        drop((a, b));
    }

    /// Two instances on one Postgres database: a logout through A revokes, at B, the tokens
    /// minted in that session (no instance caches what a token's check reads).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_logout_through_one_instance_revokes_the_sessions_tokens_at_another() {
        let Some(Backend::Postgres(admin_url)) = Backend::postgres_from_env() else {
            eprintln!(
                "skipped: set APPFRAME_TEST_DATABASE_URL to run the two-instance test on Postgres"
            );
            return;
        };
        let (_db, url) = PgDatabase::create(&admin_url).await;
        let dir = tempfile::tempdir().unwrap();
        let a = spawn_instance(dir.path(), "a", &url).await;
        let b = spawn_instance(dir.path(), "b", &url).await;
        let http = plain_client();
        let r = http
            .post(format!("{}/api/login", a.base))
            .json(&json!({"memberId": BOB}))
            .send()
            .await
            .unwrap();
        let cookie = header_str(&r, "set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let r = http
            .post(format!(
                "{}/api/app-items/{NOTES_ITEM}/api-access-token",
                a.base
            ))
            .header(header::COOKIE, &cookie)
            .json(&json!({"key": NOTES_KEY, "origin": APP_ORIGIN}))
            .send()
            .await
            .unwrap();
        let token = json_ok(r).await["token"].as_str().unwrap().to_owned();
        let at_b = AppClient {
            http: http.clone(),
            api: format!("{}/api", b.base),
            token: token.clone(),
            origin: APP_ORIGIN.into(),
        };
        at_b.app_data(NOTES_ITEM).await;
        let r = http
            .post(format!("{}/api/logout", a.base))
            .header(header::COOKIE, &cookie)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let r = at_b
            .req(Method::GET, &format!("/app-items/{NOTES_ITEM}/app-data"))
            .send()
            .await
            .unwrap();
        expect_error(r, 401, Some("AFERR020")).await;
        assert_eq!(
            try_connect(&b.base, &token_auth(token)).await.err(),
            Some(401)
        );
        drop((a, b));
    }
}
