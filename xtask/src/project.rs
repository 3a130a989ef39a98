//! What the project consists of, as data: the wasm bundles to build, the test suites to run
//! and the crates to lint. Adding a bundle, suite or crate is one line here.
//!
//! `required: true` marks a crate that is still being written: while it is missing, its step
//! is skipped with a note. Once the crate exists, flip it to `true` so a missing or renamed
//! crate fails the build instead of silently shrinking it.

mod suites;

pub use suites::*;

/// Which static files of a folder are copied into dist next to a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assets {
    /// No static files (a library package such as the SDK's JS build).
    None,
    /// Web files at the top of the folder (html, css, js, json, images…) and everything
    /// under its `assets/`, `static/` and `public/` subfolders: for Rust crates, whose
    /// folder also holds Cargo.toml and src/.
    WebFiles {
        /// Folder relative to the workspace root.
        from: &'static str,
        /// Destination relative to dist/.
        to: &'static str,
    },
    /// The whole folder except hidden files, Markdown, `node_modules` and npm manifests:
    /// for plain JS apps, whose folder is the app.
    Folder {
        /// Folder relative to the workspace root.
        from: &'static str,
        /// Destination relative to dist/.
        to: &'static str,
    },
}

impl Assets {
    /// The source folder and destination, if any.
    pub fn route(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::None => None,
            Self::WebFiles { from, to } | Self::Folder { from, to } => Some((from, to)),
        }
    }
}

/// One wasm bundle: a crate compiled for wasm32, run through wasm-bindgen (and wasm-opt for
/// release), written under `dist/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bundle {
    /// Short name used in logs and tables.
    pub name: &'static str,
    /// The crate's folder relative to the workspace root (the package is found by its path).
    pub crate_dir: &'static str,
    /// Cargo features to enable (`--features`).
    pub features: &'static [&'static str],
    /// wasm-bindgen output folder relative to dist/.
    pub out_dir: &'static str,
    /// Static files to copy.
    pub assets: Assets,
    /// Built by `cargo xtask build` (false: only for `bench size`).
    pub in_build: bool,
    /// A missing crate is an error rather than a skipped step.
    pub required: bool,
}

/// Every wasm bundle, in build order.
pub const BUNDLES: &[Bundle] = &[
    Bundle {
        name: "host-demo",
        crate_dir: "host/demo",
        features: &[],
        out_dir: "host",
        assets: Assets::WebFiles {
            from: "host/demo",
            to: "host",
        },
        in_build: true,
        required: true,
    },
    Bundle {
        name: "counter",
        crate_dir: "examples/counter",
        features: &[],
        out_dir: "apps/counter",
        assets: Assets::WebFiles {
            from: "examples/counter",
            to: "apps/counter",
        },
        in_build: true,
        required: true,
    },
    Bundle {
        name: "sticky-notes",
        crate_dir: "examples/sticky-notes",
        features: &[],
        out_dir: "apps/sticky-notes",
        assets: Assets::WebFiles {
            from: "examples/sticky-notes",
            to: "apps/sticky-notes",
        },
        in_build: true,
        required: true,
    },
    Bundle {
        name: "js-notes",
        crate_dir: "app-sdk",
        features: &["js"],
        out_dir: "apps/js-notes/sdk",
        assets: Assets::Folder {
            from: "examples/js-notes",
            to: "apps/js-notes",
        },
        in_build: true,
        required: true,
    },
    Bundle {
        name: SDK_JS,
        crate_dir: "app-sdk",
        features: &["js"],
        out_dir: "sdk",
        assets: Assets::None,
        in_build: true,
        required: true,
    },
    Bundle {
        name: HOST_BRIDGE,
        crate_dir: "host",
        features: &["js"],
        out_dir: "host-bridge",
        assets: Assets::None,
        in_build: true,
        required: true,
    },
    Bundle {
        name: "sdk size probe",
        crate_dir: "app-sdk/size-probe",
        features: &[],
        out_dir: "size-probe",
        assets: Assets::None,
        in_build: false,
        required: true,
    },
];

/// The SDK's JS build (`--features js`), packaged as `@appframe/sdk`.
pub const SDK_JS: &str = "sdk (JS package)";

/// One npm package made of a bundle's output (`xtask/src/npm.rs`), in `dist/npm/<dir>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpmPackage {
    /// The package name on npm.
    pub name: &'static str,
    /// Its folder under `dist/npm/`.
    pub dir: &'static str,
    /// The bundle (by [`Bundle::name`]) whose glue, types and wasm it ships.
    pub bundle: &'static str,
    /// `description` of its package.json.
    pub description: &'static str,
    /// `keywords` of its package.json.
    pub keywords: &'static [&'static str],
    /// Its README.md.
    pub readme: &'static str,
}

