//! Property tests ("fuzzing" on stable Rust) of the REST API as the server's own router answers
//! it in process (`tower::ServiceExt::oneshot`, no socket): arbitrary and near-valid bodies,
//! paths, query strings and content types on the write routes (app data, app actions, app
//! settings, uploads, the token route, dev login, the integration API), with valid credentials.
//! The status is never 5xx, a 4xx always carries the Graasp error body
//! `{name, code, message, statusCode}`, and no handler panics. A few cases per run in CI;
//! `cargo xtask fuzz` runs many (`APPFRAME_FUZZ_CASES`).

use crate::api_tests;
use crate::common::*;
use crate::strategies::*;
use axum::{
    body::{Body, to_bytes},
    http::{Method, Request, header},
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Who sends a request.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// An app token of Alice (admin) on the counter item.
    Admin,
    /// An app token of Carol (read) on the counter item.
    Reader,
    /// Alice's host session cookie.
    Session,
    /// The integration API key.
    ApiKey,
    /// Nothing.
    Nobody,
}

/// One request.
#[derive(Debug, Clone)]
struct Case {
    who: Who,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: String,
}

/// Credentials of the test server's members.
struct Creds {
    admin: String,
    reader: String,
    cookie: String,
    /// A row and a setting that exist, so PATCH reaches the handler's checks.
    row: String,
    setting: String,
}

/// `s` percent-encoded as one path segment or query value (keeps only unreserved bytes).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A body for a route whose valid body is `valid`: it, mutated, any JSON, any text.
fn body(valid: Value) -> impl Strategy<Value = String> {
    let text_form = valid.to_string();
    prop_oneof![
        4 => mutate_object(valid).prop_map(|v| v.to_string()),
        1 => json_value().prop_map(|v| v.to_string()),
        1 => text(),
        1 => mutate_text(text_form),
    ]
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        6 => Just(Some("application/json")),
        1 => select(&[
            Some("application/json; charset=utf-8"),
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/vnd.api+json"),
            Some("multipart/form-data; boundary=x"),
            Some("application/json; charset=\u{e9}"),
            None,
        ][..]),
    ]
}

/// The item in a path: the counter item mostly, else any id text.
fn item() -> impl Strategy<Value = String> {
    prop_oneof![4 => Just(COUNTER_ITEM.to_owned()), 1 => uuid_text().prop_map(|s| enc(&s))]
}

/// `?k=v&...` with protocol-ish keys and any values (or nothing).
fn query() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop_oneof![
                select(&["limit", "cursor", "id", "type", "format", "what", "apiKey"][..])
                    .prop_map(str::to_owned),
                key()
            ],
            prop_oneof![
                text(),
                uuid_text(),
                (-5i64..2000).prop_map(|n| n.to_string())
            ],
        ),
        0..3,
    )
    .prop_map(|kv| {
        if kv.is_empty() {
            return String::new();
        }
        let pairs: Vec<String> = kv
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        format!("?{}", pairs.join("&"))
    })
}

/// Requests to the app routes (Bearer app tokens, or none).
fn app_case(row: String, setting: String) -> impl Strategy<Value = Case> {
    let who = prop_oneof![4 => Just(Who::Admin)
               .boxed(),
    2 => Just(Who::Reader)
               .boxed(),
    1 => Just(Who::Nobody)
               .boxed(),
       ];
    let id = move |existing: String| prop_oneof![2 => Just(existing), 1 => uuid_text().prop_map(|s| enc(&s))];
    let route = prop_oneof![
        (
            item(),
            body(
                json!({"type": "note", "data": {"text": "hi"}, "visibility": "item",
                             "accountId": CAROL})
            )
        )
            .prop_map(|(i, b)| (Method::POST, format!("/api/app-items/{i}/app-data"), b)),
        (
            item(),
            id(row.clone()),
            body(json!({"data": {"text": "changed"}}))
        )
            .prop_map(|(i, r, b)| (
                Method::PATCH,
                format!("/api/app-items/{i}/app-data/{r}"),
                b
            )),
        (item(), uuid_text()).prop_map(|(i, r)| (
            Method::DELETE,
            format!("/api/app-items/{i}/app-data/{}", enc(&r)),
            String::new()
        )),
        (item(), query()).prop_map(|(i, q)| (
            Method::GET,
            format!("/api/app-items/{i}/app-data{q}"),
            String::new()
        )),
        (item(), body(json!({"type": "vote", "data": {"n": 1}}))).prop_map(|(i, b)| (
            Method::POST,
            format!("/api/app-items/{i}/app-action"),
            b
        )),
        (item(), query()).prop_map(|(i, q)| (
            Method::GET,
            format!("/api/app-items/{i}/app-action{q}"),
            String::new()
        )),
        (
            item(),
            body(json!({"name": "config", "data": {"a": [1, 2]}}))
        )
            .prop_map(|(i, b)| (
                Method::POST,
                format!("/api/app-items/{i}/app-settings"),
                b
            )),
        (item(), id(setting), body(json!({"data": {"a": 3}}))).prop_map(|(i, s, b)| (
            Method::PATCH,
            format!("/api/app-items/{i}/app-settings/{s}"),
            b
        )),
        (item(), uuid_text()).prop_map(|(i, s)| (
            Method::DELETE,
            format!("/api/app-items/{i}/app-settings/{}", enc(&s)),
            String::new()
        )),
        (query(), text()).prop_map(|(q, b)| (
            Method::POST,
            format!("/api/app-items/app-data/upload{q}"),
            b
        )),
        (uuid_text(), query()).prop_map(|(r, q)| (
            Method::GET,
            format!("/api/app-items/app-data/{}/download{q}", enc(&r)),
            String::new()
        )),
        item().prop_map(|i| (
            Method::GET,
            format!("/api/app-items/{i}/context"),
            String::new()
        )),
    ];
    (who, route, content_type()).prop_map(|(who, (method, path, body), content_type)| Case {
        who,
        method,
        path,
        content_type,
        body,
    })
}

