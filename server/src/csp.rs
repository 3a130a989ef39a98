//! `Content-Security-Policy` on everything the binary serves. The host page holds the session
//! cookie's user, so it may be framed only by itself and the configured host origins
//! (`[server] frame_ancestors`; clickjacking), runs only its own scripts and wasm, and frames
//! only registered publisher origins. API answers are data, never a page to frame. App bundles
//! served on `apps_addr` may be framed by the host page and the configured host origins.

use crate::{AppState, config::Config, manifest::Manifests};
use appframe_protocol::manifest::AppManifest;
use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};
use std::{collections::HashMap, sync::Arc};

/// API answers (JSON, text, file redirects): never framed, nothing to run.
const API: &str = "frame-ancestors 'none'";

/// Swagger UI: its own scripts and styles (it sets inline styles) and `data:` images; it calls
/// the API on this origin.
const SWAGGER: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The host page's policy. Scripts: this origin only, plus `'wasm-unsafe-eval'` to compile the
/// leptos wasm (no inline script: the page loads `boot.js`). Styles may be inline: the page's
/// `<style>` and leptos `style=` attributes; CSS cannot run script. `frame-src` lists the
/// publisher origins as registered now.
pub fn host_page(config: &Config, publisher_origins: &[String]) -> String {
    let public = crate::config::origin_of(&config.server.public_url).unwrap_or_default();
    let ws = public.replacen("http", "ws", 1);
    // Publisher origins come from the integration API too; one that could end the directive
    // is left out.
    let frames: Vec<&str> = publisher_origins
        .iter()
        .map(String::as_str)
        .filter(|o| crate::config::is_csp_origin(o))
        .collect();
    let frames = if frames.is_empty() {
        "'none'".to_owned()
    } else {
        frames.join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src 'self' {public} {ws}; frame-src {frames}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'self'{}",
        ancestors(config)
    )
}

/// App bundles served by the binary: framed by the host page and the configured host origins.
pub fn apps(config: &Config) -> String {
    let public = crate::config::origin_of(&config.server.public_url).unwrap_or_default();
    format!("frame-ancestors {public}{}", ancestors(config))
}

/// The bundle of an app with a manifest: [`apps`], and it may reach only its own origin, the
/// API (`public_url`, also as `ws:`/`wss:`) and the manifest's `connect` domains; show images
/// from itself, `data:`, `blob:` and the `img` domains; frame only the `frame` domains. Scripts
/// and styles are not restricted here: the manifest does not declare them.
pub fn app_bundle(config: &Config, manifest: &AppManifest) -> String {
    let public = crate::config::origin_of(&config.server.public_url).unwrap_or_default();
    let ws = public.replacen("http", "ws", 1);
    // Validated at load (`manifest::parse`); checked again so nothing can end a directive.
    let list = |domains: &[String]| -> String {
        domains
            .iter()
            .filter(|d| appframe_protocol::manifest::is_csp_source(d))
            .map(|d| format!(" {d}"))
            .collect()
    };
    let frames = list(&manifest.csp.frame);
    let frames = if frames.is_empty() {
        " 'none'".to_owned()
    } else {
        frames
    };
    format!(
        "{}; connect-src 'self' {public} {ws}{}; img-src 'self' data: blob:{}; frame-src{frames}",
        apps(config),
        list(&manifest.csp.connect),
        list(&manifest.csp.img),
    )
}

/// ` origin origin ...` of `[server] frame_ancestors` (validated as origins at load).
fn ancestors(config: &Config) -> String {
    config
        .server
        .frame_ancestors
        .iter()
        .map(|o| format!(" {o}"))
        .collect()
}

/// Sets the policy of the path's kind, unless the route set its own (file downloads do).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let policy = if path == "/api" || path.starts_with("/api/") {
        Some(HeaderValue::from_static(API))
    } else if path == "/swagger" || path.starts_with("/swagger/") {
        Some(HeaderValue::from_static(SWAGGER))
    } else {
        None
    };
    let mut res = next.run(req).await;
    if !res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        let policy = policy.or_else(|| {
            HeaderValue::from_str(&host_page(state.config(), &state.publisher_origins())).ok()
        });
        if let Some(p) = policy {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, p);
        }
    }
    res
}

