//! The storage shim (`/app-items/{itemId}/appframe/storage[/{key}]`): per member and item,
//! behind the app token's checks, bounded by the storage quotas, and never app data.

use crate::api_tests;
use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

/// The URL path of `key` (percent-encoded as one segment) in `item`'s storage.
fn key_path(item: &str, key: &str) -> String {
    let mut enc = String::new();
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            enc.push(char::from(b));
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("/app-items/{item}/appframe/storage/{enc}")
}

async fn put(app: &AppClient, item: &str, key: &str, value: &str) -> reqwest::Response {
    app.req(Method::PUT, &key_path(item, key))
        .json(&json!({ "value": value }))
        .send()
        .await
        .unwrap()
}

async fn put_ok(app: &AppClient, item: &str, key: &str, value: &str) -> Value {
    json_ok(put(app, item, key, value).await).await
}

async fn get(app: &AppClient, item: &str, key: &str) -> reqwest::Response {
    app.req(Method::GET, &key_path(item, key))
        .send()
        .await
        .unwrap()
}

async fn keys(app: &AppClient, item: &str) -> Vec<String> {
    let r = app
        .req(Method::GET, &format!("/app-items/{item}/appframe/storage"))
        .send()
        .await
        .unwrap();
    let v = json_ok(r).await;
    serde_json::from_value(v["keys"].clone()).unwrap()
}

async fn remove(app: &AppClient, item: &str, key: &str) -> StatusCode {
    app.req(Method::DELETE, &key_path(item, key))
        .send()
        .await
        .unwrap()
        .status()
}