/// The npm packages `cargo xtask build` writes.
pub const NPM_PACKAGES: &[NpmPackage] = &[
    NpmPackage {
        name: "@appframe/sdk",
        dir: "sdk",
        bundle: SDK_JS,
        description: "The appframe app SDK for JavaScript: context, token, app data, settings, \
                      actions, files and live updates for an app in a host's iframe (WebAssembly).",
        keywords: &["appframe", "graasp", "iframe", "app", "wasm"],
        readme: include_str!("../packages/sdk.README.md"),
    },
    NpmPackage {
        name: "@appframe/host-bridge",
        dir: "host-bridge",
        bundle: HOST_BRIDGE,
        description: "The appframe host bridge: embeds an app in an iframe and answers its \
                      context and token requests (Graasp's postMessage protocol, WebAssembly).",
        keywords: &[
            "appframe",
            "graasp",
            "iframe",
            "host",
            "postMessage",
            "wasm",
        ],
        readme: include_str!("../packages/host-bridge.README.md"),
    },
];

/// The bundle whose gzip size is held to [`SIZE_PROBE_TARGET_BYTES`].
pub const SIZE_PROBE: &str = "sdk size probe";

/// Minimal app goal: wasm + JS glue, gzip, after `wasm-opt -Oz` (40 KB, SI), judged in the size
/// benchmark's verdict.
pub const SIZE_PROBE_TARGET_BYTES: u64 = 40_000;

/// What fails `cargo xtask test`: the design's regression guard for the probe, a little above the
/// goal so that a toolchain bump cannot block unrelated work; between the two the run passes
/// with a warning.
pub const SIZE_PROBE_GATE_BYTES: u64 = 41_000;

/// The host bridge's JS package, held to [`HOST_BRIDGE_TARGET_BYTES`]: a host platform ships
/// it on every page that shows an app.
pub const HOST_BRIDGE: &str = "host-bridge (JS package)";

/// Host bridge budget: wasm + JS glue, gzip, release pipeline (40 KB, SI).
pub const HOST_BRIDGE_TARGET_BYTES: u64 = 40_000;

/// Where the server's benchmark lives: crate folder and example name.
pub const SERVER_BENCH: (&str, &str) = ("server", "bench");

/// Where the websocket fan-out benchmark lives: crate folder and example name.
pub const WS_BENCH: (&str, &str) = ("server", "ws_bench");

/// Where the memory benchmark lives: crate folder and example name.
pub const MEMORY_BENCH: (&str, &str) = ("server", "memory");

/// The load-balanced benchmark (`cargo xtask bench server-lb`): crate folder and example name.
pub const LB_BENCH: (&str, &str) = ("server", "lb_bench");

/// Where the soak benchmark lives: crate folder and example name.
pub const SOAK_BENCH: (&str, &str) = ("server", "soak");

/// The server binary the memory benchmark runs as its own process: crate folder and bin name.
pub const SERVER_BIN: (&str, &str) = ("server", "appframe-server");

/// Where the browser benchmark lives: crate folder and binary (or example) name.
pub const BROWSER_BENCH: (&str, &str) = ("e2e", "browser-bench");

/// Which targets a crate is linted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintCrate {
    /// Folder relative to the root.
    pub crate_dir: &'static str,
    /// Lint on the host target.
    pub native: bool,
    /// Lint on wasm32-unknown-unknown (with `wasm_features`).
    pub wasm: bool,
    /// Features enabled for the wasm lint, so feature-gated code (the JS facades) is linted.
    pub wasm_features: &'static [&'static str],
    /// A missing crate is an error.
    pub required: bool,
}

