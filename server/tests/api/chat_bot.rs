//! The chat-bot route `POST /app-items/:itemId/chat-bot` against real backends: the offline
//! `dev` backend, and a fixture HTTP server speaking the OpenAI chat-completions format.
//!
//! The fixture ([`Fixture`]) is a small axum server started by the test on `127.0.0.1:0`: no
//! model service is reachable from the machines these tests run on, so the upstream is this
//! stand-in, which answers like `POST /v1/chat/completions` and misbehaves on request (a model
//! named `slow` answers late, `broken` with a 500 and a body the app must never see, `garbage`
//! with a 200 that is not JSON).

use crate::api_tests;
use crate::common::*;
use appframe_server::config::ChatBotConfig;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// What the fixture's 500 carries: it must never reach the app.
const UPSTREAM_SECRET_BODY: &str = "upstream-internal-detail-do-not-leak";
/// The variable the server reads the key from: one that is always set, so the test need not
/// change the process environment (unsafe in edition 2024, and racy between test threads).
const KEY_ENV: &str = "PATH";

/// Every request the fixture was sent: its `Authorization` header and its body.
type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A chat-completions stand-in on loopback; records every request it is sent.
struct Fixture {
    base: String,
    seen: Seen,
    _task: tokio::task::JoinHandle<()>,
}

