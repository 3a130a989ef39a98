//! The apps `cargo xtask new-app` makes, one per template, embedded in the demo host: the
//! `new-app` suite of `cargo xtask test` makes and builds them in a scratch copy of the
//! repository, then runs this test with the demo config plus the copy's `apps/dev.toml`
//! (`APPFRAME_NEW_APP_CONFIG`), the apps' names (`APPFRAME_NEW_APPS`) and the copy's dist/
//! (`APPFRAME_DIST_DIR`). Without them it fails: there is nothing to test. `cargo xtask test
//! --only new-app` runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use appframe_e2e::{
    Browser, Error, Result, Stack,
    demo::ALICE,
    ensure,
    host_page::{open_item, wait_app_ready},
    run_on,
};
use appframe_server::config::Config;
use std::path::Path;

const CONFIG_VAR: &str = "APPFRAME_NEW_APP_CONFIG";
const APPS_VAR: &str = "APPFRAME_NEW_APPS";

/// The config to run and the names of the new apps, from the suite's env vars.
fn inputs() -> Result<(Config, Vec<String>)> {
    let missing = |var: &str| {
        Error::Check(format!(
            "{var} is not set: this test runs in `cargo xtask test --only new-app`, which makes \
             the apps it opens"
        ))
    };
    let path = std::env::var_os(CONFIG_VAR).ok_or_else(|| missing(CONFIG_VAR))?;
    let config = Config::load(Some(Path::new(&path))).map_err(appframe_server::Error::from)?;
    let names: Vec<String> = std::env::var(APPS_VAR)
        .map_err(|_| missing(APPS_VAR))?
        .split(',')
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    ensure!(!names.is_empty(), "{APPS_VAR} names no app");
    Ok((config, names))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_app_templates_run_embedded_in_the_host() {
    let (config, names) = inputs().unwrap_or_else(|e| panic!("{e}"));
    let start = Stack::start_from(config.clone(), |_| {});
    run_on("new_app_templates", start, async |stack, b| {
        for name in &names {
            check_app(stack, b, &config, name)
                .await
                .map_err(|e| Error::Check(format!("the new app `{name}`: {e}")))?;
        }
        Ok(())
    })
    .await;
}

/// Opens the app's item as Alice (admin) in the builder: its context shows, its token is ready
/// (`#status` reads `ready` only then), and a row it writes is listed, also after a reload.
/// Then opens it alone, in standalone mode, and writes a row there.
async fn check_app(stack: &Stack, b: &Browser, config: &Config, name: &str) -> Result<()> {
    let item = config
        .items
        .iter()
        .find(|i| i.app == name)
        .ok_or_else(|| Error::Check("no item shows it in the config".into()))?;
    ensure!(
        config.apps.iter().any(|a| a.name == name),
        "it is not registered as an app"
    );
    open_item(b, stack, item.id, "builder", ALICE).await?;
    let member = b.text("#member").await?;
    ensure!(member == "Alice", "#member reads {member:?}");
    let permission = b.text("#permission").await?;
    ensure!(permission == "admin", "#permission reads {permission:?}");
    let lang = b.text("#lang").await?;
    let expected = item.lang.as_deref().unwrap_or("en");
    ensure!(lang == expected, "#lang reads {lang:?}, not {expected:?}");
    ensure!(
        b.count("#rows li.row").await? == 0,
        "a fresh item lists rows"
    );

    b.click("#add").await?;
    b.wait_count("#rows li.row", 1).await?;
    let row = b.text("#rows li.row").await?;
    ensure!(row == "added by Alice", "the new row reads {row:?}");

    // Listed again after a reload: the row came back from the server, not from the page.
    open_item(b, stack, item.id, "builder", ALICE).await?;
    b.wait_count("#rows li.row", 1).await?;
    let row = b.text("#rows li.row").await?;
    ensure!(
        row == "added by Alice",
        "after a reload the row reads {row:?}"
    );
    b.top().await?;

    // Opened alone on its origin, the same page runs in standalone mode (the SDK's in-browser
    // mock backend) and writes there too. The apps share the origin's storage, so count up
    // from what is listed.
    b.goto(&format!("{}/{name}/", stack.apps)).await?;
    wait_app_ready(b).await?;
    let permission = b.text("#permission").await?;
    ensure!(!permission.is_empty(), "standalone, #permission is empty");
    let before = b.count("#rows li.row").await?;
    b.click("#add").await?;
    b.wait_count("#rows li.row", before + 1).await?;
    Ok(())
}