/// Every crate `cargo xtask check` lints.
pub const LINT: &[LintCrate] = &[
    LintCrate {
        crate_dir: "xtask",
        native: true,
        wasm: false,
        wasm_features: &[],
        required: true,
    },
    LintCrate {
        crate_dir: "wasm-post",
        native: true,
        wasm: false,
        wasm_features: &[],
        required: true,
    },
    LintCrate {
        crate_dir: "protocol",
        native: true,
        wasm: true,
        wasm_features: &[],
        required: true,
    },
    LintCrate {
        crate_dir: "server",
        native: true,
        wasm: false,
        wasm_features: &[],
        required: true,
    },
    LintCrate {
        crate_dir: "app-sdk",
        native: true,
        wasm: true,
        wasm_features: &["js"],
        required: true,
    },
    LintCrate {
        crate_dir: "app-sdk/size-probe",
        native: false,
        wasm: true,
        wasm_features: &[],
        required: true,
    },
    LintCrate {
        crate_dir: "host",
        native: false,
        wasm: true,
        wasm_features: &["js"],
        required: true,
    },
    LintCrate {
        crate_dir: "host/demo",
        native: false,
        wasm: true,
        wasm_features: &[],
        required: true,
    },
    LintCrate {
        crate_dir: "examples/counter",
        native: false,
        wasm: true,
        wasm_features: &[],
        required: true,
    },
    LintCrate {
        crate_dir: "examples/sticky-notes",
        native: false,
        wasm: true,
        wasm_features: &[],
        required: true,
    },
    LintCrate {
        crate_dir: "e2e",
        native: true,
        wasm: false,
        wasm_features: &[],
        required: true,
    },
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn bundle_names_and_output_dirs_are_unique() {
        let names: HashSet<_> = BUNDLES.iter().map(|b| b.name).collect();
        assert_eq!(names.len(), BUNDLES.len());
        let outs: HashSet<_> = BUNDLES.iter().map(|b| b.out_dir).collect();
        assert_eq!(outs.len(), BUNDLES.len());
    }

    #[test]
    fn outputs_stay_inside_dist_and_match_the_demo_config() {
        for b in BUNDLES {
            for p in [Some(b.out_dir), b.assets.route().map(|r| r.1)]
                .into_iter()
                .flatten()
            {
                assert!(
                    !p.is_empty() && !p.starts_with('/') && !p.contains(".."),
                    "{p}"
                );
            }
        }
        // server/demo.toml serves ./dist/host at / and ./dist/apps/<name>/ on the apps origin.
        let demo =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../server/demo.toml"))
                .unwrap();
        let demo: toml::Value = toml::from_str(&demo).unwrap();
        assert_eq!(demo["server"]["host_dir"].as_str(), Some("./dist/host"));
        assert_eq!(demo["server"]["apps_dir"].as_str(), Some("./dist/apps"));
        for app in demo["apps"].as_array().unwrap() {
            let name = app["name"].as_str().unwrap();
            let served = BUNDLES.iter().any(|b| {
                b.in_build && b.assets.route().map(|r| r.1) == Some(&format!("apps/{name}"))
            });
            assert!(
                served,
                "demo app {name} has no bundle writing dist/apps/{name}"
            );
        }
        assert!(BUNDLES.iter().any(|b| b.out_dir == "host" && b.in_build));
    }

    #[test]
    fn the_size_probe_is_a_bench_only_bundle() {
        let probe = BUNDLES.iter().find(|b| b.name == SIZE_PROBE).unwrap();
        assert!(!probe.in_build);
        assert!(
            probe.features.is_empty(),
            "the probe measures a plain Rust app"
        );
    }

    #[test]
    fn every_npm_package_ships_a_bundle_of_the_build_once() {
        let dirs: HashSet<_> = NPM_PACKAGES.iter().map(|p| p.dir).collect();
        assert_eq!(dirs.len(), NPM_PACKAGES.len());
        for p in NPM_PACKAGES {
            let bundle = BUNDLES.iter().find(|b| b.name == p.bundle).unwrap();
            assert!(
                bundle.in_build && bundle.assets == Assets::None,
                "{}",
                p.name
            );
            assert!(p.name.starts_with("@appframe/") && p.name.ends_with(p.dir));
        }
        // The npm suite runs only its tests, and the e2e suite leaves them to it.
        let npm = SUITES.iter().find(|s| s.id == "npm").unwrap();
        let e2e = SUITES.iter().find(|s| s.id == "e2e").unwrap();
        assert_eq!(npm.test_filter, Some(NPM_TESTS));
        assert!(e2e.test_skip.contains(&NPM_TESTS));
    }

    #[test]
    fn js_notes_ships_the_sdk_js_build_inside_its_folder() {
        let js = BUNDLES.iter().find(|b| b.name == "js-notes").unwrap();
        let (_, to) = js.assets.route().unwrap();
        assert!(js.out_dir.starts_with(&format!("{to}/")));
        assert_eq!(js.features, &["js"]);
    }

    #[test]
    fn every_step_is_required_and_cheap_suites_run_first() {
        assert_eq!(SUITES[0].name, "xtask");
        // Every step of the finished project is mandatory: none may vanish silently.
        assert!(SUITES.iter().all(|s| s.required));
        assert!(BUNDLES.iter().all(|b| b.required));
        assert!(LINT.iter().all(|l| l.required));
        // The browser suites come after every cheaper one, the new-app suite last of all.
        let first_browser = SUITES
            .iter()
            .position(|s| s.kind == SuiteKind::EndToEnd)
            .unwrap();
        assert_eq!(SUITES[SUITES.len() - 1].kind, SuiteKind::NewApp);
        assert!(
            SUITES[first_browser..SUITES.len() - 1]
                .iter()
                .all(|s| s.kind == SuiteKind::EndToEnd),
            "the slowest suites run last"
        );
        assert!(LOCAL_PG_URL.starts_with("postgres://") && LOCAL_PG_URL.ends_with("/test"));
    }
}
