//! Quotas (`[server]` item_data_rows ... member_file_bytes): every limit refuses the write that
//! would pass it with 403 and its own code, stores nothing, and an unpaged list still returns
//! everything an item may hold. Small limits per test keep them fast.

use super::{file_part, upload_data_file};
use crate::api_tests;
use crate::common::*;
use reqwest::{Method, StatusCode, multipart};
use serde_json::{Value, json};

/// POSTs a row of about `size` bytes of data and returns the raw response.
async fn post(app: &AppClient, item: &str, size: usize) -> reqwest::Response {
    app.req(Method::POST, &format!("/app-items/{item}/app-data"))
        .json(&json!({"type": "note", "visibility": "item", "data": {"text": "x".repeat(size)}}))
        .send()
        .await
        .unwrap()
}

async fn post_ok(app: &AppClient, item: &str, size: usize) -> Value {
    json_ok(post(app, item, size).await).await
}

async fn upload(app: &AppClient, item: &str, bytes: usize) -> reqwest::Response {
    let form =
        multipart::Form::new().part("files", file_part(vec![b'a'; bytes], "f.txt", "text/plain"));
    app.req(
        Method::POST,
        &format!("/app-items/app-data/upload?id={item}"),
    )
    .multipart(form)
    .send()
    .await
    .unwrap()
}

async fn upload_setting(app: &AppClient, item: &str, bytes: usize) -> reqwest::Response {
    let form = multipart::Form::new()
        .text("name", "doc")
        .part("files", file_part(vec![b's'; bytes], "s.txt", "text/plain"));
    app.req(
        Method::POST,
        &format!("/app-items/app-settings/upload?id={item}"),
    )
    .multipart(form)
    .send()
    .await
    .unwrap()
}

/// Every app-data row of the item, as its admin sees it (unpaged).
async fn all_rows(t: &TestServer) -> Vec<Value> {
    t.app_for(ALICE, COUNTER_ITEM)
        .await
        .app_data(COUNTER_ITEM)
        .await
}

