//! Browser tests of the storage shim (`App::storage`): embedded against a fake `fetch` that
//! keeps keys the way the server's route does, and standalone against `localStorage`.

use super::*;

/// A fake `fetch` playing the server's storage route: a `Map` of keys, 404 `AFERR047` for a
/// missing key, 403 `AFERR045` for the key `over-quota`, and Graasp's plain 404 for any other
/// path (a server without the extension). Every request is logged in `window.fetchLog`.
fn storage_fetch() -> Fetch {
    let f = js_sys::Function::new_with_args(
        "url, init",
        r#"
(window.fetchLog = window.fetchLog || []).push({url, method: init.method,
  auth: init.headers.get('Authorization'), contentType: init.headers.get('Content-Type'), body: init.body});
const kv = window.fakeKv = window.fakeKv || new Map();
const json = (v, status) => Promise.resolve(new Response(JSON.stringify(v), {status,
  headers: {'content-type': 'application/json'}}));
const err = (status, name, code) => json({name, code, message: name, statusCode: status}, status);
const m = /\/appframe\/storage(?:\/([^/?]*))?$/.exec(new URL(url).pathname);
if (!m) return err(404, 'NOT_FOUND', 'FST_ERR_NOT_FOUND');
if (m[1] === undefined) return json({keys: [...kv.keys()].sort()}, 200);
const key = decodeURIComponent(m[1]);
if (init.method === 'GET') return kv.has(key)
  ? json({key, value: kv.get(key), updatedAt: '2026-01-01T00:00:00Z'}, 200)
  : err(404, 'STORAGE_KEY_NOT_FOUND', 'AFERR047');
if (init.method === 'PUT') {
  if (key === 'over-quota') return err(403, 'MEMBER_STORAGE_KEYS_EXCEEDED', 'AFERR045');
  const value = JSON.parse(init.body).value;
  kv.set(key, value);
  return json({key, value, updatedAt: '2026-01-01T00:00:00Z'}, 200);
}
if (init.method === 'DELETE') { kv.delete(key); return Promise.resolve(new Response(null, {status: 204})); }
return err(405, 'METHOD', 'X');
"#,
    );
    Fetch::from_function(f)
}

#[wasm_bindgen_test]
async fn embedded_storage_gets_sets_lists_and_removes_through_the_extension_route() {
    clear_fetch_log();
    js_sys::Reflect::set(&win(), &"fakeKv".into(), &JsValue::UNDEFINED).unwrap();
    let host = Host::new("ok").await;
    let app = App::connect_embedded(config(2000), host.env(), storage_fetch())
        .await
        .unwrap();
    let s = app.storage();
    assert_eq!(s.get("draft").await.unwrap(), None);
    let odd = "a/b c?é\"";
    let value = "{\"quote\":\"\\\"\",\"line\":\"\n\"}";
    s.set(odd, value).await.unwrap();
    s.set("draft", "").await.unwrap();
    assert_eq!(s.get(odd).await.unwrap().as_deref(), Some(value));
    assert_eq!(s.get("draft").await.unwrap().as_deref(), Some(""));
    assert_eq!(s.keys().await.unwrap(), [odd, "draft"]);
    s.remove(odd).await.unwrap();
    assert_eq!(s.keys().await.unwrap(), ["draft"]);

    let log = fetch_log();
    let put = log.iter().find(|r| r["method"] == "PUT").unwrap();
    assert_eq!(
        put["url"],
        format!("http://api.test/api/app-items/{ITEM}/appframe/storage/a%2Fb%20c%3F%C3%A9%22")
    );
    assert_eq!(put["contentType"], "application/json");
    assert!(put["auth"].as_str().unwrap().starts_with("Bearer tok-"));
    assert_eq!(
        serde_json::from_str::<Value>(put["body"].as_str().unwrap()).unwrap(),
        json!({ "value": value })
    );
    assert!(log.iter().any(|r| r["method"] == "DELETE"));
    assert!(
        log.iter()
            .any(|r| r["url"] == format!("http://api.test/api/app-items/{ITEM}/appframe/storage"))
    );

    // A quota refusal is the server's error, code and all.
    let e = s.set("over-quota", "v").await.unwrap_err();
    assert_eq!(
        e,
        Error::http(403, "AFERR045", "MEMBER_STORAGE_KEYS_EXCEEDED")
    );
    assert!(e.is_forbidden());
}

