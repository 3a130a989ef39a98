//! Action quotas (`[server]` item_action_rows ... member_action_bytes): a member who posts
//! actions without end is refused with 403 and a code naming the limit, and an item's actions
//! always fit in one unpaged list, which streams (an admin listing a full item does not make the
//! server hold it).

use crate::api_tests;
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// POSTs an action with about `size` bytes of data and returns the raw response.
async fn act(app: &AppClient, size: usize) -> reqwest::Response {
    app.req(
        Method::POST,
        &format!("/app-items/{COUNTER_ITEM}/app-action"),
    )
    .json(&json!({"type": "click", "data": {"text": "x".repeat(size)}}))
    .send()
    .await
    .unwrap()
}

async fn act_ok(app: &AppClient, size: usize) {
    let r = act(app, size).await;
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "{}",
        r.text().await.unwrap()
    );
}

/// Every action of the item, as its admin lists it (unpaged), asserting no next page.
async fn all_actions(t: &TestServer) -> Vec<Value> {
    let alice = t.app_for(ALICE, COUNTER_ITEM).await;
    let r = alice
        .req(
            Method::GET,
            &format!("/app-items/{COUNTER_ITEM}/app-action"),
        )
        .send()
        .await
        .unwrap();
    assert!(
        r.headers().get("link").is_none(),
        "an item's actions fit in one unpaged list"
    );
    json_ok(r).await.as_array().unwrap().clone()
}

api_tests! {
    /// A read member posts actions up to the item's quota; one more is refused for everyone,
    /// nothing is stored, and the unpaged list returns every action.
    with(|c| { c.server.item_action_rows = 30; })
    async fn an_action_past_the_item_quota_is_refused_with_aferr030_and_the_unpaged_list_returns_them_all(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..30 {
            act_ok(&carol, 10).await;
        }
        let body = expect_error(act(&carol, 10).await, 403, Some("AFERR030")).await;
        assert_eq!(body.name, "ITEM_APP_ACTIONS_EXCEEDED");
        assert!(body.message.contains("30"), "the message names the limit: {}", body.message);
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        expect_error(act(&bob, 10).await, 403, Some("AFERR030")).await;
        assert_eq!(all_actions(t).await.len(), 30);
    }

    /// One member's share of actions is bounded; others may still post.
    with(|c| { c.server.member_action_rows = 4; })
    async fn an_action_past_the_member_quota_is_refused_with_aferr032_while_others_may_still_post(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..4 {
            act_ok(&carol, 10).await;
        }
        let body = expect_error(act(&carol, 10).await, 403, Some("AFERR032")).await;
        assert_eq!(body.name, "MEMBER_APP_ACTIONS_EXCEEDED");
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        act_ok(&bob, 10).await;
        assert_eq!(all_actions(t).await.len(), 5);
    }

    /// Byte quotas count the action's data: the item's across members, the member's own.
    with(|c| { c.server.item_action_bytes = 50_000; c.server.member_action_bytes = 30_000; })
    async fn actions_past_a_byte_quota_are_refused_with_aferr031_or_aferr033(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        act_ok(&carol, 20_000).await;
        expect_error(act(&carol, 20_000).await, 403, Some("AFERR033")).await;
        act_ok(&bob, 20_000).await;
        expect_error(act(&bob, 20_000).await, 403, Some("AFERR031")).await;
        act_ok(&bob, 5_000).await;
        assert_eq!(all_actions(t).await.len(), 3);
    }

    /// Concurrent posters never store more actions than the item quota (the check and the
    /// insert are one transaction, or one group commit).
    with(|c| { c.server.item_action_rows = 20; })
    async fn concurrent_actions_never_pass_the_item_quota(t) {
        let mut clients = Vec::new();
        for m in [ALICE, BOB, CAROL] {
            clients.push(t.app_for(m, COUNTER_ITEM).await);
        }
        let posts = (0..45).map(|i| {
            let app = &clients[i % clients.len()];
            async move { act(app, 10).await.status() }
        });
        let statuses = futures::future::join_all(posts).await;
        let stored = statuses.iter().filter(|s| **s == StatusCode::NO_CONTENT).count();
        let refused = statuses.iter().filter(|s| **s == StatusCode::FORBIDDEN).count();
        assert_eq!((stored, refused), (20, 25), "{statuses:?}");
        assert_eq!(all_actions(t).await.len(), 20);
    }

    /// Pages of actions end where the rows end: a page that ends exactly at the last row has
    /// no next link, and a member's filtered pages hold only their actions, each once.
    async fn action_pages_end_exactly_and_filters_page_too(t) {
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..6 {
            act_ok(&bob, 1).await;
            act_ok(&carol, 1).await;
        }
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        for (client, query, pages, rows) in [
            (&alice, "limit=4", 3, 12),
            (&alice, &format!("limit=3&accountId={CAROL}") as &str, 2, 6),
            (&bob, "limit=5", 2, 6),
            (&alice, "limit=12", 1, 12),
        ] {
            let mut url = format!("{}/app-items/{COUNTER_ITEM}/app-action?{query}", t.api);
            let mut seen = Vec::new();
            let mut n = 0;
            loop {
                let r = client.http.get(&url).bearer_auth(&client.token).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK, "{url}");
                let next = next_link(&r, &t.base);
                let page: Vec<Value> = r.json().await.unwrap();
                n += 1;
                assert!(n <= pages, "{query}: more pages than {pages}");
                seen.extend(page.iter().map(|v| {
                    (v["id"].as_str().unwrap().to_owned(), v["account"]["id"].as_str().unwrap().to_owned())
                }));
                match next {
                    Some(u) => url = u,
                    None => break,
                }
            }
            assert_eq!(n, pages, "{query}");
            assert_eq!(seen.len(), rows, "{query}");
            let unique: BTreeSet<&String> = seen.iter().map(|(id, _)| id).collect();
            assert_eq!(unique.len(), rows, "{query}: an action came twice");
            if query.contains("accountId") {
                assert!(seen.iter().all(|(_, a)| a == CAROL), "{query}");
            }
            if std::ptr::eq(client, &bob) {
                assert!(seen.iter().all(|(_, a)| a == BOB), "a member sees only their own actions");
            }
        }
    }
}
