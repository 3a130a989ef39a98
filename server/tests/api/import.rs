//! The integration API's import (`POST /api/admin/items/{id}/import`): an export imported
//! into a fresh server exports byte for byte the same, a second import changes nothing, bad
//! rows are reported one by one with stable codes, the quotas hold, Graasp's export shape is
//! read, and only a write key may import.

use crate::api_tests;
use crate::common::*;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const WHATS: [&str; 3] = ["app-data", "app-settings", "app-actions"];

async fn export(t: &TestServer, item: &str, what: &str) -> String {
    let r = t
        .http
        .get(t.url(&format!(
            "/api/admin/items/{item}/export?format=jsonl&what={what}"
        )))
        .bearer_auth(READ_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

fn import_req(
    t: &TestServer,
    item: &str,
    query: &str,
    content_type: &str,
    body: String,
) -> reqwest::RequestBuilder {
    t.http
        .post(t.url(&format!("/api/admin/items/{item}/import{query}")))
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
}

/// Imports JSON lines of `what` with the write key and returns the report.
async fn import_lines(t: &TestServer, item: &str, what: &str, body: String) -> Value {
    let r = import_req(
        t,
        item,
        &format!("?what={what}"),
        "application/x-ndjson",
        body,
    )
    .bearer_auth(API_KEY)
    .send()
    .await
    .unwrap();
    json_ok(r).await
}

fn counts(report: &Value) -> (u64, u64, usize) {
    (
        report["imported"].as_u64().unwrap(),
        report["unchanged"].as_u64().unwrap(),
        report["refused"].as_array().unwrap().len(),
    )
}

/// The (index, code) pairs of a report's refused rows.
fn refusals(report: &Value) -> Vec<(u64, String)> {
    report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A second server on the same kind of store as `t`, fresh (its own file or database).
async fn fresh_server_like(t: &TestServer) -> TestServer {
    let backend = if t.backend == "sqlite" {
        Backend::Sqlite
    } else {
        Backend::postgres_from_env().expect("a Postgres test runs with the URL set")
    };
    TestServer::start(backend, |_| {}).await
}

fn data_line(id: &str, item: &str, account: &str, ty: &str, data: Value) -> String {
    json!({
        "id": id, "item": {"id": item}, "account": {"id": account, "name": "x"},
        "member": {"id": account, "name": "x"}, "creator": {"id": account, "name": "x"},
        "type": ty, "visibility": "member", "data": data,
        "createdAt": "2026-01-02T03:04:05.123456Z", "updatedAt": "2026-01-02T03:04:05.123456Z"
    })
    .to_string()
}

api_tests! {
    /// Rows of every kind and several members, exported and imported into a fresh server:
    /// the new server's export is byte for byte the old one's, and importing again is a no-op.
    async fn an_export_imported_into_a_fresh_server_exports_the_same_bytes_and_reimporting_changes_nothing(t) {
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for i in 0..3 {
            bob.post_data(COUNTER_ITEM, json!({"type": "note", "data": {"i": i, "text": "a,b \"q\"\n", "f": 1.5}})).await;
            bob.post_action(COUNTER_ITEM, json!({"type": "click", "data": {"i": i}})).await;
        }
        bob.post_data(COUNTER_ITEM, json!({"type": "shared", "visibility": "item", "data": {"n": null, "l": [1, "é", {"k": true}]}})).await;
        bob.post_data(COUNTER_ITEM, json!({"type": "for-carol", "accountId": CAROL, "data": {}})).await;
        carol.post_data(COUNTER_ITEM, json!({"type": "note", "data": {"by": "carol"}})).await;
        carol.post_action(COUNTER_ITEM, json!({"type": "open", "data": {}})).await;
        alice.post_setting(COUNTER_ITEM, json!({"name": "config", "data": {"colour": "yellow"}})).await;
        alice.post_setting(COUNTER_ITEM, json!({"name": "second", "data": {"x": [1, 2]}})).await;
        let mut before = Vec::new();
        for what in WHATS {
            before.push(export(t, COUNTER_ITEM, what).await);
        }
        assert_eq!(before.iter().map(|e| e.lines().count()).collect::<Vec<_>>(), [6, 2, 4]);

        let u = fresh_server_like(t).await;
        for (what, lines) in WHATS.iter().zip(&before) {
            assert_eq!(export(&u, COUNTER_ITEM, what).await, "", "the fresh server is empty");
            let report = import_lines(&u, COUNTER_ITEM, what, lines.clone()).await;
            let n = lines.lines().count();
            assert_eq!(counts(&report), (n as u64, 0, 0), "{what}: {report}");
        }
        for (what, lines) in WHATS.iter().zip(&before) {
            assert_eq!(&export(&u, COUNTER_ITEM, what).await, lines, "{what} round-trips byte for byte");
        }
        // What an app sees on the new server is what it saw on the old one.
        let on_u = u.app_for(BOB, COUNTER_ITEM).await.app_data(COUNTER_ITEM).await;
        assert_eq!(on_u, bob.app_data(COUNTER_ITEM).await);

        for (what, lines) in WHATS.iter().zip(&before) {
            let report = import_lines(&u, COUNTER_ITEM, what, lines.clone()).await;
            let n = lines.lines().count();
            assert_eq!(counts(&report), (0, n as u64, 0), "re-import of {what} is a no-op: {report}");
            assert_eq!(&export(&u, COUNTER_ITEM, what).await, lines);
        }
        u.stop().await;
    }

    /// Each bad row is refused with its line, id and a stable code; the good rows around it
    /// are stored, and blank lines are skipped.
    async fn bad_rows_are_refused_one_by_one_with_stable_codes_and_the_good_rows_are_stored(t) {
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        let existing = bob.post_data(COUNTER_ITEM, json!({"type": "note", "data": {"v": 1}})).await;
        let existing_id = existing["id"].as_str().unwrap();
        let ids: Vec<String> = (0..10).map(|_| uuid::Uuid::new_v4().to_string()).collect();
        let too_big = "x".repeat(MAX_BODY + 10);
        let lines = [
            data_line(&ids[0], COUNTER_ITEM, BOB, "note", json!({"ok": 1})),
            "{not json".to_owned(),
            json!({"id": ids[1], "type": "note"}).to_string(),
            data_line(&ids[2], COUNTER_ITEM, BOB, "ab", json!({})),
            data_line(&ids[3], COUNTER_ITEM, "6b4f3a0e-0000-4000-8000-000000000000", "note", json!({})),
            data_line(existing_id, COUNTER_ITEM, BOB, "note", json!({"v": 2})),
            data_line(&ids[4], NOTES_ITEM, BOB, "note", json!({})),
            data_line(&ids[5], COUNTER_ITEM, BOB, "note", json!({"big": too_big})),
            data_line(&ids[6], COUNTER_ITEM, BOB, "file", json!({"file": {}})),
            String::new(),
            data_line(&ids[7], COUNTER_ITEM, CAROL, "note", json!({"ok": 2})),
        ];
        let report = import_lines(t, COUNTER_ITEM, "app-data", lines.join("\n")).await;
        assert_eq!(
            refusals(&report),
            [
                (2, "INVALID_ROW".to_owned()),
                (3, "INVALID_ROW".to_owned()),
                (4, "INVALID_FIELD".to_owned()),
                (5, "UNKNOWN_ACCOUNT".to_owned()),
                (6, "ID_CONFLICT".to_owned()),
                (7, "OTHER_ITEM".to_owned()),
                (8, "ROW_TOO_LARGE".to_owned()),
                (9, "FILE_ROW".to_owned()),
            ],
            "{report}"
        );
        assert_eq!(counts(&report), (2, 0, 8));
        let refused = report["refused"].as_array().unwrap();
        assert_eq!(refused[1]["id"], json!(ids[1]), "the id of a row with a missing field is named");
        assert!(refused[1]["reason"].as_str().unwrap().contains("missing field"), "{report}");
        assert_eq!(refused[0]["id"], Value::Null);
        assert!(refused.iter().all(|r| r["what"] == "app-data"));
        // The conflicting row kept its data; the good rows are there with their ids and times.
        let rows = t.app_for(ALICE, COUNTER_ITEM).await.app_data(COUNTER_ITEM).await;
        let by_id = |id: &str| rows.iter().find(|r| r["id"] == id).cloned();
        assert_eq!(by_id(existing_id).unwrap()["data"], json!({"v": 1}));
        let imported = by_id(&ids[0]).expect("the first good row is stored");
        assert_eq!(imported["createdAt"], "2026-01-02T03:04:05.123456Z");
        assert_eq!(imported["account"]["name"], "Bob", "names come from this server's accounts");
        assert!(by_id(&ids[7]).is_some(), "the row after the bad ones is stored");
        assert!(by_id(&ids[3]).is_none() && by_id(&ids[4]).is_none());
        // A what that is not one of the three is refused before any row is read.
        let r = import_req(t, COUNTER_ITEM, "?what=files", "application/x-ndjson", lines[0].clone())
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        expect_error(r, 400, None).await;
    }

    /// An import stores under the item's quotas: the rows past the limit are refused and named.
    with(|c| { c.server.item_data_rows = 3; c.server.item_action_rows = 2; })
    async fn an_import_stores_rows_up_to_the_quotas_and_refuses_the_rest_with_the_quota_code(t) {
        let lines: Vec<String> = (0..5)
            .map(|i| data_line(&uuid::Uuid::new_v4().to_string(), COUNTER_ITEM, BOB, "note", json!({"i": i})))
            .collect();
        let report = import_lines(t, COUNTER_ITEM, "app-data", lines.join("\n")).await;
        assert_eq!(counts(&report), (3, 0, 2), "{report}");
        for r in report["refused"].as_array().unwrap() {
            assert_eq!(r["code"], "QUOTA_EXCEEDED");
            assert!(r["reason"].as_str().unwrap().starts_with("AFERR011"), "{report}");
        }
        assert_eq!(export(t, COUNTER_ITEM, "app-data").await.lines().count(), 3);
        let actions: Vec<String> = (0..3)
            .map(|i| json!({"id": uuid::Uuid::new_v4(), "account": {"id": CAROL}, "type": "click", "data": {"i": i}, "createdAt": "2026-01-02T03:04:05Z"}).to_string())
            .collect();
        let report = import_lines(t, COUNTER_ITEM, "app-actions", actions.join("\n")).await;
        assert_eq!(counts(&report), (2, 0, 1), "{report}");
        assert!(report["refused"][0]["reason"].as_str().unwrap().starts_with("AFERR030"), "{report}");
    }

    /// The `apps` file of a Graasp analytics export: entities with Graasp's extra fields,
    /// millisecond times, and rows of the item's descendants (refused as another item's).
    async fn a_graasp_apps_export_is_imported_with_other_items_rows_refused(t) {
        let (d, s, a, other) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let item = json!({"id": COUNTER_ITEM, "name": "Counter", "type": "app", "path": "a_b", "extra": {"app": {"url": "x"}}});
        let account = json!({"id": BOB, "name": "Bob", "email": "bob@example.org", "type": "individual"});
        let file = json!({
            "appData": [
                {"id": d, "item": item, "account": account, "creator": account, "type": "answer",
                 "visibility": "member", "data": {"text": "42"},
                 "createdAt": "2024-05-02T10:11:12.345Z", "updatedAt": "2024-05-02T10:11:13.000Z"},
                {"id": other, "item": {"id": NOTES_ITEM}, "account": account, "type": "answer",
                 "visibility": "member", "data": {}, "createdAt": "2024-05-02T10:11:12.345Z",
                 "updatedAt": "2024-05-02T10:11:12.345Z"}
            ],
            "appSettings": [
                {"id": s, "item": item, "name": "question", "data": {"q": "?"}, "creator": null,
                 "createdAt": "2024-05-01T09:00:00.000Z", "updatedAt": "2024-05-01T09:00:00.000Z"}
            ],
            "appActions": [
                {"id": a, "item": item, "account": account, "type": "submit", "data": {},
                 "createdAt": "2024-05-02T10:11:14.000Z"}
            ]
        });
        let r = import_req(t, COUNTER_ITEM, "", "application/json", file.to_string())
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        let report = json_ok(r).await;
        assert_eq!(counts(&report), (3, 0, 1), "{report}");
        assert_eq!(report["refused"][0]["code"], "OTHER_ITEM");
        assert_eq!(report["refused"][0]["index"], 2);
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let data = alice.app_data(COUNTER_ITEM).await;
        assert_eq!(data.len(), 1);
        assert_eq!(data[0]["createdAt"], "2024-05-02T10:11:12.345Z");
        assert_eq!(data[0]["creator"]["id"], BOB);
        let settings = alice.list(&format!("/app-items/{COUNTER_ITEM}/app-settings")).await;
        assert_eq!(settings[0]["name"], "question");
        assert_eq!(settings[0]["creator"], Value::Null);
        let actions = alice.list(&format!("/app-items/{COUNTER_ITEM}/app-action")).await;
        assert_eq!(actions[0]["id"], json!(a));
        // The same file again: nothing new.
        let r = import_req(t, COUNTER_ITEM, "", "application/json", file.to_string())
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(counts(&json_ok(r).await), (0, 3, 1));
        // Not an object of arrays.
        let r = import_req(t, COUNTER_ITEM, "", "application/json", "[1]".into())
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        expect_error(r, 400, None).await;
    }

    /// Only a key with the write scope imports: no key, an unknown key, the read-only key and
    /// an app token are refused and nothing is stored; an unknown item, another media type
    /// and a body over max_import_bytes are refused too.
    with(|c| { c.server.max_import_bytes = 4096; })
    async fn only_a_write_key_imports_and_the_body_is_bounded(t) {
        let line = data_line(&uuid::Uuid::new_v4().to_string(), COUNTER_ITEM, BOB, "note", json!({}));
        let send = |key: Option<String>, item: &str, ct: &str, body: String| {
            let mut r = import_req(t, item, "?what=app-data", ct, body);
            if let Some(k) = key {
                r = r.bearer_auth(k);
            }
            r.send()
        };
        let nd = "application/x-ndjson";
        expect_error(send(None, COUNTER_ITEM, nd, line.clone()).await.unwrap(), 401, Some("AFERR001")).await;
        expect_error(send(Some("not-a-key".into()), COUNTER_ITEM, nd, line.clone()).await.unwrap(), 401, Some("AFERR001")).await;
        expect_error(send(Some(READ_API_KEY.into()), COUNTER_ITEM, nd, line.clone()).await.unwrap(), 403, Some("AFERR002")).await;
        let token = t.token_for(ALICE, COUNTER_ITEM).await;
        expect_error(send(Some(token), COUNTER_ITEM, nd, line.clone()).await.unwrap(), 401, Some("AFERR001")).await;
        assert_eq!(export(t, COUNTER_ITEM, "app-data").await, "", "nothing was stored");
        expect_error(send(Some(API_KEY.into()), "6b4f3a0e-0000-4000-8000-000000000000", nd, line.clone()).await.unwrap(), 404, Some("GERR002")).await;
        expect_error(send(Some(API_KEY.into()), COUNTER_ITEM, "text/csv", line.clone()).await.unwrap(), 415, None).await;
        let big: Vec<String> = (0..40).map(|_| line.clone()).collect();
        expect_error(send(Some(API_KEY.into()), COUNTER_ITEM, nd, big.join("\n")).await.unwrap(), 413, None).await;
        expect_error(send(Some(API_KEY.into()), COUNTER_ITEM, "application/json", format!("{{\"appData\": [{}]}}", big.join(","))).await.unwrap(), 413, None).await;
        // The key may also come as `?apiKey=`.
        let r = t
            .http
            .post(t.url(&format!("/api/admin/items/{COUNTER_ITEM}/import?what=app-data&apiKey={API_KEY}")))
            .header(header::CONTENT_TYPE, nd)
            .body(line)
            .send()
            .await
            .unwrap();
        assert_eq!(counts(&json_ok(r).await), (1, 0, 0));
    }
}