/// Requests to the token route, dev login and the integration API.
fn host_case() -> impl Strategy<Value = Case> {
    let admin = |path: &'static str, valid: Value| {
        body(valid).prop_map(move |b| (Who::ApiKey, Method::POST, path.to_owned(), b))
    };
    let route = prop_oneof![
        (
            item(),
            body(json!({"key": COUNTER_KEY, "origin": APP_ORIGIN}))
        )
            .prop_map(|(i, b)| (
                Who::Session,
                Method::POST,
                format!("/api/app-items/{i}/api-access-token"),
                b
            ))
            .boxed(),
        body(json!({"memberId": ALICE}))
            .prop_map(|b| (Who::Nobody, Method::POST, "/api/login".to_owned(), b))
            .boxed(),
        admin(
            "/api/admin/members",
            json!({"name": "Fuzz", "kind": "guest"})
        )
        .boxed(),
        admin(
            "/api/admin/items",
            json!({"name": "Fuzz", "app": "counter", "lang": "fr",
                                         "settings": {"isResizable": true}})
        )
        .boxed(),
        admin(
            "/api/admin/memberships",
            json!({"member": DAVE, "item": FOREIGN_ITEM,
                                               "permission": "read"})
        )
        .boxed(),
        admin(
            "/api/admin/publishers",
            json!({"name": "fuzz-pub",
                                              "origins": ["http://127.0.0.1:7777"]})
        )
        .boxed(),
        admin(
            "/api/admin/apps",
            json!({"name": "fuzz-app", "key": UNREGISTERED_KEY,
                                        "url": "http://127.0.0.1:7777/a/", "publisher": "fuzz-pub"})
        )
        .boxed(),
        admin("/api/admin/sessions", json!({"memberId": DAVE})).boxed(),
        admin(
            "/api/admin/app-tokens",
            json!({"memberId": ALICE, "itemId": COUNTER_ITEM,
                                              "key": COUNTER_KEY, "origin": APP_ORIGIN})
        )
        .boxed(),
        admin(
            "/api/admin/api-keys",
            json!({"name": "fuzz", "scopes": ["read"]})
        )
        .boxed(),
        (
            uuid_text(),
            body(json!({"name": "Renamed", "kind": "member"}))
        )
            .prop_map(|(id, b)| (
                Who::ApiKey,
                Method::PATCH,
                format!("/api/admin/members/{}", enc(&id)),
                b
            ))
            .boxed(),
        (uuid_text(), body(json!({"name": "Renamed", "lang": "de"})))
            .prop_map(|(id, b)| (
                Who::ApiKey,
                Method::PATCH,
                format!("/api/admin/items/{}", enc(&id)),
                b
            ))
            .boxed(),
        (uuid_text(), uuid_text())
            .prop_map(|(i, m)| (
                Who::ApiKey,
                Method::DELETE,
                format!("/api/admin/memberships/{}/{}", enc(&i), enc(&m)),
                String::new()
            ))
            .boxed(),
        (uuid_text(), query())
            .prop_map(|(i, q)| (
                Who::ApiKey,
                Method::GET,
                format!("/api/admin/items/{}/export{q}", enc(&i)),
                String::new()
            ))
            .boxed(),
        query()
            .prop_map(|q| (
                Who::ApiKey,
                Method::GET,
                format!("/api/admin/memberships{q}"),
                String::new()
            ))
            .boxed(),
        (select(&[Method::GET, Method::DELETE][..]), text())
            .prop_map(|(m, name)| (
                Who::ApiKey,
                m,
                format!("/api/admin/apps/{}", enc(&name)),
                String::new()
            ))
            .boxed(),
        text()
            .prop_map(|name| (
                Who::ApiKey,
                Method::DELETE,
                format!("/api/admin/publishers/{}", enc(&name)),
                String::new()
            ))
            .boxed(),
        (select(&[Method::GET, Method::DELETE][..]), uuid_text())
            .prop_map(|(m, id)| (
                Who::ApiKey,
                m,
                format!("/api/admin/members/{}", enc(&id)),
                String::new()
            ))
            .boxed(),
    ];
    (route, content_type()).prop_map(|((who, method, path, body), content_type)| Case {
        who,
        method,
        path,
        content_type,
        body,
    })
}

