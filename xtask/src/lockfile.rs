//! Pinned tool versions, read from the files that pin them: the wasm-bindgen CLI must equal the
//! `wasm-bindgen` crate in Cargo.lock (the schema is checked byte for byte at run time), and
//! wasm-opt must come from the npm `binaryen` pinned in `xtask/npm/package.json`.

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The part of Cargo.lock we read.
#[derive(Debug, Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

/// One `[[package]]` entry of Cargo.lock.
#[derive(Debug, Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
}

/// The single locked version of `name` in a Cargo.lock text.
///
/// Two locked versions are an error: the CLI can only match one of them.
pub fn locked_version(lock_text: &str, name: &str) -> Result<String> {
    let lock: Lock = toml::from_str(lock_text).context("Cargo.lock is not valid TOML")?;
    let mut versions: Vec<&str> = lock
        .package
        .iter()
        .filter(|p| p.name == name)
        .map(|p| p.version.as_str())
        .collect();
    versions.dedup();
    match versions.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => bail!("Cargo.lock has no `{name}` package"),
        many => bail!(
            "Cargo.lock has several `{name}` versions ({}); pin one in [workspace.dependencies]",
            many.join(", ")
        ),
    }
}

/// The part of package.json we read.
#[derive(Debug, Deserialize)]
struct PackageJson {
    #[serde(default)]
    dependencies: std::collections::BTreeMap<String, String>,
}

/// The version spec of npm dependency `name` in package.json.
fn dependency(package_json: &str, name: &str) -> Result<String> {
    let mut pkg: PackageJson =
        serde_json::from_str(package_json).context("xtask/npm/package.json is not valid JSON")?;
    pkg.dependencies
        .remove(name)
        .with_context(|| format!("xtask/npm/package.json does not depend on {name}"))
}

/// The major version of npm `binaryen` pinned in package.json (`"132.0.0"` → 132); wasm-opt
/// reports it as `wasm-opt version 132`.
pub fn binaryen_major(package_json: &str) -> Result<u32> {
    let spec = dependency(package_json, "binaryen")?;
    let digits: String = spec
        .trim_start_matches(['=', '^', '~', 'v'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .with_context(|| format!("binaryen version `{spec}` does not start with a number"))
}

/// The exact npm `esbuild` version pinned in package.json (`"0.25.12"`); `esbuild --version`
/// prints it as it is.
pub fn esbuild_version(package_json: &str) -> Result<String> {
    let spec = dependency(package_json, "esbuild")?;
    if spec.is_empty() || !spec.chars().all(|c| c.is_ascii_digit() || c == '.') {
        bail!("esbuild must be pinned to an exact version in package.json, not `{spec}`");
    }
    Ok(spec)
}

/// Whether `wasm-opt --version` output (`wasm-opt version 132 (version_132)`) is that major.
pub fn wasm_opt_is_major(version_output: &str, major: u32) -> bool {
    version_output
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .is_some_and(|v| v == major.to_string())
}

/// Whether `wasm-bindgen --version` output (`wasm-bindgen 0.2.130`, maybe followed by a
/// commit hash) names exactly `version`.
pub fn wasm_bindgen_is(version_output: &str, version: &str) -> bool {
    version_output.split_whitespace().nth(1) == Some(version)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["cfg-if"]

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "webpki-roots"
version = "0.26.11"

[[package]]
name = "webpki-roots"
version = "1.0.3"
"#;

    #[test]
    fn finds_the_exact_locked_version_not_a_prefix_match() {
        assert_eq!(locked_version(LOCK, "wasm-bindgen").unwrap(), "0.2.130");
    }

    #[test]
    fn missing_and_duplicate_packages_are_errors() {
        assert!(
            locked_version(LOCK, "leptos")
                .unwrap_err()
                .to_string()
                .contains("no `leptos`")
        );
        let err = locked_version(LOCK, "webpki-roots")
            .unwrap_err()
            .to_string();
        assert!(err.contains("0.26.11, 1.0.3"), "{err}");
        assert!(locked_version("not toml [[", "x").is_err());
    }

    #[test]
    fn reads_the_workspace_lockfile() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap();
        let v = locked_version(&text, "wasm-bindgen").unwrap();
        // The workspace pins `wasm-bindgen = "=0.2.130"`; the CLI must match it.
        assert_eq!(v, "0.2.130");
    }

    #[test]
    fn binaryen_major_comes_from_package_json() {
        assert_eq!(
            binaryen_major(r#"{"dependencies":{"binaryen":"132.0.0"}}"#).unwrap(),
            132
        );
        assert_eq!(
            binaryen_major(r#"{"dependencies":{"binaryen":"^121.1.0"}}"#).unwrap(),
            121
        );
        assert!(binaryen_major(r#"{"dependencies":{}}"#).is_err());
        assert!(binaryen_major(r#"{"dependencies":{"binaryen":"latest"}}"#).is_err());
        let real =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/npm/package.json"))
                .unwrap();
        assert_eq!(binaryen_major(&real).unwrap(), 132);
    }

    #[test]
    fn esbuild_must_be_pinned_exactly() {
        assert_eq!(
            esbuild_version(r#"{"dependencies":{"esbuild":"0.25.12"}}"#).unwrap(),
            "0.25.12"
        );
        assert!(esbuild_version(r#"{"dependencies":{"esbuild":"^0.25.12"}}"#).is_err());
        assert!(esbuild_version(r#"{"dependencies":{}}"#).is_err());
        let real =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/npm/package.json"))
                .unwrap();
        assert!(esbuild_version(&real).is_ok());
    }

    #[test]
    fn version_outputs_are_compared_exactly() {
        assert!(wasm_opt_is_major("wasm-opt version 132 (version_132)", 132));
        assert!(!wasm_opt_is_major("wasm-opt version 108", 132));
        assert!(!wasm_opt_is_major("wasm-opt version 1320", 132));
        assert!(!wasm_opt_is_major("", 132));
        assert!(wasm_bindgen_is("wasm-bindgen 0.2.130", "0.2.130"));
        assert!(wasm_bindgen_is("wasm-bindgen 0.2.130 (1a2b3c)", "0.2.130"));
        assert!(!wasm_bindgen_is("wasm-bindgen 0.2.13", "0.2.130"));
        assert!(!wasm_bindgen_is("wasm-bindgen 0.2.1300", "0.2.130"));
        assert!(!wasm_bindgen_is("", "0.2.130"));
    }
}
