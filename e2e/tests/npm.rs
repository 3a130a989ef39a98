//! The npm suite: `@appframe/sdk` and `@appframe/host-bridge` as a user installs them, from
//! their tarballs (`npm pack` of `dist/npm/`, offline install, esbuild bundle; see
//! `appframe_e2e::npm_fixture`), run in Chromium against the real server. Every test's name
//! starts with `npm_package`: the `npm` suite of `cargo xtask test` runs them, the `e2e` suite
//! leaves them out. Needs `cargo xtask build` (which writes `dist/npm/`) and `cargo xtask setup`
//! (esbuild).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appframe_e2e::{
    Browser, Result, Stack,
    demo::{ALICE, COUNTER},
    ensure,
    host_page::{bridge_log, open_app},
    npm_fixture::{NpmFixture, PACKAGES},
    run_on,
    stack::dist_dir,
};
use serde_json::Value;

/// The packaged app's report (`npm-fixture/app.js`, in the current frame), checked: embedded,
/// the context of `item` and `member`, a JWT, and the row it wrote read back.
async fn packaged_app_result(b: &Browser, item: &str, member: &str) -> Result<Value> {
    let r: Value = serde_json::from_str(&b.text("#result").await?)?;
    ensure!(r["standalone"] == false, "the app ran standalone: {r}");
    ensure!(r["itemId"] == item, "context item: {r}");
    ensure!(r["accountId"] == member, "context account: {r}");
    ensure!(r["tokenParts"] == 3, "the token is not a JWT: {r}");
    let created = r["created"].as_str().unwrap_or_default();
    ensure!(
        !created.is_empty()
            && r["listed"]
                .as_array()
                .is_some_and(|l| l.iter().any(|id| id == created)),
        "the row written with the token was not read back: {r}"
    );
    Ok(r)
}

fn prepare() -> NpmFixture {
    NpmFixture::prepare(&dist_dir()).unwrap_or_else(|e| panic!("preparing the npm fixture: {e}"))
}

#[test]
fn npm_package_tarballs_hold_the_module_types_wasm_and_readme_at_the_workspace_version() {
    let fixture = prepare();
    let version = env!("CARGO_PKG_VERSION");
    for ((name, _), (packed, stem)) in PACKAGES
        .iter()
        .zip(fixture.packed.iter().zip(["appframe_sdk", "appframe_host"]))
    {
        assert_eq!(
            (packed.name.as_str(), packed.version.as_str()),
            (*name, version)
        );
        let (snippets, mut files): (Vec<&str>, Vec<&str>) = packed
            .files
            .iter()
            .map(|f| f.path.as_str())
            .partition(|p| p.starts_with("snippets/"));
        files.sort_unstable();
        // wasm-bindgen's JS snippets ship beside the glue: the bridge has one (its browser work,
        // `host/js/browser.js`), the SDK none.
        if stem == "appframe_host" {
            assert!(
                snippets.len() == 1 && snippets[0].ends_with("/js/browser.js"),
                "{name}: {snippets:?}"
            );
        } else {
            assert!(snippets.is_empty(), "{name}: {snippets:?}");
        }
        let js = format!("{stem}.js");
        let dts = format!("{stem}.d.ts");
        let wasm = format!("{stem}_bg.wasm");
        let mut want = vec!["README.md", "package.json", &js, &dts, &wasm];
        want.sort_unstable();
        assert_eq!(files, want, "{name}");
        let installed = fixture.installed(name).unwrap();
        assert_eq!(installed["version"], version);
        assert_eq!(installed["type"], "module");
        assert_eq!(installed["exports"]["."]["types"], format!("./{dts}"));
        assert_eq!(installed["exports"]["."]["default"], format!("./{js}"));
        let glue = std::fs::read_to_string(fixture.dir().join("node_modules").join(name).join(&js))
            .unwrap();
        assert!(
            glue.contains(&format!("new URL(\"./{wasm}\",import.meta.url)")),
            "{name}: the glue does not load its wasm relative to itself"
        );
    }
}