/// Sends `case` through the router; `Err` says what is wrong with the answer.
async fn answer(router: axum::Router, creds: &Creds, case: Case) -> Result<(), String> {
    let mut req = Request::builder()
        .method(case.method.clone())
        .uri(&case.path)
        .header(header::ORIGIN, APP_ORIGIN);
    req = match case.who {
        Who::Admin => req.header(header::AUTHORIZATION, format!("Bearer {}", creds.admin)),
        Who::Reader => req.header(header::AUTHORIZATION, format!("Bearer {}", creds.reader)),
        Who::Session => req.header(header::COOKIE, &creds.cookie),
        Who::ApiKey => req.header(header::AUTHORIZATION, format!("Bearer {API_KEY}")),
        Who::Nobody => req,
    };
    if let Some(ct) = case.content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let req = req
        .body(Body::from(case.body.clone()))
        .map_err(|e| format!("bad test request: {e}"))?;
    let Ok(res) = router.oneshot(req).await;
    let status = res.status();
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = to_bytes(res.into_body(), usize::MAX)
        .await
        .map_err(|e| format!("{status}: body: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    if status.is_server_error() {
        return Err(format!("{status}: {text}"));
    }
    if status.is_client_error() {
        if !ct.starts_with("application/json") {
            return Err(format!("{status} with content-type {ct:?}: {text}"));
        }
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{status}: not JSON ({e}): {text}"))?;
        for field in ["name", "code", "message"] {
            if v[field].as_str().is_none_or(str::is_empty) {
                return Err(format!("{status}: no {field}: {text}"));
            }
        }
        if v["statusCode"].as_u64() != Some(u64::from(status.as_u16())) {
            return Err(format!("{status}: statusCode differs: {text}"));
        }
    }
    Ok(())
}

/// Runs `strategy` through the router of `t` (on a blocking thread: the proptest runner is
/// synchronous) and panics with the smallest failing case.
async fn fuzz_routes<S>(
    t: &TestServer,
    ci_cases: u32,
    strategy: impl FnOnce(&Creds) -> S + Send + 'static,
) where
    S: Strategy<Value = Case>,
{
    let alice = t.app_for(ALICE, COUNTER_ITEM).await;
    let carol = t.app_for(CAROL, COUNTER_ITEM).await;
    let row = alice
        .post_data(
            COUNTER_ITEM,
            json!({"type": "note", "data": {"t": 1}, "visibility": "item"}),
        )
        .await;
    let setting = alice
        .post_setting(COUNTER_ITEM, json!({"name": "fuzzed", "data": {}}))
        .await;
    let r = t
        .http
        .post(t.url("/api/login"))
        .json(&json!({ "memberId": ALICE }))
        .send()
        .await
        .unwrap();
    let cookie = header_str(&r, "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let creds = Creds {
        admin: alice.token.clone(),
        reader: carol.token.clone(),
        cookie,
        row: row["id"].as_str().unwrap().to_owned(),
        setting: setting["id"].as_str().unwrap().to_owned(),
    };
    let router = appframe_server::app(t.state.clone());
    let rt = tokio::runtime::Handle::current();
    let outcome = tokio::task::spawn_blocking(move || {
        // Built here: boxed strategies are not `Send`.
        let strategy = strategy(&creds);
        let mut runner = TestRunner::new(config(ci_cases));
        runner
            .run(&strategy, |case| {
                let shown = format!("{case:?}");
                rt.block_on(answer(router.clone(), &creds, case))
                    .map_err(|e| TestCaseError::fail(format!("{shown}: {e}")))
            })
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    if let Err(e) = outcome {
        panic!("{}: {e}", t.backend);
    }
}

api_tests! {
    /// Found by the protocol's round-trip property: without serde_json's `float_roundtrip`, a
    /// number in app data came back one ULP off (the server parses and re-serializes `data`).
    async fn numbers_in_app_data_come_back_exactly(t) {
        let app = t.app_for(ALICE, COUNTER_ITEM).await;
        let body = r#"{"type":"note","visibility":"item","data":{"x":-7.838945026733992e102,"y":-3.2114922852785047e196}}"#;
        let r = app
            .req(reqwest::Method::POST, &format!("/app-items/{COUNTER_ITEM}/app-data"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        let r = app
            .req(reqwest::Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data"))
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(text.contains("-7.838945026733992e+102"), "{text}");
        assert!(text.contains("-3.2114922852785047e+196"), "{text}");
    }

    /// Found by `fuzz_rest_*` on Postgres: U+0000 in a JSON string or key was a 500 there
    /// (`jsonb` cannot hold it) and stored on SQLite; now a 400 on both.
    async fn a_nul_character_in_a_json_body_is_a_400_on_every_backend(t) {
        let app = t.app_for(ALICE, COUNTER_ITEM).await;
        let row = app
            .post_data(COUNTER_ITEM, json!({"type": "note", "data": {"t": 1}}))
            .await;
        let id = row["id"].as_str().unwrap();
        let cases = [
            (reqwest::Method::POST, format!("/app-items/{COUNTER_ITEM}/app-data"),
             r#"{"type":"note","data":{"t":"a\u0000b"}}"#),
            (reqwest::Method::PATCH, format!("/app-items/{COUNTER_ITEM}/app-data/{id}"),
             r#"{"data":{"type":"\u0000"}}"#),
            (reqwest::Method::POST, format!("/app-items/{COUNTER_ITEM}/app-settings"),
             r#"{"name":"s","data":{"\u0000":null}}"#),
        ];
        for (method, path, body) in cases {
            let r = app
                .req(method, &path)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let e = expect_error(r, 400, None).await;
            assert!(e.message.contains("U+0000"), "{path}: {}", e.message);
        }
        let r = t
            .http
            .post(t.url("/api/admin/items"))
            .bearer_auth(API_KEY)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(r#"{"name":"n","app":"counter","settings":{"\u0000":null}}"#)
            .send()
            .await
            .unwrap();
        expect_error(r, 400, None).await;
        // In a path parameter (a 500 on Postgres before) or a query string.
        for (method, path) in [
            (reqwest::Method::DELETE, "/api/admin/publishers/a%00b"),
            (reqwest::Method::GET, "/api/admin/apps/%00"),
            (reqwest::Method::GET, "/api/admin/memberships?item=%00"),
        ] {
            let r = t.http.request(method, t.url(path)).bearer_auth(API_KEY).send().await.unwrap();
            let e = expect_error(r, 400, None).await;
            assert!(e.message.contains("U+0000"), "{path}: {}", e.message);
        }
        // In the name of an uploaded setting (a multipart field, not JSON; a 500 on Postgres).
        let form = reqwest::multipart::Form::new().text("name", "a\0b").part(
            "files",
            reqwest::multipart::Part::bytes(b"x".to_vec())
                .file_name("f.txt")
                .mime_str("text/plain")
                .unwrap(),
        );
        let r = app
            .req(
                reqwest::Method::POST,
                &format!("/app-items/app-settings/upload?id={COUNTER_ITEM}"),
            )
            .multipart(form)
            .send()
            .await
            .unwrap();
        let e = expect_error(r, 400, None).await;
        assert!(e.message.contains("U+0000"), "setting upload: {}", e.message);
        // An escaped backslash before `u0000` is text, and stays accepted.
        app.post_data(COUNTER_ITEM, json!({"type": "note", "data": {"t": "\\u0000"}}))
            .await;
    }

    /// The app routes, with an admin's, a reader's or no token: never 5xx or a panic, every
    /// 4xx a Graasp error body.
    async fn fuzz_rest_app_routes(t) {
        fuzz_routes(t, 192, |c| app_case(c.row.clone(), c.setting.clone())).await;
    }

    /// The token route (session cookie), dev login and the integration API (API key): never
    /// 5xx or a panic, every 4xx a Graasp error body.
    async fn fuzz_rest_host_and_integration_routes(t) {
        fuzz_routes(t, 128, |_| host_case()).await;
    }
}
