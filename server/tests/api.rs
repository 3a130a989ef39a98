//! Black-box API tests: the real server on `127.0.0.1:0`, spoken to over HTTP with reqwest.
//!
//! Each test runs on SQLite (`sqlite::*`, a fresh file per test) and on Postgres (`postgres::*`,
//! a fresh database per test) when `APPFRAME_TEST_DATABASE_URL` is set, e.g.
//! `APPFRAME_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test -p appframe-server --test api`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "api/action_quota.rs"]
mod action_quota;
#[path = "api/chat_bot.rs"]
mod chat_bot;
mod common;
#[path = "api/fuzz.rs"]
mod fuzz;
#[path = "api/graasp_routes.rs"]
mod graasp_routes;
#[path = "api/group_commit.rs"]
mod group_commit;
#[path = "api/hardening.rs"]
mod hardening;
#[path = "api/import.rs"]
mod import;
#[path = "api/manifest.rs"]
mod manifest;
#[path = "api/quota.rs"]
mod quota;
#[path = "api/rules_sql.rs"]
mod rules_sql;
#[path = "api/storage.rs"]
mod storage;
#[path = "../../protocol/tests/strategies/mod.rs"]
mod strategies;
#[path = "api/tokens.rs"]
mod tokens;
#[path = "api/two_instances.rs"]
mod two_instances;

use appframe_server::config::Config;
use common::*;
use reqwest::{Method, StatusCode, header, multipart};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

fn name_of(member: &str) -> &'static str {
    match member {
        ALICE => "Alice",
        BOB => "Bob",
        CAROL => "Carol",
        DAVE => "Dave",
        _ => "?",
    }
}

fn ids(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r["id"].as_str().expect("row has a string id").to_owned())
        .collect()
}

fn is_rfc3339(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

/// RFC 4180 records (quoted fields may hold commas, doubled quotes and newlines).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A bad-input case: what it is, the raw body, the expected status.
type BadBody = (&'static str, String, u16);

/// One app-data row of the permission matrix.
#[derive(Debug, Clone)]
struct MatrixRow {
    creator: &'static str,
    account: &'static str,
    visibility: &'static str,
    id: String,
}

impl MatrixRow {
    fn label(&self) -> String {
        format!(
            "{}-visible row created by {} for {}",
            self.visibility,
            name_of(self.creator),
            name_of(self.account)
        )
    }
}

const MEMBERS: [&str; 3] = [ALICE, BOB, CAROL];

/// Documented rule (spec "Documented visibility matrix"): admins see every row; others see
/// item-visible rows and rows they created or that are addressed to them.
fn may_see(actor: &str, row: &MatrixRow) -> bool {
    actor == ALICE || row.visibility == "item" || row.account == actor || row.creator == actor
}

/// Documented rule: the creator, the addressed account and admins may patch.
fn may_patch(actor: &str, row: &MatrixRow) -> bool {
    actor == ALICE || row.account == actor || row.creator == actor
}

/// Documented rule: the creator, the addressed account and admins may delete.
fn may_delete(actor: &str, row: &MatrixRow) -> bool {
    actor == ALICE || row.account == actor || row.creator == actor
}

/// Creates one row per (visibility, creator, addressed account) on the counter item.
async fn seed_matrix(apps: &BTreeMap<&'static str, AppClient>, tag: &str) -> Vec<MatrixRow> {
    let mut rows = Vec::new();
    for visibility in ["member", "item"] {
        for creator in MEMBERS {
            for account in MEMBERS {
                let v = apps[creator]
                    .post_data(
                        COUNTER_ITEM,
                        json!({
                            "type": "matrix",
                            "visibility": visibility,
                            "accountId": account,
                            "data": { "tag": tag },
                        }),
                    )
                    .await;
                assert_eq!(v["account"]["id"], account);
                assert_eq!(v["creator"]["id"], creator);
                assert_eq!(v["visibility"], visibility);
                rows.push(MatrixRow {
                    creator,
                    account,
                    visibility,
                    id: v["id"].as_str().unwrap().to_owned(),
                });
            }
        }
    }
    rows
}

async fn matrix_clients(t: &TestServer) -> BTreeMap<&'static str, AppClient> {
    let mut apps = BTreeMap::new();
    for m in MEMBERS {
        apps.insert(m, t.app_for(m, COUNTER_ITEM).await);
    }
    apps
}

/// Every app route that names an item, with a valid JSON body where it takes one.
fn item_routes(item: &str, row: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/app-items/{item}/context"), None),
        (Method::GET, format!("/app-items/{item}/app-data"), None),
        (
            Method::POST,
            format!("/app-items/{item}/app-data"),
            Some(json!({"type": "note", "data": {"x": 1}})),
        ),
        (
            Method::PATCH,
            format!("/app-items/{item}/app-data/{row}"),
            Some(json!({"data": {"x": 2}})),
        ),
        (
            Method::DELETE,
            format!("/app-items/{item}/app-data/{row}"),
            None,
        ),
        (Method::GET, format!("/app-items/{item}/app-action"), None),
        (
            Method::POST,
            format!("/app-items/{item}/app-action"),
            Some(json!({"type": "click", "data": {}})),
        ),
        (Method::GET, format!("/app-items/{item}/app-settings"), None),
        (
            Method::POST,
            format!("/app-items/{item}/app-settings"),
            Some(json!({"name": "config", "data": {}})),
        ),
        (
            Method::PATCH,
            format!("/app-items/{item}/app-settings/{row}"),
            Some(json!({"data": {"x": 2}})),
        ),
        (
            Method::DELETE,
            format!("/app-items/{item}/app-settings/{row}"),
            None,
        ),
    ]
}

/// Row counts of an item as its admin sees them: (app data, actions, settings).
async fn counts(t: &TestServer, item: &str) -> (usize, usize, usize) {
    let admin = t.app_for(ALICE, item).await;
    (
        admin.app_data(item).await.len(),
        admin
            .list(&format!("/app-items/{item}/app-action"))
            .await
            .len(),
        admin
            .list(&format!("/app-items/{item}/app-settings"))
            .await
            .len(),
    )
}

fn file_part(bytes: Vec<u8>, name: &str, mime: &str) -> multipart::Part {
    multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap()
}

async fn upload_data_file(app: &AppClient, item: &str, bytes: Vec<u8>, name: &str) -> Value {
    let form = multipart::Form::new().part("files", file_part(bytes, name, "text/plain"));
    let r = app
        .req(
            Method::POST,
            &format!("/app-items/app-data/upload?id={item}"),
        )
        .multipart(form)
        .send()
        .await
        .unwrap();
    let v = json_ok(r).await;
    // Graasp answers with the created app data; accept a one-element array as well.
    match v {
        Value::Array(mut a) if a.len() == 1 => a.remove(0),
        v => v,
    }
}

