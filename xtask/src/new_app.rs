//! `cargo xtask new-app NAME [--template rust|leptos|js]`: a new app in `apps/NAME/` from a
//! template of `xtask/templates/`, registered for development in `apps/dev.toml` (the app with
//! a fresh key, an item, memberships for the demo members), so that `cargo xtask serve` builds
//! it, lists it in the demo host and serves it on the apps origin like the examples.
//!
//! Rust apps become workspace members (one line in the root `Cargo.toml`, one package in
//! `Cargo.lock`): they then build with the workspace's pinned wasm-bindgen (the CLI's version
//! is read from that one lock file), share the examples' compiled dependencies in the target
//! dir, and are linted and built by the same commands as every other crate.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use crate::cmd;
use crate::dev_apps::{self, APPS_DIR, DEMO_CONFIG, DEV_CONFIG};
use crate::workspace::Workspace;

/// The templates, each a folder of `xtask/templates/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// Rust without a UI framework (web-sys), like examples/counter.
    Rust,
    /// Rust with leptos, like examples/sticky-notes.
    Leptos,
    /// Plain JavaScript on the SDK's JS build, like examples/js-notes.
    Js,
}

impl Template {
    /// Its folder name under `xtask/templates/`.
    pub fn dir(self) -> &'static str {
        match self {
            Template::Rust => "rust",
            Template::Leptos => "leptos",
            Template::Js => "js",
        }
    }

    /// Whether the app is a Rust crate (a workspace member).
    pub fn is_rust(self) -> bool {
        !matches!(self, Template::Js)
    }
}

/// The longest name accepted (it is a folder, a URL path, a crate name and a TOML key).
const MAX_NAME: usize = 40;

/// Checks an app name: 1 to 40 of `a-z`, `0-9` and `-`, starting with a letter (it becomes
/// part of a crate name and a Rust identifier), no `-` at the end or twice in a row.
pub fn check_name(name: &str) -> Result<()> {
    let rule = "an app name is 1 to 40 lowercase letters, digits and single dashes, starting \
                with a letter and not ending with a dash (e.g. `quiz` or `class-poll-2`)";
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !valid {
        bail!("`{name}` is not a valid app name: {rule}");
    }
    Ok(())
}

/// What [`create`] made.
#[derive(Debug, Clone)]
pub struct Created {
    /// The app's name.
    pub name: String,
    /// The files written, relative to the root, in order.
    pub files: Vec<String>,
    /// The app key (uuid v4).
    pub key: uuid::Uuid,
    /// The item that shows it (uuid v4).
    pub item: uuid::Uuid,
    /// The host page of the item, as the first demo member (an admin), in the builder view.
    pub item_url: String,
    /// The app's page on the apps origin (standalone mode when opened alone).
    pub app_url: String,
}

/// The parts of `server/demo.toml` a new app is registered against.
#[derive(Debug)]
struct Demo {
    public_url: String,
    publisher: String,
    apps_origin: String,
    /// Every demo member with the permission it has on the demo's first item.
    members: Vec<(String, String)>,
    app_names: Vec<String>,
}