#[wasm_bindgen_test]
async fn a_server_without_the_storage_route_is_an_error_not_a_missing_key() {
    let host = Host::new("ok").await;
    // `fake_fetch` answers 200 `[]` to everything but settings: not a storage entry.
    let app = App::connect_embedded(config(2000), host.env(), fake_fetch("[]"))
        .await
        .unwrap();
    assert_eq!(app.storage().get("k").await.unwrap_err().code(), "Decode");
    assert_eq!(app.storage().keys().await.unwrap_err().code(), "Decode");
    // A 404 that is not AFERR047 (a Graasp server has no such route) is not "no value".
    let graasp = js_sys::Function::new_with_args(
        "url, init",
        "return Promise.resolve(new Response(JSON.stringify({name: 'NOT_FOUND', code: 'FST_ERR_NOT_FOUND', \
         message: 'Route not found', statusCode: 404}), {status: 404}));",
    );
    let app = App::connect_embedded(config(2000), host.env(), Fetch::from_function(graasp))
        .await
        .unwrap();
    let e = app.storage().get("k").await.unwrap_err();
    assert_eq!(e.status(), Some(404));
}

#[cfg(feature = "standalone")]
#[wasm_bindgen_test]
async fn standalone_storage_is_per_member_persisted_and_cleared_by_reset() {
    let key = unique_key();
    let app = App::standalone(standalone_config(&key)).unwrap();
    let s = app.storage();
    s.set("theme", "dark").await.unwrap();
    s.set("a", "1").await.unwrap();
    assert_eq!(s.keys().await.unwrap(), ["a", "theme"]);
    // A reload sees it.
    let again = App::standalone(standalone_config(&key)).unwrap();
    assert_eq!(
        again.storage().get("theme").await.unwrap().as_deref(),
        Some("dark")
    );
    // Another member has their own keys.
    again.switch_account(bob(), Permission::Read).unwrap();
    assert_eq!(again.storage().get("theme").await.unwrap(), None);
    again.storage().set("theme", "light").await.unwrap();
    // The server's key rules apply.
    assert_eq!(
        again.storage().set("", "x").await.unwrap_err().status(),
        Some(400)
    );
    again.reset().unwrap();
    assert!(again.storage().keys().await.unwrap().is_empty());
    assert_eq!(app.storage().get("theme").await.unwrap(), None);
    s.remove("a").await.unwrap();
}

// ---- capability self-check (in this file: both are app-side extensions of issue 14) ----

/// The console's `warn`, replaced by one that records its arguments in `window.warnings`.
fn record_warnings() {
    js_sys::eval(
        "window.warnings = []; console.warn = (...a) => window.warnings.push(a.join(' '));",
    )
    .unwrap();
}

fn warnings() -> Vec<String> {
    let v = js_sys::Reflect::get(&win(), &"warnings".into()).unwrap();
    js_sys::Array::from(&v)
        .iter()
        .map(|w| w.as_string().unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn capabilities_compare_declared_with_granted_and_warn_once_per_missing_permission() {
    let host = Host::new("ok").await;
    let app = connect(&host, config(2000)).await.unwrap();
    record_warnings();
    let c = app.capabilities(&["forms", "clipboard-write", "camera"]);
    assert_eq!(c.declared, ["forms", "clipboard-write", "camera"]);
    assert_eq!(
        c.granted.as_deref(),
        Some(&["fullscreen".to_owned(), "forms".to_owned()][..])
    );
    assert_eq!(c.missing, ["clipboard-write", "camera"]);
    let w = warnings();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("\"clipboard-write\"") && w[0].contains("appframe.toml"),
        "{w:?}"
    );
    assert!(w[1].contains("\"camera\""), "{w:?}");
    // Asked again: the same answer, no new warning for what was already told.
    assert_eq!(app.capabilities(&["camera"]).missing, ["camera"]);
    assert_eq!(warnings().len(), 2);
    // Everything granted: nothing missing.
    assert!(app.capabilities(&["fullscreen"]).missing.is_empty());

    // A Graasp host says nothing: nothing can be missing, nothing is warned.
    let graasp = Host::with_caps("ok", false).await;
    let app = connect(&graasp, config(2000)).await.unwrap();
    record_warnings();
    let c = app.capabilities(&["microphone"]);
    assert_eq!(c.granted, None);
    assert!(c.missing.is_empty());
    assert!(warnings().is_empty());
}
