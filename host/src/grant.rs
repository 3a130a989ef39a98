//! What a frame is granted: its `allow` and `sandbox` attributes and the `appframe.granted` list
//! told to the app, from the permissions the host passes (`BridgeOptions::permissions`).
//!
//! The list is passed through as given, with no table of every permission: the host decides
//! what it grants (the server has already refused a manifest naming an unknown permission), and
//! the JS package is held to 40 KB gzip. Only the four sandbox permissions are looked up, so
//! that no other name can ever become a `sandbox` token.

use crate::text::push_str;
use appframe_protocol::manifest::{BASE_SANDBOX, SANDBOX_PERMISSIONS};

/// The iframe `sandbox` of the default permissions ([`crate::BridgeOptions::permissions`] not
/// called): scripts and same-origin (the app needs its own origin for storage and CORS), forms,
/// popups and downloads; no top navigation, no pointer lock, no modals.
pub const SANDBOX: &str =
    "allow-scripts allow-same-origin allow-forms allow-popups allow-downloads";
/// The iframe `allow` (permissions policy) of the default permissions: fullscreen and writing
/// to the clipboard.
pub const ALLOW: &str = "fullscreen; clipboard-write";
/// `appframe.granted` of the default permissions (`manifest::DEFAULT_PERMISSIONS`), as the
/// JSON array's items: a constant, so a host without permissions writes nothing at attach.
const DEFAULT_GRANTED: &str = r#""fullscreen","clipboard-write","forms","popups","downloads""#;

/// A frame's grant.
pub(crate) struct Grant {
    /// The `allow` attribute.
    pub(crate) allow: String,
    /// The `sandbox` attribute.
    pub(crate) sandbox: String,
    /// The items of the `appframe.granted` JSON array, written once here and copied into
    /// every context.
    pub(crate) granted: String,
}

/// The grant of `permissions` (`None`: the defaults). `forms`, `popups`, `downloads` and
/// `modals` become `allow-<name>` in `sandbox` after [`BASE_SANDBOX`]; every other name is an
/// `allow` feature as given (a browser ignores a feature it does not know).
pub(crate) fn grant(permissions: Option<&[String]>) -> Grant {
    let Some(names) = permissions else {
        return Grant {
            allow: ALLOW.into(),
            sandbox: SANDBOX.into(),
            granted: DEFAULT_GRANTED.into(),
        };
    };
    let mut g = Grant {
        allow: String::new(),
        sandbox: BASE_SANDBOX.into(),
        granted: String::new(),
    };
    for name in names {
        if !g.granted.is_empty() {
            g.granted.push(',');
        }
        push_str(&mut g.granted, name);
        if SANDBOX_PERMISSIONS.contains(&name.as_str()) {
            g.sandbox.push_str(" allow-");
            g.sandbox.push_str(name);
        } else {
            if !g.allow.is_empty() {
                g.allow.push_str("; ");
            }
            g.allow.push_str(name);
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use appframe_protocol::manifest::DEFAULT_PERMISSIONS;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn sandbox_permissions_become_sandbox_tokens_and_the_others_allow_features() {
        let g = grant(Some(&strings(&[
            "clipboard-read",
            "modals",
            "camera",
            "forms",
        ])));
        assert_eq!(g.allow, "clipboard-read; camera");
        assert_eq!(
            g.sandbox,
            "allow-scripts allow-same-origin allow-modals allow-forms"
        );
        assert_eq!(g.granted, r#""clipboard-read","modals","camera","forms""#);
        let none = grant(Some(&[]));
        assert_eq!(
            (
                none.allow.as_str(),
                none.sandbox.as_str(),
                none.granted.as_str()
            ),
            ("", BASE_SANDBOX, "")
        );
    }

    #[test]
    fn the_constant_defaults_are_the_grant_of_the_default_permissions() {
        let d = grant(None);
        let computed = grant(Some(&strings(DEFAULT_PERMISSIONS)));
        assert_eq!(
            (d.allow, d.sandbox, d.granted),
            (computed.allow, computed.sandbox, computed.granted)
        );
    }

    #[test]
    fn no_name_but_the_four_sandbox_permissions_reaches_sandbox() {
        let g = grant(Some(&strings(&[
            "top-navigation",
            "allow-top-navigation",
            "scripts",
            "same-origin",
            "x\"y",
        ])));
        assert_eq!(g.sandbox, BASE_SANDBOX);
        // Told to the app as given, escaped as JSON.
        assert_eq!(
            g.granted,
            r#""top-navigation","allow-top-navigation","scripts","same-origin","x\"y""#
        );
    }
}
