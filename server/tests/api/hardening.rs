//! The small holes of issue 12: logout needs a JSON body, CSV cells cannot become formulas,
//! rows are addressed only to members of the item, every answer carries a
//! Content-Security-Policy, and the session cookie is `__Host-` under https.

use super::{counts, parse_csv, random_id};
use crate::api_tests;
use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::json;

/// The raw `name=value` of the session cookie a dev login sets.
async fn login_cookie(t: &TestServer, member: &str) -> (String, String) {
    let r = t
        .http
        .post(t.url("/api/login"))
        .json(&json!({ "memberId": member }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "login: {}", r.status());
    let set = header_str(&r, "set-cookie");
    (set.split(';').next().unwrap().to_owned(), set)
}

async fn me_status(t: &TestServer, cookie: &str) -> StatusCode {
    t.http
        .get(t.url("/api/me"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .status()
}

/// Serves `router` on a fresh 127.0.0.1 port; the task ends with the test's runtime.
async fn serve(router: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, router).await });
    base
}

fn csp(r: &reqwest::Response) -> String {
    header_str(r, "content-security-policy")
}

api_tests! {
    /// What a cross-site form or a no-preflight `fetch` can send (form, multipart, text, no
    /// body) does not log the member out; the host page's JSON `{}` does.
    async fn logout_needs_a_json_object_body_and_keeps_the_session_otherwise(t) {
        let (cookie, _) = login_cookie(t, BOB).await;
        let attempts: [(Option<&str>, &str, u16); 6] = [
            (None, "", 415),
            (Some("application/x-www-form-urlencoded"), "a=1", 415),
            (Some("text/plain"), "{}", 415),
            (Some("multipart/form-data; boundary=x"), "--x--\r\n", 415),
            (Some("application/json"), "[]", 400),
            (Some("application/json"), "", 400),
        ];
        for (ctype, body, status) in attempts {
            let mut req = t.http.post(t.url("/api/logout")).header(header::COOKIE, &cookie);
            if let Some(c) = ctype {
                req = req.header(header::CONTENT_TYPE, c);
            }
            let r = req.body(body).send().await.unwrap();
            assert!(r.headers().get("set-cookie").is_none(), "{ctype:?}: the cookie is kept");
            let e = expect_error(r, status, None).await;
            assert!(e.message.contains("logout needs"), "{ctype:?}: {}", e.message);
            assert_eq!(me_status(t, &cookie).await, StatusCode::OK, "{ctype:?} ended the session");
        }
        let r = t.http.post(t.url("/api/logout")).header(header::COOKIE, &cookie).json(&json!({})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert_eq!(me_status(t, &cookie).await, StatusCode::UNAUTHORIZED);
    }

    /// Types and names that a spreadsheet would run as formulas come out as text (`'`
    /// first), still quoted where CSV needs it.
    async fn csv_export_cells_never_start_a_formula(t) {
        let hostile = [
            "=HYPERLINK(\"http://e.x\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3+cmd",
            "@SUM(1,2)",
            "\t=1+2",
            "\r=1+2",
        ];
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        for ty in hostile {
            bob.post_data(COUNTER_ITEM, json!({"type": ty, "data": {"text": "=1+1"}})).await;
            bob.post_action(COUNTER_ITEM, json!({"type": ty, "data": {}})).await;
        }
        let r = t.http.post(t.url("/api/admin/members")).bearer_auth(API_KEY)
            .json(&json!({"name": "=WEBSERVICE(\"http://evil.example\")"})).send().await.unwrap();
        let mallory = json_created(r).await["id"].as_str().unwrap().to_owned();
        let r = t.http.post(t.url("/api/admin/memberships")).bearer_auth(API_KEY)
            .json(&json!({"member": mallory, "item": COUNTER_ITEM, "permission": "read"})).send().await.unwrap();
        assert!(r.status().is_success(), "membership: {}", r.status());
        t.app_for(&mallory, COUNTER_ITEM).await
            .post_data(COUNTER_ITEM, json!({"type": "note", "data": {}})).await;
        for what in ["app-data", "app-actions"] {
            let r = t.http
                .get(t.url(&format!("/api/admin/items/{COUNTER_ITEM}/export?format=csv&what={what}")))
                .bearer_auth(READ_API_KEY).send().await.unwrap();
            let text = r.text().await.unwrap();
            let records = parse_csv(&text);
            let ty = records[0].iter().position(|h| h == "type").unwrap();
            let name = records[0].iter().position(|h| h == "accountName").unwrap();
            let types: Vec<&str> = records[1..].iter().map(|r| r[ty].as_str()).collect();
            for h in hostile {
                assert!(types.contains(&format!("'{h}").as_str()), "{what}: {h:?} not neutralised in {text:?}");
            }
            for record in &records[1..] {
                for cell in [&record[ty], &record[name]] {
                    assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{what}: formula cell {cell:?}");
                }
            }
            if what == "app-data" {
                assert!(records[1..].iter().any(|r| r[name] == "'=WEBSERVICE(\"http://evil.example\")"), "{text}");
            }
        }
    }

    /// A row may be addressed only to a member of the item. A non-member and an unknown id get
    /// the same answer, which names nobody; nothing is stored. A member is accepted.
    async fn app_data_is_addressed_only_to_members_of_the_item(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let mut bodies = Vec::new();
        for (who, field) in [(DAVE, "accountId"), (random_id().as_str(), "accountId"), (DAVE, "memberId")] {
            let r = carol
                .req(Method::POST, &format!("/app-items/{COUNTER_ITEM}/app-data"))
                .json(&json!({"type": "note", "data": {}, field: who}))
                .send()
                .await
                .unwrap();
            let e = expect_error(r, 400, Some("AFERR025")).await;
            assert_eq!(e.name, "ACCOUNT_NOT_A_MEMBER");
            assert!(!e.message.contains("Dave") && !e.message.contains(who), "{}", e.message);
            bodies.push((e.name, e.code, e.message));
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "answers differ: {bodies:?}");
        assert_eq!(counts(t, COUNTER_ITEM).await.0, 0);
        let row = carol.post_data(COUNTER_ITEM, json!({"type": "note", "data": {}, "accountId": BOB})).await;
        assert_eq!(row["account"]["id"], BOB);
        assert_eq!(row["account"]["name"], "Bob");
    }

    /// API answers may not be framed; Swagger UI runs only its own files; the host page is
    /// framed only by itself and `frame_ancestors`, frames only publisher origins, and runs
    /// only this origin's scripts and wasm.
    with(|c| { c.server.frame_ancestors = vec!["https://lms.example".into()]; })
    async fn every_answer_carries_a_content_security_policy_of_its_kind(t) {
        for path in ["/api/host-config", "/api/openapi.json", "/api/nowhere"] {
            let r = t.http.get(t.url(path)).send().await.unwrap();
            assert_eq!(csp(&r), "frame-ancestors 'none'", "{path}");
        }
        let r = t.http.get(t.url("/swagger/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let p = csp(&r);
        assert!(p.contains("script-src 'self';") && p.contains("frame-ancestors 'none'"), "{p}");
        let host = tempfile::tempdir().unwrap();
        std::fs::write(host.path().join("index.html"), "<!doctype html><title>host</title>").unwrap();
        let dir = host.path().to_path_buf();
        t.restart(move |c| c.server.host_dir = Some(dir)).await;
        for path in ["/", "/items/x", "/boot.js"] {
            let r = t.http.get(t.url(path)).send().await.unwrap();
            let p = csp(&r);
            assert!(p.contains("frame-ancestors 'self' https://lms.example"), "{path}: {p}");
            assert!(p.contains("frame-src http://127.0.0.1:8081 http://127.0.0.1:9999 http://localhost:8081;"), "{path}: {p}");
            assert!(p.contains("script-src 'self' 'wasm-unsafe-eval';"), "{path}: {p}");
            assert!(p.contains("object-src 'none'") && p.contains("base-uri 'none'"), "{path}: {p}");
        }
        // A file download keeps its own, stricter policy.
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        let row = super::upload_data_file(&bob, COUNTER_ITEM, b"<script>1</script>".to_vec(), "x.html").await;
        let r = bob.req(Method::GET, &format!("/app-items/app-data/{}/download", row["id"].as_str().unwrap())).send().await.unwrap();
        let url = r.text().await.unwrap();
        let r = t.http.get(url.trim()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(csp(&r).starts_with("sandbox"), "{}", csp(&r));
    }

    /// App bundles served by the binary may be framed by the host page and `frame_ancestors`.
    with(|c| { c.server.frame_ancestors = vec!["https://lms.example".into()]; })
    async fn app_bundles_are_framed_only_by_the_host_page_and_configured_hosts(t) {
        let apps = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(apps.path().join("counter")).unwrap();
        std::fs::write(apps.path().join("counter/index.html"), "<!doctype html>").unwrap();
        let base = serve(appframe_server::static_apps_router(apps.path(), &t.config).unwrap()).await;
        let r = t.http.get(format!("{base}/counter/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(csp(&r), format!("frame-ancestors {} https://lms.example", t.base));
    }

    /// Under an https public URL the session cookie is `__Host-appframe_session` (Secure,
    /// `Path=/`, no `Domain`), and only that name is read.
    with(|c| { c.server.public_url = "https://appframe.example".into(); })
    async fn under_https_the_session_cookie_is_host_prefixed_and_only_that_name_is_read(t) {
        let (cookie, set) = login_cookie(t, BOB).await;
        assert!(cookie.starts_with("__Host-appframe_session="), "{set}");
        assert!(set.contains("; Secure") && set.contains("Path=/;") && !set.to_ascii_lowercase().contains("domain="), "{set}");
        assert_eq!(me_status(t, &cookie).await, StatusCode::OK);
        let value = cookie.trim_start_matches("__Host-appframe_session=");
        assert_eq!(me_status(t, &format!("appframe_session={value}")).await, StatusCode::UNAUTHORIZED);
        let r = t.http.post(t.url("/api/admin/sessions")).bearer_auth(API_KEY).json(&json!({"memberId": CAROL})).send().await.unwrap();
        assert_eq!(json_ok(r).await["cookieName"], "__Host-appframe_session");
        let r = t.http.post(t.url("/api/logout")).header(header::COOKIE, &cookie).json(&json!({})).send().await.unwrap();
        assert!(header_str(&r, "set-cookie").starts_with("__Host-appframe_session=;"));
        assert_eq!(me_status(t, &cookie).await, StatusCode::UNAUTHORIZED);
    }

    /// Under http the cookie keeps its plain name and is not Secure (a browser would drop a
    /// Secure cookie set over http).
    async fn under_http_the_session_cookie_keeps_its_plain_name(t) {
        let (cookie, set) = login_cookie(t, BOB).await;
        assert!(cookie.starts_with("appframe_session="), "{set}");
        assert!(!set.contains("Secure"), "{set}");
        let value = cookie.trim_start_matches("appframe_session=");
        assert_eq!(me_status(t, &format!("__Host-appframe_session={value}")).await, StatusCode::UNAUTHORIZED);
    }
}
