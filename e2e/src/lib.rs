//! appframe-e2e: drives real headless Chromium over WebDriver against the real server, the demo
//! host page and the example apps, plus hostile fixture pages on an origin registered nowhere.
//!
//! Needs the bundles in `dist/` (`cargo xtask build`), Debian's `chromium` and `chromedriver`.
//!
//! ```text
//! cargo xtask build
//! cargo test -p appframe-e2e                        # every suite
//! cargo test -p appframe-e2e --test npm             # the npm packages (`npm_fixture`)
//! cargo run --release -p appframe-e2e --bin browser-bench
//! ```
//!
//! A test reads as a sentence and gets a fresh server, fresh SQLite file, fresh ports and a fresh
//! browser profile:
//!
//! ```no_run
//! # async fn t() {
//! use appframe_e2e::{demo, run, host_page};
//! run("counter_counts", async |stack, browser| {
//!     browser.goto(&stack.item_page(demo::COUNTER.item, "player", demo::CAROL)).await?;
//!     host_page::wait_app_ready(browser).await?;
//!     Ok(())
//! })
//! .await;
//! # }
//! ```

pub mod bench;
pub mod browser;
pub mod demo;
mod error;
pub mod host_page;
pub mod journal;
pub mod npm_fixture;
pub mod stack;

pub use browser::Browser;
pub use error::{Error, Result};
pub use stack::Stack;

use std::path::PathBuf;

/// Where failed tests leave a screenshot, the HTML of each frame and the stack's request
/// journal (`requests.log`, see [`journal`]):
/// `$APPFRAME_E2E_ARTIFACTS`, else `$CARGO_TARGET_DIR/e2e-artifacts`, else `<repo>/target/e2e-artifacts`.
pub fn artifacts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("APPFRAME_E2E_ARTIFACTS") {
        return PathBuf::from(dir);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| stack::repo_root().join("target"))
        .join("e2e-artifacts")
}

/// Runs one end-to-end test: starts a fresh [`Stack`] and [`Browser`], runs `test`, and closes
/// everything. On failure it saves artifacts (see [`artifacts_dir`]) and panics with the error,
/// which is how a test fails.
pub async fn run(name: &str, test: impl AsyncFnOnce(&Stack, &Browser) -> Result<()>) {
    run_on(name, Stack::start(), test).await;
}

/// [`run`] on a stack started another way (e.g. [`Stack::start_from`] another config, or
/// [`Stack::start_serving`]).
pub async fn run_on(
    name: &str,
    start: impl Future<Output = Result<Stack>>,
    test: impl AsyncFnOnce(&Stack, &Browser) -> Result<()>,
) {
    let stack = match start.await {
        Ok(s) => s,
        Err(e) => fail(name, &e, None),
    };
    let browser = match Browser::start().await {
        Ok(b) => b,
        Err(e) => fail(name, &e, None),
    };
    let outcome = test(&stack, &browser).await;
    match outcome {
        Ok(()) => {
            // A session that does not close cleanly still ends: Drop kills the driver group.
            let _ = browser.close().await;
        }
        Err(e) => {
            let dir = artifacts_dir().join(name);
            let saved = browser.save_artifacts(&dir).await.is_ok()
                && std::fs::write(dir.join("requests.log"), stack.journal.text()).is_ok();
            let _ = browser.close().await;
            fail(name, &e, saved.then_some(dir));
        }
    }
    drop(stack);
}

/// Fails the calling test with the message only: the panic hook (and its backtrace, which would
/// point into this harness rather than at the failed check) is skipped.
fn fail(name: &str, e: &Error, artifacts: Option<PathBuf>) -> ! {
    let message = match artifacts {
        Some(dir) => format!(
            "{name}: {e}\n(screenshot and page HTML in {})",
            dir.display()
        ),
        None => format!("{name}: {e}"),
    };
    eprintln!("{message}");
    std::panic::resume_unwind(Box::new(message))
}
