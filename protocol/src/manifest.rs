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

/// Permissions granted as the token `allow-<name>` in the iframe's `sandbox`.
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

/// What a frame is granted for the permissions a host asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The known names asked for, each once, in the order of [`ALLOW_PERMISSIONS`] then
    /// [`SANDBOX_PERMISSIONS`] (told to the app as `appframe.granted`).
    pub names: Vec<&'static str>,
    /// The iframe's `allow` attribute.
    pub allow: String,
    /// The iframe's `sandbox` attribute: [`BASE_SANDBOX`] and the granted sandbox tokens.
    pub sandbox: String,
}

/// Grants the known names of `asked` (unknown names are left out, repeated ones count once).
/// One walk over the two tables, which gives each name once without a set; the host bridge
/// calls it once per frame, so its size matters more than its speed.
pub fn grant(asked: &[String]) -> Granted {
    let mut g = Granted {
        names: Vec::new(),
        allow: String::new(),
        sandbox: String::from(BASE_SANDBOX),
    };
    for (i, &name) in ALLOW_PERMISSIONS
        .iter()
        .chain(SANDBOX_PERMISSIONS)
        .enumerate()
    {
        if !asked.iter().any(|a| a == name) {
            continue;
        }
        g.names.push(name);
        if i < ALLOW_PERMISSIONS.len() {
            if !g.allow.is_empty() {
                g.allow.push_str("; ");
            }
            g.allow.push_str(name);
        } else {
            g.sandbox.push_str(" allow-");
            g.sandbox.push_str(name);
        }
    }
    g
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

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn permissions_become_allow_features_and_sandbox_tokens() {
        let g = grant(&strings(&[
            "clipboard-write",
            "popups",
            "fullscreen",
            "forms",
            "nonsense",
            "popups",
        ]));
        assert_eq!(g.allow, "fullscreen; clipboard-write");
        assert_eq!(
            g.sandbox,
            "allow-scripts allow-same-origin allow-forms allow-popups"
        );
        // Known names once each, in table order; "nonsense" is not granted.
        assert_eq!(
            g.names,
            ["fullscreen", "clipboard-write", "forms", "popups"]
        );
        let none = grant(&[]);
        assert_eq!(
            (none.allow.as_str(), none.sandbox.as_str()),
            ("", BASE_SANDBOX)
        );
        assert!(none.names.is_empty());
        // The defaults are what hosts granted before manifests, in the same order.
        let d = grant(&strings(DEFAULT_PERMISSIONS));
        assert_eq!(d.allow, "fullscreen; clipboard-write");
        assert_eq!(
            d.sandbox,
            "allow-scripts allow-same-origin allow-forms allow-popups allow-downloads"
        );
        assert_eq!(d.names, DEFAULT_PERMISSIONS);
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
