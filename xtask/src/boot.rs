//! The SDK's boot script (`app-sdk/js/boot.js`) written into the app pages of dist: an empty
//! `<script data-appframe-boot data-key="…"></script>` in a page is filled with it, so the page
//! asks for its context before its glue and wasm load without a request of its own.

use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// The attribute that marks the element to fill.
const MARKER: &str = "data-appframe-boot";

/// The boot script as it ships: minified by esbuild when there is one, else as written.
pub fn script(ws: &Workspace, esbuild: Option<&Path>) -> Result<String> {
    let source = ws.root.join("app-sdk/js/boot.js");
    if let Some(esbuild) = esbuild {
        let out = ws
            .command(esbuild)
            .arg(&source)
            .arg("--minify")
            .output()
            .with_context(|| format!("running {}", esbuild.display()))?;
        if !out.status.success() {
            bail!(
                "esbuild could not minify {}: {}",
                source.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        return String::from_utf8(out.stdout).context("esbuild wrote non-UTF-8 text");
    }
    std::fs::read_to_string(&source).with_context(|| format!("reading {}", source.display()))
}

/// Fills the boot elements of every `.html` page directly in `dir`; returns how many it filled.
pub fn fill_pages(dir: &Path, script: &str) -> Result<usize> {
    let mut filled = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let page = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        if let Some(done) = fill(&page, script).with_context(|| format!("in {}", path.display()))? {
            std::fs::write(&path, done).with_context(|| format!("writing {}", path.display()))?;
            filled += 1;
        }
    }
    Ok(filled)
}

/// The page with its boot element filled, or `None` when it has none.
fn fill(page: &str, script: &str) -> Result<Option<String>> {
    let Some(at) = page.find(MARKER) else {
        return Ok(None);
    };
    let Some(open) = page[..at].rfind("<script") else {
        bail!("`{MARKER}` must be an attribute of a <script> element");
    };
    let Some(end_of_tag) = page[at..].find('>').map(|i| at + i + 1) else {
        bail!("the <script {MARKER}> tag is not closed");
    };
    if page[open..end_of_tag].contains(" src=") {
        bail!("a <script {MARKER}> is filled by the build: give it no `src`");
    }
    if !page[end_of_tag..].starts_with("</script>") {
        bail!("a <script {MARKER}> must be empty (`…></script>`): the build fills it");
    }
    if script.contains("</script") {
        bail!("the boot script contains `</script`, which would end the element");
    }
    let mut out = String::with_capacity(page.len() + script.len());
    out.push_str(&page[..end_of_tag]);
    out.push_str(script.trim_end());
    out.push_str(&page[end_of_tag..]);
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::fill;

    #[test]
    fn an_empty_boot_element_is_filled_and_the_rest_of_the_page_kept() {
        let page =
            "<head><script data-appframe-boot data-key=\"k\"></script><title>t</title></head>";
        let done = fill(page, "boot();\n").unwrap().unwrap();
        assert_eq!(
            done,
            "<head><script data-appframe-boot data-key=\"k\">boot();</script><title>t</title></head>"
        );
    }

    #[test]
    fn a_page_without_a_boot_element_is_left_alone() {
        assert_eq!(fill("<p>no boot</p>", "boot();").unwrap(), None);
    }

    #[test]
    fn a_boot_element_with_content_or_src_is_refused() {
        assert!(fill("<script data-appframe-boot>x</script>", "boot();").is_err());
        assert!(
            fill(
                "<script data-appframe-boot src=\"b.js\"></script>",
                "boot();"
            )
            .is_err()
        );
        assert!(fill("<div data-appframe-boot></div>", "boot();").is_err());
    }
}