api_tests! {
    /// A reader sets, reads, lists and removes keys, any string value and any printable key
    /// (slashes, spaces, non-ASCII) included; a removed key is 404 AFERR047, removing it again
    /// is still 204.
    async fn a_member_sets_reads_lists_and_removes_their_own_keys(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        assert!(keys(&carol, COUNTER_ITEM).await.is_empty());
        let odd = "drafts/ été 1?#&%";
        let e = put_ok(&carol, COUNTER_ITEM, odd, "{\"json\": [1, 2]}").await;
        assert_eq!((e["key"].as_str(), e["value"].as_str()), (Some(odd), Some("{\"json\": [1, 2]}")));
        assert!(time::OffsetDateTime::parse(e["updatedAt"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).is_ok());
        put_ok(&carol, COUNTER_ITEM, "b", "").await;
        put_ok(&carol, COUNTER_ITEM, "a", "one").await;
        put_ok(&carol, COUNTER_ITEM, "a", "two").await;
        assert_eq!(keys(&carol, COUNTER_ITEM).await, ["a", "b", odd]);
        let got = json_ok(get(&carol, COUNTER_ITEM, "a").await).await;
        assert_eq!(got["value"], "two");
        assert_eq!(json_ok(get(&carol, COUNTER_ITEM, "b").await).await["value"], "");
        assert_eq!(json_ok(get(&carol, COUNTER_ITEM, odd).await).await["value"], "{\"json\": [1, 2]}");
        assert_eq!(remove(&carol, COUNTER_ITEM, "a").await, StatusCode::NO_CONTENT);
        let body = expect_error(get(&carol, COUNTER_ITEM, "a").await, 404, Some("AFERR047")).await;
        assert_eq!(body.name, "STORAGE_KEY_NOT_FOUND");
        assert_eq!(remove(&carol, COUNTER_ITEM, "a").await, StatusCode::NO_CONTENT);
        assert_eq!(keys(&carol, COUNTER_ITEM).await, ["b", odd]);
    }

    /// Each member has their own keys: another member, even the item's admin, neither reads
    /// nor lists nor removes mine, and the same key holds a value per member.
    async fn another_member_even_an_admin_cannot_read_list_or_remove_my_keys(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        put_ok(&carol, COUNTER_ITEM, "secret", "carol's").await;
        expect_error(get(&alice, COUNTER_ITEM, "secret").await, 404, Some("AFERR047")).await;
        expect_error(get(&bob, COUNTER_ITEM, "secret").await, 404, Some("AFERR047")).await;
        assert!(keys(&alice, COUNTER_ITEM).await.is_empty());
        assert_eq!(remove(&alice, COUNTER_ITEM, "secret").await, StatusCode::NO_CONTENT);
        put_ok(&bob, COUNTER_ITEM, "secret", "bob's").await;
        assert_eq!(json_ok(get(&carol, COUNTER_ITEM, "secret").await).await["value"], "carol's");
        assert_eq!(json_ok(get(&bob, COUNTER_ITEM, "secret").await).await["value"], "bob's");
    }

    /// A token is bound to its item: with a token of another item the route answers 401
    /// GAERR003, and the same member's keys of two items are apart.
    async fn a_token_of_another_item_cannot_reach_this_items_storage(t) {
        let counter = t.app_for(CAROL, COUNTER_ITEM).await;
        let notes = t.app_for(CAROL, NOTES_ITEM).await;
        put_ok(&counter, COUNTER_ITEM, "k", "counter").await;
        expect_error(get(&notes, COUNTER_ITEM, "k").await, 401, Some("GAERR003")).await;
        expect_error(put(&notes, COUNTER_ITEM, "k", "x").await, 401, Some("GAERR003")).await;
        let r = notes.req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/appframe/storage")).send().await.unwrap();
        expect_error(r, 401, Some("GAERR003")).await;
        let r = notes.req(Method::DELETE, &key_path(COUNTER_ITEM, "k")).send().await.unwrap();
        expect_error(r, 401, Some("GAERR003")).await;
        expect_error(get(&notes, NOTES_ITEM, "k").await, 404, Some("AFERR047")).await;
        assert_eq!(json_ok(get(&counter, COUNTER_ITEM, "k").await).await["value"], "counter");
    }

    /// Without a token, with a forged one, or once the membership is gone: refused.
    async fn storage_needs_a_valid_token_and_a_membership(t) {
        let r = plain_client().get(t.url(&format!("/api{}", key_path(COUNTER_ITEM, "k")))).send().await.unwrap();
        expect_error(r, 401, Some("GERR027")).await;
        let forged = t.app(&sign_token(&json!({"sub": {"itemId": COUNTER_ITEM, "accountId": CAROL, "key": COUNTER_KEY, "origin": APP_ORIGIN}, "exp": now_secs() + 600}), "not-the-secret-not-the-secret-not-the-secret"));
        expect_error(put(&forged, COUNTER_ITEM, "k", "v").await, 401, Some("GERR027")).await;
        let token = t.token_for(CAROL, COUNTER_ITEM).await;
        put_ok(&t.app(&token), COUNTER_ITEM, "k", "v").await;
        t.restart(|c| c.memberships.retain(|m| !(m.member.to_string() == CAROL && m.item.to_string() == COUNTER_ITEM))).await;
        // The restarted server listens elsewhere: the same token, a client for the new address.
        let carol = t.app(&token);
        expect_error(get(&carol, COUNTER_ITEM, "k").await, 403, Some("GERR016")).await;
        expect_error(put(&carol, COUNTER_ITEM, "k", "w").await, 403, Some("GERR016")).await;
    }

    /// Keys and bodies are validated: empty segment, over 256 bytes, control characters, a
    /// value that is not a string, unknown fields, no JSON content type: 400/415, nothing stored.
    async fn invalid_keys_and_bodies_are_refused_and_store_nothing(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        expect_error(put(&carol, COUNTER_ITEM, &"k".repeat(257), "v").await, 400, None).await;
        expect_error(put(&carol, COUNTER_ITEM, "a\nb", "v").await, 400, None).await;
        expect_error(get(&carol, COUNTER_ITEM, "a\u{1}").await, 400, None).await;
        put_ok(&carol, COUNTER_ITEM, &"k".repeat(256), "v").await;
        for body in [json!({"value": 1}), json!({"value": null}), json!({"value": "v", "other": 1}), json!({})] {
            let r = carol.req(Method::PUT, &key_path(COUNTER_ITEM, "j")).json(&body).send().await.unwrap();
            expect_error(r, 400, None).await;
        }
        let r = carol.req(Method::PUT, &key_path(COUNTER_ITEM, "j")).body("{\"value\":\"v\"}").send().await.unwrap();
        expect_error(r, 415, None).await;
        assert_eq!(keys(&carol, COUNTER_ITEM).await, ["k".repeat(256)]);
    }

    /// A member's key count is bounded (AFERR045); overwriting a key at the limit still works,
    /// the refused write stores nothing, and other members may still write.
    with(|c| { c.server.member_storage_keys = 3; })
    async fn a_key_past_the_member_quota_is_refused_with_aferr045_but_overwriting_works(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for k in ["a", "b", "c"] {
            put_ok(&carol, COUNTER_ITEM, k, "v").await;
        }
        let body = expect_error(put(&carol, COUNTER_ITEM, "d", "v").await, 403, Some("AFERR045")).await;
        assert_eq!(body.name, "MEMBER_STORAGE_KEYS_EXCEEDED");
        assert!(body.message.contains('3'), "the message names the limit: {}", body.message);
        expect_error(get(&carol, COUNTER_ITEM, "d").await, 404, Some("AFERR047")).await;
        put_ok(&carol, COUNTER_ITEM, "a", "overwritten").await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        put_ok(&bob, COUNTER_ITEM, "d", "v").await;
        assert_eq!(remove(&carol, COUNTER_ITEM, "b").await, StatusCode::NO_CONTENT);
        put_ok(&carol, COUNTER_ITEM, "d", "v").await;
    }

    /// A member's bytes (keys + values) are bounded (AFERR046); growing a value past it is
    /// refused and keeps the old value; shrinking always works.
    with(|c| { c.server.member_storage_bytes = 100; })
    async fn bytes_past_the_member_quota_are_refused_with_aferr046_and_keep_the_old_value(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        put_ok(&carol, COUNTER_ITEM, "k", &"x".repeat(99)).await;
        let body = expect_error(put(&carol, COUNTER_ITEM, "k", &"x".repeat(100)).await, 403, Some("AFERR046")).await;
        assert_eq!(body.name, "MEMBER_STORAGE_BYTES_EXCEEDED");
        expect_error(put(&carol, COUNTER_ITEM, "l", "").await, 403, Some("AFERR046")).await;
        assert_eq!(json_ok(get(&carol, COUNTER_ITEM, "k").await).await["value"].as_str().unwrap().len(), 99);
        put_ok(&carol, COUNTER_ITEM, "k", "small").await;
        put_ok(&carol, COUNTER_ITEM, "l", "").await;
    }

    /// The item's keys and bytes of all members together are bounded (AFERR043, AFERR044).
    with(|c| { c.server.item_storage_keys = 2; c.server.item_storage_bytes = 1_000; })
    async fn the_item_quotas_bound_all_members_together_with_aferr043_and_aferr044(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        put_ok(&carol, COUNTER_ITEM, "a", "v").await;
        put_ok(&bob, COUNTER_ITEM, "a", &"x".repeat(900)).await;
        let body = expect_error(put(&carol, COUNTER_ITEM, "b", "v").await, 403, Some("AFERR043")).await;
        assert_eq!(body.name, "ITEM_STORAGE_KEYS_EXCEEDED");
        let body = expect_error(put(&carol, COUNTER_ITEM, "a", &"x".repeat(200)).await, 403, Some("AFERR044")).await;
        assert_eq!(body.name, "ITEM_STORAGE_BYTES_EXCEEDED");
        assert_eq!(json_ok(get(&carol, COUNTER_ITEM, "a").await).await["value"], "v");
    }

    /// Storage is not app data: it never shows in app-data lists or the admin export, and
    /// the stored value is not anywhere in the app-data table.
    async fn stored_values_never_appear_in_app_data_lists_or_exports(t) {
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let before = alice.app_data(COUNTER_ITEM).await.len();
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        put_ok(&carol, COUNTER_ITEM, "note", "storage-marker-5f3a").await;
        let rows = alice.app_data(COUNTER_ITEM).await;
        assert_eq!(rows.len(), before);
        assert!(!serde_json::to_string(&rows).unwrap().contains("storage-marker-5f3a"));
        for what in ["app-data", "app-actions"] {
            let r = t.http
                .get(t.url(&format!("/api/admin/items/{COUNTER_ITEM}/export?format=jsonl&what={what}")))
                .bearer_auth(READ_API_KEY)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert!(!r.text().await.unwrap().contains("storage-marker-5f3a"), "{what} export");
        }
        assert_eq!(t.db_texts("SELECT value FROM app_storage").await, ["storage-marker-5f3a"]);
    }

    /// An app on its own origin may PUT (the preflight allows it), and the OpenAPI document
    /// describes the four routes with a summary.
    async fn the_preflight_allows_put_and_openapi_describes_the_storage_routes(t) {
        let r = t.http
            .request(Method::OPTIONS, t.url(&format!("/api{}", key_path(COUNTER_ITEM, "k"))))
            .header(header::ORIGIN, APP_ORIGIN)
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "authorization,content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(header_str(&r, "access-control-allow-origin"), APP_ORIGIN);
        assert!(header_str(&r, "access-control-allow-methods").contains("PUT"));
        let v = json_ok(t.http.get(t.url("/api/openapi.json")).send().await.unwrap()).await;
        let one = &v["paths"]["/api/app-items/{item_id}/appframe/storage/{key}"];
        for m in ["get", "put", "delete"] {
            assert!(one[m]["summary"].as_str().is_some_and(|s| !s.is_empty()), "{m}: {one}");
        }
        assert!(one["put"]["requestBody"].is_object());
        assert!(v["paths"]["/api/app-items/{item_id}/appframe/storage"]["get"]["summary"].is_string());
        assert!(v["components"]["schemas"]["StorageEntry"].is_object());
    }
}