/// Adds the app-bundle policy to every answer of `router`: [`app_bundle`] under `/<name>/`
/// when bundle `<name>` has a manifest, else [`apps`].
pub fn apps_layer(router: Router, config: &Config, manifests: &Manifests) -> Router {
    let default = HeaderValue::from_str(&apps(config)).ok();
    let per_app: HashMap<String, HeaderValue> = manifests
        .iter()
        .filter_map(|(name, m)| {
            let v = HeaderValue::from_str(&app_bundle(config, m)).ok()?;
            Some((name.to_owned(), v))
        })
        .collect();
    let policies = Arc::new((default, per_app));
    router.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let policies = policies.clone();
            async move {
                let name = req
                    .uri()
                    .path()
                    .trim_start_matches('/')
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let mut res = next.run(req).await;
                let (default, per_app) = &*policies;
                if let Some(p) = per_app.get(&name).or(default.as_ref()) {
                    res.headers_mut()
                        .insert(header::CONTENT_SECURITY_POLICY, p.clone());
                }
                res
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn config(public: &str, ancestors: &[&str]) -> Config {
        let mut c = Config::from_toml_str(crate::config::DEMO_TOML).unwrap();
        c.server.public_url = public.into();
        c.server.frame_ancestors = ancestors.iter().map(|s| (*s).to_owned()).collect();
        c
    }

    #[test]
    fn the_host_page_frames_publishers_and_is_framed_by_itself_and_configured_hosts() {
        let c = config("https://host.example/", &["https://lms.example"]);
        let p = host_page(&c, &["https://apps.example".into(), "http://a:1".into()]);
        assert!(
            p.contains("frame-ancestors 'self' https://lms.example"),
            "{p}"
        );
        assert!(
            p.contains("frame-src https://apps.example http://a:1;"),
            "{p}"
        );
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval';"), "{p}");
        assert!(!p.contains(" 'unsafe-eval'"), "{p}");
        assert!(
            p.contains("connect-src 'self' https://host.example wss://host.example;"),
            "{p}"
        );
        assert!(!p.contains("script-src 'self' 'unsafe-inline'"), "{p}");
    }

    #[test]
    fn without_publishers_or_configured_hosts_nothing_is_framed_but_self() {
        let c = config("http://127.0.0.1:8080", &[]);
        let p = host_page(&c, &[]);
        assert!(p.contains("frame-src 'none';"), "{p}");
        assert!(p.ends_with("frame-ancestors 'self'"), "{p}");
        assert!(p.contains("ws://127.0.0.1:8080"), "{p}");
        assert_eq!(apps(&c), "frame-ancestors http://127.0.0.1:8080");
    }

    #[test]
    fn a_bundle_with_a_manifest_reaches_only_the_api_and_its_declared_domains() {
        let c = config("https://host.example", &["https://lms.example"]);
        let mut m = AppManifest::default();
        assert_eq!(
            app_bundle(&c, &m),
            "frame-ancestors https://host.example https://lms.example; connect-src 'self' \
             https://host.example wss://host.example; img-src 'self' data: blob:; frame-src 'none'"
        );
        m.csp.connect = vec![
            "https://api.example".into(),
            "https://x; script-src *".into(),
        ];
        m.csp.img = vec!["https://img.example".into()];
        m.csp.frame = vec!["https://video.example".into()];
        let p = app_bundle(&c, &m);
        assert!(
            p.contains(
                "connect-src 'self' https://host.example wss://host.example https://api.example;"
            ),
            "{p}"
        );
        assert!(
            p.contains("img-src 'self' data: blob: https://img.example;"),
            "{p}"
        );
        assert!(p.ends_with("frame-src https://video.example"), "{p}");
        assert!(!p.contains("script-src"), "{p}");
    }
}
