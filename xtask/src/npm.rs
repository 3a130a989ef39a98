//! The npm packages of the two JS builds: `dist/sdk/` becomes `dist/npm/sdk/` (`@appframe/sdk`)
//! and `dist/host-bridge/` becomes `dist/npm/host-bridge/` (`@appframe/host-bridge`), written by
//! every `cargo xtask build` right after the bundles (see [`crate::project::NPM_PACKAGES`]).
//!
//! A package is the bundle's glue, its `.d.ts` and its wasm, a `package.json` (the version and
//! license of the workspace's `Cargo.toml`, so one bump versions the crates and the packages)
//! and a README with a usage example (`xtask/packages/<dir>.README.md`). No dependency, no
//! install script: `npm pack` and an offline install of the tarball are all a user needs.
//!
//! The glue fetches its wasm with `new URL("./<stem>_bg.wasm", import.meta.url)`: relative to
//! the module, which is what Vite, webpack 5 and a browser's `<script type=module>` resolve, and
//! what esbuild leaves as it is (the README says to copy the wasm beside the bundle, or to import
//! it through the `exports` entry with esbuild's `file` loader). wasm-bindgen writes the name
//! without `./`; a bare name is a package name to some bundlers, so the package's copy gets the
//! `./`. The pattern is looked for in the minified glue and its absence fails the build: a
//! minifier or wasm-bindgen change that breaks it must not ship a package that cannot find its
//! wasm.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::built::Built;
use crate::project::{NPM_PACKAGES, NpmPackage};

/// Where the packages go, relative to dist/.
pub const NPM_DIR: &str = "npm";

/// The version and license every package takes from the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceMeta {
    /// `[workspace.package] version`.
    pub version: String,
    /// `[workspace.package] license` (an SPDX expression).
    pub license: String,
}

/// Reads [`WorkspaceMeta`] from the text of the root `Cargo.toml`.
pub fn workspace_meta(cargo_toml: &str) -> Result<WorkspaceMeta> {
    let v: toml::Value = toml::from_str(cargo_toml).context("the workspace Cargo.toml")?;
    let field = |name: &str| {
        v.get("workspace")
            .and_then(|w| w.get("package"))
            .and_then(|p| p.get(name))
            .and_then(|s| s.as_str())
            .map(str::to_owned)
            .with_context(|| format!("the workspace Cargo.toml has no [workspace.package] {name}"))
    };
    Ok(WorkspaceMeta {
        version: field("version")?,
        license: field("license")?,
    })
}

/// A JSON object that keeps its keys in the order given: `exports` conditions are matched in
/// order (`types` must come before `default`), and serde_json's own map sorts its keys.
struct Ordered(Vec<(String, Json)>);

/// An [`Ordered`] object from its entries.
fn object(entries: Vec<(&str, Json)>) -> Json {
    Json::Object(Ordered(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    ))
}

/// The values a `package.json` here holds.
enum Json {
    Str(String),
    Bool(bool),
    List(Vec<String>),
    Object(Ordered),
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Str(v) => v.serialize(s),
            Json::Bool(v) => v.serialize(s),
            Json::List(v) => v.serialize(s),
            Json::Object(v) => v.serialize(s),
        }
    }
}

/// The files of a package built from the bundle `<stem>`, README and package.json aside.
pub fn package_files(stem: &str) -> [String; 3] {
    [
        format!("{stem}.js"),
        format!("{stem}.d.ts"),
        format!("{stem}_bg.wasm"),
    ]
}

/// The folder of wasm-bindgen's JS snippets beside the glue.
const SNIPPETS: &str = "snippets";

