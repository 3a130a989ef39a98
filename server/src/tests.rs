//! In-process router tests (`tower::ServiceExt::oneshot`): each route's happy path, CORS, and
//! the error body. The black-box suite with the permission matrix lives in `tests/api.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{AppState, app, build_state, config::Config};
use axum::{
    Router,
    body::{Body, to_bytes},
    http::{Method, Request, StatusCode, header},
    response::Response,
};
use serde_json::{Value, json};
use tower::ServiceExt;

mod pages;

const ALICE: &str = "dca3c530-eff8-4c46-8172-bd614654a02d";
const CAROL: &str = "d5433604-2bb5-4d68-a876-1a7ad8c13608";
const ITEM: &str = "860336f0-9317-4193-91ad-5d58f6a975d8";
const OTHER_ITEM: &str = "972072cf-56bb-4c7f-afcb-33f3427a68aa";
const KEY: &str = "1d85bd0c-7c60-49cd-9775-9898fcb16668";
const ORIGIN: &str = "http://127.0.0.1:8081";
const API_KEY: &str = "demo-integration-key-change-me";

struct T {
    router: Router,
    state: AppState,
    _dir: tempfile::TempDir,
}

async fn setup() -> T {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::demo();
    c.server.data_dir = dir.path().to_owned();
    c.server.host_dir = None;
    c.server.apps_dir = None;
    c.server.apps_addr = None;
    let state = build_state(c).await.unwrap();
    T {
        router: app(state.clone()),
        state,
        _dir: dir,
    }
}

fn req(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(uri)
}

impl T {
    async fn send(&self, r: Request<Body>) -> Response {
        self.router.clone().oneshot(r).await.unwrap()
    }

    async fn login(&self, member: &str) -> String {
        let r = self
            .send(
                req(Method::POST, "/api/login")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(json!({ "memberId": member }).to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        cookie.split(';').next().unwrap().to_owned()
    }

    async fn token(&self, member: &str, item: &str) -> String {
        let cookie = self.login(member).await;
        let r = self
            .send(
                req(
                    Method::POST,
                    &format!("/api/app-items/{item}/api-access-token"),
                )
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"key": KEY, "origin": ORIGIN}).to_string(),
                ))
                .unwrap(),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        body_json(r).await["token"].as_str().unwrap().to_owned()
    }

    async fn app_call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut b = req(method, &format!("/api/app-items/{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::ORIGIN, ORIGIN);
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).unwrap()).await
    }
}

async fn body_bytes(r: Response) -> Vec<u8> {
    to_bytes(r.into_body(), usize::MAX).await.unwrap().to_vec()
}

async fn body_json(r: Response) -> Value {
    serde_json::from_slice(&body_bytes(r).await).unwrap()
}