#[test]
fn npm_package_readme_examples_type_check_against_the_packaged_types() {
    let fixture = prepare();
    let lines = fixture
        .type_check_readmes()
        .unwrap_or_else(|e| panic!("{e}"));
    // A short example, as the README promises: about ten lines each.
    for n in lines {
        assert!((5..=12).contains(&n), "an example of {n} lines");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_package_bundles_embed_an_app_that_gets_its_context_and_token_through_the_bridge() {
    let fixture = prepare();
    run_on(
        "npm_package_embedded",
        Stack::start_serving(fixture.dir()),
        async |stack, b| {
            let item = COUNTER.item.to_string();
            let app = stack.page_on_apps("app.html", &[("key", &COUNTER.key.to_string())]);
            let member = ALICE.to_string();
            b.goto(&stack.page_on_host(
                "host.html",
                &[("item", &item), ("app", &app), ("member", &member)],
            ))
            .await?;
            b.wait_text("#state", "attached").await?;
            b.enter_frame("#app").await?;
            let status = b
                .wait_text_where("#status", "ready (or an error)", |t| {
                    t == "ready" || t.starts_with("error")
                })
                .await?;
            ensure!(status == "ready", "the packaged app says {status:?}");
            let r = packaged_app_result(b, &item, &member).await?;
            ensure!(
                r["apiHost"] == format!("{}/api", stack.host).as_str(),
                "context apiHost: {r}"
            );
            b.top().await?;
            let log: Vec<String> = serde_json::from_value(
                b.js(
                    "return Array.from(document.querySelectorAll('#log li'))\
                     .map(li => li.className + ' ' + li.dataset.type);",
                    vec![],
                )
                .await?,
            )?;
            for line in ["in handled GET_CONTEXT", "out sent GET_AUTH_TOKEN_SUCCESS"] {
                ensure!(
                    log.iter().any(|l| l == line),
                    "the bridge logged no {line:?}: {log:?}"
                );
            }
            // The server minted the token for the bridge, and the bridge's wasm came from beside
            // its bundle (the glue's relative URL, through esbuild).
            let journal = stack.journal.text();
            for line in [
                format!("POST /api/app-items/{item}/api-access-token answered 200"),
                "GET /__e2e/pages/out/appframe_host_bg.wasm answered 200".to_owned(),
            ] {
                ensure!(journal.contains(&line), "no `{line}` in:\n{journal}");
            }
            Ok(())
        },
    )
    .await;
}

/// The app bundled from `@appframe/sdk` in the demo host page (the leptos host and its bridge),
/// as a platform would list an app an author built from the package: the counter's item is
/// pointed at the packaged app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_package_app_runs_embedded_in_the_demo_host() {
    let fixture = prepare();
    run_on(
        "npm_package_in_demo_host",
        Stack::start_serving(fixture.dir()),
        async |stack, b| {
            let app = stack.page_on_apps("app.html", &[("key", &COUNTER.key.to_string())]);
            stack.serve_app_from(COUNTER, app).await?;
            open_app(b, stack, COUNTER, "builder", ALICE).await?;
            packaged_app_result(b, &COUNTER.item.to_string(), &ALICE.to_string()).await?;
            b.top().await?;
            let log = bridge_log(b).await?;
            let has = |dir: &str, ty: &str, outcome: &str| {
                log.iter()
                    .any(|l| l.direction == dir && l.message_type == ty && l.outcome == outcome)
            };
            ensure!(has("in", "GET_CONTEXT", "handled"), "log: {log:?}");
            ensure!(has("out", "GET_AUTH_TOKEN_SUCCESS", "sent"), "log: {log:?}");
            Ok(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_package_modules_load_their_wasm_in_a_plain_module_script() {
    let fixture = prepare();
    run_on(
        "npm_package_plain",
        Stack::start_serving(fixture.dir()),
        async |stack, b| {
            b.goto(&stack.page_on_host("plain.html", &[])).await?;
            b.wait_text("#state", "loaded: function function").await?;
            let journal = stack.journal.text();
            for wasm in [
                "GET /__e2e/pages/node_modules/@appframe/sdk/appframe_sdk_bg.wasm answered 200",
                "GET /__e2e/pages/node_modules/@appframe/host-bridge/appframe_host_bg.wasm answered 200",
            ] {
                ensure!(journal.contains(wasm), "no `{wasm}` in:\n{journal}");
            }
            Ok(())
        },
    )
    .await;
}
