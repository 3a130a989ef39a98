//! The app manifest (`appframe.toml` beside an app's `index.html`): the browser permissions the
//! app asks for and the domains its Content-Security-Policy lets it reach. The server validates
//! it strictly and serves the bundle with the matching CSP; the host grants permissions through
//! the iframe's `allow` and `sandbox` and tells the app what it granted
//! (`LocalContext.appframe.granted`).
//!
//! ```toml
//! permissions = ["clipboard-write", "fullscreen"]
//! [csp]
//! connect = ["https://api.example.org"]
//! img = ["https://images.example.org"]
//! frame = ["https://www.youtube-nocookie.com"]
//! ```

use crate::error::ProtocolError;
use serde::{Deserialize, Serialize};

/// Permissions granted as the permissions-policy feature of the same name in the iframe's
/// `allow`, in the order the host writes them.
pub const ALLOW_PERMISSIONS: &[&str] = &[
    "fullscreen",
    "clipboard-write",
    "clipboard-read",
    "camera",
    "microphone",
    "geolocation",
    "display-capture",
    "screen-wake-lock",
    "web-share",
    "autoplay",
];

/// Permissions granted as the token `allow-<name>` in the iframe's `sandbox` (the host bridge
/// looks only these up: no other name can become a sandbox token).
pub const SANDBOX_PERMISSIONS: &[&str] = &["forms", "popups", "downloads", "modals"];

/// What every app frame gets whatever it declares: its scripts and its own origin (for its
/// storage and CORS). Never `allow-top-navigation`.
pub const BASE_SANDBOX: &str = "allow-scripts allow-same-origin";

/// What a host grants an app that has no manifest (what appframe hosts granted before
/// manifests existed).
pub const DEFAULT_PERMISSIONS: &[&str] = &[
    "fullscreen",
    "clipboard-write",
    "forms",
    "popups",
    "downloads",
];

/// Whether a manifest may name `name` ([`ALLOW_PERMISSIONS`] or [`SANDBOX_PERMISSIONS`]).
pub fn is_permission(name: &str) -> bool {
    ALLOW_PERMISSIONS.contains(&name) || SANDBOX_PERMISSIONS.contains(&name)
}

/// Domains the app's Content-Security-Policy allows beyond its own origin and the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CspDomains {
    /// `connect-src` (fetch, WebSocket).
    #[serde(default)]
    pub connect: Vec<String>,
    /// `img-src`.
    #[serde(default)]
    pub img: Vec<String>,
    /// `frame-src` (frames the app itself embeds).
    #[serde(default)]
    pub frame: Vec<String>,
}

/// An app's manifest (`appframe.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppManifest {
    /// Browser permissions the app asks for, names of [`ALLOW_PERMISSIONS`] and
    /// [`SANDBOX_PERMISSIONS`].
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Domains of its Content-Security-Policy.
    #[serde(default)]
    pub csp: CspDomains,
}

impl AppManifest {
    /// Checks every permission name and CSP source; the error names the first bad one and
    /// what is allowed.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        if let Some(p) = self.permissions.iter().find(|p| !is_permission(p)) {
            let known: Vec<&str> = ALLOW_PERMISSIONS
                .iter()
                .chain(SANDBOX_PERMISSIONS)
                .copied()
                .collect();
            return Err(ProtocolError::Invalid {
                field: "permissions",
                reason: format!("unknown permission {p:?}; known: {}", known.join(", ")),
            });
        }
        for (field, list) in [
            ("csp.connect", &self.csp.connect),
            ("csp.img", &self.csp.img),
            ("csp.frame", &self.csp.frame),
        ] {
            if let Some(s) = list.iter().find(|s| !is_csp_source(s)) {
                return Err(ProtocolError::Invalid {
                    field,
                    reason: format!(
                        "{s:?} is not a source such as https://api.example.org, \
                         https://*.example.org or wss://live.example.org:8443 (scheme http, https, \
                         ws or wss; host; optional port; no path)"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// A CSP host source this manifest accepts: `scheme://host[:port]`, the host optionally
/// starting with `*.`; nothing that could end a directive or add a keyword.
pub fn is_csp_source(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    if !matches!(scheme, "http" | "https" | "ws" | "wss") {
        return false;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    let host = host.strip_prefix("*.").unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_two_tables_are_every_permission_and_the_defaults_are_among_them() {
        assert!(
            ALLOW_PERMISSIONS
                .iter()
                .all(|p| !SANDBOX_PERMISSIONS.contains(p))
        );
        assert!(DEFAULT_PERMISSIONS.iter().all(|p| is_permission(p)));
        assert!(is_permission("modals") && is_permission("autoplay"));
        assert!(!is_permission("allow-forms") && !is_permission("top-navigation"));
    }

    #[test]
    fn an_unknown_permission_is_refused_naming_it_and_the_known_ones() {
        let m = AppManifest {
            permissions: vec!["fullscreen".into(), "clipboard-writ".into()],
            ..Default::default()
        };
        let e = m.validate().unwrap_err().to_string();
        assert!(e.contains("\"clipboard-writ\""), "{e}");
        assert!(
            e.contains("fullscreen, clipboard-write, clipboard-read"),
            "{e}"
        );
    }

    #[test]
    fn csp_sources_are_scheme_host_and_port_only() {
        for ok in [
            "https://api.example.org",
            "https://*.example.org",
            "wss://live.example.org:8443",
            "http://127.0.0.1:9000",
        ] {
            assert!(is_csp_source(ok), "{ok}");
        }
        for bad in [
            "api.example.org",
            "https://a.example/path",
            "https://a.example; script-src *",
            "https://a b",
            "'unsafe-inline'",
            "*",
            "https://",
            "javascript://x",
            "https://a.example:",
            "https://*",
            "https://-a.example",
        ] {
            assert!(!is_csp_source(bad), "{bad}");
        }
        let m = AppManifest {
            csp: CspDomains {
                img: vec!["https://ok.example".into(), "data:".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(m.validate().unwrap_err().to_string().contains("csp.img"));
    }
}
