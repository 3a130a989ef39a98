//! App tokens bound to their channel: the `Origin` they were minted for, the host session they
//! were minted in, the app key and the publisher's origins at the time; and the rate limit of
//! minting them.

use super::{download_url, upload_data_file};
use crate::api_tests;
use crate::common::*;
use reqwest::{Client, Method, StatusCode, header};
use serde_json::json;

/// GET the item's app data with `token`, sending `origin` as the `Origin` header (none: no
/// header at all, as a native client).
async fn get_data(t: &TestServer, token: &str, origin: Option<&str>) -> reqwest::Response {
    let mut r = t
        .http
        .get(format!("{}/app-items/{NOTES_ITEM}/app-data", t.api))
        .bearer_auth(token);
    if let Some(o) = origin {
        r = r.header(header::ORIGIN, o);
    }
    r.send().await.unwrap()
}

async fn expect_ok(r: reqwest::Response) {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
}

/// POST the token route with a logged-in session; the raw response.
async fn mint(t: &TestServer, session: &Client, item: &str) -> reqwest::Response {
    session
        .post(t.url(&format!("/api/app-items/{item}/api-access-token")))
        .json(&json!({ "key": key_of(item), "origin": APP_ORIGIN }))
        .send()
        .await
        .unwrap()
}

async fn admin_mint(t: &TestServer, item: &str) -> reqwest::Response {
    t.http
        .post(t.url("/api/admin/app-tokens"))
        .bearer_auth(API_KEY)
        .json(&json!({"memberId": BOB, "itemId": item, "key": key_of(item), "origin": APP_ORIGIN}))
        .send()
        .await
        .unwrap()
}