#[tokio::test]
async fn app_data_can_be_created_listed_patched_and_deleted() {
    let t = setup().await;
    let tok = t.token(ALICE, ITEM).await;
    let r = t
        .app_call(
            &tok,
            Method::POST,
            &format!("{ITEM}/app-data"),
            Some(json!({"type": "note", "data": {"n": 1}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    assert_eq!(r.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS], "link");
    let row = body_json(r).await;
    assert_eq!(row["account"]["id"], ALICE);
    assert_eq!(row["member"], row["account"]);
    assert_eq!(row["creator"]["name"], "Alice");
    assert_eq!(row["visibility"], "member");
    assert_eq!(row["item"]["id"], ITEM);
    let id = row["id"].as_str().unwrap().to_owned();

    let r = t
        .app_call(
            &tok,
            Method::GET,
            &format!("{ITEM}/app-data?type=note"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let rows = body_json(r).await;
    assert_eq!(rows.as_array().unwrap().len(), 1);

    let r = t
        .app_call(
            &tok,
            Method::PATCH,
            &format!("{ITEM}/app-data/{id}"),
            Some(json!({"data": {"n": 2}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body_json(r).await["data"]["n"], 2);

    let r = t
        .app_call(&tok, Method::DELETE, &format!("{ITEM}/app-data/{id}"), None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(body_bytes(r).await, id.as_bytes());

    let r = t
        .app_call(&tok, Method::DELETE, &format!("{ITEM}/app-data/{id}"), None)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(r).await["code"], "GAERR004");
}

#[tokio::test]
async fn app_actions_post_204_and_list_with_member_alias() {
    let t = setup().await;
    let tok = t.token(CAROL, ITEM).await;
    let r = t
        .app_call(
            &tok,
            Method::POST,
            &format!("{ITEM}/app-action"),
            Some(json!({"type": "click", "data": {}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(body_bytes(r).await.is_empty());
    let r = t
        .app_call(&tok, Method::GET, &format!("{ITEM}/app-action"), None)
        .await;
    let rows = body_json(r).await;
    assert_eq!(rows[0]["member"]["id"], CAROL);
    assert_eq!(rows[0]["type"], "click");
    let r = t
        .app_call(
            &tok,
            Method::GET,
            &format!("{ITEM}/app-action?accountId={ALICE}"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(r).await["code"], "GAERR006");
}

#[tokio::test]
async fn app_settings_are_admin_writes_and_member_reads() {
    let t = setup().await;
    let admin = t.token(ALICE, ITEM).await;
    let reader = t.token(CAROL, ITEM).await;
    let body = json!({"name": "config", "data": {"max": 3}});
    let r = t
        .app_call(
            &reader,
            Method::POST,
            &format!("{ITEM}/app-settings"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(r).await["code"], "GERR004");
    let r = t
        .app_call(
            &admin,
            Method::POST,
            &format!("{ITEM}/app-settings"),
            Some(body),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let id = body_json(r).await["id"].as_str().unwrap().to_owned();
    let r = t
        .app_call(
            &reader,
            Method::GET,
            &format!("{ITEM}/app-settings?name=config"),
            None,
        )
        .await;
    assert_eq!(body_json(r).await[0]["data"]["max"], 3);
    let r = t
        .app_call(
            &admin,
            Method::PATCH,
            &format!("{ITEM}/app-settings/{id}"),
            Some(json!({"data": {"max": 4}})),
        )
        .await;
    assert_eq!(body_json(r).await["data"]["max"], 4);
    let r = t
        .app_call(
            &admin,
            Method::DELETE,
            &format!("{ITEM}/app-settings/{id}"),
            None,
        )
        .await;
    assert_eq!(body_bytes(r).await, id.as_bytes());
}

#[tokio::test]
async fn context_lists_the_item_and_its_members_and_checks_the_item() {
    let t = setup().await;
    let tok = t.token(CAROL, ITEM).await;
    let r = t
        .app_call(&tok, Method::GET, &format!("{ITEM}/context"), None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let ctx = body_json(r).await;
    assert_eq!(ctx["item"]["id"], ITEM);
    assert_eq!(ctx["item"]["type"], "app");
    assert_eq!(
        ctx["item"]["extra"]["app"]["url"],
        "http://127.0.0.1:8081/counter/"
    );
    assert_eq!(ctx["members"].as_array().unwrap().len(), 3);
    let r = t
        .app_call(&tok, Method::GET, &format!("{OTHER_ITEM}/context"), None)
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(r).await["code"], "GAERR003");
}

#[tokio::test]
async fn a_preflight_from_a_registered_origin_is_allowed_with_credentials() {
    let t = setup().await;
    let preflight = |origin: &str| {
        req(Method::OPTIONS, &format!("/api/app-items/{ITEM}/app-data"))
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization,content-type",
            )
            .body(Body::empty())
            .unwrap()
    };
    let r = t.send(preflight(ORIGIN)).await;
    assert!(r.status().is_success());
    let h = r.headers();
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
    assert!(
        h[header::ACCESS_CONTROL_ALLOW_METHODS]
            .to_str()
            .unwrap()
            .contains("PATCH")
    );
    assert!(
        h[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    assert!(h.contains_key(header::ACCESS_CONTROL_MAX_AGE));

    let r = t.send(preflight("http://evil.example")).await;
    assert!(
        !r.headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
    assert!(
        !r.headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
    );

    // Host routes never answer app origins.
    let r = t
        .send(
            req(Method::OPTIONS, "/api/me")
                .header(header::ORIGIN, ORIGIN)
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        !r.headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
}

#[tokio::test]
async fn host_routes_follow_the_session() {
    let t = setup().await;
    let r = t
        .send(req(Method::GET, "/api/me").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let cookie = t.login(CAROL).await;
    let get = |path: &str| {
        req(Method::GET, path)
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        body_json(t.send(get("/api/me")).await).await["name"],
        "Carol"
    );
    let items = body_json(t.send(get("/api/items")).await).await;
    assert_eq!(items.as_array().unwrap().len(), 3);
    let one = body_json(t.send(get(&format!("/api/items/{ITEM}"))).await).await;
    assert_eq!(one["permission"], "read");
    assert_eq!(one["app"]["origins"][0], ORIGIN);
    let cfg = body_json(t.send(get("/api/host-config")).await).await;
    assert_eq!(cfg["apiHost"], "http://127.0.0.1:8080/api");
    let members = body_json(t.send(get("/api/members")).await).await;
    assert_eq!(members.as_array().unwrap().len(), 3);
    let r = t
        .send(
            req(Method::POST, "/api/logout")
                .header(header::COOKIE, cookie.clone())
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        t.send(get("/api/me")).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_bad_key_origin_pair_gets_gaerr002() {
    let t = setup().await;
    let cookie = t.login(ALICE).await;
    let r = t
        .send(
            req(
                Method::POST,
                &format!("/api/app-items/{ITEM}/api-access-token"),
            )
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"key": KEY, "origin": "http://evil.example"}).to_string(),
            ))
            .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let b = body_json(r).await;
    assert_eq!(b["code"], "GAERR002");
    assert_eq!(b["statusCode"], 403);
}

#[tokio::test]
async fn bad_input_gets_the_graasp_error_body_and_stores_nothing() {
    let t = setup().await;
    let tok = t.token(ALICE, ITEM).await;
    for body in [
        json!({"type": "ab", "data": {}}),
        json!({"type": "note", "data": []}),
        json!({"type": "note", "data": {}, "extra": 1}),
    ] {
        let r = t
            .app_call(&tok, Method::POST, &format!("{ITEM}/app-data"), Some(body))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let b = body_json(r).await;
        assert_eq!(b["code"], "FST_ERR_VALIDATION");
        assert_eq!(b["statusCode"], 400);
    }
    let big = "x".repeat(2 * 1024 * 1024);
    let r = t
        .app_call(
            &tok,
            Method::POST,
            &format!("{ITEM}/app-data"),
            Some(json!({"type": "note", "data": {"x": big}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = t
        .app_call(&tok, Method::GET, &format!("{ITEM}/app-data"), None)
        .await;
    assert_eq!(body_json(r).await, json!([]));
    let r = t
        .app_call(&tok, Method::GET, "not-a-uuid/app-data", None)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = t
        .send(req(Method::GET, "/api/nope").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(r).await["statusCode"], 404);
}

#[tokio::test]
async fn cursor_pages_walk_every_row_once() {
    let t = setup().await;
    let tok = t.token(ALICE, ITEM).await;
    for i in 0..7 {
        let r = t
            .app_call(
                &tok,
                Method::POST,
                &format!("{ITEM}/app-action"),
                Some(json!({"type": "tick", "data": {"i": i}})),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let mut path = format!("{ITEM}/app-action?limit=3");
    let mut seen = vec![];
    loop {
        let r = t.app_call(&tok, Method::GET, &path, None).await;
        let link = r
            .headers()
            .get(header::LINK)
            .map(|l| l.to_str().unwrap().to_owned());
        for row in body_json(r).await.as_array().unwrap() {
            seen.push(row["data"]["i"].as_i64().unwrap());
        }
        match link {
            Some(l) => {
                let url = l.trim_start_matches('<').split('>').next().unwrap();
                path = url.split("/api/app-items/").nth(1).unwrap().to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen, (0..7).collect::<Vec<_>>());
}

#[tokio::test]
async fn files_upload_download_and_disappear_with_their_row() {
    let t = setup().await;
    let tok = t.token(ALICE, ITEM).await;
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    let r = t
        .send(
            req(
                Method::POST,
                &format!("/api/app-items/app-data/upload?id={ITEM}"),
            )
            .header(header::AUTHORIZATION, format!("Bearer {tok}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let row = body_json(r).await;
    assert_eq!(row["type"], "file");
    assert_eq!(row["data"]["file"]["name"], "a.txt");
    let id = row["id"].as_str().unwrap().to_owned();
    let r = t
        .app_call(&tok, Method::GET, &format!("app-data/{id}/download"), None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let url = String::from_utf8(body_bytes(r).await).unwrap();
    let path = url
        .strip_prefix("http://127.0.0.1:8080")
        .unwrap()
        .to_owned();
    let r = t
        .send(req(Method::GET, &path).body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain");
    assert!(
        r.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("a.txt")
    );
    assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(body_bytes(r).await, b"hello");
    let r = t
        .app_call(
            &tok,
            Method::PATCH,
            &format!("{ITEM}/app-data/{id}"),
            Some(json!({"data": {}})),
        )
        .await;
    assert_eq!(body_json(r).await["code"], "GAERR008");
    t.app_call(&tok, Method::DELETE, &format!("{ITEM}/app-data/{id}"), None)
        .await;
    let r = t
        .send(req(Method::GET, &path).body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_integration_api_mints_sessions_and_tokens_with_an_api_key() {
    let t = setup().await;
    let post = |path: &str, key: Option<&str>, body: Value| {
        let mut b = req(Method::POST, path).header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        b.body(Body::from(body.to_string())).unwrap()
    };
    let r = t
        .send(post(
            "/api/admin/sessions",
            None,
            json!({"memberId": CAROL}),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = t
        .send(post(
            "/api/admin/sessions",
            Some(API_KEY),
            json!({"memberId": CAROL}),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let s = body_json(r).await;
    assert_eq!(s["cookieName"], "appframe_session");
    let cookie = format!("appframe_session={}", s["value"].as_str().unwrap());
    let r = t
        .send(
            req(Method::GET, "/api/me")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(body_json(r).await["id"], CAROL);
    let r = t
        .send(post(
            "/api/admin/app-tokens",
            Some(API_KEY),
            json!({"memberId": CAROL, "itemId": ITEM, "key": KEY, "origin": ORIGIN}),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let tok = body_json(r).await["token"].as_str().unwrap().to_owned();
    let r = t
        .app_call(&tok, Method::GET, &format!("{ITEM}/app-data"), None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // `?apiKey=` works for reads.
    let r = t
        .send(
            req(
                Method::GET,
                &format!(
                    "/api/admin/items/{ITEM}/export?format=csv&what=app-data&apiKey={API_KEY}"
                ),
            )
            .body(Body::empty())
            .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Form field `apiKey` works for writes.
    let r = t
        .send(
            req(Method::POST, "/api/admin/sessions")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("apiKey={API_KEY}&memberId={CAROL}")))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn openapi_and_swagger_are_served() {
    let t = setup().await;
    let r = t
        .send(
            req(Method::GET, "/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc = body_json(r).await;
    assert!(doc["paths"]["/api/app-items/{item_id}/app-data"].is_object());
    // The wire DTOs are described, not just named: camelCase fields from the protocol crate.
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["AppData"]["properties"]["createdAt"].is_object());
    assert!(schemas["CreateAppData"]["properties"]["accountId"].is_object());
    assert!(schemas["ErrorBody"]["properties"]["statusCode"].is_object());
    let r = t
        .send(req(Method::GET, "/swagger/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn applying_the_config_twice_changes_nothing() {
    let t = setup().await;
    let before = t.state.store().list_items().await.unwrap();
    crate::apply_config(&**t.state.store(), t.state.config())
        .await
        .unwrap();
    let after = t.state.store().list_items().await.unwrap();
    assert_eq!(before, after);
}

/// The SQLite store caches whole app-data lists in memory; every write must show in the next
/// list, and the cached body must be byte-identical to the uncached (paged, SQL) one.
#[tokio::test]
async fn cached_lists_follow_every_write_and_match_the_uncached_bytes() {
    let t = setup().await;
    assert!(
        t.state.store().stamps().is_some(),
        "SQLite hands out stamps"
    );
    let tok = t.token(ALICE, ITEM).await;
    let list = |path: &'static str| {
        let (t, tok) = (&t, tok.clone());
        async move {
            let r = t
                .app_call(&tok, Method::GET, &format!("{ITEM}/app-data{path}"), None)
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            body_bytes(r).await
        }
    };
    assert_eq!(list("").await, b"[]");
    let r = t
        .app_call(
            &tok,
            Method::POST,
            &format!("{ITEM}/app-data"),
            Some(json!({"type": "note", "visibility": "item", "data": {"text": "é\"x", "n": 1.5}})),
        )
        .await;
    let id = body_json(r).await["id"].as_str().unwrap().to_owned();
    // Cached (unpaged) and SQL (paged) bodies are the same bytes.
    let cached = list("").await;
    assert_eq!(cached, list("?limit=1000").await);
    let rows: Value = serde_json::from_slice(&cached).unwrap();
    assert_eq!(rows[0]["data"]["text"], "é\"x");

    // A patch, a rename of the creator, and a delete each show at once.
    let r = t
        .app_call(
            &tok,
            Method::PATCH,
            &format!("{ITEM}/app-data/{id}"),
            Some(json!({"data": {"n": 2}})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let rows: Value = serde_json::from_slice(&list("").await).unwrap();
    assert_eq!(rows[0]["data"], json!({"n": 2}));
    t.state
        .store()
        .upsert_account(&crate::store::Account {
            id: ALICE.parse().unwrap(),
            name: "Alice Renamed".into(),
            kind: crate::config::AccountKind::Member,
        })
        .await
        .unwrap();
    let rows: Value = serde_json::from_slice(&list("").await).unwrap();
    assert_eq!(rows[0]["creator"]["name"], "Alice Renamed");
    assert_eq!(list("?type=note").await, list("?type=note&limit=5").await);
    assert_eq!(list("?type=other").await, b"[]");
    let r = t
        .app_call(&tok, Method::DELETE, &format!("{ITEM}/app-data/{id}"), None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(list("").await, b"[]");

    // Losing the membership is seen by the next request, not after a cache expiry.
    t.state
        .store()
        .delete_membership(ALICE.parse().unwrap(), ITEM.parse().unwrap())
        .await
        .unwrap();
    let r = t
        .app_call(&tok, Method::GET, &format!("{ITEM}/app-data"), None)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
