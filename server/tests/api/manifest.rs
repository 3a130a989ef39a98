//! App manifests (`apps_dir/<name>/appframe.toml`): validated strictly at start, served as the
//! bundle's Content-Security-Policy, and handed to the host page with the item.

use crate::api_tests;
use crate::common::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::path::Path;

async fn serve(router: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, router).await });
    base
}

fn bundle(apps: &Path, name: &str, manifest: Option<&str>) {
    std::fs::create_dir_all(apps.join(name)).unwrap();
    std::fs::write(apps.join(name).join("index.html"), "<!doctype html>").unwrap();
    std::fs::write(apps.join(name).join("app.js"), "export {}").unwrap();
    if let Some(m) = manifest {
        std::fs::write(apps.join(name).join("appframe.toml"), m).unwrap();
    }
}

const JS_NOTES_MANIFEST: &str = r#"
permissions = ["clipboard-write", "forms"]
[csp]
connect = ["https://api.example.org", "wss://live.example.org:8443"]
img = ["https://*.images.example"]
frame = ["https://video.example"]
"#;

api_tests! {
    /// A bundle with a manifest is served, page and assets alike, with its own policy: only
    /// its origin, the API and the declared domains; a bundle without keeps the plain one.
    async fn each_bundle_is_served_with_the_csp_of_its_manifest(t) {
        let apps = tempfile::tempdir().unwrap();
        bundle(apps.path(), "js-notes", Some(JS_NOTES_MANIFEST));
        bundle(apps.path(), "counter", None);
        let base = serve(appframe_server::static_apps_router(apps.path(), &t.config).unwrap()).await;
        let public = &t.base;
        let ws = public.replacen("http", "ws", 1);
        for path in ["/js-notes/", "/js-notes/app.js"] {
            let r = t.http.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(
                header_str(&r, "content-security-policy"),
                format!("frame-ancestors {public}; connect-src 'self' {public} {ws} https://api.example.org \
                         wss://live.example.org:8443; img-src 'self' data: blob: https://*.images.example; \
                         frame-src https://video.example"),
                "{path}"
            );
        }
        let r = t.http.get(format!("{base}/counter/")).send().await.unwrap();
        assert_eq!(header_str(&r, "content-security-policy"), format!("frame-ancestors {public}"));
        // A name that only starts like a bundle's is not that bundle.
        let r = t.http.get(format!("{base}/js-notes-evil/")).send().await.unwrap();
        assert_eq!(header_str(&r, "content-security-policy"), format!("frame-ancestors {public}"));
    }

    /// An unknown permission or key stops the start with a message naming the file and what
    /// is allowed; nothing is served.
    async fn an_invalid_manifest_refuses_the_start_naming_the_file_and_the_permission(t) {
        let apps = tempfile::tempdir().unwrap();
        bundle(apps.path(), "js-notes", Some("permissions = [\"clipboard-writ\"]\n"));
        let e = appframe_server::static_apps_router(apps.path(), &t.config).expect_err("refused");
        let msg = e.to_string();
        assert!(msg.contains("js-notes/appframe.toml"), "{msg}");
        assert!(msg.contains("unknown permission \"clipboard-writ\""), "{msg}");
        assert!(msg.contains("fullscreen, clipboard-write, clipboard-read"), "{msg}");
        let mut config = t.config.clone();
        config.server.apps_dir = Some(apps.path().to_owned());
        config.server.apps_addr = Some("127.0.0.1:8081".into());
        let e = appframe_server::build_state(config).await.expect_err("refused");
        assert!(e.to_string().contains("unknown permission"), "{e}");
        bundle(apps.path(), "js-notes", Some("[csp]\nscript = [\"https://x.example\"]\n"));
        let e = appframe_server::static_apps_router(apps.path(), &t.config).expect_err("refused");
        assert!(e.to_string().contains("script"), "{e}");
    }

    /// The host page gets the manifest of each item's app (found by the app URL on
    /// `apps_addr`), and none for an app without one.
    async fn the_host_page_gets_the_manifest_of_the_items_app(t) {
        let apps = tempfile::tempdir().unwrap();
        bundle(apps.path(), "js-notes", Some(JS_NOTES_MANIFEST));
        let dir = apps.path().to_owned();
        t.restart(move |c| {
            c.server.apps_dir = Some(dir);
            c.server.apps_addr = Some("127.0.0.1:8081".into());
        })
        .await;
        let alice = t.login(ALICE).await;
        let item: Value = json_ok(alice.get(t.url(&format!("/api/items/{JS_ITEM}"))).send().await.unwrap()).await;
        assert_eq!(item["app"]["manifest"]["permissions"], serde_json::json!(["clipboard-write", "forms"]));
        assert_eq!(item["app"]["manifest"]["csp"]["frame"], serde_json::json!(["https://video.example"]));
        let counter: Value = json_ok(alice.get(t.url(&format!("/api/items/{COUNTER_ITEM}"))).send().await.unwrap()).await;
        assert!(counter["app"].get("manifest").is_none(), "{counter}");
        let all: Value = json_ok(alice.get(t.url("/api/items")).send().await.unwrap()).await;
        let js = all.as_array().unwrap().iter().find(|i| i["id"] == JS_ITEM).unwrap();
        assert_eq!(js["app"]["manifest"], item["app"]["manifest"]);
    }
}