async fn download_url(app: &AppClient, kind: &str, id: &str) -> String {
    let r = app
        .req(Method::GET, &format!("/app-items/{kind}/{id}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = header_str(&r, "content-type");
    assert!(
        ct.starts_with("text/plain"),
        "download answers text, got {ct}"
    );
    let url = r.text().await.unwrap();
    assert!(url.starts_with("http"), "download URL is absolute: {url}");
    url
}

api_tests! {
    /// The README's curl walk-through, step by step.
    async fn readme_walk_through_logs_in_gets_a_token_posts_lists_and_deletes_app_data(t) {
        let session = cookie_client();
        let r = session
            .post(t.url("/api/login"))
            .json(&json!({"memberId": ALICE}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "login: {}", r.status());
        let set_cookie = header_str(&r, "set-cookie");
        assert!(set_cookie.contains("appframe_session="), "session cookie: {set_cookie}");
        assert!(set_cookie.to_ascii_lowercase().contains("httponly"), "HttpOnly: {set_cookie}");
        assert!(set_cookie.to_ascii_lowercase().contains("samesite=lax"), "SameSite=Lax: {set_cookie}");

        let token = t.token_with(&session, NOTES_ITEM, NOTES_KEY, APP_ORIGIN).await;
        let app = t.app(&token);
        let created = app
            .post_data(NOTES_ITEM, json!({"type": "note", "data": {"text": "hello"}}))
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["data"]["text"], "hello");
        assert_eq!(created["type"], "note");
        assert_eq!(created["visibility"], "member", "default visibility is member");

        let listed = app.app_data(NOTES_ITEM).await;
        assert_eq!(ids(&listed), BTreeSet::from([id.clone()]));

        let r = app
            .req(Method::DELETE, &format!("/app-items/{NOTES_ITEM}/app-data/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let ct = header_str(&r, "content-type");
        assert!(ct.starts_with("text/plain"), "DELETE answers text/plain, got {ct}");
        assert_eq!(r.text().await.unwrap(), id);
        assert!(app.app_data(NOTES_ITEM).await.is_empty());
    }

    /// Dev login: unknown members are 404, non-UUID ids and bad bodies 400.
    async fn dev_login_refuses_unknown_members_and_bad_bodies(t) {
        let c = cookie_client();
        let r = c.post(t.url("/api/login")).json(&json!({"memberId": random_id()})).send().await.unwrap();
        expect_error(r, 404, None).await;
        let r = c.post(t.url("/api/login")).json(&json!({"memberId": "alice"})).send().await.unwrap();
        expect_error(r, 400, None).await;
        let r = c.post(t.url("/api/login")).json(&json!({"memberId": ALICE, "admin": true})).send().await.unwrap();
        expect_error(r, 400, None).await;
        let r = c
            .post(t.url("/api/login"))
            .header(header::CONTENT_TYPE, "application/json")
            .body("{\"memberId\":")
            .send()
            .await
            .unwrap();
        expect_error(r, 400, None).await;
        // None of these logged anyone in.
        let r = c.get(t.url("/api/me")).send().await.unwrap();
        expect_error(r, 401, None).await;
    }

    /// Outside dev mode there is no password-less login.
    with(|c| c.server.dev = false)
    async fn login_route_does_not_exist_outside_dev_mode(t) {
        let r = cookie_client().post(t.url("/api/login")).json(&json!({"memberId": ALICE})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let v = json_ok(t.http.get(t.url("/api/host-config")).send().await.unwrap()).await;
        assert_eq!(v["dev"], false);
    }

    /// `/api/me` follows the session: 401 before login, the member after, 401 after logout.
    async fn me_follows_the_session_through_login_and_logout(t) {
        let c = cookie_client();
        expect_error(c.get(t.url("/api/me")).send().await.unwrap(), 401, None).await;
        c.post(t.url("/api/login")).json(&json!({"memberId": BOB})).send().await.unwrap();
        let me = json_ok(c.get(t.url("/api/me")).send().await.unwrap()).await;
        assert_eq!(me["id"], BOB);
        assert_eq!(me["name"], "Bob");
        let r = c.post(t.url("/api/logout")).json(&json!({})).send().await.unwrap();
        assert!(r.status().is_success(), "logout: {}", r.status());
        expect_error(c.get(t.url("/api/me")).send().await.unwrap(), 401, None).await;
    }

    /// A forged session cookie is not a session.
    async fn made_up_session_cookie_is_refused(t) {
        let r = t
            .http
            .get(t.url("/api/me"))
            .header(header::COOKIE, format!("appframe_session={}", random_id()))
            .send()
            .await
            .unwrap();
        expect_error(r, 401, None).await;
    }

    /// `/api/host-config` gives the absolute apiHost apps need.
    async fn host_config_gives_the_absolute_api_host_without_trailing_slash(t) {
        let v = json_ok(t.http.get(t.url("/api/host-config")).send().await.unwrap()).await;
        assert_eq!(v["apiHost"], t.api.as_str());
        assert_eq!(v["dev"], true);
    }

    /// `/api/items` lists exactly the items with a membership, with the member's permission.
    async fn items_list_only_the_members_items_with_their_permission(t) {
        let alice = t.login(ALICE).await;
        let items: Vec<Value> = serde_json::from_value(json_ok(alice.get(t.url("/api/items")).send().await.unwrap()).await).unwrap();
        let got: BTreeSet<String> = items.iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(got, BTreeSet::from([COUNTER_ITEM, NOTES_ITEM, JS_ITEM, FOREIGN_ITEM].map(String::from)));
        let notes = items.iter().find(|i| i["id"] == NOTES_ITEM).unwrap();
        assert_eq!(notes["name"], "Class notes");
        assert_eq!(notes["permission"], "admin");
        assert_eq!(notes["lang"], "en");
        assert_eq!(notes["app"]["name"], "sticky-notes");
        assert_eq!(notes["app"]["url"], "http://127.0.0.1:8081/sticky-notes/");
        assert!(notes["app"]["origins"].as_array().unwrap().contains(&json!(APP_ORIGIN)));
        // The app key goes to members of the item (the host's bridge asks for the first token
        // with it at attach); it is no secret: every app ships its own in its bundle, and a token
        // needs the member's session and a registered origin as well.
        assert_eq!(notes["app"]["key"], json!(NOTES_KEY));
        assert!(notes.get("key").is_none());

        let carol = t.login(CAROL).await;
        let one = json_ok(carol.get(t.url(&format!("/api/items/{NOTES_ITEM}"))).send().await.unwrap()).await;
        assert_eq!(one["permission"], "read");
        expect_error(carol.get(t.url(&format!("/api/items/{FOREIGN_ITEM}"))).send().await.unwrap(), 403, None).await;
        expect_error(carol.get(t.url(&format!("/api/items/{}", random_id()))).send().await.unwrap(), 404, None).await;
        expect_error(carol.get(t.url("/api/items/not-a-uuid")).send().await.unwrap(), 400, None).await;

        let dave = t.login(DAVE).await;
        let none = json_ok(dave.get(t.url("/api/items")).send().await.unwrap()).await;
        assert_eq!(none, json!([]));
        expect_error(t.http.get(t.url("/api/items")).send().await.unwrap(), 401, None).await;
    }

    /// The token is a JWT whose `sub` is the Graasp object, valid for `token_ttl_secs`.
    with(|c| c.server.token_ttl_secs = 321)
    async fn token_carries_account_item_key_and_origin_and_the_configured_lifetime(t) {
        let token = t.token_for(BOB, NOTES_ITEM).await;
        let claims = token_claims(&token);
        assert_eq!(claims["sub"]["accountId"], BOB);
        assert_eq!(claims["sub"]["itemId"], NOTES_ITEM);
        assert_eq!(claims["sub"]["key"], NOTES_KEY);
        assert_eq!(claims["sub"]["origin"], APP_ORIGIN);
        let iat = claims["iat"].as_i64().unwrap();
        let exp = claims["exp"].as_i64().unwrap();
        assert_eq!(exp - iat, 321);
        assert!((iat - now_secs()).abs() < 60);
    }

    /// A token issued by the server stops working when its lifetime is over. (The lifetime leaves
    /// a loaded machine time for the first request, which must still pass.)
    with(|c| c.server.token_ttl_secs = 5)
    async fn token_expires_after_the_configured_lifetime(t) {
        let app = t.app_for(CAROL, COUNTER_ITEM).await;
        app.app_data(COUNTER_ITEM).await;
        let exp = token_claims(&app.token)["exp"].as_i64().unwrap();
        // Wait until the expiry second has fully passed (no leeway on the server).
        while now_secs() <= exp {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let r = app.req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data")).send().await.unwrap();
        expect_error(r, 401, Some("GERR027")).await;
    }

    /// Both origins of the demo publisher get tokens; the token is bound to the one asked for.
    async fn token_is_granted_for_every_origin_of_the_apps_publisher(t) {
        let s = t.login(CAROL).await;
        for origin in [APP_ORIGIN, APP_ORIGIN_2] {
            let token = t.token_with(&s, COUNTER_ITEM, COUNTER_KEY, origin).await;
            assert_eq!(token_claims(&token)["sub"]["origin"], origin);
        }
    }

    /// Key/origin check against the publisher (the check Graasp's code never makes).
    async fn token_is_refused_for_unregistered_key_wrong_origin_or_another_apps_key(t) {
        let s = t.login(ALICE).await;
        let url = t.url(&format!("/api/app-items/{COUNTER_ITEM}/api-access-token"));
        let cases = [
            ("unregistered key", UNREGISTERED_KEY, APP_ORIGIN),
            ("origin nobody registered", COUNTER_KEY, EVIL_ORIGIN),
            ("origin of another publisher", COUNTER_KEY, FOREIGN_ORIGIN),
            ("origin with a path", COUNTER_KEY, "http://127.0.0.1:8081/counter/"),
            ("origin with another port", COUNTER_KEY, "http://127.0.0.1:8082"),
            ("other publisher's key with its own origin", FOREIGN_KEY, FOREIGN_ORIGIN),
            ("other app's key of the same publisher", NOTES_KEY, APP_ORIGIN),
        ];
        for (what, key, origin) in cases {
            let r = s.post(&url).json(&json!({"key": key, "origin": origin})).send().await.unwrap();
            let status = r.status().as_u16();
            assert_eq!(status, 403, "{what}: expected 403, got {status}");
            let body = expect_error(r, 403, None).await;
            if key == COUNTER_KEY || key == UNREGISTERED_KEY || key == FOREIGN_KEY {
                assert_eq!(body.code, "GAERR002", "{what}");
            }
        }
    }

    /// Members need a membership on the item to get a token; anonymous callers need a session.
    async fn token_is_refused_without_membership_or_session(t) {
        let dave = t.login(DAVE).await;
        let url = t.url(&format!("/api/app-items/{COUNTER_ITEM}/api-access-token"));
        let body = json!({"key": COUNTER_KEY, "origin": APP_ORIGIN});
        expect_error(dave.post(&url).json(&body).send().await.unwrap(), 403, Some("GERR016")).await;
        let bob = t.login(BOB).await;
        let foreign = t.url(&format!("/api/app-items/{FOREIGN_ITEM}/api-access-token"));
        let fbody = json!({"key": FOREIGN_KEY, "origin": FOREIGN_ORIGIN});
        expect_error(bob.post(&foreign).json(&fbody).send().await.unwrap(), 403, Some("GERR016")).await;
        // No public items exist, so a caller without a session gets no token.
        let r = t.http.post(&url).json(&body).send().await.unwrap();
        expect_error(r, 401, Some("GERR027")).await;
    }

    /// The token route's body is strict and its ids are checked.
    async fn token_route_rejects_bad_bodies_and_ids(t) {
        let s = t.login(ALICE).await;
        let url = t.url(&format!("/api/app-items/{COUNTER_ITEM}/api-access-token"));
        for (what, body) in [
            ("unknown field", json!({"key": COUNTER_KEY, "origin": APP_ORIGIN, "accountId": BOB})),
            ("key not a UUID", json!({"key": "counter", "origin": APP_ORIGIN})),
            ("missing origin", json!({"key": COUNTER_KEY})),
            ("origin a number", json!({"key": COUNTER_KEY, "origin": 8081})),
            ("array body", json!([COUNTER_KEY, APP_ORIGIN])),
        ] {
            let r = s.post(&url).json(&body).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
            expect_error(r, 400, None).await;
        }
        let big = json!({"key": COUNTER_KEY, "origin": "x".repeat(MAX_BODY + 1)});
        expect_error(s.post(&url).json(&big).send().await.unwrap(), 413, None).await;
        let r = s.post(&url).header(header::CONTENT_TYPE, "application/json").body("{").send().await.unwrap();
        expect_error(r, 400, None).await;
        let body = json!({"key": COUNTER_KEY, "origin": APP_ORIGIN});
        let r = s.post(t.url("/api/app-items/not-a-uuid/api-access-token")).json(&body).send().await.unwrap();
        expect_error(r, 400, None).await;
        let r = s.post(t.url(&format!("/api/app-items/{}/api-access-token", random_id()))).json(&body).send().await.unwrap();
        expect_error(r, 404, None).await;
    }

    /// A token for item A is refused on every route of item B, and nothing is stored on B.
    async fn token_of_one_item_is_refused_on_every_route_of_another(t) {
        // Alice is admin on both items, so only the item binding can refuse.
        let on_notes = t.app_for(ALICE, NOTES_ITEM).await;
        let on_counter = t.app_for(ALICE, COUNTER_ITEM).await;
        let row = on_counter.post_data(COUNTER_ITEM, json!({"type": "note", "data": {}})).await;
        let setting = on_counter.post_setting(COUNTER_ITEM, json!({"name": "config", "data": {"a": 1}})).await;
        let before = counts(t, COUNTER_ITEM).await;
        for (method, path, body) in item_routes(COUNTER_ITEM, row["id"].as_str().unwrap()) {
            let path = if path.contains("app-settings/") {
                path.replace(row["id"].as_str().unwrap(), setting["id"].as_str().unwrap())
            } else {
                path
            };
            let mut req = on_notes.req(method.clone(), &path);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            expect_error(r, 401, Some("GAERR003")).await;
        }
        assert_eq!(counts(t, COUNTER_ITEM).await, before);
        let data = on_counter.app_data(COUNTER_ITEM).await;
        assert_eq!(data[0]["data"], json!({}), "the row was not patched");
    }

    /// Tokens that are expired, signed with another secret, tampered with or malformed: 401.
    async fn expired_forged_tampered_and_malformed_tokens_are_refused(t) {
        let now = now_secs();
        let sub = json!({"accountId": ALICE, "itemId": COUNTER_ITEM, "key": COUNTER_KEY, "origin": APP_ORIGIN});
        // The harness knows the server's secret, so a well-formed token is accepted...
        let good = sign_token(&json!({"sub": sub, "iat": now, "exp": now + 600}), JWT_SECRET);
        t.app(&good).app_data(COUNTER_ITEM).await;
        // ...and every variant below differs from it in one way.
        let expired = sign_token(&json!({"sub": sub, "iat": now - 7200, "exp": now - 3600}), JWT_SECRET);
        let wrong_secret = sign_token(&json!({"sub": sub, "iat": now, "exp": now + 600}), "not-the-server-secret");
        let mut parts: Vec<String> = good.split('.').map(String::from).collect();
        {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let mut claims = token_claims(&good);
            claims["sub"]["accountId"] = json!(BOB);
            parts[1] = b64.encode(serde_json::to_vec(&claims).unwrap());
        }
        let tampered = parts.join(".");
        let alg_none = {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            format!(
                "{}.{}.",
                b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
                b64.encode(serde_json::to_vec(&json!({"sub": sub, "iat": now, "exp": now + 600})).unwrap())
            )
        };
        let no_key = sign_token(&json!({"sub": {"accountId": ALICE, "itemId": COUNTER_ITEM, "origin": APP_ORIGIN}, "iat": now, "exp": now + 600}), JWT_SECRET);
        let string_sub = sign_token(&json!({"sub": ALICE, "iat": now, "exp": now + 600}), JWT_SECRET);
        let unknown_account = sign_token(&json!({"sub": {"accountId": random_id(), "itemId": COUNTER_ITEM, "key": COUNTER_KEY, "origin": APP_ORIGIN}, "iat": now, "exp": now + 600}), JWT_SECRET);
        for (what, token) in [
            ("expired", expired),
            ("signed with another secret", wrong_secret),
            ("tampered payload", tampered),
            ("alg none", alg_none),
            ("sub without key", no_key),
            ("sub as a string", string_sub),
            ("unknown account", unknown_account),
            ("garbage", "not.a.jwt".to_owned()),
        ] {
            let app = t.app(&token);
            let r = app.req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
            expect_error(r, 401, None).await;
            let r = app
                .req(Method::POST, &format!("/app-items/{COUNTER_ITEM}/app-data"))
                .json(&json!({"type": "note", "data": {}}))
                .send()
                .await
                .unwrap();
            expect_error(r, 401, None).await;
        }
        let r = t.http.get(t.url(&format!("/api/app-items/{COUNTER_ITEM}/app-data"))).send().await.unwrap();
        expect_error(r, 401, None).await;
        let r = t
            .http
            .get(t.url(&format!("/api/app-items/{COUNTER_ITEM}/app-data")))
            .header(header::AUTHORIZATION, format!("Basic {good}"))
            .send()
            .await
            .unwrap();
        expect_error(r, 401, None).await;
        assert!(t.app(&good).app_data(COUNTER_ITEM).await.is_empty(), "nothing was stored");
    }

    /// App routes authenticate by Bearer token only: the host's session cookie is not enough.
    async fn app_routes_ignore_the_session_cookie(t) {
        let session = t.login(ALICE).await;
        let r = session
            .get(t.url(&format!("/api/app-items/{COUNTER_ITEM}/app-data")))
            .header(header::ORIGIN, APP_ORIGIN)
            .send()
            .await
            .unwrap();
        expect_error(r, 401, None).await;
        let r = session
            .post(t.url(&format!("/api/app-items/{COUNTER_ITEM}/app-data")))
            .json(&json!({"type": "note", "data": {}}))
            .send()
            .await
            .unwrap();
        expect_error(r, 401, None).await;
        assert!(t.app_for(ALICE, COUNTER_ITEM).await.app_data(COUNTER_ITEM).await.is_empty());
    }

    /// List visibility: every (reader × row) pair of the documented matrix.
    async fn permission_matrix_listing_shows_each_member_exactly_the_rows_the_docs_allow(t) {
        let apps = matrix_clients(t).await;
        let rows = seed_matrix(&apps, "list").await;
        for actor in MEMBERS {
            let seen = ids(&apps[actor].app_data(COUNTER_ITEM).await);
            for row in &rows {
                assert_eq!(
                    seen.contains(&row.id),
                    may_see(actor, row),
                    "{} listing the {}",
                    name_of(actor),
                    row.label()
                );
            }
            assert_eq!(seen.len(), rows.iter().filter(|r| may_see(actor, r)).count());
        }
    }

    /// Patch permission: every (member × row) pair of the documented matrix.
    async fn permission_matrix_patch_is_allowed_exactly_as_documented(t) {
        let apps = matrix_clients(t).await;
        let rows = seed_matrix(&apps, "patch").await;
        let mut expected: BTreeMap<String, Value> = rows.iter().map(|r| (r.id.clone(), json!({"tag": "patch"}))).collect();
        for actor in MEMBERS {
            for row in &rows {
                let new = json!({"patchedBy": name_of(actor)});
                let r = apps[actor]
                    .req(Method::PATCH, &format!("/app-items/{COUNTER_ITEM}/app-data/{}", row.id))
                    .json(&json!({"data": new}))
                    .send()
                    .await
                    .unwrap();
                let what = format!("{} patching the {}", name_of(actor), row.label());
                if may_patch(actor, row) {
                    assert_eq!(r.status(), StatusCode::OK, "{what}");
                    let v = json_ok(r).await;
                    assert_eq!(v["data"], new, "{what}");
                    assert_eq!(v["id"], row.id.as_str());
                    expected.insert(row.id.clone(), new);
                } else if may_see(actor, row) {
                    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}");
                    expect_error(r, 403, None).await;
                } else {
                    let status = r.status().as_u16();
                    assert!(status == 403 || status == 404, "{what}: got {status}");
                    expect_error(r, status, None).await;
                }
            }
        }
        let all = apps[ALICE].app_data(COUNTER_ITEM).await;
        for row in all {
            assert_eq!(row["data"], expected[row["id"].as_str().unwrap()], "final data of {}", row["id"]);
        }
    }

    /// Delete permission: every (member × row) pair of the documented matrix.
    async fn permission_matrix_delete_is_allowed_exactly_as_documented(t) {
        let apps = matrix_clients(t).await;
        let mut remaining = BTreeSet::new();
        for actor in MEMBERS {
            let rows = seed_matrix(&apps, name_of(actor)).await;
            for row in &rows {
                let r = apps[actor]
                    .req(Method::DELETE, &format!("/app-items/{COUNTER_ITEM}/app-data/{}", row.id))
                    .send()
                    .await
                    .unwrap();
                let what = format!("{} deleting the {}", name_of(actor), row.label());
                if may_delete(actor, row) {
                    assert_eq!(r.status(), StatusCode::OK, "{what}");
                    assert_eq!(r.text().await.unwrap(), row.id, "{what}");
                } else {
                    remaining.insert(row.id.clone());
                    if may_see(actor, row) {
                        expect_error(r, 403, None).await;
                    } else {
                        let status = r.status().as_u16();
                        assert!(status == 403 || status == 404, "{what}: got {status}");
                        expect_error(r, status, None).await;
                    }
                }
            }
        }
        assert_eq!(ids(&apps[ALICE].app_data(COUNTER_ITEM).await), remaining);
    }

    /// Anyone who can read may address data to another member (Graasp #863).
    async fn reader_may_address_data_to_another_member_with_account_id_or_member_id(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let a = carol.post_data(COUNTER_ITEM, json!({"type": "note", "data": {}, "accountId": BOB})).await;
        assert_eq!(a["account"]["id"], BOB);
        assert_eq!(a["member"]["id"], BOB);
        assert_eq!(a["creator"]["id"], CAROL);
        let b = carol.post_data(COUNTER_ITEM, json!({"type": "note", "data": {}, "memberId": ALICE})).await;
        assert_eq!(b["account"]["id"], ALICE, "memberId is the legacy alias of accountId");
        assert_eq!(b["account"]["name"], "Alice");
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        assert!(ids(&bob.app_data(COUNTER_ITEM).await).contains(a["id"].as_str().unwrap()));
    }

    /// Addressing data to an account that does not exist stores nothing.
    async fn addressing_an_unknown_account_is_refused(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let r = carol
            .req(Method::POST, &format!("/app-items/{COUNTER_ITEM}/app-data"))
            .json(&json!({"type": "note", "data": {}, "accountId": random_id()}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status == 400 || status == 404, "got {status}");
        expect_error(r, status, None).await;
        assert_eq!(counts(t, COUNTER_ITEM).await.0, 0);
    }

    /// A row of another item is not found through this item, even for its admin.
    async fn rows_of_another_item_are_not_found(t) {
        let counter = t.app_for(ALICE, COUNTER_ITEM).await;
        let notes = t.app_for(ALICE, NOTES_ITEM).await;
        let row = counter.post_data(COUNTER_ITEM, json!({"type": "note", "data": {"v": 1}})).await;
        let id = row["id"].as_str().unwrap();
        let r = notes
            .req(Method::PATCH, &format!("/app-items/{NOTES_ITEM}/app-data/{id}"))
            .json(&json!({"data": {"v": 2}}))
            .send()
            .await
            .unwrap();
        expect_error(r, 404, Some("GAERR004")).await;
        let r = notes.req(Method::DELETE, &format!("/app-items/{NOTES_ITEM}/app-data/{id}")).send().await.unwrap();
        expect_error(r, 404, Some("GAERR004")).await;
        let setting = counter.post_setting(COUNTER_ITEM, json!({"name": "s", "data": {"v": 1}})).await;
        let sid = setting["id"].as_str().unwrap();
        let r = notes
            .req(Method::PATCH, &format!("/app-items/{NOTES_ITEM}/app-settings/{sid}"))
            .json(&json!({"data": {"v": 2}}))
            .send()
            .await
            .unwrap();
        expect_error(r, 404, None).await;
        let r = notes.req(Method::DELETE, &format!("/app-items/{NOTES_ITEM}/app-settings/{sid}")).send().await.unwrap();
        expect_error(r, 404, None).await;
        assert_eq!(counter.app_data(COUNTER_ITEM).await[0]["data"], json!({"v": 1}));
        assert_eq!(counter.list(&format!("/app-items/{COUNTER_ITEM}/app-settings")).await[0]["data"], json!({"v": 1}));
    }

    /// Unknown row ids are 404 with the Graasp body, non-UUID ids 400, on every row route.
    async fn unknown_row_ids_are_404_and_non_uuid_ids_400_on_every_row_route(t) {
        let admin = t.app_for(ALICE, COUNTER_ITEM).await;
        let unknown = random_id();
        for (method, path, body, status, code) in [
            (Method::PATCH, format!("/app-items/{COUNTER_ITEM}/app-data/{unknown}"), Some(json!({"data": {}})), 404, Some("GAERR004")),
            (Method::DELETE, format!("/app-items/{COUNTER_ITEM}/app-data/{unknown}"), None, 404, Some("GAERR004")),
            (Method::PATCH, format!("/app-items/{COUNTER_ITEM}/app-settings/{unknown}"), Some(json!({"data": {}})), 404, None),
            (Method::DELETE, format!("/app-items/{COUNTER_ITEM}/app-settings/{unknown}"), None, 404, None),
            (Method::GET, format!("/app-items/app-data/{unknown}/download"), None, 404, None),
            (Method::GET, format!("/app-items/app-settings/{unknown}/download"), None, 404, None),
            (Method::PATCH, format!("/app-items/{COUNTER_ITEM}/app-data/42"), Some(json!({"data": {}})), 400, None),
            (Method::DELETE, format!("/app-items/{COUNTER_ITEM}/app-data/not-a-uuid"), None, 400, None),
            (Method::PATCH, format!("/app-items/{COUNTER_ITEM}/app-settings/42"), Some(json!({"data": {}})), 400, None),
            (Method::DELETE, format!("/app-items/{COUNTER_ITEM}/app-settings/not-a-uuid"), None, 400, None),
            (Method::GET, "/app-items/app-data/not-a-uuid/download".to_owned(), None, 400, None),
            (Method::GET, "/app-items/app-settings/not-a-uuid/download".to_owned(), None, 400, None),
            (Method::GET, "/app-items/not-a-uuid/app-data".to_owned(), None, 400, None),
            (Method::GET, "/app-items/not-a-uuid/context".to_owned(), None, 400, None),
            (Method::GET, "/app-items/not-a-uuid/app-action".to_owned(), None, 400, None),
            (Method::GET, "/app-items/not-a-uuid/app-settings".to_owned(), None, 400, None),
        ] {
            let mut req = admin.req(method.clone(), &path);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status().as_u16(), status, "{method} {path}");
            expect_error(r, status, code).await;
        }
    }

    /// Bad JSON bodies on every JSON route: 400/413 with the Graasp body, nothing stored.
    async fn bad_json_bodies_are_refused_on_every_route_and_nothing_is_stored(t) {
        let admin = t.app_for(ALICE, COUNTER_ITEM).await;
        let row = admin.post_data(COUNTER_ITEM, json!({"type": "note", "data": {"v": 1}})).await;
        let setting = admin.post_setting(COUNTER_ITEM, json!({"name": "config", "data": {"v": 1}})).await;
        let row_id = row["id"].as_str().unwrap();
        let setting_id = setting["id"].as_str().unwrap();
        let before = counts(t, COUNTER_ITEM).await;
        let big = "x".repeat(MAX_BODY + 1);
        let ty2 = "ab".to_owned();
        let ty26 = "a".repeat(26);
        let routes: Vec<(Method, String, Vec<BadBody>)> = vec![
            (Method::POST, format!("/app-items/{COUNTER_ITEM}/app-data"), vec![
                ("data not an object", json!({"type": "note", "data": "text"}).to_string(), 400),
                ("type a number", json!({"type": 12345, "data": {}}).to_string(), 400),
                ("missing type", json!({"data": {}}).to_string(), 400),
                ("missing data", json!({"type": "note"}).to_string(), 400),
                ("unknown field", json!({"type": "note", "data": {}, "item": COUNTER_ITEM}).to_string(), 400),
                ("bad visibility", json!({"type": "note", "data": {}, "visibility": "public"}).to_string(), 400),
                ("accountId not a UUID", json!({"type": "note", "data": {}, "accountId": "bob"}).to_string(), 400),
                ("type of 2 characters", json!({"type": ty2, "data": {}}).to_string(), 400),
                ("type of 26 characters", json!({"type": ty26, "data": {}}).to_string(), 400),
                ("body over the limit", json!({"type": "note", "data": {"big": big}}).to_string(), 413),
            ]),
            (Method::PATCH, format!("/app-items/{COUNTER_ITEM}/app-data/{row_id}"), vec![
                ("data not an object", json!({"data": [1, 2]}).to_string(), 400),
                ("unknown field", json!({"data": {}, "visibility": "item"}).to_string(), 400),
                ("missing data", json!({}).to_string(), 400),
                ("body over the limit", json!({"data": {"big": big}}).to_string(), 413),
            ]),
            (Method::POST, format!("/app-items/{COUNTER_ITEM}/app-action"), vec![
                ("data not an object", json!({"type": "click", "data": 3}).to_string(), 400),
                ("type a bool", json!({"type": true, "data": {}}).to_string(), 400),
                ("unknown field", json!({"type": "click", "data": {}, "accountId": BOB}).to_string(), 400),
                ("type of 2 characters", json!({"type": ty2, "data": {}}).to_string(), 400),
                ("type of 26 characters", json!({"type": ty26, "data": {}}).to_string(), 400),
                ("body over the limit", json!({"type": "click", "data": {"big": big}}).to_string(), 413),
            ]),
            (Method::POST, format!("/app-items/{COUNTER_ITEM}/app-settings"), vec![
                ("data not an object", json!({"name": "s", "data": "x"}).to_string(), 400),
                ("name a number", json!({"name": 1, "data": {}}).to_string(), 400),
                ("empty name", json!({"name": "", "data": {}}).to_string(), 400),
                ("name of 501 characters", json!({"name": "n".repeat(501), "data": {}}).to_string(), 400),
                ("unknown field", json!({"name": "s", "data": {}, "creator": ALICE}).to_string(), 400),
                ("body over the limit", json!({"name": "s", "data": {"big": big}}).to_string(), 413),
            ]),
            (Method::PATCH, format!("/app-items/{COUNTER_ITEM}/app-settings/{setting_id}"), vec![
                ("data not an object", json!({"data": null}).to_string(), 400),
                ("unknown field", json!({"data": {}, "name": "renamed"}).to_string(), 400),
                ("body over the limit", json!({"data": {"big": big}}).to_string(), 413),
            ]),
        ];
        for (method, path, cases) in routes {
            let common_cases = [
                ("truncated JSON", "{\"data\":".to_owned(), 400u16),
                ("not JSON", "hello".to_owned(), 400),
                ("empty body", String::new(), 400),
            ];
            for (what, body, status) in cases.into_iter().chain(common_cases) {
                let r = admin
                    .req(method.clone(), &path)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), status, "{method} {path}: {what}");
                expect_error(r, status, None).await;
            }
        }
        assert_eq!(counts(t, COUNTER_ITEM).await, before, "nothing was stored");
        assert_eq!(admin.app_data(COUNTER_ITEM).await[0]["data"], json!({"v": 1}), "row unchanged");
        let settings = admin.list(&format!("/app-items/{COUNTER_ITEM}/app-settings")).await;
        assert_eq!(settings[0]["data"], json!({"v": 1}), "setting unchanged");
        assert_eq!(settings[0]["name"], "config", "setting unchanged");
    }

    /// Type lengths at the limits (3 and 25 characters) are accepted.
    async fn types_of_3_and_25_characters_are_accepted(t) {
        let app = t.app_for(CAROL, COUNTER_ITEM).await;
        for ty in ["abc".to_owned(), "a".repeat(25), "ééé".to_owned()] {
            let v = app.post_data(COUNTER_ITEM, json!({"type": ty, "data": {}})).await;
            assert_eq!(v["type"], ty.as_str());
            app.post_action(COUNTER_ITEM, json!({"type": ty, "data": {}})).await;
        }
        let only = app.list(&format!("/app-items/{COUNTER_ITEM}/app-data?type=abc")).await;
        assert_eq!(only.len(), 1, "?type= filters exactly");
        assert_eq!(only[0]["type"], "abc");
    }

    /// Settings: readers may read; only admins write, patch and delete (GERR004).
    async fn settings_are_readable_by_all_members_and_writable_only_by_admins(t) {
        let admin = t.app_for(ALICE, COUNTER_ITEM).await;
        let s = admin.post_setting(COUNTER_ITEM, json!({"name": "config", "data": {"max": 3}})).await;
        assert_eq!(s["name"], "config");
        assert_eq!(s["data"]["max"], 3);
        let sid = s["id"].as_str().unwrap().to_owned();
        admin.post_setting(COUNTER_ITEM, json!({"name": "other", "data": {}})).await;
        for member in [BOB, CAROL] {
            let app = t.app_for(member, COUNTER_ITEM).await;
            let all = app.list(&format!("/app-items/{COUNTER_ITEM}/app-settings")).await;
            assert_eq!(all.len(), 2);
            let one = app.list(&format!("/app-items/{COUNTER_ITEM}/app-settings?name=config")).await;
            assert_eq!(ids(&one), BTreeSet::from([sid.clone()]));
            let r = app
                .req(Method::POST, &format!("/app-items/{COUNTER_ITEM}/app-settings"))
                .json(&json!({"name": "mine", "data": {}}))
                .send()
                .await
                .unwrap();
            expect_error(r, 403, Some("GERR004")).await;
            let r = app
                .req(Method::PATCH, &format!("/app-items/{COUNTER_ITEM}/app-settings/{sid}"))
                .json(&json!({"data": {"max": 99}}))
                .send()
                .await
                .unwrap();
            expect_error(r, 403, Some("GERR004")).await;
            let r = app.req(Method::DELETE, &format!("/app-items/{COUNTER_ITEM}/app-settings/{sid}")).send().await.unwrap();
            expect_error(r, 403, Some("GERR004")).await;
            let form = multipart::Form::new()
                .text("name", "upload")
                .part("files", file_part(b"x".to_vec(), "x.txt", "text/plain"));
            let r = app
                .req(Method::POST, &format!("/app-items/app-settings/upload?id={COUNTER_ITEM}"))
                .multipart(form)
                .send()
                .await
                .unwrap();
            expect_error(r, 403, Some("GERR004")).await;
        }
        let all = admin.list(&format!("/app-items/{COUNTER_ITEM}/app-settings")).await;
        assert_eq!(all.len(), 2, "no setting was added by non-admins");
        assert!(t.stored_files().is_empty(), "no setting file was stored");
        let patched = json_ok(
            admin
                .req(Method::PATCH, &format!("/app-items/{COUNTER_ITEM}/app-settings/{sid}"))
                .json(&json!({"data": {"max": 5}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(patched["data"], json!({"max": 5}));
        assert_eq!(patched["name"], "config");
        let r = admin.req(Method::DELETE, &format!("/app-items/{COUNTER_ITEM}/app-settings/{sid}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(header_str(&r, "content-type").starts_with("text/plain"));
        assert_eq!(r.text().await.unwrap(), sid);
        assert_eq!(admin.list(&format!("/app-items/{COUNTER_ITEM}/app-settings")).await.len(), 1);
    }

    /// Actions: POST is 204; members see their own; filtering on another is 403 GAERR006.
    async fn actions_are_private_to_their_author_except_for_admins(t) {
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for (app, n) in [(&alice, 1), (&bob, 2), (&carol, 3)] {
            for i in 0..n {
                app.post_action(COUNTER_ITEM, json!({"type": "click", "data": {"i": i}})).await;
            }
        }
        let path = format!("/app-items/{COUNTER_ITEM}/app-action");
        let own = bob.list(&path).await;
        assert_eq!(own.len(), 2);
        assert!(own.iter().all(|a| a["account"]["id"] == BOB && a["member"]["id"] == BOB));
        assert_eq!(bob.list(&format!("{path}?accountId={BOB}")).await.len(), 2);
        assert_eq!(carol.list(&format!("{path}?memberId={CAROL}")).await.len(), 3);
        for (app, other) in [(&bob, CAROL), (&carol, ALICE)] {
            for param in ["accountId", "memberId"] {
                let r = app.req(Method::GET, &format!("{path}?{param}={other}")).send().await.unwrap();
                expect_error(r, 403, Some("GAERR006")).await;
            }
        }
        assert_eq!(alice.list(&path).await.len(), 6, "admins see every action");
        let carols = alice.list(&format!("{path}?accountId={CAROL}")).await;
        assert_eq!(carols.len(), 3);
        assert!(carols.iter().all(|a| a["account"]["id"] == CAROL));
        assert_eq!(alice.list(&format!("{path}?memberId={BOB}")).await.len(), 2);
        let r = alice.req(Method::GET, &format!("{path}?accountId=bob")).send().await.unwrap();
        expect_error(r, 400, None).await;
        let a = &carols[0];
        for field in ["id", "account", "member", "type", "data", "createdAt"] {
            assert!(a.get(field).is_some(), "action has {field}: {a}");
        }
        assert_eq!(a["account"]["name"], "Carol");
        assert!(is_rfc3339(a["createdAt"].as_str().unwrap()));
    }

    /// The context: the app item in Graasp's shape and the item's members.
    async fn context_gives_the_app_item_and_its_members(t) {
        let carol = t.app_for(CAROL, NOTES_ITEM).await;
        let ctx = carol.list_or_object(&format!("/app-items/{NOTES_ITEM}/context")).await;
        let item = &ctx["item"];
        assert_eq!(item["id"], NOTES_ITEM);
        assert_eq!(item["name"], "Class notes");
        assert_eq!(item["description"], "Sticky notes for the class.");
        assert_eq!(item["type"], "app");
        assert_eq!(item["lang"], "en");
        assert!(item["settings"].is_object());
        assert_eq!(item["extra"]["app"]["url"], "http://127.0.0.1:8081/sticky-notes/");
        assert!(is_rfc3339(item["createdAt"].as_str().unwrap()));
        assert!(is_rfc3339(item["updatedAt"].as_str().unwrap()));
        let members: BTreeSet<(String, String)> = ctx["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["id"].as_str().unwrap().to_owned(), m["name"].as_str().unwrap().to_owned()))
            .collect();
        let expected: BTreeSet<(String, String)> = [(ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")]
            .iter()
            .map(|(i, n)| (i.to_string(), n.to_string()))
            .collect();
        assert_eq!(members, expected);
        let foreign = t.app_for(ALICE, FOREIGN_ITEM).await;
        let fctx = foreign.list_or_object(&format!("/app-items/{FOREIGN_ITEM}/context")).await;
        assert_eq!(fctx["members"], json!([{"id": ALICE, "name": "Alice"}]));
    }

    /// App data on the wire: camelCase, `member` == `account`, RFC 3339, Graasp fields.
    async fn app_data_has_the_graasp_wire_shape(t) {
        let bob = t.app_for(BOB, NOTES_ITEM).await;
        let v = bob.post_data(NOTES_ITEM, json!({"type": "note", "data": {"nested": {"a": [1, 2]}}, "visibility": "item"})).await;
        for field in ["id", "item", "account", "member", "creator", "type", "visibility", "data", "createdAt", "updatedAt"] {
            assert!(v.get(field).is_some(), "app data has {field}: {v}");
        }
        for snake in ["created_at", "updated_at", "account_id", "item_id", "creator_id"] {
            assert!(v.get(snake).is_none(), "no snake_case {snake}: {v}");
        }
        assert_eq!(v["item"]["id"], NOTES_ITEM);
        assert_eq!(v["account"], json!({"id": BOB, "name": "Bob"}));
        assert_eq!(v["member"], v["account"]);
        assert_eq!(v["creator"], json!({"id": BOB, "name": "Bob"}));
        assert_eq!(v["data"], json!({"nested": {"a": [1, 2]}}));
        assert!(uuid::Uuid::parse_str(v["id"].as_str().unwrap()).is_ok());
        assert!(is_rfc3339(v["createdAt"].as_str().unwrap()));
        assert!(is_rfc3339(v["updatedAt"].as_str().unwrap()));
        let listed = bob.app_data(NOTES_ITEM).await;
        assert_eq!(listed[0]["member"], listed[0]["account"]);
        // The typed DTO of the protocol crate reads it too.
        let typed: appframe_protocol::AppData = serde_json::from_value(listed[0].clone()).unwrap();
        assert_eq!(typed.ty, "note");
        let patched = json_ok(
            bob.req(Method::PATCH, &format!("/app-items/{NOTES_ITEM}/app-data/{}", v["id"].as_str().unwrap()))
                .json(&json!({"data": {"b": true}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(patched["data"], json!({"b": true}), "PATCH replaces data");
        assert_eq!(patched["visibility"], "item", "PATCH keeps visibility");
        assert_eq!(patched["createdAt"], v["createdAt"]);
    }

    /// `GET /api/app-items/list` is public and never shows app keys.
    async fn app_list_is_public_and_never_exposes_keys(t) {
        let r = t.http.get(t.url("/api/app-items/list")).send().await.unwrap();
        let text = r.text().await.unwrap();
        let list: Vec<Value> = serde_json::from_str(&text).unwrap();
        let names: BTreeSet<&str> = list.iter().map(|a| a["name"].as_str().unwrap()).collect();
        assert!(names.contains("counter") && names.contains("sticky-notes") && names.contains("js-notes"), "{text}");
        for app in &list {
            assert!(app["url"].is_string());
            assert!(app.get("key").is_none(), "no key field: {app}");
        }
        for key in [COUNTER_KEY, NOTES_KEY, FOREIGN_KEY] {
            assert!(!text.contains(key), "the list leaks key {key}");
        }
    }

    /// CORS on app routes: exact registered origin with credentials; nothing for others.
    async fn app_routes_allow_exactly_the_registered_origins_with_credentials(t) {
        let path = format!("/api/app-items/{COUNTER_ITEM}/app-data");
        for origin in [APP_ORIGIN, APP_ORIGIN_2, FOREIGN_ORIGIN] {
            for (method, headers) in [("GET", "authorization"), ("POST", "authorization,content-type"), ("PATCH", "authorization,content-type"), ("DELETE", "authorization")] {
                let r = t
                    .http
                    .request(Method::OPTIONS, t.url(&path))
                    .header(header::ORIGIN, origin)
                    .header("access-control-request-method", method)
                    .header("access-control-request-headers", headers)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "preflight {method} from {origin}: {}", r.status());
                assert_eq!(header_str(&r, "access-control-allow-origin"), origin, "{method} from {origin}");
                assert_eq!(header_str(&r, "access-control-allow-credentials"), "true");
                let methods = header_str(&r, "access-control-allow-methods").to_ascii_uppercase();
                assert!(methods.contains(method), "allow-methods {methods:?} has {method}");
                let allowed = header_str(&r, "access-control-allow-headers").to_ascii_lowercase();
                for h in headers.split(',') {
                    assert!(allowed.contains(h), "allow-headers {allowed:?} has {h}");
                }
            }
        }
        let token = t.token_for(ALICE, COUNTER_ITEM).await;
        let r = t.app(&token).req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data")).send().await.unwrap();
        assert_eq!(header_str(&r, "access-control-allow-origin"), APP_ORIGIN);
        assert_eq!(header_str(&r, "access-control-allow-credentials"), "true");
        // An error answer carries the CORS headers too, or the app could not read it.
        let r = t
            .http
            .get(t.url(&path))
            .header(header::ORIGIN, APP_ORIGIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(header_str(&r, "access-control-allow-origin"), APP_ORIGIN);

        for origin in [EVIL_ORIGIN, "http://127.0.0.1:8082", "null", "http://127.0.0.1:8081.evil.example"] {
            let r = t
                .http
                .request(Method::OPTIONS, t.url(&path))
                .header(header::ORIGIN, origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization,content-type")
                .send()
                .await
                .unwrap();
            assert_eq!(header_str(&r, "access-control-allow-origin"), "", "preflight from {origin}");
            assert_ne!(header_str(&r, "access-control-allow-credentials"), "true");
            let r = t
                .http
                .get(t.url(&path))
                .bearer_auth(&token)
                .header(header::ORIGIN, origin)
                .send()
                .await
                .unwrap();
            // The token is bound to its origin: refused here, and without CORS headers.
            assert_eq!(header_str(&r, "access-control-allow-origin"), "", "GET from {origin}");
            assert_ne!(header_str(&r, "access-control-allow-credentials"), "true", "GET from {origin}");
            expect_error(r, 401, Some("AFERR019")).await;
        }
    }

    /// Host-page and integration routes give no CORS to app origins.
    async fn non_app_routes_give_no_cors_to_app_origins(t) {
        let session = t.login(ALICE).await;
        for path in [
            "/api/login".to_owned(),
            "/api/logout".to_owned(),
            "/api/me".to_owned(),
            "/api/items".to_owned(),
            format!("/api/items/{COUNTER_ITEM}"),
            "/api/host-config".to_owned(),
            "/api/members".to_owned(),
            "/api/admin/members".to_owned(),
            "/api/admin/sessions".to_owned(),
            // The token route is the host page's (cookie), not the app's.
            format!("/api/app-items/{COUNTER_ITEM}/api-access-token"),
        ] {
            for origin in [APP_ORIGIN, FOREIGN_ORIGIN] {
                let r = t
                    .http
                    .request(Method::OPTIONS, t.url(&path))
                    .header(header::ORIGIN, origin)
                    .header("access-control-request-method", "POST")
                    .header("access-control-request-headers", "content-type")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(header_str(&r, "access-control-allow-origin"), "", "preflight {path} from {origin}");
                assert_eq!(header_str(&r, "access-control-allow-credentials"), "", "preflight {path} from {origin}");
                let r = session.get(t.url(&path)).header(header::ORIGIN, origin).send().await.unwrap();
                assert_eq!(header_str(&r, "access-control-allow-origin"), "", "GET {path} from {origin}");
                assert_eq!(header_str(&r, "access-control-allow-credentials"), "", "GET {path} from {origin}");
            }
        }
    }

    /// Older Graasp clients (apps-query-client 3.7.3) fetch the signed file URL with
    /// credentials: the preflight and the GET answer a registered app origin with its exact
    /// origin and credentials allowed (GET and `authorization` only); an unregistered origin
    /// gets no preflight answer and `*` without credentials. They read the file's name from
    /// `data.s3File`, which holds the same object as `data.file`.
    async fn older_graasp_clients_fetch_the_file_url_with_credentials_and_read_s3file(t) {
        let bob = t.app_for(BOB, NOTES_ITEM).await;
        let v = upload_data_file(&bob, NOTES_ITEM, b"old client".to_vec(), "report.txt").await;
        assert_eq!(v["data"]["s3File"], v["data"]["file"]);
        assert_eq!(v["data"]["s3File"]["name"], "report.txt");
        let listed = bob.app_data(NOTES_ITEM).await;
        assert_eq!(listed[0]["data"]["s3File"]["name"], "report.txt");
        let url = download_url(&bob, "app-data", v["id"].as_str().unwrap()).await;
        let preflight = |origin: &'static str| {
            plain_client().request(Method::OPTIONS, &url)
                .header(header::ORIGIN, origin)
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization")
                .send()
        };
        for origin in [APP_ORIGIN, APP_ORIGIN_2, FOREIGN_ORIGIN] {
            let r = preflight(origin).await.unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT, "{origin}");
            assert_eq!(header_str(&r, "access-control-allow-origin"), origin);
            assert_eq!(header_str(&r, "access-control-allow-credentials"), "true");
            assert_eq!(header_str(&r, "access-control-allow-methods"), "GET");
            assert_eq!(header_str(&r, "access-control-allow-headers"), "authorization");
            let r = plain_client().get(&url).header(header::ORIGIN, origin).bearer_auth(&bob.token).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{origin}");
            assert_eq!(header_str(&r, "access-control-allow-origin"), origin);
            assert_eq!(header_str(&r, "access-control-allow-credentials"), "true");
            assert!(header_str(&r, "vary").to_ascii_lowercase().contains("origin"));
            assert_eq!(r.bytes().await.unwrap().as_ref(), b"old client");
        }
        let host = t.base.clone();
        for origin in [EVIL_ORIGIN, "null", host.as_str()] {
            let r = plain_client().request(Method::OPTIONS, &url)
                .header(header::ORIGIN, origin)
                .header("access-control-request-method", "GET")
                .send().await.unwrap();
            assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{origin}");
            assert_eq!(header_str(&r, "access-control-allow-origin"), "", "{origin}");
            assert_eq!(header_str(&r, "access-control-allow-credentials"), "", "{origin}");
            let r = plain_client().get(&url).header(header::ORIGIN, origin).send().await.unwrap();
            assert_eq!(header_str(&r, "access-control-allow-origin"), "*", "{origin}");
            assert_eq!(header_str(&r, "access-control-allow-credentials"), "", "{origin}");
        }
        // The URL is still the only credential: a forged one is refused whatever the origin.
        let r = plain_client().get(format!("{url}x")).header(header::ORIGIN, APP_ORIGIN).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        // Setting files carry both keys too.
        let alice = t.app_for(ALICE, NOTES_ITEM).await;
        let form = multipart::Form::new().part("files", file_part(b"PNGDATA".to_vec(), "bg.png", "image/png"));
        let r = alice.req(Method::POST, &format!("/app-items/app-settings/upload?id={NOTES_ITEM}")).multipart(form).send().await.unwrap();
        let s = match json_ok(r).await {
            Value::Array(mut a) if a.len() == 1 => a.remove(0),
            v => v,
        };
        assert_eq!(s["data"]["s3File"]["name"], "bg.png");
        assert_eq!(s["data"]["s3File"], s["data"]["file"]);
    }

    /// Files: upload, signed download without credentials, tampering refused, delete removes.
    async fn uploaded_file_downloads_without_credentials_and_is_gone_after_delete(t) {
        let bob = t.app_for(BOB, NOTES_ITEM).await;
        let content = b"hello, file\n".repeat(100);
        let v = upload_data_file(&bob, NOTES_ITEM, content.clone(), "hello.txt").await;
        assert_eq!(v["type"], "file");
        assert_eq!(v["item"]["id"], NOTES_ITEM, "the item comes from the token");
        assert_eq!(v["account"]["id"], BOB);
        assert_eq!(v["data"]["file"]["name"], "hello.txt");
        assert_eq!(v["data"]["file"]["mimetype"], "text/plain");
        let id = v["id"].as_str().unwrap().to_owned();
        assert_eq!(t.stored_files().len(), 1, "one file on disk");

        let url = download_url(&bob, "app-data", &id).await;
        let r = plain_client().get(&url).header(header::ORIGIN, EVIL_ORIGIN).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        // Credential-less, so any origin may read it, and an unregistered one never with
        // credentials (registered app origins: see the older-clients test).
        assert_eq!(header_str(&r, "access-control-allow-origin"), "*");
        assert_ne!(header_str(&r, "access-control-allow-credentials"), "true");
        assert!(header_str(&r, "content-type").starts_with("text/plain"));
        assert!(header_str(&r, "content-disposition").contains("hello.txt"));
        assert_eq!(r.bytes().await.unwrap().as_ref(), content.as_slice());

        // Change one character of the signed part (the last one) and the URL is refused.
        let mut tampered = url.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let r = plain_client().get(&tampered).send().await.unwrap();
        assert!(r.status().is_client_error(), "tampered URL: {}", r.status());

        // The signed part is the server's own JWT of the row; an expired one is refused, and
        // neither an app token nor a file token stands in for the other.
        let now = now_secs();
        let expired = sign_token(&json!({"aud": "appframe-file", "row": id, "exp": now - 60}), JWT_SECRET);
        let r = plain_client().get(t.url(&format!("/api/files/{expired}"))).send().await.unwrap();
        assert!(r.status().is_client_error(), "expired file URL: {}", r.status());
        let fresh = sign_token(&json!({"aud": "appframe-file", "row": id, "exp": now + 60}), JWT_SECRET);
        let r = plain_client().get(t.url(&format!("/api/files/{fresh}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "a fresh file URL of the same row works");
        let r = plain_client().get(t.url(&format!("/api/files/{}", bob.token))).send().await.unwrap();
        assert!(r.status().is_client_error(), "app token as file URL: {}", r.status());
        let file_token = url.rsplit('/').next().unwrap();
        let r = t.app(file_token).req(Method::GET, &format!("/app-items/{NOTES_ITEM}/app-data")).send().await.unwrap();
        expect_error(r, 401, None).await;

        let r = bob.req(Method::PATCH, &format!("/app-items/{NOTES_ITEM}/app-data/{id}")).json(&json!({"data": {}})).send().await.unwrap();
        expect_error(r, 403, Some("GAERR008")).await;

        let r = bob.req(Method::DELETE, &format!("/app-items/{NOTES_ITEM}/app-data/{id}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(t.stored_files().is_empty(), "the file is deleted with its row");
        let r = plain_client().get(&url).send().await.unwrap();
        assert!(r.status().is_client_error(), "URL of a deleted file: {}", r.status());
    }

    /// File visibility follows app data: Carol cannot download Bob's member-visible file.
    async fn file_download_follows_app_data_visibility(t) {
        let bob = t.app_for(BOB, NOTES_ITEM).await;
        let v = upload_data_file(&bob, NOTES_ITEM, b"secret".to_vec(), "s.txt").await;
        let id = v["id"].as_str().unwrap();
        let carol = t.app_for(CAROL, NOTES_ITEM).await;
        let r = carol.req(Method::GET, &format!("/app-items/app-data/{id}/download")).send().await.unwrap();
        let status = r.status().as_u16();
        assert!(status == 403 || status == 404, "got {status}");
        expect_error(r, status, None).await;
        let alice = t.app_for(ALICE, NOTES_ITEM).await;
        download_url(&alice, "app-data", id).await;
        // A token of another item cannot reach it either.
        let other = t.app_for(BOB, COUNTER_ITEM).await;
        let r = other.req(Method::GET, &format!("/app-items/app-data/{id}/download")).send().await.unwrap();
        assert!(r.status().is_client_error());
    }

    /// Files over max_file_bytes: 413 and nothing stored; a multipart without `files`: 400.
    async fn oversized_or_missing_files_are_refused_and_nothing_is_stored(t) {
        let bob = t.app_for(BOB, NOTES_ITEM).await;
        // Just under the limit passes, so the limit is max_file_bytes and not the JSON limit.
        let ok = upload_data_file(&bob, NOTES_ITEM, vec![b'a'; MAX_FILE - 1024], "big.txt").await;
        assert_eq!(ok["type"], "file");
        let form = multipart::Form::new().part("files", file_part(vec![b'a'; MAX_FILE + 1], "huge.txt", "text/plain"));
        let r = bob.req(Method::POST, &format!("/app-items/app-data/upload?id={NOTES_ITEM}")).multipart(form).send().await.unwrap();
        expect_error(r, 413, None).await;
        let form = multipart::Form::new().text("other", "x");
        let r = bob.req(Method::POST, &format!("/app-items/app-data/upload?id={NOTES_ITEM}")).multipart(form).send().await.unwrap();
        expect_error(r, 400, None).await;
        let r = bob
            .req(Method::POST, &format!("/app-items/app-data/upload?id={NOTES_ITEM}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status == 400 || status == 415, "JSON to the upload route: {status}");
        expect_error(r, status, None).await;
        let admin = t.app_for(ALICE, NOTES_ITEM).await;
        assert_eq!(admin.app_data(NOTES_ITEM).await.len(), 1, "only the accepted file row");
        assert_eq!(t.stored_files().len(), 1, "only the accepted file on disk");
        let form = multipart::Form::new().text("name", "huge").part("files", file_part(vec![b'a'; MAX_FILE + 1], "huge.txt", "text/plain"));
        let r = admin.req(Method::POST, &format!("/app-items/app-settings/upload?id={NOTES_ITEM}")).multipart(form).send().await.unwrap();
        expect_error(r, 413, None).await;
        assert!(admin.list(&format!("/app-items/{NOTES_ITEM}/app-settings")).await.is_empty());
        // Uploads need a token.
        let form = multipart::Form::new().part("files", file_part(b"x".to_vec(), "x.txt", "text/plain"));
        let r = t.http.post(t.url(&format!("/api/app-items/app-data/upload?id={NOTES_ITEM}"))).multipart(form).send().await.unwrap();
        expect_error(r, 401, None).await;
    }

    /// Setting files: admin upload with a `name` field, download, delete removes the file.
    async fn admin_uploads_a_setting_file_and_downloads_it(t) {
        let admin = t.app_for(ALICE, NOTES_ITEM).await;
        let form = multipart::Form::new()
            .text("name", "background")
            .part("files", file_part(b"PNGDATA".to_vec(), "bg.png", "image/png"));
        let r = admin.req(Method::POST, &format!("/app-items/app-settings/upload?id={NOTES_ITEM}")).multipart(form).send().await.unwrap();
        let v = match json_ok(r).await {
            Value::Array(mut a) if a.len() == 1 => a.remove(0),
            v => v,
        };
        assert_eq!(v["name"], "background");
        assert_eq!(v["data"]["file"]["name"], "bg.png");
        assert_eq!(v["data"]["file"]["mimetype"], "image/png");
        let id = v["id"].as_str().unwrap().to_owned();
        let carol = t.app_for(CAROL, NOTES_ITEM).await;
        let url = download_url(&carol, "app-settings", &id).await;
        let r = plain_client().get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header_str(&r, "content-type"), "image/png");
        assert_eq!(r.bytes().await.unwrap().as_ref(), b"PNGDATA");
        let r = admin.req(Method::DELETE, &format!("/app-items/{NOTES_ITEM}/app-settings/{id}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(t.stored_files().is_empty());
    }

    /// Cursor pagination: `?limit=` pages with a `Link` rel=next; every row exactly once.
    async fn pagination_follows_link_headers_through_every_row_once(t) {
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        let mut posted = BTreeSet::new();
        for i in 0..23 {
            let v = bob.post_data(COUNTER_ITEM, json!({"type": "page", "data": {"i": i}, "visibility": "item"})).await;
            posted.insert(v["id"].as_str().unwrap().to_owned());
            bob.post_action(COUNTER_ITEM, json!({"type": "page", "data": {"i": i}})).await;
        }
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for (path, expect_total) in [
            (format!("/app-items/{COUNTER_ITEM}/app-data?limit=5"), 23),
            (format!("/app-items/{COUNTER_ITEM}/app-data?type=page&limit=10"), 23),
            (format!("/app-items/{COUNTER_ITEM}/app-action?limit=7"), 0),
        ] {
            let client = if expect_total == 0 { &bob } else { &carol };
            let mut url = format!("{}{path}", t.api);
            let mut seen = Vec::new();
            let mut pages = 0;
            loop {
                let r = client.http.get(&url).bearer_auth(&client.token).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{url}");
                let next = next_link(&r, &t.base);
                let page: Vec<Value> = r.json().await.unwrap();
                pages += 1;
                assert!(pages < 20, "pagination does not end");
                seen.extend(page.iter().map(|v| v["id"].as_str().unwrap().to_owned()));
                match next {
                    Some(n) => {
                        assert!(!page.is_empty(), "a next link after an empty page");
                        url = n;
                    }
                    None => break,
                }
            }
            let unique: BTreeSet<String> = seen.iter().cloned().collect();
            assert_eq!(unique.len(), seen.len(), "{path}: a row came twice");
            if expect_total > 0 {
                assert_eq!(unique, posted, "{path}: every row once");
            } else {
                assert_eq!(unique.len(), 23, "{path}: every action once");
            }
        }
        let r = carol.req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data?limit=0")).send().await.unwrap();
        expect_error(r, 400, None).await;
        let r = carol.req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data?limit=5&cursor=%%%")).send().await.unwrap();
        expect_error(r, 400, None).await;
        let r = carol.req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data?limit=abc")).send().await.unwrap();
        expect_error(r, 400, None).await;
        // Without limit, the plain Graasp array of everything and no Link.
        let r = carol.req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data")).send().await.unwrap();
        assert_eq!(header_str(&r, "link"), "");
        assert_eq!(r.json::<Vec<Value>>().await.unwrap().len(), 23);
    }

    /// Integration API keys: Bearer or `?apiKey=`; wrong keys 401; read scope cannot write.
    async fn integration_api_keys_authenticate_and_scopes_limit_writes(t) {
        let ok = t.http.get(t.url("/api/admin/members")).bearer_auth(API_KEY).send().await.unwrap();
        let members: Vec<Value> = serde_json::from_value(json_ok(ok).await).unwrap();
        assert!(members.iter().any(|m| m["id"] == DAVE));
        let ok = t.http.get(t.url(&format!("/api/admin/members?apiKey={READ_API_KEY}"))).send().await.unwrap();
        json_ok(ok).await;
        for r in [
            t.http.get(t.url("/api/admin/members")).send().await.unwrap(),
            t.http.get(t.url("/api/admin/members")).bearer_auth("wrong-key").send().await.unwrap(),
            t.http.get(t.url("/api/admin/members?apiKey=wrong-key")).send().await.unwrap(),
            t.login(ALICE).await.get(t.url("/api/admin/members")).send().await.unwrap(),
            t.http.get(t.url("/api/admin/members")).bearer_auth(t.token_for(ALICE, COUNTER_ITEM).await).send().await.unwrap(),
        ] {
            expect_error(r, 401, None).await;
        }
        let new_member = json!({"id": random_id(), "name": "Erin"});
        let r = t.http.post(t.url("/api/admin/members")).bearer_auth(READ_API_KEY).json(&new_member).send().await.unwrap();
        expect_error(r, 403, None).await;
        let r = t.http.post(t.url("/api/admin/sessions")).bearer_auth(READ_API_KEY).json(&json!({"memberId": BOB})).send().await.unwrap();
        expect_error(r, 403, None).await;
        let all: Vec<Value> = serde_json::from_value(json_ok(t.http.get(t.url("/api/admin/members")).bearer_auth(API_KEY).send().await.unwrap()).await).unwrap();
        assert!(!all.iter().any(|m| m["name"] == "Erin"), "the read-only key stored nothing");
    }

    /// Integration API: create a member, item and membership, then use them end to end.
    async fn integration_api_creates_members_items_and_memberships_that_work_end_to_end(t) {
        let erin = random_id();
        let item = random_id();
        let admin = |req: reqwest::RequestBuilder| req.bearer_auth(API_KEY);
        let m = json_created(admin(t.http.post(t.url("/api/admin/members"))).json(&json!({"id": erin, "name": "Erin"})).send().await.unwrap()).await;
        assert_eq!(m["id"], erin.as_str());
        let i = json_created(admin(t.http.post(t.url("/api/admin/items"))).json(&json!({"id": item, "name": "Erin's counter", "app": "counter"})).send().await.unwrap()).await;
        assert_eq!(i["id"], item.as_str());
        json_created(admin(t.http.post(t.url("/api/admin/memberships"))).json(&json!({"member": erin, "item": item, "permission": "admin"})).send().await.unwrap()).await;
        let fetched = json_ok(admin(t.http.get(t.url(&format!("/api/admin/items/{item}")))).send().await.unwrap()).await;
        assert_eq!(fetched["name"], "Erin's counter");
        let session = t.login(&erin).await;
        let app = t.app(&t.token_with(&session, &item, COUNTER_KEY, APP_ORIGIN).await);
        let v = app.post_data(&item, json!({"type": "note", "data": {}})).await;
        assert_eq!(v["account"]["name"], "Erin");
        // Revoking the membership takes effect on the token already issued.
        let r = admin(t.http.delete(t.url(&format!("/api/admin/memberships/{item}/{erin}")))).send().await.unwrap();
        assert!(r.status().is_success(), "delete membership: {}", r.status());
        let r = app.req(Method::GET, &format!("/app-items/{item}/app-data")).send().await.unwrap();
        expect_error(r, 403, Some("GERR016")).await;
        let r = admin(t.http.post(t.url("/api/admin/items"))).json(&json!({"id": random_id(), "name": "x", "app": "no-such-app"})).send().await.unwrap();
        let status = r.status().as_u16();
        assert!(status == 400 || status == 404, "item of an unknown app: {status}");
        expect_error(r, status, None).await;
        let r = admin(t.http.post(t.url("/api/admin/memberships"))).json(&json!({"member": erin, "item": item, "permission": "owner"})).send().await.unwrap();
        expect_error(r, 400, None).await;
        let r = admin(t.http.post(t.url("/api/admin/members"))).json(&json!({"id": "x", "name": "Bad"})).send().await.unwrap();
        expect_error(r, 400, None).await;
        let r = admin(t.http.get(t.url(&format!("/api/admin/items/{}", random_id())))).send().await.unwrap();
        expect_error(r, 404, None).await;
    }

    /// Integration API: mint a host session and an app token for a member.
    async fn integration_api_mints_host_sessions_and_app_tokens(t) {
        let v = json_ok(t.http.post(t.url("/api/admin/sessions")).bearer_auth(API_KEY).json(&json!({"memberId": CAROL})).send().await.unwrap()).await;
        assert_eq!(v["cookieName"], "appframe_session");
        assert!(is_rfc3339(v["expiresAt"].as_str().unwrap()));
        let cookie = format!("{}={}", v["cookieName"].as_str().unwrap(), v["value"].as_str().unwrap());
        let me = json_ok(t.http.get(t.url("/api/me")).header(header::COOKIE, cookie).send().await.unwrap()).await;
        assert_eq!(me["id"], CAROL);

        let v = json_ok(
            t.http
                .post(t.url("/api/admin/app-tokens"))
                .bearer_auth(API_KEY)
                .json(&json!({"memberId": BOB, "itemId": NOTES_ITEM, "key": NOTES_KEY, "origin": APP_ORIGIN}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let app = t.app(v["token"].as_str().unwrap());
        let row = app.post_data(NOTES_ITEM, json!({"type": "note", "data": {}})).await;
        assert_eq!(row["account"]["id"], BOB);
        for (what, body, status) in [
            ("wrong origin", json!({"memberId": BOB, "itemId": NOTES_ITEM, "key": NOTES_KEY, "origin": EVIL_ORIGIN}), 403),
            ("other app's key", json!({"memberId": BOB, "itemId": NOTES_ITEM, "key": COUNTER_KEY, "origin": APP_ORIGIN}), 403),
            ("no membership", json!({"memberId": DAVE, "itemId": NOTES_ITEM, "key": NOTES_KEY, "origin": APP_ORIGIN}), 403),
            ("unknown member", json!({"memberId": random_id(), "itemId": NOTES_ITEM, "key": NOTES_KEY, "origin": APP_ORIGIN}), 404),
            ("unknown field", json!({"memberId": BOB, "itemId": NOTES_ITEM, "key": NOTES_KEY, "origin": APP_ORIGIN, "ttl": 9}), 400),
        ] {
            let r = t.http.post(t.url("/api/admin/app-tokens")).bearer_auth(API_KEY).json(&body).send().await.unwrap();
            assert_eq!(r.status().as_u16(), status, "{what}");
            expect_error(r, status, None).await;
        }
        let r = t.http.post(t.url("/api/admin/sessions")).bearer_auth(API_KEY).json(&json!({"memberId": random_id()})).send().await.unwrap();
        expect_error(r, 404, None).await;
        // A host backend posting a plain HTML form: the key as the `apiKey` field.
        let r = t
            .http
            .post(t.url("/api/admin/sessions"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("apiKey={API_KEY}&memberId={BOB}"))
            .send()
            .await
            .unwrap();
        let v = json_ok(r).await;
        let cookie = format!("appframe_session={}", v["value"].as_str().unwrap());
        let me = json_ok(t.http.get(t.url("/api/me")).header(header::COOKIE, cookie).send().await.unwrap()).await;
        assert_eq!(me["id"], BOB);
        let r = t
            .http
            .post(t.url("/api/admin/sessions"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("apiKey={READ_API_KEY}&memberId={BOB}"))
            .send()
            .await
            .unwrap();
        expect_error(r, 403, None).await;
    }

    /// Export of an item's app data and actions as JSON lines and CSV.
    async fn integration_api_exports_app_data_and_actions_as_jsonl_and_csv(t) {
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        for i in 0..3 {
            bob.post_data(COUNTER_ITEM, json!({"type": "note", "data": {"i": i, "text": "a,b \"q\""}})).await;
            bob.post_action(COUNTER_ITEM, json!({"type": "click", "data": {"i": i}})).await;
        }
        t.app_for(CAROL, COUNTER_ITEM).await.post_data(COUNTER_ITEM, json!({"type": "note", "data": {}})).await;
        let export = |format: &str, what: &str| {
            t.http
                .get(t.url(&format!("/api/admin/items/{COUNTER_ITEM}/export?format={format}&what={what}")))
                .bearer_auth(READ_API_KEY)
                .send()
        };
        let r = export("jsonl", "app-data").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = r.text().await.unwrap();
        let lines: Vec<Value> = text.lines().filter(|l| !l.is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 4, "every row of every member: {text}");
        assert!(lines.iter().any(|l| l["data"]["text"] == "a,b \"q\""));
        let r = export("jsonl", "app-actions").await.unwrap();
        let text = r.text().await.unwrap();
        assert_eq!(text.lines().filter(|l| !l.is_empty()).count(), 3);
        let r = export("csv", "app-data").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(header_str(&r, "content-type").starts_with("text/csv"));
        let text = r.text().await.unwrap();
        let records = parse_csv(&text);
        let head = &records[0];
        assert!(head.iter().any(|h| h == "id") && head.iter().any(|h| h == "type"), "CSV header: {head:?}");
        assert_eq!(records.len(), 5, "header + 4 rows: {text}");
        assert!(records.iter().all(|r| r.len() == head.len()), "every record has every column: {text}");
        // The data column round-trips through CSV quoting back to the JSON that was posted.
        let data_col = head.iter().position(|h| h == "data").expect("a data column");
        let texts: Vec<Value> = records[1..]
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r[data_col]).unwrap()["text"].clone())
            .collect();
        assert_eq!(texts.iter().filter(|t| **t == json!("a,b \"q\"")).count(), 3, "{text}");
        let r = export("xml", "app-data").await.unwrap();
        expect_error(r, 400, None).await;
        let r = export("csv", "everything").await.unwrap();
        expect_error(r, 400, None).await;
    }

    /// OpenAPI document: valid JSON naming the app routes.
    async fn openapi_document_is_json_and_lists_the_app_routes(t) {
        let v = json_ok(t.http.get(t.url("/api/openapi.json")).send().await.unwrap()).await;
        assert!(v["openapi"].as_str().unwrap().starts_with('3'));
        let paths: BTreeSet<String> = v["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|p| {
                // Normalise parameter names so `{itemId}` and `{item_id}` compare equal.
                let mut out = String::new();
                let mut in_param = false;
                for c in p.chars() {
                    match c {
                        '{' => {
                            in_param = true;
                            out.push_str("{}");
                        }
                        '}' => in_param = false,
                        c if !in_param => out.push(c),
                        _ => {}
                    }
                }
                out
            })
            .collect();
        for p in [
            "/api/app-items/{}/api-access-token",
            "/api/app-items/{}/context",
            "/api/app-items/{}/app-data",
            "/api/app-items/{}/app-data/{}",
            "/api/app-items/{}/app-action",
            "/api/app-items/{}/app-settings",
            "/api/app-items/{}/app-settings/{}",
            "/api/app-items/app-data/upload",
            "/api/app-items/app-data/{}/download",
            "/api/app-items/app-settings/upload",
            "/api/app-items/app-settings/{}/download",
            "/api/app-items/list",
        ] {
            assert!(paths.contains(p), "OpenAPI lacks {p}; has {paths:?}");
        }
    }

    /// API keys and session ids are kept as SHA-256 digests: the database never holds a
    /// secret a client presents.
    async fn api_keys_and_session_ids_are_stored_only_as_their_digests(t) {
        let r = cookie_client().post(t.url("/api/login")).json(&json!({"memberId": ALICE})).send().await.unwrap();
        let set_cookie = header_str(&r, "set-cookie");
        let session = set_cookie.trim_start_matches("appframe_session=").split(';').next().unwrap().to_owned();
        let keys = t.db_texts("SELECT key_hash FROM api_keys").await;
        assert_eq!(keys.len(), 2, "{keys:?}");
        for secret in [API_KEY, READ_API_KEY] {
            assert!(!keys.iter().any(|k| k.contains(secret)), "plaintext key at rest: {keys:?}");
            assert!(keys.contains(&appframe_server::secret::digest(secret)), "{keys:?}");
        }
        let sessions = t.db_texts("SELECT id FROM sessions").await;
        assert!(!sessions.contains(&session), "plaintext session id at rest");
        assert!(sessions.contains(&appframe_server::secret::digest(&session)), "{sessions:?}");
    }

    /// Removing an `[[api_keys]]` entry and restarting revokes the key; the others keep working.
    async fn a_start_without_an_api_key_in_the_config_revokes_it(t) {
        t.restart(|c| c.api_keys.retain(|k| k.name != "demo-integration")).await;
        let r = t.http.get(t.url("/api/admin/members")).bearer_auth(API_KEY).send().await.unwrap();
        expect_error(r, 401, None).await;
        let r = t.http.get(t.url("/api/admin/members")).bearer_auth(READ_API_KEY).send().await.unwrap();
        json_ok(r).await;
    }

    /// Removing an origin from a publisher revokes it: no token, no CORS for it.
    async fn a_start_without_a_publisher_origin_in_the_config_revokes_it(t) {
        t.restart(|c| c.publishers.iter_mut().filter(|p| p.name == "local").for_each(|p| p.origins.retain(|o| o != APP_ORIGIN_2))).await;
        let session = t.login(BOB).await;
        let r = session
            .post(t.url(&format!("/api/app-items/{COUNTER_ITEM}/api-access-token")))
            .json(&json!({"key": COUNTER_KEY, "origin": APP_ORIGIN_2}))
            .send()
            .await
            .unwrap();
        expect_error(r, 403, Some("GAERR002")).await;
        t.token_with(&session, COUNTER_ITEM, COUNTER_KEY, APP_ORIGIN).await;
        let r = t
            .http
            .request(Method::OPTIONS, t.url(&format!("/api/app-items/{COUNTER_ITEM}/app-data")))
            .header(header::ORIGIN, APP_ORIGIN_2)
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(header_str(&r, "access-control-allow-origin"), "", "no CORS for a revoked origin");
    }

    /// A publisher the file no longer declares loses every origin; its app and item stay.
    async fn a_start_without_a_publisher_in_the_config_revokes_all_its_origins(t) {
        let before = t.token_for(ALICE, FOREIGN_ITEM).await;
        t.restart(|c| {
            c.publishers.retain(|p| p.name != "elsewhere");
            c.apps.retain(|a| a.name != "foreign");
            c.items.retain(|i| i.id.to_string() != FOREIGN_ITEM);
            c.memberships.retain(|m| m.item.to_string() != FOREIGN_ITEM);
        })
        .await;
        let publishers = json_ok(t.http.get(t.url("/api/admin/publishers")).bearer_auth(API_KEY).send().await.unwrap()).await;
        let elsewhere = publishers.as_array().unwrap().iter().find(|p| p["name"] == "elsewhere").cloned();
        assert_eq!(elsewhere.map(|p| p["origins"].clone()), Some(json!([])), "{publishers}");
        let mut app = t.app(&before);
        app.origin = FOREIGN_ORIGIN.to_owned();
        let r = app.req(Method::GET, &format!("/app-items/{FOREIGN_ITEM}/app-data")).send().await.unwrap();
        expect_error(r, 404, None).await;
    }

    /// Removing a membership revokes it, also for the token it granted before.
    async fn a_start_without_a_membership_in_the_config_revokes_it_and_the_tokens_it_granted(t) {
        let before = t.token_for(CAROL, COUNTER_ITEM).await;
        t.restart(|c| c.memberships.retain(|m| !(m.member.to_string() == CAROL && m.item.to_string() == COUNTER_ITEM))).await;
        let r = t.app(&before).req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data")).send().await.unwrap();
        expect_error(r, 403, Some("GERR016")).await;
        let session = t.login(CAROL).await;
        let r = session
            .post(t.url(&format!("/api/app-items/{COUNTER_ITEM}/api-access-token")))
            .json(&json!({"key": COUNTER_KEY, "origin": APP_ORIGIN}))
            .send()
            .await
            .unwrap();
        expect_error(r, 403, Some("GERR016")).await;
        t.app_for(CAROL, NOTES_ITEM).await.app_data(NOTES_ITEM).await;
    }

    /// A member the file no longer declares can do nothing (no login, session, token or
    /// membership), but their app data stays, and comes back with them.
    async fn a_start_without_a_member_in_the_config_deactivates_them_and_keeps_their_data(t) {
        let bob = t.login(BOB).await;
        let token = t.token_with(&bob, COUNTER_ITEM, COUNTER_KEY, APP_ORIGIN).await;
        let row = t.app(&token).post_data(COUNTER_ITEM, json!({"type": "note", "data": {"by": "bob"}, "visibility": "item"})).await;
        let original = t.config.clone();
        t.restart(|c| {
            c.members.retain(|m| m.id.to_string() != BOB);
            c.memberships.retain(|m| m.member.to_string() != BOB);
        })
        .await;
        expect_error(bob.get(t.url("/api/me")).send().await.unwrap(), 401, None).await;
        let r = cookie_client().post(t.url("/api/login")).json(&json!({"memberId": BOB})).send().await.unwrap();
        expect_error(r, 404, None).await;
        let r = t.app(&token).req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data")).send().await.unwrap();
        expect_error(r, 401, None).await;
        let r = t.http.post(t.url("/api/admin/sessions")).bearer_auth(API_KEY).json(&json!({"memberId": BOB})).send().await.unwrap();
        expect_error(r, 404, None).await;
        let members = json_ok(t.http.get(t.url("/api/members")).send().await.unwrap()).await;
        assert!(!members.as_array().unwrap().iter().any(|m| m["id"] == BOB), "{members}");
        let r = t.http.post(t.url("/api/admin/members")).bearer_auth(API_KEY).json(&json!({"id": BOB, "name": "Bob again"})).send().await.unwrap();
        expect_error(r, 409, None).await;
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let context = alice.list_or_object(&format!("/app-items/{COUNTER_ITEM}/context")).await;
        assert!(!context["members"].as_array().unwrap().iter().any(|m| m["id"] == BOB), "{context}");
        assert!(ids(&alice.app_data(COUNTER_ITEM).await).contains(row["id"].as_str().unwrap()), "Bob's data is kept");

        t.restart(move |c| *c = Config { server: c.server.clone(), ..original }).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        assert!(ids(&bob.app_data(COUNTER_ITEM).await).contains(row["id"].as_str().unwrap()));
    }

    /// An item the file no longer declares is not found by anyone; its data comes back with it.
    async fn a_start_without_an_item_in_the_config_deactivates_it_and_keeps_its_data(t) {
        let token = t.token_for(ALICE, JS_ITEM).await;
        let row = t.app(&token).post_data(JS_ITEM, json!({"type": "note", "data": {}})).await;
        let original = t.config.clone();
        t.restart(|c| {
            c.items.retain(|i| i.id.to_string() != JS_ITEM);
            c.memberships.retain(|m| m.item.to_string() != JS_ITEM);
        })
        .await;
        let r = t.app(&token).req(Method::GET, &format!("/app-items/{JS_ITEM}/app-data")).send().await.unwrap();
        expect_error(r, 404, Some("GERR002")).await;
        let session = t.login(ALICE).await;
        let items = json_ok(session.get(t.url("/api/items")).send().await.unwrap()).await;
        assert!(!items.as_array().unwrap().iter().any(|i| i["id"] == JS_ITEM), "{items}");
        let r = session
            .post(t.url(&format!("/api/app-items/{JS_ITEM}/api-access-token")))
            .json(&json!({"key": key_of(JS_ITEM), "origin": APP_ORIGIN}))
            .send()
            .await
            .unwrap();
        expect_error(r, 404, None).await;
        let r = t.http.post(t.url("/api/admin/items")).bearer_auth(API_KEY).json(&json!({"id": JS_ITEM, "name": "x", "app": "js-notes"})).send().await.unwrap();
        expect_error(r, 409, None).await;

        t.restart(move |c| *c = Config { server: c.server.clone(), ..original }).await;
        let alice = t.app_for(ALICE, JS_ITEM).await;
        assert_eq!(ids(&alice.app_data(JS_ITEM).await), BTreeSet::from([row["id"].as_str().unwrap().to_owned()]));
    }

    /// An app the file no longer declares leaves the app list, and items made for it through
    /// the integration API grant nothing.
    async fn a_start_without_an_app_in_the_config_deactivates_it_and_its_items(t) {
        let item = random_id();
        let admin = |req: reqwest::RequestBuilder| req.bearer_auth(API_KEY);
        json_created(admin(t.http.post(t.url("/api/admin/items"))).json(&json!({"id": item, "name": "More JS notes", "app": "js-notes"})).send().await.unwrap()).await;
        json_created(admin(t.http.post(t.url("/api/admin/memberships"))).json(&json!({"member": ALICE, "item": item, "permission": "admin"})).send().await.unwrap()).await;
        t.restart(|c| {
            c.apps.retain(|a| a.name != "js-notes");
            c.items.retain(|i| i.id.to_string() != JS_ITEM);
            c.memberships.retain(|m| m.item.to_string() != JS_ITEM);
        })
        .await;
        let apps = json_ok(t.http.get(t.url("/api/app-items/list")).send().await.unwrap()).await;
        assert!(!apps.as_array().unwrap().iter().any(|a| a["name"] == "js-notes"), "{apps}");
        let session = t.login(ALICE).await;
        let r = session
            .post(t.url(&format!("/api/app-items/{item}/api-access-token")))
            .json(&json!({"key": key_of(JS_ITEM), "origin": APP_ORIGIN}))
            .send()
            .await
            .unwrap();
        expect_error(r, 404, None).await;
    }

    /// What the integration API created is not the file's: a start that does not declare it
    /// keeps it.
    async fn entries_created_through_the_integration_api_survive_a_start_that_does_not_declare_them(t) {
        let erin = random_id();
        let item = random_id();
        let admin = |req: reqwest::RequestBuilder| req.bearer_auth(API_KEY);
        json_created(admin(t.http.post(t.url("/api/admin/members"))).json(&json!({"id": erin, "name": "Erin"})).send().await.unwrap()).await;
        json_created(admin(t.http.post(t.url("/api/admin/items"))).json(&json!({"id": item, "name": "Erin's", "app": "counter"})).send().await.unwrap()).await;
        json_created(admin(t.http.post(t.url("/api/admin/memberships"))).json(&json!({"member": erin, "item": item, "permission": "write"})).send().await.unwrap()).await;
        json_ok(admin(t.http.post(t.url("/api/admin/publishers"))).json(&json!({"name": "partner", "origins": ["http://127.0.0.1:7777"]})).send().await.unwrap()).await;
        let key = json_created(admin(t.http.post(t.url("/api/admin/api-keys"))).json(&json!({"name": "integration", "scopes": ["read"]})).send().await.unwrap()).await;
        t.restart(|_| {}).await;
        let session = t.login(&erin).await;
        t.token_with(&session, &item, COUNTER_KEY, APP_ORIGIN).await;
        let publishers = json_ok(t.http.get(t.url("/api/admin/publishers")).bearer_auth(key["key"].as_str().unwrap()).send().await.unwrap()).await;
        let partner = publishers.as_array().unwrap().iter().find(|p| p["name"] == "partner").cloned().unwrap();
        assert_eq!(partner["origins"], json!(["http://127.0.0.1:7777"]));
    }

    /// The integration API lists keys without their secrets, creates keys (the secret shown
    /// once) and revokes them by id at once.
    async fn api_keys_are_listed_without_secrets_created_and_revoked_by_id(t) {
        let list = |key: &'static str| t.http.get(t.url("/api/admin/api-keys")).bearer_auth(key).send();
        let r = list(READ_API_KEY).await.unwrap();
        let text = r.text().await.unwrap();
        assert!(!text.contains(API_KEY) && !text.contains(READ_API_KEY), "secrets in the list: {text}");
        let keys: Vec<Value> = serde_json::from_str(&text).unwrap();
        let names: BTreeSet<&str> = keys.iter().map(|k| k["name"].as_str().unwrap()).collect();
        assert_eq!(names, BTreeSet::from(["demo-integration", "read-only"]));
        for k in &keys {
            assert!(k["id"].is_string() && is_rfc3339(k["createdAt"].as_str().unwrap()) && k["fromConfig"] == true, "{k}");
            assert!(k.get("key").is_none() && k.get("keyHash").is_none(), "{k}");
        }
        let r = t.http.post(t.url("/api/admin/api-keys")).bearer_auth(READ_API_KEY).json(&json!({"name": "x", "scopes": ["read"]})).send().await.unwrap();
        expect_error(r, 403, None).await;
        let created = json_created(t.http.post(t.url("/api/admin/api-keys")).bearer_auth(API_KEY).json(&json!({"name": "ci", "scopes": ["read", "write"]})).send().await.unwrap()).await;
        let secret = created["key"].as_str().unwrap().to_owned();
        assert_eq!(created["fromConfig"], false);
        json_ok(t.http.get(t.url("/api/admin/members")).bearer_auth(&secret).send().await.unwrap()).await;
        let r = t.http.post(t.url("/api/admin/api-keys")).bearer_auth(API_KEY).json(&json!({"name": "ci", "scopes": ["read"]})).send().await.unwrap();
        expect_error(r, 409, None).await;
        let id = created["id"].as_str().unwrap();
        let r = t.http.delete(t.url(&format!("/api/admin/api-keys/{id}"))).bearer_auth(API_KEY).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let r = t.http.get(t.url("/api/admin/members")).bearer_auth(&secret).send().await.unwrap();
        expect_error(r, 401, None).await;
        let r = t.http.delete(t.url(&format!("/api/admin/api-keys/{id}"))).bearer_auth(API_KEY).send().await.unwrap();
        expect_error(r, 404, None).await;
        let v = json_ok(t.http.get(t.url("/api/openapi.json")).send().await.unwrap()).await;
        assert!(v["paths"]["/api/admin/api-keys"]["get"].is_object() && v["paths"]["/api/admin/api-keys"]["post"].is_object(), "OpenAPI documents the key routes");
        assert!(v["paths"]["/api/admin/api-keys/{id}"]["delete"].is_object());
    }

    /// The plan of a start lists what another file would change, and changes nothing.
    async fn the_plan_lists_what_a_start_would_revoke_without_changing_anything(t) {
        let same = appframe_server::reconcile::preview(&t.config).await.unwrap();
        assert_eq!(same, vec![], "the running file changes nothing");
        let mut other = t.config.clone();
        other.api_keys.retain(|k| k.name != "demo-integration");
        other.memberships.retain(|m| m.member.to_string() != CAROL);
        other.members.retain(|m| m.id.to_string() != CAROL);
        let lines: Vec<String> = appframe_server::reconcile::preview(&other).await.unwrap().iter().map(|c| c.to_string()).collect();
        assert!(lines.contains(&"revoke api key \"demo-integration\"".to_owned()), "{lines:?}");
        assert!(lines.contains(&format!("deactivate member {CAROL} (its app data is kept)")), "{lines:?}");
        assert_eq!(lines.len(), 1 + 1 + 3, "{lines:?}");
        json_ok(t.http.get(t.url("/api/admin/members")).bearer_auth(API_KEY).send().await.unwrap()).await;
        t.app_for(CAROL, COUNTER_ITEM).await;
    }

    /// Member list for the demo switcher exists in dev mode only.
    async fn dev_member_list_names_every_member(t) {
        let v = json_ok(t.http.get(t.url("/api/members")).send().await.unwrap()).await;
        let names: BTreeSet<&str> = v.as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert!(["Alice", "Bob", "Carol", "Dave"].iter().all(|n| names.contains(n)), "{v}");
    }
}

impl AppClient {
    /// GET a JSON value (object or array), asserting 200.
    async fn list_or_object(&self, path: &str) -> Value {
        let r = self.req(Method::GET, path).send().await.unwrap();
        json_ok(r).await
    }
}

/// The database as the previous release left it on `database_url` (or a SQLite file in `dir`):
/// the migrations before this change only, plaintext API keys (one the file still declares,
/// one it dropped) and a plaintext session.
async fn old_release_database(dir: &std::path::Path, database_url: Option<&str>) {
    use sqlx::Connection;
    let backend = if database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let path = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    let mut m = sqlx::migrate::Migrator::new(std::path::Path::new(&path))
        .await
        .unwrap();
    m.migrations = m
        .migrations
        .iter()
        .filter(|x| x.version < 20261206100000)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let alice: uuid::Uuid = ALICE.parse().unwrap();
    let statements = [
        "INSERT INTO accounts (id, name, kind, created_at) VALUES ($1, 'Alice', 'member', 0)",
        "INSERT INTO sessions (id, account_id, expires_at) VALUES ('plain-session-id', $1, 9000000000000000)",
    ];
    let keys = [
        "INSERT INTO api_keys (name, key, scopes) VALUES ('demo-integration', 'demo-integration-key-change-me', '[\"read\",\"write\"]')",
        "INSERT INTO api_keys (name, key, scopes) VALUES ('dropped', 'dropped-plaintext-key-0123456789', '[\"read\"]')",
    ];
    macro_rules! seed {
        ($c:expr) => {{
            m.run(&mut $c).await.unwrap();
            for s in statements {
                sqlx::query(s).bind(alice).execute(&mut $c).await.unwrap();
            }
            for s in keys {
                sqlx::query(s).execute(&mut $c).await.unwrap();
            }
        }};
    }
    match database_url {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            seed!(c);
        }
        None => {
            let url = format!("sqlite://{}?mode=rwc", dir.join("appframe.db").display());
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            seed!(c);
        }
    }
}

/// Upgrading: the migration leaves no plaintext secret; the first start stores the digest of
/// every key the file still declares and revokes the key it dropped; old sessions are ended.
async fn upgrade_keeps_no_plaintext_and_the_file_decides_which_keys_survive(
    database_url: Option<String>,
) {
    let dir = tempfile::tempdir().unwrap();
    old_release_database(dir.path(), database_url.as_deref()).await;
    let mut config = test_config();
    config.server.data_dir = dir.path().to_path_buf();
    config.server.database_url = database_url;
    let state = appframe_server::build_state(config).await.unwrap();
    let store = state.store();
    assert!(
        store.find_api_key(API_KEY).await.unwrap().is_some(),
        "the declared key works"
    );
    assert!(
        store
            .find_api_key("dropped-plaintext-key-0123456789")
            .await
            .unwrap()
            .is_none()
    );
    let names: BTreeSet<String> = store
        .list_api_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["demo-integration".to_owned(), "read-only".to_owned()])
    );
    assert!(
        store
            .session_account("plain-session-id", time::OffsetDateTime::now_utc())
            .await
            .unwrap()
            .is_none()
    );
}

mod upgrade {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_upgrade_keeps_no_plaintext_and_the_file_decides_which_keys_survive() {
        upgrade_keeps_no_plaintext_and_the_file_decides_which_keys_survive(None).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_upgrade_keeps_no_plaintext_and_the_file_decides_which_keys_survive() {
        let Some(Backend::Postgres(url)) = Backend::postgres_from_env() else {
            eprintln!("skipped: set APPFRAME_TEST_DATABASE_URL to run on Postgres");
            return;
        };
        let (_db, url) = PgDatabase::create(&url).await;
        upgrade_keeps_no_plaintext_and_the_file_decides_which_keys_survive(Some(url)).await;
    }
}

/// Dev login (anyone logs in as anyone) on an address the network can reach is refused at
/// start, unless the operator says so explicitly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dev_mode_config_on_a_network_address_refuses_to_start_unless_explicitly_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.server.data_dir = dir.path().to_path_buf();
    config.server.database_url = None;
    config.server.addr = "0.0.0.0:8080".into();
    let e = appframe_server::build_state(config.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("0.0.0.0:8080") && e.contains("allow_dev_login_on_network"),
        "{e}"
    );
    assert!(
        !dir.path().join("appframe.db").exists(),
        "refused before opening anything"
    );
    config.server.allow_dev_login_on_network = true;
    appframe_server::build_state(config).await.unwrap();
}

/// The binary, with the environment of `serve` cleared so the file alone decides.
fn server_command(args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_appframe-server"));
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL");
    for (k, _) in std::env::vars() {
        if k.starts_with("APPFRAME_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Writes the test config (SQLite in `dir`, listening on `addr`) to a file.
fn config_file(
    dir: &std::path::Path,
    name: &str,
    addr: &str,
    change: impl FnOnce(&mut Config),
) -> std::path::PathBuf {
    let mut config = test_config();
    config.server.addr = addr.to_owned();
    config.server.data_dir = dir.to_path_buf();
    config.server.database_url = None;
    change(&mut config);
    let file = dir.join(name);
    std::fs::write(&file, toml::to_string(&config).unwrap()).unwrap();
    file
}

/// `serve` with dev login on says so on stderr, and refuses a network address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_dev_login_warns_on_stderr_and_refuses_a_network_address() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let public = config_file(dir.path(), "public.toml", "0.0.0.0:0", |_| {});
    // Bounded, so a server that wrongly starts fails the test instead of hanging it.
    let mut child = server_command(&["serve", "--config", public.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve started dev login on 0.0.0.0");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("allow_dev_login_on_network"), "{stderr}");
    // The opt-in from the environment, checked through the plan (which applies the environment
    // as serve does) so that nothing listens on the network.
    let out = server_command(&["check-config", public.to_str().unwrap(), "--plan"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "refused without the opt-in");
    let out = server_command(&["check-config", public.to_str().unwrap(), "--plan"])
        .env("APPFRAME_ALLOW_DEV_LOGIN_ON_NETWORK", "true")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let local = config_file(dir.path(), "local.toml", "127.0.0.1:0", |_| {});
    let mut child = server_command(&["serve", "--config", local.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let warned = loop {
        match rx.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok(line) if line.contains("WARNING: DEV MODE") => break Some(line),
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let line = warned.expect("a dev-mode warning on stderr");
    assert!(
        line.contains("anyone") && line.contains("log in as any member"),
        "{line}"
    );
}

/// `check-config FILE --plan` prints what a start with FILE would change against the
/// database `serve` would use, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_plan_prints_what_a_start_would_change_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let current = config_file(dir.path(), "current.toml", "127.0.0.1:0", |_| {});
    let next = config_file(dir.path(), "next.toml", "127.0.0.1:0", |c| {
        c.api_keys.retain(|k| k.name != "demo-integration")
    });
    let plan = |file: &std::path::Path| {
        let out = server_command(&["check-config", file.to_str().unwrap(), "--plan"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let fresh = plan(&current);
    assert!(
        fresh.lines().all(|l| l.starts_with("add "))
            && fresh.contains("add api key \"demo-integration\""),
        "{fresh}"
    );
    assert!(
        !dir.path().join("appframe.db").exists(),
        "planning against no database creates none"
    );

    let config = appframe_server::config::Config::load(Some(&current)).unwrap();
    let state = appframe_server::build_state(config).await.unwrap();
    drop(state);
    assert_eq!(plan(&current).trim(), "no changes");
    let first = plan(&next);
    assert_eq!(first.trim(), "revoke api key \"demo-integration\"");
    assert_eq!(plan(&next), first, "planning changed nothing");
}
