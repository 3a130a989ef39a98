//! Two server processes on one PostgreSQL database (fresh per test) and one S3 bucket, behind
//! HAProxy configured by the committed `deploy/haproxy.cfg`: what `docs/deploy.md` describes.

use super::{
    client::*,
    procs::{
        Balancer, HAPROXY_VAR, Instance, S3_SERVER_VAR, S3Server, free_port, instance_config,
        instance_of, tool,
    },
};
use crate::common::{ALICE, BOB, NOTES_ITEM, PgDatabase, json_ok, plain_client};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The whole deployment; dropped in field order (balancer, instances, then database and S3).
struct Cluster {
    lb: Balancer,
    a: Instance,
    b: Instance,
    s3: S3Server,
    _db: PgDatabase,
}

/// Starts everything, or `None` after saying which part is missing (only outside `cargo xtask
/// test`, which provides all three or skips the suite with the reason).
async fn cluster() -> Option<Cluster> {
    let (Some(moto), Some(haproxy), Ok(pg)) = (
        tool(S3_SERVER_VAR),
        tool(HAPROXY_VAR),
        std::env::var("APPFRAME_TEST_DATABASE_URL"),
    ) else {
        eprintln!(
            "skipped: needs {S3_SERVER_VAR}, {HAPROXY_VAR} and APPFRAME_TEST_DATABASE_URL \
             (cargo xtask test sets them)"
        );
        return None;
    };
    let s3 = S3Server::start(&moto, "appframe-shared").await;
    let (db, url) = PgDatabase::create(&pg).await;
    let lb_port = free_port();
    let public = format!("http://127.0.0.1:{lb_port}");
    let config = |port| {
        let mut c = instance_config(port, &public, Some("s3://appframe-shared/files"));
        c.server.database_url = Some(url.clone());
        c.server.max_file_bytes = 8 * 1024 * 1024;
        c
    };
    let env = s3.env();
    // Both start at once, as a deployment's instances do: migrations and the registry from
    // appframe.toml are applied by whichever comes first, and the other finds them done.
    let (a, b) = tokio::join!(
        Instance::start(config(free_port()), &env),
        Instance::start(config(free_port()), &env)
    );
    let lb = Balancer::start(&haproxy, lb_port, &[&a.addr, &b.addr]).await;
    Some(Cluster {
        lb,
        a,
        b,
        s3,
        _db: db,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_uploaded_through_one_instance_downloads_through_the_other() {
    let Some(c) = cluster().await else { return };
    let token = mint(&c.a.base, &login(&c.a.base, BOB).await, NOTES_ITEM).await;
    let bytes = pattern(3 * 1024 * 1024 + 17);
    let row = json_ok(upload(&c.a.base, &token, "shared.bin", bytes.clone()).await).await;
    let id = row["id"].as_str().unwrap();
    assert_eq!(
        c.s3.keys().await,
        vec![format!("files/apps/app-data/{NOTES_ITEM}/{id}")]
    );
    // The URL is asked of B, and points at the balancer (public_url), not at an instance.
    let url = download_url(&c.b.base, &token, id).await;
    assert!(
        url.starts_with(&format!("{}/api/files/", c.lb.base)),
        "{url}"
    );
    let path = url.strip_prefix(&c.lb.base).unwrap();
    for base in [&c.b.base, &c.a.base, &c.lb.base, &c.lb.base] {
        let (status, len, got) = fetch_digest(&format!("{base}{path}")).await;
        assert_eq!(status, StatusCode::OK, "through {base}");
        assert_eq!(len, bytes.len() as u64, "through {base}");
        assert_eq!(got, digest(&bytes), "through {base}");
    }
    // Deleted through B: gone from the bucket, and its URL is dead on A.
    let r = app_req(
        &c.b.base,
        &token,
        Method::DELETE,
        &format!("/app-items/{NOTES_ITEM}/app-data/{id}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(c.s3.keys().await.is_empty());
    let (status, _, _) = fetch_digest(&format!("{}{path}", c.a.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_on_one_instance_receives_writes_made_through_the_other() {
    let Some(c) = cluster().await else { return };
    let bob = login(&c.lb.base, BOB).await;
    let token = mint(&c.lb.base, &bob, NOTES_ITEM).await;
    let mut on_a = Ws::subscribe(&c.a.base, &token, NOTES_ITEM).await;
    let mut on_b = Ws::subscribe(&c.b.base, &token, NOTES_ITEM).await;
    let mut via_lb = Ws::subscribe(&c.lb.base, &token, NOTES_ITEM).await;
    assert!(
        via_lb.instance.is_some(),
        "the upgrade went through haproxy"
    );
    for (n, writer) in [&c.b.base, &c.a.base, &c.lb.base, &c.lb.base]
        .into_iter()
        .enumerate()
    {
        let r = app_req(
            writer,
            &token,
            Method::POST,
            &format!("/app-items/{NOTES_ITEM}/app-data"),
        )
        .json(&json!({"type": "note", "data": {"n": n}, "visibility": "item"}))
        .send()
        .await
        .unwrap();
        let written = json_ok(r).await;
        for ws in [&mut on_a, &mut on_b, &mut via_lb] {
            let v = ws.next().await;
            assert_eq!(v["type"], "update", "{v}");
            assert_eq!(
                v["body"]["appData"]["id"], written["id"],
                "write {n} via {writer}: {v}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_or_session_from_one_instance_works_on_the_other() {
    let Some(c) = cluster().await else { return };
    let session = login(&c.a.base, ALICE).await;
    let token = mint(&c.a.base, &session, NOTES_ITEM).await;
    let written = json_ok(
        app_req(
            &c.b.base,
            &token,
            Method::POST,
            &format!("/app-items/{NOTES_ITEM}/app-data"),
        )
        .json(&json!({"type": "note", "data": {"from": "b"}}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let r = app_req(
        &c.a.base,
        &token,
        Method::GET,
        &format!("/app-items/{NOTES_ITEM}/app-data"),
    )
    .send()
    .await
    .unwrap();
    let rows = json_ok(r).await;
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == written["id"])
    );
    // The session cookie minted by A is a session on B (cookies are per host, so sent by hand).
    let again = mint(
        &c.b.base,
        &login_cookie_on(&c.a.base, ALICE, &c.b.base).await,
        NOTES_ITEM,
    )
    .await;
    assert!(!again.is_empty());
    // A forged token is refused by both.
    for base in [&c.a.base, &c.b.base] {
        let r = app_req(
            base,
            "not.a.token",
            Method::GET,
            &format!("/app-items/{NOTES_ITEM}/app-data"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}

/// Logs in at `from` and returns a client that sends that session cookie to `to`.
async fn login_cookie_on(from: &str, member: &str, to: &str) -> reqwest::Client {
    let r = plain_client()
        .post(format!("{from}/api/login"))
        .json(&json!({ "memberId": member }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&cookie, &to.parse().unwrap());
    reqwest::Client::builder()
        .cookie_provider(jar)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_balancer_spreads_requests_and_drains_a_stopped_instance() {
    let Some(c) = cluster().await else { return };
    let token = mint(&c.lb.base, &login(&c.lb.base, BOB).await, NOTES_ITEM).await;
    let path = format!("/app-items/{NOTES_ITEM}/app-data");
    let mut seen = std::collections::BTreeMap::<String, u32>::new();
    for _ in 0..20 {
        let r = app_req(&c.lb.base, &token, Method::GET, &path)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        *seen.entry(instance_of(&r)).or_default() += 1;
    }
    assert_eq!(
        seen.len(),
        2,
        "round robin reaches both instances: {seen:?}"
    );
    assert!(seen.values().all(|n| *n >= 5), "{seen:?}");
    // SIGTERM on B: it finishes gracefully (exit 0) and the balancer sends everything to A.
    let Cluster {
        lb,
        a,
        b,
        s3: _s3,
        _db,
    } = c;
    let status = b.terminate().await;
    assert!(status.success(), "graceful shutdown exits 0: {status}");
    for i in 0..20 {
        let r = app_req(&lb.base, &token, Method::GET, &path)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "request {i} after B stopped");
        assert_eq!(instance_of(&r), "app1", "request {i}");
    }
    drop(a);
}
