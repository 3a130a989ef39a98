//! The development config `apps/dev.toml`: the apps `cargo xtask new-app` made, with their
//! items and memberships. `cargo xtask serve` and `build` read it in addition to
//! `server/demo.toml`: its apps become bundles under `dist/apps/<name>/`, and its tables are
//! appended to the demo config the server runs with.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::project::{Assets, Bundle};
use crate::workspace::Workspace;

/// The development config, relative to the workspace root.
pub const DEV_CONFIG: &str = "apps/dev.toml";

/// The demo config, relative to the workspace root.
pub const DEMO_CONFIG: &str = "server/demo.toml";

/// Where new apps live, relative to the workspace root.
pub const APPS_DIR: &str = "apps";

/// The tables `apps/dev.toml` may add to: lists of the registry, never `[server]` settings,
/// which stay in one place (`server/demo.toml`).
const APPENDABLE: &[&str] = &["publishers", "apps", "members", "items", "memberships"];

/// The names of the apps `apps/dev.toml` registers (none when the file does not exist).
pub fn app_names(root: &Path) -> Result<Vec<String>> {
    let Some(dev) = read_dev(root)? else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    if let Some(apps) = dev.get("apps").and_then(|a| a.as_array()) {
        for app in apps {
            let Some(name) = app.get("name").and_then(|n| n.as_str()) else {
                bail!("{DEV_CONFIG}: an [[apps]] entry has no `name`");
            };
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

fn read_dev(root: &Path) -> Result<Option<toml::Table>> {
    let path = root.join(DEV_CONFIG);
    if !path.is_file() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let table = text
        .parse::<toml::Table>()
        .with_context(|| format!("{DEV_CONFIG} is not valid TOML"))?;
    Ok(Some(table))
}

/// The demo config with the tables of `apps/dev.toml` appended, as TOML text; `None` when
/// there is no `apps/dev.toml` (the server then runs its built-in demo config).
pub fn merged_config(root: &Path) -> Result<Option<String>> {
    let Some(dev) = read_dev(root)? else {
        return Ok(None);
    };
    let demo_path = root.join(DEMO_CONFIG);
    let demo = std::fs::read_to_string(&demo_path)
        .with_context(|| format!("reading {}", demo_path.display()))?;
    let mut demo = demo
        .parse::<toml::Table>()
        .with_context(|| format!("{DEMO_CONFIG} is not valid TOML"))?;
    merge(&mut demo, dev)?;
    toml::to_string(&demo)
        .context("writing the merged development config")
        .map(Some)
}

/// Appends every list of `dev` to the same list of `base`.
fn merge(base: &mut toml::Table, dev: toml::Table) -> Result<()> {
    for (key, value) in dev {
        if !APPENDABLE.contains(&key.as_str()) {
            bail!(
                "{DEV_CONFIG} may only add {}; `{key}` belongs in {DEMO_CONFIG}",
                APPENDABLE
                    .iter()
                    .map(|k| format!("[[{k}]]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let toml::Value::Array(more) = value else {
            bail!("{DEV_CONFIG}: `{key}` must be a list of tables ([[{key}]])");
        };
        match base
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Array(Vec::new()))
        {
            toml::Value::Array(list) => list.extend(more),
            _ => bail!("{DEMO_CONFIG}: `{key}` is not a list"),
        }
    }
    Ok(())
}

/// One bundle per app of `apps/dev.toml`: a Rust crate (its folder has a Cargo.toml) is
/// compiled like the examples; a plain JS folder gets the SDK's JS build in `sdk/`, like
/// js-notes. Written to `dist/apps/<name>/`, which the server serves on the apps origin.
pub fn bundles(ws: &Workspace) -> Result<Vec<Bundle>> {
    let mut out = Vec::new();
    for name in app_names(&ws.root)? {
        let dir = ws.root.join(APPS_DIR).join(&name);
        if !dir.is_dir() {
            bail!(
                "{DEV_CONFIG} registers `{name}` but {} does not exist",
                dir.display()
            );
        }
        // The bundle table holds `&'static str`s (the built-in bundles are constants); these
        // few strings live for the rest of this one command, which is what leaking gives them.
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let folder = leak(format!("{APPS_DIR}/{name}"));
        let to = leak(format!("apps/{name}"));
        let bundle = if dir.join("Cargo.toml").is_file() {
            Bundle {
                name: leak(name.clone()),
                crate_dir: folder,
                features: &[],
                out_dir: to,
                assets: Assets::WebFiles { from: folder, to },
                in_build: true,
                required: true,
            }
        } else {
            Bundle {
                name: leak(name.clone()),
                crate_dir: "app-sdk",
                features: &["js"],
                out_dir: leak(format!("apps/{name}/sdk")),
                assets: Assets::Folder { from: folder, to },
                in_build: true,
                required: true,
            }
        };
        out.push(bundle);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn root_with(dev: Option<&str>) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("server")).unwrap();
        let demo =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../server/demo.toml"))
                .unwrap();
        std::fs::write(root.path().join(DEMO_CONFIG), demo).unwrap();
        if let Some(dev) = dev {
            std::fs::create_dir_all(root.path().join(APPS_DIR)).unwrap();
            std::fs::write(root.path().join(DEV_CONFIG), dev).unwrap();
        }
        root
    }

    #[test]
    fn without_a_dev_config_nothing_is_merged() {
        let root = root_with(None);
        assert_eq!(merged_config(root.path()).unwrap(), None);
        assert!(app_names(root.path()).unwrap().is_empty());
    }

    #[test]
    fn the_dev_lists_are_appended_to_the_demo_config() {
        let root = root_with(Some(
            "[[apps]]\nname = \"mine\"\nkey = \"k\"\nurl = \"http://127.0.0.1:8081/mine/\"\npublisher = \"local\"\n\
             [[items]]\nid = \"i\"\nname = \"Mine\"\napp = \"mine\"\n",
        ));
        let merged: toml::Table = merged_config(root.path())
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        let apps = merged["apps"].as_array().unwrap();
        assert_eq!(apps.len(), 4, "the three demo apps and the new one");
        assert_eq!(apps[3]["name"].as_str(), Some("mine"));
        assert_eq!(merged["items"].as_array().unwrap().len(), 4);
        assert_eq!(merged["server"]["addr"].as_str(), Some("127.0.0.1:8080"));
        assert_eq!(app_names(root.path()).unwrap(), ["mine"]);
    }

    #[test]
    fn server_settings_and_non_lists_are_refused() {
        let root = root_with(Some("[server]\naddr = \"0.0.0.0:80\"\n"));
        let err = merged_config(root.path()).unwrap_err().to_string();
        assert!(
            err.contains("`server` belongs in server/demo.toml"),
            "{err}"
        );
        let root = root_with(Some("apps = 3\n"));
        let err = merged_config(root.path()).unwrap_err().to_string();
        assert!(err.contains("must be a list"), "{err}");
    }
}
