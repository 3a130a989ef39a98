//! `Content-Security-Policy` on everything the binary serves. The host page holds the session
//! cookie's user, so it may be framed only by itself and the configured host origins
//! (`[server] frame_ancestors`; clickjacking), runs only its own scripts and wasm, and frames
//! only registered publisher origins. API answers are data, never a page to frame. App bundles
//! served on `apps_addr` may be framed by the host page and the configured host origins.

use crate::{AppState, config::Config};
use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

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

/// Adds the app-bundle policy to every answer of `router`.
pub fn apps_layer(router: Router, config: &Config) -> Router {
    let policy = HeaderValue::from_str(&apps(config)).ok();
    router.layer(axum::middleware::map_response(move |mut res: Response| {
        let policy = policy.clone();
        async move {
            if let Some(p) = policy {
                res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, p);
            }
            res
        }
    }))
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
}