/// The `package.json` text of `pkg` built from the bundle `<stem>` (with its `snippets/`
/// folder when `snippets`).
pub fn package_json(
    pkg: &NpmPackage,
    stem: &str,
    snippets: bool,
    meta: &WorkspaceMeta,
) -> Result<String> {
    let [js, dts, wasm] = package_files(stem);
    let s = |v: &str| Json::Str(v.to_owned());
    let dot = |f: &str| Json::Str(format!("./{f}"));
    let wasm_key = format!("./{wasm}");
    let doc = object(vec![
        ("name", s(pkg.name)),
        ("version", s(&meta.version)),
        ("description", s(pkg.description)),
        ("license", s(&meta.license)),
        ("type", s("module")),
        ("main", dot(&js)),
        ("module", dot(&js)),
        ("types", dot(&dts)),
        (
            "exports",
            object(vec![
                (
                    ".",
                    object(vec![("types", dot(&dts)), ("default", dot(&js))]),
                ),
                // The wasm as a URL for bundlers that do not follow `new URL(…, import.meta.url)`
                // (esbuild with `--loader:.wasm=file`); the key is the file's own path.
                (&wasm_key, dot(&wasm)),
                ("./package.json", s("./package.json")),
            ]),
        ),
        (
            "files",
            Json::List(
                [js.clone(), dts.clone(), wasm.clone(), "README.md".into()]
                    .into_iter()
                    .chain(snippets.then(|| format!("{SNIPPETS}/")))
                    .collect(),
            ),
        ),
        // No top-level effect a user relies on (snippets only define what the glue imports):
        // an unused import may be dropped.
        ("sideEffects", Json::Bool(false)),
        (
            "keywords",
            Json::List(pkg.keywords.iter().map(|k| (*k).to_owned()).collect()),
        ),
    ]);
    let mut text = serde_json::to_string_pretty(&doc).context("serializing package.json")?;
    text.push('\n');
    Ok(text)
}

/// The glue with its wasm URL made explicitly relative (`./<stem>_bg.wasm`); an error when the
/// glue does not load its wasm with exactly one `new URL("<stem>_bg.wasm", import.meta.url)`.
pub fn relative_wasm_url(js: &str, stem: &str) -> Result<String> {
    let wasm = format!("{stem}_bg.wasm");
    let mut found: Vec<(usize, usize)> = Vec::new(); // (start of the name, prefix length)
    for quote in ['"', '\''] {
        for prefix in ["", "./"] {
            let needle = format!("new URL({quote}{prefix}{wasm}{quote},");
            for (at, _) in js.match_indices(&needle) {
                let rest = js[at + needle.len()..].trim_start();
                if rest.starts_with("import.meta.url") {
                    found.push((at + "new URL(".len() + 1, prefix.len()));
                }
            }
        }
    }
    match found.as_slice() {
        [(at, 0)] => Ok(format!("{}./{}", &js[..*at], &js[*at..])),
        [_] => Ok(js.to_owned()),
        [] => bail!(
            "the glue does not load its wasm with `new URL(\"{wasm}\", import.meta.url)`: \
             bundlers and browsers would not find {wasm} beside the module (did wasm-bindgen's \
             output or the glue minifier change?)"
        ),
        many => bail!(
            "the glue names its wasm `{wasm}` in {} `new URL(…, import.meta.url)` calls; one expected",
            many.len()
        ),
    }
}

/// Writes the package of every npm bundle that this build wrote; returns their folders.
pub fn write_packages(dist: &Path, cargo_toml: &Path, built: &[Built]) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut meta = None;
    for pkg in NPM_PACKAGES {
        let Some(bundle) = built.iter().find(|b| b.name == pkg.bundle) else {
            continue;
        };
        let meta = match &meta {
            Some(m) => m,
            None => {
                let text = std::fs::read_to_string(cargo_toml)
                    .with_context(|| format!("reading {}", cargo_toml.display()))?;
                meta.insert(workspace_meta(&text)?)
            }
        };
        let out = dist.join(NPM_DIR).join(pkg.dir);
        write_package(pkg, bundle, meta, &out)
            .with_context(|| format!("writing the npm package {}", pkg.name))?;
        eprintln!(
            "xtask: {}: npm package {} {} in {}",
            bundle.name,
            pkg.name,
            meta.version,
            out.display()
        );
        written.push(out);
    }
    Ok(written)
}