fn read_demo(root: &Path) -> Result<Demo> {
    let path = root.join(DEMO_CONFIG);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let demo: toml::Table = text
        .parse()
        .with_context(|| format!("{DEMO_CONFIG} is not valid TOML"))?;
    let list = |key: &str| {
        demo.get(key)
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default()
    };
    let text_of =
        |v: &toml::Value, key: &str| v.get(key).and_then(|s| s.as_str()).map(str::to_owned);
    let public_url = demo
        .get("server")
        .and_then(|s| text_of(s, "public_url"))
        .context("server/demo.toml has no server.public_url")?;
    let publishers = list("publishers");
    let publisher = publishers
        .first()
        .context("server/demo.toml declares no publisher")?;
    let apps_origin = publisher
        .get("origins")
        .and_then(|o| o.as_array())
        .and_then(|o| o.first())
        .and_then(|o| o.as_str())
        .context("the demo publisher has no origin")?
        .to_owned();
    let first_item = list("items")
        .first()
        .and_then(|i| text_of(i, "id"))
        .context("server/demo.toml declares no item")?;
    let members = list("memberships")
        .iter()
        .filter(|m| text_of(m, "item").as_deref() == Some(first_item.as_str()))
        .filter_map(|m| Some((text_of(m, "member")?, text_of(m, "permission")?)))
        .collect();
    Ok(Demo {
        public_url: public_url.trim_end_matches('/').to_owned(),
        publisher: text_of(publisher, "name").context("the demo publisher has no name")?,
        apps_origin: apps_origin.trim_end_matches('/').to_owned(),
        members,
        app_names: list("apps")
            .iter()
            .filter_map(|a| text_of(a, "name"))
            .collect(),
    })
}

/// "class-poll-2" → "Class poll 2".
pub fn title(name: &str) -> String {
    let spaced = name.replace('-', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The package name of a Rust app: prefixed, so that no app name can clash with another
/// package of the workspace or a dependency (an app called `leptos` or `xtask`).
pub fn crate_name(name: &str) -> String {
    format!("appframe-app-{name}")
}

/// The placeholders of the templates and their values.
fn placeholders(name: &str, key: uuid::Uuid, item: uuid::Uuid) -> Vec<(&'static str, String)> {
    let krate = crate_name(name);
    vec![
        ("{{name}}", name.to_owned()),
        ("{{title}}", title(name)),
        ("{{stem}}", krate.replace('-', "_")),
        ("{{crate}}", krate),
        ("{{key}}", key.to_string()),
        ("{{item}}", item.to_string()),
    ]
}

/// The template text with every placeholder replaced; an unknown `{{…}}` is an error, so a
/// typo in a template cannot ship as literal text.
pub fn fill(text: &str, values: &[(&str, String)]) -> Result<String> {
    let mut out = text.to_owned();
    for (placeholder, value) in values {
        out = out.replace(placeholder, value);
    }
    if let Some(at) = out.find("{{") {
        let end = out[at..].find("}}").map_or(out.len(), |e| at + e + 2);
        bail!("unknown placeholder `{}`", &out[at..end]);
    }
    Ok(out)
}

/// Makes the app under `ws.root` (the repository, or the new-app suite's scratch copy of it).
pub fn create(ws: &Workspace, name: &str, template: Template) -> Result<Created> {
    check_name(name)?;
    let root = &ws.root;
    let demo = read_demo(root)?;
    if demo.app_names.iter().any(|n| n == name) {
        bail!("`{name}` is an app of {DEMO_CONFIG} already; choose another name");
    }
    if dev_apps::app_names(root)?.iter().any(|n| n == name) {
        bail!("`{name}` is registered in {DEV_CONFIG} already; choose another name");
    }
    let dir = root.join(APPS_DIR).join(name);
    if dir.exists() {
        bail!(
            "{} exists already; new-app never writes into an existing folder",
            dir.display()
        );
    }
    let source = root.join("xtask/templates").join(template.dir());
    if !source.is_dir() {
        bail!("the template folder {} is missing", source.display());
    }
    let key = uuid::Uuid::new_v4();
    let item = uuid::Uuid::new_v4();
    let values = placeholders(name, key, item);

    let mut files = Vec::new();
    for (rel, text) in read_template(&source)? {
        let rel = rel.strip_suffix(".tmpl").unwrap_or(&rel).to_owned();
        let filled = fill(&text, &values)
            .with_context(|| format!("in template file {}/{rel}", template.dir()))?;
        let to = dir.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&to, filled).with_context(|| format!("writing {}", to.display()))?;
        files.push(format!("{APPS_DIR}/{name}/{rel}"));
    }

    let app_url = format!("{}/{name}/", demo.apps_origin);
    append_dev_config(root, &dev_entry(name, template, key, item, &app_url, &demo))?;
    files.push(DEV_CONFIG.to_owned());
    if template.is_rust() {
        add_member(root, &format!("{APPS_DIR}/{name}"))?;
        files.push("Cargo.toml".to_owned());
        // Adds the new package to Cargo.lock and changes nothing else: `--workspace` locks
        // only the members, and every dependency of the template is a workspace dependency,
        // locked already, so no network is needed.
        cmd::run(ws.cargo().args(["update", "--workspace", "--offline"]))
            .context("adding the new crate to Cargo.lock")?;
        files.push("Cargo.lock".to_owned());
    }
    let admin = demo
        .members
        .iter()
        .find(|(_, p)| p == "admin")
        .map(|(m, _)| format!("&as={m}"))
        .unwrap_or_default();
    Ok(Created {
        name: name.to_owned(),
        files,
        key,
        item,
        item_url: format!("{}/items/{item}?view=builder{admin}", demo.public_url),
        app_url,
    })
}

/// Every file of a template folder as (path relative to it, text), sorted.
fn read_template(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .context("a template file outside its folder")?
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            out.push((rel, text));
        }
    }
    out.sort();
    Ok(out)
}