impl Fixture {
    async fn start() -> Fixture {
        use axum::{
            Json, Router, extract::State, http::HeaderMap, response::IntoResponse, routing::post,
        };
        async fn complete(
            State(seen): State<Seen>,
            headers: HeaderMap,
            Json(body): Json<Value>,
        ) -> axum::response::Response {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            seen.lock().unwrap().push((auth, body.clone()));
            let model = body["model"].as_str().unwrap_or_default().to_owned();
            match model.as_str() {
                "slow" => {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    Json(json!({"choices": []})).into_response()
                }
                "broken" => (StatusCode::INTERNAL_SERVER_ERROR, UPSTREAM_SECRET_BODY).into_response(),
                "garbage" => (StatusCode::OK, "<html>not json</html>").into_response(),
                "silent" => Json(json!({"model": model, "choices": [{"index": 0, "message": {"role": "assistant", "content": null}}]})).into_response(),
                _ => {
                    let messages = body["messages"].as_array().cloned().unwrap_or_default();
                    let last = messages.last().map(|m| m["content"].as_str().unwrap_or_default().to_owned()).unwrap_or_default();
                    let content = format!("{model} at {} read {} messages, the last {last:?}", body["temperature"], messages.len());
                    Json(json!({
                        "id": "chatcmpl-fixture", "object": "chat.completion", "model": format!("{model}-2025"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
                    })).into_response()
                }
            }
        }
        let seen: Seen = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(seen.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fixture {
            base,
            seen,
            _task: task,
        }
    }

    fn config(&self) -> ChatBotConfig {
        chat_bot_config(&format!(
            r#"backend = "openai"
base_url = "{}"
api_key_env = "{KEY_ENV}"
default_model = "small"
models = ["small", "large", "slow", "broken", "garbage", "silent"]
timeout_secs = 1"#,
            self.base
        ))
    }

    /// The last request's body.
    fn last(&self) -> Value {
        self.seen
            .lock()
            .unwrap()
            .last()
            .expect("the fixture was called")
            .1
            .clone()
    }
}

/// A `[chat_bot]` table as an operator writes it (so its defaults are the file's).
fn chat_bot_config(table: &str) -> ChatBotConfig {
    toml::from_str(table).unwrap()
}

fn dev() -> ChatBotConfig {
    chat_bot_config(
        r#"backend = "dev"
default_model = "dev-model"
models = ["dev-model", "dev-large"]"#,
    )
}

fn path(item: &str) -> String {
    format!("/app-items/{item}/chat-bot")
}

fn hello() -> Value {
    json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello bot"}])
}

/// POSTs `body` to the chat bot of `item` under `apiHost` with `query`.
async fn ask(app: &AppClient, item: &str, query: &str, body: &Value) -> reqwest::Response {
    app.req(Method::POST, &format!("{}{query}", path(item)))
        .json(body)
        .send()
        .await
        .unwrap()
}

api_tests! {
    /// No `[chat_bot]`: a valid request is a clear 503 AFERR034 at once, never a hang; the
    /// auth and item checks still come first.
    with(|c| { c.chat_bot = None; })
    async fn without_a_backend_the_chat_bot_answers_503_aferr034(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let r = ask(&carol, COUNTER_ITEM, "", &hello()).await;
        expect_error(r, 503, Some("AFERR034")).await;
        let r = t.http.post(t.url(&format!("/api{}", path(COUNTER_ITEM)))).json(&hello()).send().await.unwrap();
        expect_error(r, 401, Some("GERR027")).await;
    }

    /// Strict auth, the token's item must be the URL's (403 GERR1007, Graasp's code on this
    /// route), and a read membership is enough.
    with(|c| { c.chat_bot = Some(super::dev()); })
    async fn the_chat_bot_checks_the_token_and_its_item(t) {
        let r = t.http.post(t.url(&format!("/api{}", path(COUNTER_ITEM)))).json(&hello()).send().await.unwrap();
        expect_error(r, 401, Some("GERR027")).await;
        let r = t.http.post(t.url(&format!("/api{}", path(COUNTER_ITEM)))).bearer_auth("not-a-jwt").json(&hello()).send().await.unwrap();
        expect_error(r, 401, Some("GERR027")).await;
        let carol_notes = t.app_for(CAROL, NOTES_ITEM).await;
        expect_error(ask(&carol_notes, COUNTER_ITEM, "", &hello()).await, 403, Some("GERR1007")).await;
        // Carol reads the counter: enough.
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let a = json_ok(ask(&carol, COUNTER_ITEM, "", &hello()).await).await;
        assert_eq!(a, json!({"completion": "[dev chat bot] You said: hello bot", "model": "dev-model"}));
        // The token's Origin rule of every app route holds here too.
        let mut elsewhere = carol.clone();
        elsewhere.origin = EVIL_ORIGIN.into();
        expect_error(ask(&elsewhere, COUNTER_ITEM, "", &hello()).await, 401, Some("AFERR019")).await;
    }

    /// Each validation error is a 400 in the Graasp error body.
    with(|c| { c.chat_bot = Some(super::dev()); })
    async fn each_invalid_chat_bot_request_is_a_400_graasp_error(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let bodies = [
            json!([]),
            json!({"role": "user", "content": "not an array"}),
            json!([{"role": "robot", "content": "x"}]),
            json!([{"role": "user"}]),
            json!([{"content": "x"}]),
            json!([{"role": "user", "content": 7}]),
        ];
        for body in bodies {
            let e = expect_error(ask(&carol, COUNTER_ITEM, "", &body).await, 400, Some("FST_ERR_VALIDATION")).await;
            assert_eq!(e.name, "BAD_REQUEST", "{body}");
        }
        for q in ["?temperature=2.5", "?temperature=-0.1", "?temperature=warm", "?temperature=NaN"] {
            let e = expect_error(ask(&carol, COUNTER_ITEM, q, &hello()).await, 400, Some("FST_ERR_VALIDATION")).await;
            assert!(e.message.contains("temperature"), "{q}: {}", e.message);
        }
        let r = carol.req(Method::POST, &path(COUNTER_ITEM)).header(header::CONTENT_TYPE, "text/plain").body("[]").send().await.unwrap();
        expect_error(r, 415, None).await;
        // The bounds 0 and 2 are allowed.
        for q in ["?temperature=0", "?temperature=2"] {
            json_ok(ask(&carol, COUNTER_ITEM, q, &hello()).await).await;
        }
    }

    /// The official client resolves the chat-bot URL with `new URL('app-items/…', apiHost)`,
    /// which drops `/api`: the route answers there too, with the same CORS (exact app origin,
    /// credentials), preflight included; an unregistered origin gets no CORS header.
    with(|c| { c.chat_bot = Some(super::dev()); })
    async fn the_chat_bot_answers_at_the_url_the_graasp_client_resolves_with_the_same_cors(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for url in [t.url(&format!("/api{}", path(COUNTER_ITEM))), t.url(&path(COUNTER_ITEM))] {
            let r = t.http.request(Method::OPTIONS, &url)
                .header(header::ORIGIN, APP_ORIGIN)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization,content-type")
                .send().await.unwrap();
            assert!(r.status().is_success(), "preflight {url}: {}", r.status());
            assert_eq!(header_str(&r, "access-control-allow-origin"), APP_ORIGIN, "{url}");
            assert_eq!(header_str(&r, "access-control-allow-credentials"), "true", "{url}");
            assert!(header_str(&r, "access-control-allow-methods").contains("POST"), "{url}");
            let r = t.http.post(&url).bearer_auth(&carol.token).header(header::ORIGIN, APP_ORIGIN)
                .query(&[("gptVersion", "dev-large"), ("temperature", "0.5")]).json(&hello()).send().await.unwrap();
            assert_eq!(header_str(&r, "access-control-allow-origin"), APP_ORIGIN, "{url}");
            assert_eq!(header_str(&r, "access-control-allow-credentials"), "true", "{url}");
            let a = json_ok(r).await;
            assert_eq!(a["model"], "dev-large", "{url}");
            let r = t.http.request(Method::OPTIONS, &url)
                .header(header::ORIGIN, EVIL_ORIGIN)
                .header("access-control-request-method", "POST")
                .send().await.unwrap();
            assert_eq!(header_str(&r, "access-control-allow-origin"), "", "{url}");
            assert_eq!(header_str(&r, "access-control-allow-credentials"), "", "{url}");
        }
    }

    /// An OpenAI-compatible backend: the allow-list picks the model (anything else falls back
    /// to the default), the temperature (default 1) and the messages are forwarded as sent, the
    /// key from the environment goes as Bearer, and the answer is `{completion, model}`.
    async fn an_openai_compatible_backend_gets_the_allowed_model_the_temperature_and_the_key(t) {
        let fixture = Fixture::start().await;
        let config = fixture.config();
        t.restart(move |c| c.chat_bot = Some(config)).await;
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let a = json_ok(ask(&carol, COUNTER_ITEM, "?gptVersion=large&temperature=0.25", &hello()).await).await;
        assert_eq!(a, json!({"completion": "large at 0.25 read 2 messages, the last \"hello bot\"", "model": "large-2025"}));
        let sent = fixture.last();
        assert_eq!(sent["model"], "large");
        assert_eq!(sent["temperature"], 0.25);
        assert_eq!(sent["messages"], hello());
        let key = std::env::var(KEY_ENV).unwrap();
        assert_eq!(fixture.seen.lock().unwrap().last().unwrap().0, Some(format!("Bearer {key}")));
        for q in ["", "?gptVersion=gpt-9000", "?gptVersion="] {
            let a = json_ok(ask(&carol, COUNTER_ITEM, q, &hello()).await).await;
            assert_eq!(a["model"], "small-2025", "{q}");
            assert_eq!(fixture.last()["model"], "small", "{q}");
            assert_eq!(fixture.last()["temperature"], 1.0, "{q}");
        }
        // A completion the model left empty is `null`.
        let a = json_ok(ask(&carol, COUNTER_ITEM, "?gptVersion=silent", &hello()).await).await;
        assert_eq!(a, json!({"completion": null, "model": "silent"}));
    }

    /// Upstream failures: an error status or an unreadable answer is 502 AFERR035, a late
    /// answer 504 AFERR036 after `timeout_secs`, a closed port 502; the app never sees the
    /// upstream body or the key.
    async fn upstream_errors_become_502_or_504_without_leaking_the_body_or_the_key(t) {
        let fixture = Fixture::start().await;
        let config = fixture.config();
        t.restart(move |c| c.chat_bot = Some(config)).await;
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let key = std::env::var(KEY_ENV).unwrap();
        for (model, status, code) in [("broken", 502, "AFERR035"), ("garbage", 502, "AFERR035"), ("slow", 504, "AFERR036")] {
            let started = std::time::Instant::now();
            let r = ask(&carol, COUNTER_ITEM, &format!("?gptVersion={model}"), &hello()).await;
            let e = expect_error(r, status, Some(code)).await;
            assert!(started.elapsed() < std::time::Duration::from_secs(4), "{model}: the timeout holds");
            let text = serde_json::to_string(&e).unwrap();
            assert!(!text.contains(UPSTREAM_SECRET_BODY) && !text.contains(&key) && !text.contains("html"), "{model}: {text}");
        }
        // Nothing listens there any more.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/v1", l.local_addr().unwrap())
        };
        let mut config = fixture.config();
        config.base_url = Some(closed);
        t.restart(move |c| c.chat_bot = Some(config)).await;
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        expect_error(ask(&carol, COUNTER_ITEM, "", &hello()).await, 502, Some("AFERR035")).await;
    }

    /// Past the member's rate: 429 AFERR037 with `Retry-After`; another member is not
    /// affected. Past the item's rate (all members together): 429 too.
    with(|c| { c.chat_bot = Some(super::chat_bot_config("backend = \"dev\"\ndefault_model = \"m\"\nmember_per_minute = 2\nitem_per_minute = 3")); })
    async fn the_member_and_item_rates_refuse_with_429_and_retry_after(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        for _ in 0..2 {
            json_ok(ask(&carol, COUNTER_ITEM, "", &hello()).await).await;
        }
        let r = ask(&carol, COUNTER_ITEM, "", &hello()).await;
        let retry: u64 = header_str(&r, "retry-after").parse().unwrap();
        assert!((1..=30).contains(&retry), "Retry-After {retry}");
        expect_error(r, 429, Some("AFERR037")).await;
        json_ok(ask(&bob, COUNTER_ITEM, "", &hello()).await).await;
        // Three on the counter: Alice is refused there by the item's rate, not hers.
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let r = ask(&alice, COUNTER_ITEM, "", &hello()).await;
        assert!(!header_str(&r, "retry-after").is_empty());
        expect_error(r, 429, Some("AFERR037")).await;
        let alice_notes = t.app_for(ALICE, NOTES_ITEM).await;
        json_ok(ask(&alice_notes, NOTES_ITEM, "", &hello()).await).await;
    }

    /// Past the member's requests of the day: 429 AFERR038 with `Retry-After` up to the next
    /// midnight UTC.
    with(|c| { c.chat_bot = Some(super::chat_bot_config("backend = \"dev\"\ndefault_model = \"m\"\nmember_daily_requests = 2")); })
    async fn the_daily_quota_refuses_with_429_until_midnight(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        for _ in 0..2 {
            json_ok(ask(&carol, COUNTER_ITEM, "", &hello()).await).await;
        }
        let r = ask(&carol, COUNTER_ITEM, "", &hello()).await;
        let retry: i64 = header_str(&r, "retry-after").parse().unwrap();
        let to_midnight = 86_400 - now_secs().rem_euclid(86_400);
        assert!((retry - to_midnight).abs() <= 2, "Retry-After {retry}, midnight in {to_midnight}");
        expect_error(r, 429, Some("AFERR038")).await;
        // The quota is the member's, on every item.
        let carol_notes = t.app_for(CAROL, NOTES_ITEM).await;
        expect_error(ask(&carol_notes, NOTES_ITEM, "", &hello()).await, 429, Some("AFERR038")).await;
        let bob = t.app_for(BOB, COUNTER_ITEM).await;
        json_ok(ask(&bob, COUNTER_ITEM, "", &hello()).await).await;
    }

    /// The body is bounded by `[chat_bot] max_body_bytes` (413), below the server's limit.
    with(|c| { c.chat_bot = Some(super::chat_bot_config("backend = \"dev\"\ndefault_model = \"m\"\nmax_body_bytes = 1024")); })
    async fn the_chat_bot_body_is_bounded(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let big = json!([{"role": "user", "content": "x".repeat(2000)}]);
        expect_error(ask(&carol, COUNTER_ITEM, "", &big).await, 413, None).await;
        let small = json!([{"role": "user", "content": "x".repeat(500)}]);
        json_ok(ask(&carol, COUNTER_ITEM, "", &small).await).await;
    }

    /// Each answered request is an app action `chat-bot` of the member (model, message count,
    /// temperature, completion length; not the conversation), which the item's admin lists.
    with(|c| { c.chat_bot = Some(super::dev()); })
    async fn each_use_is_recorded_as_an_app_action(t) {
        let carol = t.app_for(CAROL, COUNTER_ITEM).await;
        let a = json_ok(ask(&carol, COUNTER_ITEM, "?gptVersion=dev-large&temperature=0.5", &hello()).await).await;
        let alice = t.app_for(ALICE, COUNTER_ITEM).await;
        let actions = alice.list(&format!("/app-items/{COUNTER_ITEM}/app-action")).await;
        let uses: Vec<&Value> = actions.iter().filter(|a| a["type"] == "chat-bot").collect();
        assert_eq!(uses.len(), 1, "{actions:?}");
        assert_eq!(uses[0]["account"]["id"], CAROL);
        let chars = a["completion"].as_str().unwrap().chars().count();
        assert_eq!(uses[0]["data"], json!({"model": "dev-large", "messages": 2, "temperature": 0.5, "completionChars": chars}));
        // A refused request is not a use.
        let _ = ask(&carol, COUNTER_ITEM, "?temperature=9", &hello()).await;
        let actions = alice.list(&format!("/app-items/{COUNTER_ITEM}/app-action")).await;
        assert_eq!(actions.iter().filter(|a| a["type"] == "chat-bot").count(), 1);
    }
}

/// A key variable that is named but not set stops the start with a message naming it, rather
/// than every call failing later.
#[tokio::test]
async fn an_unset_key_variable_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.server.data_dir = dir.path().to_path_buf();
    let var = "APPFRAME_TEST_CHAT_BOT_KEY_THAT_IS_NEVER_SET";
    assert!(std::env::var(var).is_err());
    config.chat_bot = Some(chat_bot_config(&format!(
        r#"backend = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "{var}"
default_model = "m""#
    )));
    let e = appframe_server::build_state(config).await.unwrap_err();
    assert!(e.to_string().contains(var), "{e}");
}

/// The bounds' defaults are the documented ones.
#[test]
fn the_chat_bot_bounds_have_their_documented_defaults() {
    let c = dev();
    assert_eq!(
        (
            c.member_per_minute,
            c.item_per_minute,
            c.member_daily_requests,
            c.max_body_bytes,
            c.timeout_secs
        ),
        (10, 60, 200, 65_536, 30)
    );
}