api_tests! {
    /// A read member fills the item to its row quota; one row more is refused, nothing is
    /// stored, and the unpaged list returns every row, with no `Link` to a next page.
    with(|c| { c.server.item_data_rows = 40; c.server.member_data_rows = 40; })
    async fn a_row_past_the_item_row_quota_is_refused_with_aferr011_and_the_unpaged_list_returns_them_all(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..40 {
            post_ok(&carol, COUNTER_ITEM, 10).await;
        }
        let body = expect_error(post(&carol, COUNTER_ITEM, 10).await, 403, Some("AFERR011")).await;
        assert_eq!(body.name, "ITEM_APP_DATA_ROWS_EXCEEDED");
        assert!(body.message.contains("40"), "the message names the limit: {}", body.message);
        // Another member is refused too: the item is full, not only Carol's share.
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        expect_error(post(&bob, COUNTER_ITEM, 10).await, 403, Some("AFERR011")).await;
        let r = carol.req(Method::GET, &format!("/app-items/{COUNTER_ITEM}/app-data")).send().await.unwrap();
        assert!(r.headers().get("link").is_none(), "an item at its quota fits in one unpaged list");
        let rows: Vec<Value> = json_ok(r).await.as_array().unwrap().clone();
        assert_eq!(rows.len(), 40);
        assert_eq!(all_rows(t).await.len(), 40);
    }

    /// The item byte quota counts the data of every member.
    with(|c| { c.server.item_data_bytes = 50_000; })
    async fn a_row_past_the_item_byte_quota_is_refused_with_aferr012_and_nothing_is_stored(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        post_ok(&carol, COUNTER_ITEM, 20_000).await;
        post_ok(&bob, COUNTER_ITEM, 20_000).await;
        expect_error(post(&carol, COUNTER_ITEM, 20_000).await, 403, Some("AFERR012")).await;
        assert_eq!(all_rows(t).await.len(), 2);
        // A row that still fits is accepted.
        post_ok(&bob, COUNTER_ITEM, 5_000).await;
    }

    /// One member's share is bounded so they cannot fill the item for everybody.
    with(|c| { c.server.member_data_rows = 3; })
    async fn a_row_past_the_member_row_quota_is_refused_with_aferr013_while_others_may_still_write(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..3 {
            post_ok(&carol, COUNTER_ITEM, 10).await;
        }
        let body = expect_error(post(&carol, COUNTER_ITEM, 10).await, 403, Some("AFERR013")).await;
        assert_eq!(body.name, "MEMBER_APP_DATA_ROWS_EXCEEDED");
        // Addressing the row to someone else still charges its creator.
        let r = carol
            .req(Method::POST, &format!("/app-items/{COUNTER_ITEM}/app-data"))
            .json(&json!({"type": "note", "data": {}, "accountId": BOB}))
            .send()
            .await
            .unwrap();
        expect_error(r, 403, Some("AFERR013")).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        post_ok(&bob, COUNTER_ITEM, 10).await;
        assert_eq!(all_rows(t).await.len(), 4);
    }

    with(|c| { c.server.member_data_bytes = 30_000; })
    async fn a_row_past_the_member_byte_quota_is_refused_with_aferr014_and_nothing_is_stored(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        post_ok(&carol, COUNTER_ITEM, 20_000).await;
        expect_error(post(&carol, COUNTER_ITEM, 20_000).await, 403, Some("AFERR014")).await;
        assert_eq!(all_rows(t).await.len(), 1);
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        post_ok(&bob, COUNTER_ITEM, 20_000).await;
    }

    /// A patch that grows a row past a byte quota is refused and the row keeps its data;
    /// shrinking is always allowed.
    with(|c| { c.server.member_data_bytes = 30_000; })
    async fn a_patch_that_grows_a_row_past_a_byte_quota_is_refused_and_the_row_is_unchanged(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let row = post_ok(&carol, COUNTER_ITEM, 10_000).await;
        let id = row["id"].as_str().unwrap();
        let patch = |size: usize| {
            carol
                .req(Method::PATCH, &format!("/app-items/{COUNTER_ITEM}/app-data/{id}"))
                .json(&json!({"data": {"text": "y".repeat(size)}}))
                .send()
        };
        expect_error(patch(40_000).await.unwrap(), 403, Some("AFERR014")).await;
        let rows = all_rows(t).await;
        assert_eq!(rows[0]["data"]["text"].as_str().unwrap().len(), 10_000);
        assert_eq!(patch(25_000).await.unwrap().status(), StatusCode::OK);
        assert_eq!(patch(5).await.unwrap().status(), StatusCode::OK);
    }

    /// Concurrent writers cannot overshoot: check and insert are one atomic step.
    with(|c| { c.server.item_data_rows = 5; })
    async fn concurrent_posts_never_store_more_rows_than_the_item_quota(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let app = if i % 2 == 0 { carol.clone() } else { bob.clone() };
            tasks.push(tokio::spawn(async move { post(&app, COUNTER_ITEM, 100).await }));
        }
        let (mut ok, mut refused) = (0, 0);
        for task in tasks {
            let r = task.await.unwrap();
            if r.status() == StatusCode::OK {
                ok += 1;
            } else {
                expect_error(r, 403, Some("AFERR011")).await;
                refused += 1;
            }
        }
        assert_eq!((ok, refused), (5, 19));
        assert_eq!(all_rows(t).await.len(), 5);
    }

    with(|c| { c.server.item_files = 1; })
    async fn an_upload_past_the_item_file_quota_is_refused_with_aferr015_and_nothing_is_stored(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        upload_data_file(&carol, COUNTER_ITEM, b"first".to_vec(), "a.txt").await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        let body = expect_error(upload(&bob, COUNTER_ITEM, 10).await, 403, Some("AFERR015")).await;
        assert_eq!(body.name, "ITEM_FILES_EXCEEDED");
        assert_eq!(t.stored_files().len(), 1, "only the first file is on disk");
        assert_eq!(all_rows(t).await.len(), 1, "no row for the refused file");
        // Settings files count too.
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        expect_error(upload_setting(&alice, COUNTER_ITEM, 10).await, 403, Some("AFERR015")).await;
    }

    /// A file larger than what is left is stopped while it streams in; nothing stays on disk.
    with(|c| { c.server.item_file_bytes = 100_000; })
    async fn an_upload_past_the_item_file_byte_quota_is_refused_with_aferr016_and_nothing_is_stored(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        upload_data_file(&carol, COUNTER_ITEM, vec![b'a'; 60_000], "a.txt").await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        expect_error(upload(&bob, COUNTER_ITEM, 60_000).await, 403, Some("AFERR016")).await;
        assert_eq!(t.stored_files().len(), 1);
        assert_eq!(all_rows(t).await.len(), 1);
        // What fits still goes in.
        let r = upload(&bob, COUNTER_ITEM, 40_000).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    with(|c| { c.server.member_files = 2; })
    async fn an_upload_past_the_member_file_quota_is_refused_with_aferr017_and_nothing_is_stored(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..2 {
            assert_eq!(upload(&carol, COUNTER_ITEM, 10).await.status(), StatusCode::OK);
        }
        expect_error(upload(&carol, COUNTER_ITEM, 10).await, 403, Some("AFERR017")).await;
        assert_eq!(t.stored_files().len(), 2);
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        assert_eq!(upload(&bob, COUNTER_ITEM, 10).await.status(), StatusCode::OK);
    }

    with(|c| { c.server.member_file_bytes = 100_000; })
    async fn an_upload_past_the_member_file_byte_quota_is_refused_with_aferr018_and_nothing_is_stored(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        assert_eq!(upload(&carol, COUNTER_ITEM, 70_000).await.status(), StatusCode::OK);
        expect_error(upload(&carol, COUNTER_ITEM, 70_000).await, 403, Some("AFERR018")).await;
        assert_eq!(t.stored_files().len(), 1);
        assert_eq!(all_rows(t).await.len(), 1);
    }

    /// The same list whether it comes assembled from the cache (small), streamed from cached
    /// rows (large), or streamed from the store (larger than the cache takes), also paged.
    async fn a_large_list_is_the_same_from_the_cache_streamed_and_paged(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..6 {
            post_ok(&carol, COUNTER_ITEM, 60_000).await;
        }
        let whole = all_rows(t).await;
        assert_eq!(whole.len(), 6);
        let again = all_rows(t).await;
        assert_eq!(whole, again);
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let mut paged = Vec::new();
        let mut url = format!("{}/app-items/{COUNTER_ITEM}/app-data?limit=4", t.api);
        loop {
            let r = alice.http.get(&url).bearer_auth(&alice.token).send().await.unwrap();
            let next = next_link(&r, &t.base);
            paged.extend(json_ok(r).await.as_array().unwrap().clone());
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        assert_eq!(paged, whole);
    }

    /// With a tiny cache, every list is streamed from the store.
    with(|c| { c.server.data_cache_bytes = 1024; })
    async fn a_list_larger_than_the_cache_is_streamed_from_the_store_complete(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..5 {
            post_ok(&carol, COUNTER_ITEM, 2_000).await;
        }
        assert_eq!(all_rows(t).await.len(), 5);
        assert_eq!(carol.app_data(COUNTER_ITEM).await.len(), 5);
    }
}