/// The `apps/dev.toml` entries of one app: the app, its item, and the demo members with the
/// permissions they have on the demo's first item (so the same people can try it).
fn dev_entry(
    name: &str,
    template: Template,
    key: uuid::Uuid,
    item: uuid::Uuid,
    url: &str,
    demo: &Demo,
) -> String {
    let title = title(name);
    let mut s = format!(
        "\n# {name}: made by `cargo xtask new-app {name} --template {}`.\n\
         [[apps]]\nname = \"{name}\"\nkey = \"{key}\"\nurl = \"{url}\"\npublisher = \"{}\"\n\
         description = \"{title} (new app, {} template).\"\n\n\
         [[items]]\nid = \"{item}\"\nname = \"{title}\"\napp = \"{name}\"\n",
        template.dir(),
        demo.publisher,
        template.dir(),
    );
    for (member, permission) in &demo.members {
        // Writing to a String cannot fail.
        let _ = write!(
            s,
            "\n[[memberships]]\nmember = \"{member}\"\nitem = \"{item}\"\npermission = \"{permission}\"\n"
        );
    }
    s
}

fn append_dev_config(root: &Path, entry: &str) -> Result<()> {
    let path = root.join(DEV_CONFIG);
    let mut text = if path.is_file() {
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
    } else {
        "# Apps under development, made by `cargo xtask new-app`. `cargo xtask serve` appends these\n\
         # lists to server/demo.toml (only [[publishers]], [[apps]], [[members]], [[items]] and\n\
         # [[memberships]]; the server settings stay there) and builds each app into dist/apps/.\n"
            .to_owned()
    };
    text.push_str(entry);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// Adds `member` to the root Cargo.toml's `[workspace] members` list.
fn add_member(root: &Path, member: &str) -> Result<()> {
    let path = root.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let updated = with_member(&text, member)?;
    std::fs::write(&path, updated).with_context(|| format!("writing {}", path.display()))
}

/// The manifest text with `member` appended to its `members = [...]` list.
pub fn with_member(manifest: &str, member: &str) -> Result<String> {
    let Some(start) = manifest.find("members = [") else {
        bail!("the root Cargo.toml has no `members = [` list to add the app to");
    };
    let Some(close) = manifest[start..].find(']').map(|i| start + i) else {
        bail!("the root Cargo.toml's `members` list is not closed");
    };
    let before = manifest[..close].trim_end();
    let comma = if before.ends_with(',') || before.ends_with('[') {
        ""
    } else {
        ","
    };
    Ok(format!(
        "{before}{comma}\n    \"{member}\",\n{}",
        &manifest[close..]
    ))
}

/// `cargo xtask new-app`: makes the app, then says what it made and where to look.
pub fn run(ws: &Workspace, name: &str, template: Template) -> Result<()> {
    let created = create(ws, name, template)?;
    println!(
        "new-app: made `{}` from the {} template:",
        created.name,
        template.dir()
    );
    for f in &created.files {
        println!("  {f}");
    }
    println!(
        "  app key {}, item {}\n\nNext: `cargo xtask serve`, then open\n  in the host:  {}\n  standalone:   {}",
        created.key, created.item, created.item_url, created.app_url
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn names_are_lowercase_letters_digits_and_single_dashes() {
        for ok in ["quiz", "class-poll-2", "a", &"a".repeat(40)] {
            check_name(ok).unwrap();
        }
        for bad in [
            "",
            "Quiz",
            "2quiz",
            "-quiz",
            "quiz-",
            "class--poll",
            "my_app",
            "my app",
            "../x",
            "quiz/x",
            "é",
            &"a".repeat(41),
        ] {
            let err = check_name(bad).unwrap_err().to_string();
            assert!(err.contains("is not a valid app name"), "{bad}: {err}");
        }
    }

    #[test]
    fn titles_read_as_words() {
        assert_eq!(title("class-poll-2"), "Class poll 2");
        assert_eq!(title("quiz"), "Quiz");
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_refused() {
        let key = uuid::Uuid::nil();
        let values = placeholders("my-app", key, key);
        let text = fill("{{crate}} {{stem}} {{title}} {{name}} {{key}}", &values).unwrap();
        assert_eq!(
            text,
            "appframe-app-my-app appframe_app_my_app My app my-app 00000000-0000-0000-0000-000000000000"
        );
        let err = fill("x {{nmae}} y", &values).unwrap_err().to_string();
        assert!(err.contains("`{{nmae}}`"), "{err}");
    }

    #[test]
    fn every_template_fills_without_leftovers() {
        let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let values = placeholders("t", uuid::Uuid::nil(), uuid::Uuid::nil());
        for t in [Template::Rust, Template::Leptos, Template::Js] {
            let files = read_template(&Path::new(templates).join(t.dir())).unwrap();
            assert!(files.iter().any(|(f, _)| f == "index.html"), "{t:?}");
            assert_eq!(
                files.iter().any(|(f, _)| f == "Cargo.toml.tmpl"),
                t.is_rust(),
                "{t:?}"
            );
            for (f, text) in files {
                let filled = fill(&text, &values).unwrap();
                if f == "index.html" {
                    assert!(
                        filled.contains(
                            "data-appframe-boot data-key=\"00000000-0000-0000-0000-000000000000\""
                        ),
                        "{t:?}: the page carries the boot element with the app's key"
                    );
                }
            }
        }
    }

    #[test]
    fn a_member_is_appended_to_the_members_list() {
        let manifest =
            "[workspace]\nmembers = [\n    \"xtask\",\n    \"e2e\",\n]\n\n[x]\ny = [1]\n";
        let out = with_member(manifest, "apps/quiz").unwrap();
        assert_eq!(
            out,
            "[workspace]\nmembers = [\n    \"xtask\",\n    \"e2e\",\n    \"apps/quiz\",\n]\n\n[x]\ny = [1]\n"
        );
        let bare = with_member("members = [\"a\"]\n", "b").unwrap();
        let parsed: toml::Table = bare.parse().unwrap();
        assert_eq!(parsed["members"].as_array().unwrap().len(), 2);
        assert!(with_member("[package]\n", "b").is_err());
    }

    /// A root holding what `create` reads: the demo config and the JS template (which needs
    /// no cargo run).
    fn scratch_root() -> (tempfile::TempDir, Workspace) {
        let repo = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("server")).unwrap();
        std::fs::copy(repo.join(DEMO_CONFIG), root.path().join(DEMO_CONFIG)).unwrap();
        let js = root.path().join("xtask/templates/js");
        std::fs::create_dir_all(&js).unwrap();
        for (rel, text) in read_template(&repo.join("xtask/templates/js")).unwrap() {
            std::fs::write(js.join(rel), text).unwrap();
        }
        let ws = Workspace::locate().unwrap().at(root.path().to_path_buf());
        (root, ws)
    }

    #[test]
    fn a_js_app_is_made_registered_and_never_made_twice() {
        let (root, ws) = scratch_root();
        let made = create(&ws, "quiz", Template::Js).unwrap();
        assert_eq!(
            made.files,
            [
                "apps/quiz/app.js",
                "apps/quiz/index.html",
                "apps/quiz/style.css",
                "apps/dev.toml"
            ]
        );
        let page = std::fs::read_to_string(root.path().join("apps/quiz/index.html")).unwrap();
        assert!(page.contains(&format!("data-key=\"{}\"", made.key)));
        assert!(page.contains("<title>Quiz</title>"));
        let script = std::fs::read_to_string(root.path().join("apps/quiz/app.js")).unwrap();
        assert!(script.contains(&format!("const APP_KEY = '{}';", made.key)));
        assert_eq!(made.key.get_version_num(), 4);
        assert_eq!(made.app_url, "http://127.0.0.1:8081/quiz/");
        assert_eq!(
            made.item_url,
            format!(
                "http://127.0.0.1:8080/items/{}?view=builder&as=dca3c530-eff8-4c46-8172-bd614654a02d",
                made.item
            )
        );
        assert_eq!(dev_apps::app_names(root.path()).unwrap(), ["quiz"]);

        let other = create(&ws, "poll", Template::Js).unwrap();
        assert_ne!(other.key, made.key, "every app gets its own key");
        assert_eq!(dev_apps::app_names(root.path()).unwrap(), ["quiz", "poll"]);
        let merged: toml::Table = dev_apps::merged_config(root.path())
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(merged["items"].as_array().unwrap().len(), 5);

        let again = create(&ws, "quiz", Template::Js).unwrap_err().to_string();
        assert!(
            again.contains("registered in apps/dev.toml already"),
            "{again}"
        );
        let demo = create(&ws, "counter", Template::Js)
            .unwrap_err()
            .to_string();
        assert!(demo.contains("an app of server/demo.toml"), "{demo}");
        std::fs::create_dir_all(root.path().join("apps/taken")).unwrap();
        let taken = create(&ws, "taken", Template::Js).unwrap_err().to_string();
        assert!(taken.contains("exists already"), "{taken}");
        let bad = create(&ws, "Bad", Template::Js).unwrap_err().to_string();
        assert!(bad.contains("not a valid app name"), "{bad}");
        assert!(!root.path().join("apps/Bad").exists());
    }

    #[test]
    fn the_dev_entry_registers_app_item_and_the_demo_members() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let demo = read_demo(root).unwrap();
        assert_eq!(demo.members.len(), 3);
        let key = uuid::Uuid::new_v4();
        let item = uuid::Uuid::new_v4();
        let entry = dev_entry(
            "quiz",
            Template::Js,
            key,
            item,
            "http://127.0.0.1:8081/quiz/",
            &demo,
        );
        let parsed: toml::Table = entry.parse().unwrap();
        let app = &parsed["apps"].as_array().unwrap()[0];
        assert_eq!(app["key"].as_str(), Some(key.to_string().as_str()));
        assert_eq!(app["publisher"].as_str(), Some("local"));
        assert_eq!(app["url"].as_str(), Some("http://127.0.0.1:8081/quiz/"));
        assert_eq!(
            parsed["items"].as_array().unwrap()[0]["app"].as_str(),
            Some("quiz")
        );
        let perms: Vec<&str> = parsed["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["permission"].as_str().unwrap())
            .collect();
        assert_eq!(perms, ["admin", "write", "read"]);
    }
}
