//! [`Capabilities`]: the capability self-check. The app says which browser permissions its code
//! uses; the host said in the context which ones it granted the frame (`appframe.granted`, from
//! the app's manifest). Each permission declared but not granted is warned about once in the
//! console, so a manifest that forgot one is found at the first run, not by a user whose
//! clipboard button silently does nothing.

use super::App;
use crate::wire::text::concat;
use std::cell::RefCell;

/// Declared vs granted browser permissions (from [`App::capabilities`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// What the app declared it uses.
    pub declared: Vec<String>,
    /// What the host granted the frame; `None` when the host does not say (a Graasp host, or
    /// standalone mode, where there is no frame).
    pub granted: Option<Vec<String>>,
    /// Declared but not granted (empty when the host does not say).
    pub missing: Vec<String>,
}

thread_local! {
    /// Permissions already warned about: once per page, not once per call.
    static WARNED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

impl App {
    /// Compares the permissions the app's code uses (`declared`, names of its manifest such
    /// as `"clipboard-write"`) with what the host granted, and warns once in the console for
    /// each one declared but not granted.
    pub fn capabilities(&self, declared: &[&str]) -> Capabilities {
        let granted = self.backend().context().appframe.and_then(|a| a.granted);
        let missing: Vec<String> = match &granted {
            Some(g) => declared
                .iter()
                .filter(|d| !g.iter().any(|x| x == *d))
                .map(|d| (*d).to_owned())
                .collect(),
            None => Vec::new(),
        };
        for m in &missing {
            let first = WARNED.with(|w| {
                let mut w = w.borrow_mut();
                let first = !w.contains(m);
                if first {
                    w.push(m.clone());
                }
                first
            });
            if first {
                web_sys::console::warn_1(
                    &concat(&[
                        "appframe: the app uses the permission \"",
                        m,
                        "\" but the host did not grant it; add it to the app's appframe.toml \
                         (permissions) or expect it to fail",
                    ])
                    .into(),
                );
            }
        }
        Capabilities {
            declared: declared.iter().map(|d| (*d).to_owned()).collect(),
            granted,
            missing,
        }
    }
}
