//! The demo's light and dark palettes: applied to the page itself and sent to v2 apps as the
//! theme of CONTEXT_CHANGED, so an app can match the host with the same custom properties.

use appframe_protocol::{Theme, ThemeMode};

/// The custom properties of each mode, by name. The page's stylesheet (`index.html`) builds
/// its colours on them; apps get the same names.
const LIGHT: [(&str, &str); 5] = [
    ("--af-bg", "#f6f7f9"),
    ("--af-fg", "#1d2430"),
    ("--af-accent", "#2557d6"),
    ("--af-card", "#ffffff"),
    ("--af-line", "#dde2ea"),
];
const DARK: [(&str, &str); 5] = [
    ("--af-bg", "#14181f"),
    ("--af-fg", "#e6e9ef"),
    ("--af-accent", "#7aa2ff"),
    ("--af-card", "#1d232d"),
    ("--af-line", "#343c4a"),
];

/// The theme of `mode` with its palette.
pub fn theme(mode: ThemeMode) -> Theme {
    let vars = match mode {
        ThemeMode::Light => LIGHT,
        ThemeMode::Dark => DARK,
    };
    Theme::with_vars(mode, &vars)
}

/// Applies `theme` to the page: its custom properties on the root element and `data-theme`
/// for what the palette does not cover (form controls' `color-scheme`).
pub fn apply_to_page(theme: &Theme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    // Setting an attribute or a custom property only fails on invalid names, and ours are fixed.
    let _ = root.set_attribute("data-theme", theme.mode.as_str());
    if let Some(root) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&root) {
        let style = root.style();
        for (name, value) in &theme.vars {
            let _ = style.set_property(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_set_the_same_properties() {
        let light = theme(ThemeMode::Light);
        let dark = theme(ThemeMode::Dark);
        assert_eq!(dark.mode, ThemeMode::Dark);
        assert!(light.vars.keys().eq(dark.vars.keys()));
        for name in ["--af-bg", "--af-fg", "--af-accent"] {
            assert_ne!(light.vars[name], dark.vars[name], "{name}");
        }
    }
}
