//! Instruction-count probe for `valgrind --tool=callgrind`: the same server and bare route as
//! the `bench` example, but one connection sending a fixed number of requests one after the
//! other on a single-threaded runtime, so the instruction count of a run is repeatable on a
//! loaded machine (wall-clock benchmarks are not).
//!
//! ```text
//! cargo build --release -p appframe-server --example probe
//! valgrind --tool=callgrind --callgrind-out-file=get-1200.out target/release/examples/probe get 1200
//! valgrind --tool=callgrind --callgrind-out-file=get-200.out  target/release/examples/probe get 200
//! ```
//!
//! `(total(1200) - total(200)) / 1000` is the cost of one request, client included, without the
//! start-up and seeding. Scenarios: `ceiling` (the bare route), `get` (app-data list of 100
//! rows, as Bob, a non-admin), `post` (one app-data row), `page` (`?limit=100`, the first
//! page of 200 rows, cut from the list cache) and `page-sql` (the same page with the list
//! cache off, `data_cache_bytes = 0`: the keyset query).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod.rs"]
mod support;

use http_body_util::{BodyExt, Full};
use hyper::{Method, StatusCode, header};
use serde_json::{Value, json};
use support::{Sender, connect};

const BOB: &str = "bc5c25bd-3b16-4465-baba-7abf825cbd90";
const COUNTER_KEY: &str = "1d85bd0c-7c60-49cd-9775-9898fcb16668";
const APP_ORIGIN: &str = "http://127.0.0.1:8081";
const ITEM: &str = "b0000000-0000-4000-8000-000000000100";

/// Sends one request and returns its status and body.
async fn send(
    s: &mut Sender,
    method: Method,
    target: &str,
    headers: &[(header::HeaderName, header::HeaderValue)],
    body: Option<&Value>,
) -> (StatusCode, http_body_util::Collected<bytes::Bytes>) {
    let mut req = hyper::Request::builder().method(method).uri(target);
    for (k, v) in headers {
        req = req.header(k, v.clone());
    }
    let body = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            bytes::Bytes::from(serde_json::to_vec(b).expect("body"))
        }
        None => bytes::Bytes::new(),
    };
    let r = s
        .send_request(req.body(Full::new(body)).expect("request"))
        .await
        .expect("send");
    let status = r.status();
    // Collected, not joined: the bench reads bodies the same way.
    (status, r.into_body().collect().await.expect("body"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let scenario = args.next().unwrap_or_else(|| "get".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);

    let items = format!(
        "[[items]]\nid = \"{ITEM}\"\nname = \"probe\"\napp = \"counter\"\n\
         [[memberships]]\nmember = \"{BOB}\"\nitem = \"{ITEM}\"\npermission = \"write\"\n"
    );
    let server = if scenario == "page-sql" {
        support::start_server_with(&items, |c| c.server.data_cache_bytes = 0).await
    } else {
        support::start_server(&items).await
    };
    let addr = server.addr;
    let bare_addr = support::start_ceiling().await;

    let host = (
        header::HOST,
        header::HeaderValue::from_str(&addr.to_string()).expect("host"),
    );
    let mut s = connect(addr).await;
    // Log Bob in; the session cookie comes back in Set-Cookie.
    let req = hyper::Request::builder()
        .method(Method::POST)
        .uri("/api/login")
        .header(header::HOST, host.1.clone())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(bytes::Bytes::from(
            json!({"memberId": BOB}).to_string(),
        )))
        .expect("request");
    let r = s.send_request(req).await.expect("login");
    let cookie = r
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    r.into_body().collect().await.expect("login body");
    let (status, body) = send(
        &mut s,
        Method::POST,
        &format!("/api/app-items/{ITEM}/api-access-token"),
        &[
            host.clone(),
            (
                header::COOKIE,
                header::HeaderValue::from_str(&cookie).expect("cookie"),
            ),
        ],
        Some(&json!({"key": COUNTER_KEY, "origin": APP_ORIGIN})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "token");
    let v: Value = serde_json::from_slice(&body.to_bytes()).expect("token JSON");
    let token = v["token"].as_str().expect("token").to_owned();
    let app_headers = [
        host.clone(),
        (
            header::AUTHORIZATION,
            header::HeaderValue::from_str(&format!("Bearer {token}")).expect("auth"),
        ),
        (header::ORIGIN, header::HeaderValue::from_static(APP_ORIGIN)),
    ];
    let data_path = format!("/api/app-items/{ITEM}/app-data");
    let row = json!({"type": "seed", "visibility": "item", "data": {"text": "a sticky note of ordinary length", "x": 12, "y": 34}});
    let seed = match scenario.as_str() {
        "get" => 100,
        "page" | "page-sql" => 200,
        _ => 0,
    };
    for _ in 0..seed {
        let (status, _) = send(&mut s, Method::POST, &data_path, &app_headers, Some(&row)).await;
        assert_eq!(status, StatusCode::OK, "seed");
    }

    let (target, headers, body) = match scenario.as_str() {
        "ceiling" => {
            s = connect(bare_addr).await;
            ("/ceiling".to_owned(), vec![host.clone()], None)
        }
        "get" => (data_path.clone(), app_headers.to_vec(), None),
        "post" => (data_path.clone(), app_headers.to_vec(), Some(row.clone())),
        "page" | "page-sql" => (format!("{data_path}?limit=100"), app_headers.to_vec(), None),
        other => panic!("unknown scenario {other:?} (ceiling, get, post, page, page-sql)"),
    };
    let mut bytes = 0usize;
    for _ in 0..n {
        let method = if body.is_some() {
            Method::POST
        } else {
            Method::GET
        };
        let (status, b) = send(&mut s, method, &target, &headers, body.as_ref()).await;
        assert_eq!(status, StatusCode::OK, "{scenario}");
        bytes = bytes::Buf::remaining(&b.aggregate());
    }
    if scenario == "get" {
        let (_, b) = send(&mut s, Method::GET, &target, &headers, None).await;
        let rows: Vec<Value> = serde_json::from_slice(&b.to_bytes()).expect("list JSON");
        assert_eq!(rows.len(), 100, "the list holds 100 rows");
    }
    eprintln!("{scenario}: {n} requests, last body {bytes} bytes");
}