fn write_package(pkg: &NpmPackage, bundle: &Built, meta: &WorkspaceMeta, out: &Path) -> Result<()> {
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("removing {}", out.display()))?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let [js, dts, wasm] = package_files(&bundle.stem);
    let glue_path = bundle.out_dir.join(&js);
    let glue = std::fs::read_to_string(&glue_path)
        .with_context(|| format!("reading {}", glue_path.display()))?;
    write(&out.join(&js), &relative_wasm_url(&glue, &bundle.stem)?)?;
    for file in [dts, wasm] {
        let from = bundle.out_dir.join(&file);
        std::fs::copy(&from, out.join(&file))
            .with_context(|| format!("copying {}", from.display()))?;
    }
    // wasm-bindgen's JS snippets (`#[wasm_bindgen(module = ...)]`), which the glue imports.
    let snippets = bundle.out_dir.join(SNIPPETS);
    if snippets.is_dir() {
        crate::files::copy_dir(&snippets, &out.join(SNIPPETS))?;
    }
    write(&out.join("README.md"), pkg.readme)?;
    write(
        &out.join("package.json"),
        &package_json(pkg, &bundle.stem, snippets.is_dir(), meta)?,
    )
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::project::{HOST_BRIDGE, SDK_JS};

    fn meta() -> WorkspaceMeta {
        WorkspaceMeta {
            version: "1.2.3".into(),
            license: "MIT OR Apache-2.0".into(),
        }
    }

    fn pkg(bundle: &str) -> &'static NpmPackage {
        NPM_PACKAGES.iter().find(|p| p.bundle == bundle).unwrap()
    }

    #[test]
    fn the_version_and_license_are_the_workspaces() {
        let root =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
        let m = workspace_meta(&root).unwrap();
        assert_eq!(m.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(m.license, env!("CARGO_PKG_LICENSE"));
        let err = workspace_meta("[workspace.package]\nversion = \"1.0.0\"\n").unwrap_err();
        assert!(err.to_string().contains("license"), "{err}");
    }

    #[test]
    fn the_package_json_declares_an_es_module_with_types_first_in_its_exports() {
        let text = package_json(pkg(SDK_JS), "appframe_sdk", false, &meta()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["name"], "@appframe/sdk");
        assert_eq!(v["version"], "1.2.3");
        assert_eq!(v["license"], "MIT OR Apache-2.0");
        assert_eq!(v["type"], "module");
        assert_eq!(v["types"], "./appframe_sdk.d.ts");
        assert_eq!(v["sideEffects"], false);
        let root = &v["exports"]["."];
        assert_eq!(root["types"], "./appframe_sdk.d.ts");
        assert_eq!(root["default"], "./appframe_sdk.js");
        assert_eq!(
            v["exports"]["./appframe_sdk_bg.wasm"],
            "./appframe_sdk_bg.wasm"
        );
        // Conditions are tried in order: `default` after `types`, or TypeScript never gets types.
        let root_text = &text[text.find("\".\"").unwrap()..];
        assert!(root_text.find("\"types\"").unwrap() < root_text.find("\"default\"").unwrap());
        // Every file that exports and types point at is shipped.
        let files: Vec<&str> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(
            files,
            [
                "appframe_sdk.js",
                "appframe_sdk.d.ts",
                "appframe_sdk_bg.wasm",
                "README.md"
            ]
        );
        let bridge = package_json(pkg(HOST_BRIDGE), "appframe_host", true, &meta()).unwrap();
        let b: serde_json::Value = serde_json::from_str(&bridge).unwrap();
        assert_eq!(b["name"], "@appframe/host-bridge");
        assert_eq!(b["exports"]["."]["default"], "./appframe_host.js");
        // The bridge's JS snippets ship with it.
        assert_eq!(b["files"].as_array().unwrap().last().unwrap(), "snippets/");
    }

    #[test]
    fn the_wasm_url_is_made_relative_to_the_module_in_dev_and_minified_glue() {
        // wasm-bindgen's glue, and what the minifier (esbuild) makes of it.
        let dev = "if (typeof module_or_path === 'undefined') {\n        module_or_path = new URL('appframe_sdk_bg.wasm', import.meta.url);\n    }";
        assert_eq!(
            relative_wasm_url(dev, "appframe_sdk").unwrap(),
            dev.replace("'appframe_sdk_bg.wasm'", "'./appframe_sdk_bg.wasm'")
        );
        let min = "c===void 0&&(c=new URL(\"appframe_sdk_bg.wasm\",import.meta.url));";
        let done = relative_wasm_url(min, "appframe_sdk").unwrap();
        assert_eq!(
            done,
            "c===void 0&&(c=new URL(\"./appframe_sdk_bg.wasm\",import.meta.url));"
        );
        // Already relative: unchanged.
        assert_eq!(relative_wasm_url(&done, "appframe_sdk").unwrap(), done);
    }

    #[test]
    fn a_glue_that_does_not_find_its_wasm_relative_to_itself_is_refused() {
        let err = relative_wasm_url("c=new URL(\"x_bg.wasm\",location.href)", "x").unwrap_err();
        assert!(err.to_string().contains("import.meta.url"), "{err}");
        assert!(relative_wasm_url("c=new URL(\"y_bg.wasm\",import.meta.url)", "x").is_err());
        let twice = "new URL('x_bg.wasm', import.meta.url);new URL(\"x_bg.wasm\",import.meta.url)";
        let err = relative_wasm_url(twice, "x").unwrap_err();
        assert!(err.to_string().contains("2 `new URL"), "{err}");
    }

    #[test]
    fn a_package_holds_the_rewritten_glue_its_types_wasm_readme_and_manifest() {
        let dist = tempfile::tempdir().unwrap();
        let bundle_dir = dist.path().join("sdk");
        std::fs::create_dir_all(&bundle_dir).unwrap();
        std::fs::write(
            bundle_dir.join("appframe_sdk.js"),
            "export default function i(c){c=new URL(\"appframe_sdk_bg.wasm\",import.meta.url)}",
        )
        .unwrap();
        std::fs::write(bundle_dir.join("appframe_sdk.d.ts"), "export {};").unwrap();
        std::fs::write(bundle_dir.join("appframe_sdk_bg.wasm"), b"\0asm").unwrap();
        std::fs::write(bundle_dir.join("appframe_sdk_bg.wasm.d.ts"), "").unwrap();
        let cargo_toml = dist.path().join("Cargo.toml");
        std::fs::write(
            &cargo_toml,
            "[workspace.package]\nversion = \"0.4.0\"\nlicense = \"MIT\"\n",
        )
        .unwrap();
        // A stale file from an earlier build is gone.
        let out = dist.path().join("npm/sdk");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("stale.js"), "").unwrap();
        let built = [Built {
            name: SDK_JS,
            out_dir: bundle_dir,
            stem: "appframe_sdk".into(),
            optimized: true,
        }];
        let written = write_packages(dist.path(), &cargo_toml, &built).unwrap();
        assert_eq!(written, std::slice::from_ref(&out));
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "README.md",
                "appframe_sdk.d.ts",
                "appframe_sdk.js",
                "appframe_sdk_bg.wasm",
                "package.json"
            ]
        );
        let glue = std::fs::read_to_string(out.join("appframe_sdk.js")).unwrap();
        assert!(glue.contains("new URL(\"./appframe_sdk_bg.wasm\",import.meta.url)"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("package.json")).unwrap())
                .unwrap();
        assert_eq!(
            (v["version"].as_str(), v["license"].as_str()),
            (Some("0.4.0"), Some("MIT"))
        );
    }

    #[test]
    fn each_readme_example_uses_the_packages_own_name_and_entry_points() {
        for p in NPM_PACKAGES {
            assert!(
                p.readme.contains(&format!("from '{}'", p.name)),
                "{}",
                p.name
            );
            assert!(p.readme.contains("await init()"), "{}", p.name);
        }
        assert!(pkg(SDK_JS).readme.contains("connect({"));
        assert!(pkg(HOST_BRIDGE).readme.contains("attachApp("));
    }
}