async fn logout(t: &TestServer, session: &Client) {
    let r = session
        .post(t.url("/api/logout"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

api_tests! {
    /// Every app route refuses a request whose `Origin` is not the token's (another registered
    /// origin of the same publisher, a foreign one, `null` from a sandboxed frame) with 401
    /// AFERR019, and stores nothing; the token's own origin and no `Origin` at all pass.
    async fn a_request_from_another_origin_than_the_tokens_is_refused_with_401(t) {
        let alice = t.app_for(ALICE, NOTES_ITEM).await;
        let token = alice.token.clone();
        expect_ok(get_data(t, &token, Some(APP_ORIGIN)).await).await;
        expect_ok(get_data(t, &token, None).await).await;
        for origin in [APP_ORIGIN_2, EVIL_ORIGIN, "null"] {
            let e = expect_error(get_data(t, &token, Some(origin)).await, 401, Some("AFERR019")).await;
            assert_eq!(e.name, "TOKEN_ORIGIN_MISMATCH");
            assert!(e.message.contains(origin), "{}", e.message);
        }
        let mut evil = alice.clone();
        evil.origin = EVIL_ORIGIN.to_owned();
        let r = evil.req(Method::POST, &format!("/app-items/{NOTES_ITEM}/app-data"))
            .json(&json!({"type": "note", "data": {"text": "x"}})).send().await.unwrap();
        expect_error(r, 401, Some("AFERR019")).await;
        for path in [
            format!("/app-items/{NOTES_ITEM}/app-settings"),
            format!("/app-items/{NOTES_ITEM}/app-action"),
            format!("/app-items/{NOTES_ITEM}/context"),
        ] {
            let r = evil.req(Method::GET, &path).send().await.unwrap();
            expect_error(r, 401, Some("AFERR019")).await;
            expect_ok(alice.req(Method::GET, &path).send().await.unwrap()).await;
        }
        assert!(alice.app_data(NOTES_ITEM).await.is_empty(), "nothing was stored");
        // Two Origin headers are not the token's origin either.
        let r = t.http.get(format!("{}/app-items/{NOTES_ITEM}/app-data", t.api)).bearer_auth(&token)
            .header(header::ORIGIN, APP_ORIGIN).header(header::ORIGIN, APP_ORIGIN).send().await.unwrap();
        expect_error(r, 401, Some("AFERR019")).await;
    }

    /// CORS preflights carry no token and keep working; signed file URLs are not tokens and
    /// download from any origin.
    async fn preflights_and_signed_file_urls_are_not_bound_to_the_tokens_origin(t) {
        let r = t.http.request(Method::OPTIONS, format!("{}/app-items/{NOTES_ITEM}/app-data", t.api))
            .header(header::ORIGIN, APP_ORIGIN)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type")
            .send().await.unwrap();
        assert!(r.status().is_success(), "preflight: {}", r.status());
        assert_eq!(header_str(&r, "access-control-allow-origin"), APP_ORIGIN);
        let bob = t.app_for(BOB, NOTES_ITEM).await;
        let row = upload_data_file(&bob, NOTES_ITEM, b"hello".to_vec(), "a.txt").await;
        let url = download_url(&bob, "app-data", row["id"].as_str().unwrap()).await;
        let r = t.http.get(&url).header(header::ORIGIN, EVIL_ORIGIN).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap().as_ref(), b"hello");
    }

    /// Logging out revokes the tokens minted in that session (401 AFERR020, with or without
    /// `Origin`), not those of another session of the same member nor those of the
    /// integration API, which have no session.
    async fn logging_out_revokes_the_tokens_minted_in_that_session(t) {
        let session = t.login(BOB).await;
        let token = t.token_with(&session, NOTES_ITEM, NOTES_KEY, APP_ORIGIN).await;
        let other = t.token_for(BOB, NOTES_ITEM).await;
        let admin: serde_json::Value = json_ok(admin_mint(t, NOTES_ITEM).await).await;
        let admin = admin["token"].as_str().unwrap().to_owned();
        expect_ok(get_data(t, &token, Some(APP_ORIGIN)).await).await;
        logout(t, &session).await;
        for origin in [Some(APP_ORIGIN), None] {
            let e = expect_error(get_data(t, &token, origin).await, 401, Some("AFERR020")).await;
            assert_eq!(e.name, "TOKEN_REVOKED");
            assert!(e.message.contains("session"), "{}", e.message);
        }
        expect_ok(get_data(t, &other, Some(APP_ORIGIN)).await).await;
        expect_ok(get_data(t, &admin, Some(APP_ORIGIN)).await).await;
    }

    /// A session past its expiry (not yet purged) revokes its tokens too.
    async fn an_expired_session_revokes_its_tokens(t) {
        let session = t.login(BOB).await;
        let token = t.token_with(&session, NOTES_ITEM, NOTES_KEY, APP_ORIGIN).await;
        let other = t.token_for(BOB, NOTES_ITEM).await;
        // Expire Bob's first session in the database, before the token's first use.
        let expired = t.db_texts("UPDATE sessions SET expires_at = 1 WHERE id = \
            (SELECT id FROM sessions ORDER BY expires_at LIMIT 1) RETURNING id").await;
        assert_eq!(expired.len(), 1);
        expect_error(get_data(t, &token, Some(APP_ORIGIN)).await, 401, Some("AFERR020")).await;
        expect_ok(get_data(t, &other, Some(APP_ORIGIN)).await).await;
    }

    /// The token names its session by a handle that is neither the session id (the cookie)
    /// nor its stored digest: an app can read its token.
    async fn a_token_does_not_reveal_its_session_id_or_digest(t) {
        let r = t.http.post(t.url("/api/login")).json(&json!({"memberId": BOB})).send().await.unwrap();
        let cookie = header_str(&r, "set-cookie").split(';').next().unwrap().to_owned();
        let id = cookie.split_once('=').unwrap().1.to_owned();
        let r = t.http.post(t.url(&format!("/api/app-items/{NOTES_ITEM}/api-access-token")))
            .header(header::COOKIE, &cookie)
            .json(&json!({"key": NOTES_KEY, "origin": APP_ORIGIN})).send().await.unwrap();
        let token = json_ok(r).await["token"].as_str().unwrap().to_owned();
        use base64::Engine;
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap(),
        ).unwrap();
        let sid = claims["sid"].as_str().expect("the token names its session");
        let digests = t.db_texts("SELECT id FROM sessions").await;
        assert!(!digests.is_empty());
        for secret in digests.iter().chain([&id]) {
            assert!(!sid.contains(secret.as_str()) && !secret.contains(sid), "{sid} vs {secret}");
        }
        let text = String::from_utf8_lossy(&base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap()).unwrap()).into_owned();
        assert!(!text.contains(&id));
    }

    /// Changing the app's key through the integration API revokes the tokens minted with the
    /// old key; tokens minted with the new key work.
    async fn a_new_app_key_from_the_integration_api_revokes_older_tokens(t) {
        let token = t.token_for(BOB, NOTES_ITEM).await;
        expect_ok(get_data(t, &token, Some(APP_ORIGIN)).await).await;
        let new_key = "2a3b4c5d-0000-4000-8000-00000000abcd";
        let r = t.http.post(t.url("/api/admin/apps")).bearer_auth(API_KEY)
            .json(&json!({"name": "sticky-notes", "key": new_key, "url": "http://127.0.0.1:8081/sticky-notes/", "publisher": "local"}))
            .send().await.unwrap();
        json_ok(r).await;
        let e = expect_error(get_data(t, &token, Some(APP_ORIGIN)).await, 401, Some("AFERR020")).await;
        assert!(e.message.contains("key"), "{}", e.message);
        let session = t.login(BOB).await;
        let fresh = t.token_with(&session, NOTES_ITEM, new_key, APP_ORIGIN).await;
        expect_ok(get_data(t, &fresh, Some(APP_ORIGIN)).await).await;
    }

    /// Restarting with a new key in `appframe.toml` (same database, same secret) revokes the
    /// tokens minted with the old key.
    async fn a_new_app_key_in_the_config_revokes_older_tokens_after_a_restart(t) {
        let token = t.token_for(BOB, NOTES_ITEM).await;
        expect_ok(get_data(t, &token, Some(APP_ORIGIN)).await).await;
        t.restart(|c| {
            let app = c.apps.iter_mut().find(|a| a.name == "sticky-notes").unwrap();
            app.key = "3b4c5d6e-0000-4000-8000-00000000abcd".parse().unwrap();
        }).await;
        expect_error(get_data(t, &token, Some(APP_ORIGIN)).await, 401, Some("AFERR020")).await;
    }

    /// Removing the token's origin from the publisher (integration API, or the config at the
    /// next start) revokes the token; a token of an origin still registered keeps working.
    async fn removing_the_tokens_origin_revokes_it(t) {
        let session = t.login(BOB).await;
        let first = t.token_with(&session, NOTES_ITEM, NOTES_KEY, APP_ORIGIN).await;
        let second = t.token_with(&session, NOTES_ITEM, NOTES_KEY, APP_ORIGIN_2).await;
        let r = t.http.post(t.url("/api/admin/publishers")).bearer_auth(API_KEY)
            .json(&json!({"name": "local", "origins": [APP_ORIGIN_2]})).send().await.unwrap();
        json_ok(r).await;
        let e = expect_error(get_data(t, &first, Some(APP_ORIGIN)).await, 401, Some("AFERR020")).await;
        assert!(e.message.contains("origin"), "{}", e.message);
        expect_ok(get_data(t, &second, Some(APP_ORIGIN_2)).await).await;
        t.restart(|c| {
            let p = c.publishers.iter_mut().find(|p| p.name == "local").unwrap();
            p.origins = vec![APP_ORIGIN.to_owned()];
        }).await;
        expect_error(get_data(t, &second, Some(APP_ORIGIN_2)).await, 401, Some("AFERR020")).await;
    }

    /// Ten tokens in a burst per session and item; the eleventh is refused with 429, a
    /// `Retry-After` in whole seconds and a Graasp body. Another item, another session and the
    /// integration API (per key and item) count apart.
    async fn the_eleventh_token_in_a_burst_is_refused_with_429_and_retry_after(t) {
        let session = t.login(BOB).await;
        for i in 0..10 {
            let r = mint(t, &session, NOTES_ITEM).await;
            assert_eq!(r.status(), StatusCode::OK, "mint {i}");
        }
        let r = mint(t, &session, NOTES_ITEM).await;
        let retry: u64 = header_str(&r, "retry-after").parse().unwrap();
        assert!((1..=6).contains(&retry), "Retry-After {retry}");
        let e = expect_error(r, 429, Some("AFERR021")).await;
        assert_eq!(e.name, "TOKEN_RATE_LIMITED");
        assert_eq!(mint(t, &session, COUNTER_ITEM).await.status(), StatusCode::OK);
        let other = t.login(BOB).await;
        assert_eq!(mint(t, &other, NOTES_ITEM).await.status(), StatusCode::OK);
        for i in 0..10 {
            assert_eq!(admin_mint(t, NOTES_ITEM).await.status(), StatusCode::OK, "admin mint {i}");
        }
        let r = admin_mint(t, NOTES_ITEM).await;
        assert!(!header_str(&r, "retry-after").is_empty());
        expect_error(r, 429, Some("AFERR021")).await;
    }

    /// The limits come from `[server]`.
    with(|c| { c.server.token_mint_burst = 2; c.server.token_mint_per_minute = 1; })
    async fn the_mint_limits_are_configurable(t) {
        let session = t.login(CAROL).await;
        for _ in 0..2 {
            assert_eq!(mint(t, &session, NOTES_ITEM).await.status(), StatusCode::OK);
        }
        let r = mint(t, &session, NOTES_ITEM).await;
        let retry: u64 = header_str(&r, "retry-after").parse().unwrap();
        assert!((31..=60).contains(&retry), "one a minute: Retry-After {retry}");
        expect_error(r, 429, Some("AFERR021")).await;
    }
}
