//! The npm packages as a user gets them: `npm pack` of `dist/npm/sdk` and
//! `dist/npm/host-bridge` (what `cargo xtask build` wrote), an offline `npm install` of the two
//! tarballs into a copy of the fixture project `e2e/npm-fixture/`, and its entry scripts bundled
//! with esbuild. The result is a folder to serve with [`crate::Stack::start_serving`]:
//!
//! - `host.html` + `out/host.js`: a host page bundled from `@appframe/host-bridge`; the bridge's
//!   glue loads its wasm relative to the bundle, so the wasm is copied beside it, as the
//!   package's README tells esbuild users.
//! - `app.html` + `out/app.js`: an app bundled from `@appframe/sdk`, its wasm imported through
//!   the package's `exports` with esbuild's `file` loader (the README's other route).
//! - `plain.html`: both packages imported from `node_modules/` by a `<script type=module>`, no
//!   bundler, each wasm found beside its module.
//!
//! [`NpmFixture::type_check_readmes`] type-checks each installed package's README example with the
//! pinned TypeScript compiler against the package's own `.d.ts`, found through its `exports`.
//!
//! Nothing is fetched from a registry: the packages have no dependencies, and npm runs with
//! `--offline`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::stack::repo_root;

/// The packages' folders under `dist/npm/`, as `(npm name, folder)`.
pub const PACKAGES: [(&str, &str); 2] = [
    ("@appframe/sdk", "sdk"),
    ("@appframe/host-bridge", "host-bridge"),
];

/// The committed fixture project.
pub fn fixture_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("npm-fixture")
}

/// The pinned esbuild: `$APPFRAME_ESBUILD` (set by `cargo xtask test`), else the one
/// `cargo xtask setup` installs in `xtask/npm/`.
pub fn esbuild() -> PathBuf {
    std::env::var_os("APPFRAME_ESBUILD")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("xtask/npm/node_modules/.bin/esbuild"))
}

/// The pinned TypeScript compiler: `$APPFRAME_TSC` (set by `cargo xtask test`), else the one
/// `cargo xtask setup` installs in `xtask/openapi/`.
pub fn tsc() -> PathBuf {
    std::env::var_os("APPFRAME_TSC")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("xtask/openapi/node_modules/.bin/tsc"))
}

/// The compiler options of the README check: strict, resolved as a bundler does (through
/// `exports`), with the `lib` that declares `Symbol.dispose`, which wasm-bindgen's classes use.
const README_TSCONFIG: &str = r#"{
  "compilerOptions": {
    "strict": true, "noEmit": true, "target": "es2022", "module": "esnext",
    "moduleResolution": "bundler", "lib": ["esnext", "dom"], "types": []
  },
  "include": ["readme/*.ts"]
}
"#;

/// The first ```js block under `## Usage` of a README.
pub fn usage_example(readme: &str) -> Option<&str> {
    let usage = &readme[readme.find("## Usage")?..];
    let start = usage.find("```js\n")? + "```js\n".len();
    let len = usage[start..].find("```")?;
    Some(&usage[start..start + len])
}

/// What `npm pack --json` says about one tarball.
#[derive(Debug, Clone, Deserialize)]
pub struct Packed {
    /// The package name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The tarball's file name.
    pub filename: String,
    /// The files inside it.
    pub files: Vec<PackedFile>,
}

/// One file of a tarball.
#[derive(Debug, Clone, Deserialize)]
pub struct PackedFile {
    /// Its path inside the package.
    pub path: String,
}

/// A prepared fixture project; removed when dropped.
#[derive(Debug)]
pub struct NpmFixture {
    dir: tempfile::TempDir,
    /// The two tarballs, in [`PACKAGES`] order.
    pub packed: Vec<Packed>,
}

impl NpmFixture {
    /// Packs the packages of `dist`, installs them offline into a copy of the fixture project
    /// and bundles its entry scripts.
    pub fn prepare(dist: &Path) -> Result<NpmFixture> {
        let dir = tempfile::Builder::new()
            .prefix("appframe-npm-fixture-")
            .tempdir()?;
        let root = dir.path();
        for entry in std::fs::read_dir(fixture_src())? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), root.join(entry.file_name()))?;
            }
        }
        let tarballs = root.join("tarballs");
        std::fs::create_dir_all(&tarballs)?;
        let mut packed = Vec::new();
        for (name, folder) in PACKAGES {
            let package = dist.join("npm").join(folder);
            if !package.join("package.json").is_file() {
                return Err(Error::MissingDist {
                    what: format!("the npm package {name}"),
                    path: package.join("package.json"),
                });
            }
            let out = run(Command::new("npm")
                .current_dir(root)
                .args(["pack", "--offline", "--json", "--pack-destination"])
                .arg(&tarballs)
                .arg(&package))?;
            let mut list: Vec<Packed> = serde_json::from_slice(&out)?;
            if list.len() != 1 {
                return Err(Error::Tool(format!(
                    "npm pack {} reported {} tarballs",
                    package.display(),
                    list.len()
                )));
            }
            packed.extend(list.pop());
        }
        let mut install = Command::new("npm");
        install.current_dir(root).args([
            "install",
            "--offline",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]);
        for p in &packed {
            install.arg(tarballs.join(&p.filename));
        }
        run(&mut install)?;
        run(Command::new(esbuild()).current_dir(root).args([
            "host.js",
            "app.js",
            "--bundle",
            "--format=esm",
            "--outdir=out",
            "--loader:.wasm=file",
            "--log-level=warning",
        ]))?;
        std::fs::copy(
            root.join("node_modules/@appframe/host-bridge/appframe_host_bg.wasm"),
            root.join("out/appframe_host_bg.wasm"),
        )?;
        Ok(NpmFixture { dir, packed })
    }

    /// The project folder (serve it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Type-checks the usage example of every installed package's README (as a module of its
    /// own) with [`tsc`]; returns how many lines each example has.
    pub fn type_check_readmes(&self) -> Result<Vec<usize>> {
        let dir = self.dir().join("readme");
        std::fs::create_dir_all(&dir)?;
        let mut lines = Vec::new();
        for (name, folder) in PACKAGES {
            let readme = std::fs::read_to_string(
                self.dir().join("node_modules").join(name).join("README.md"),
            )?;
            let example = usage_example(&readme).ok_or_else(|| {
                Error::Check(format!(
                    "the README of {name} has no ```js example under ## Usage"
                ))
            })?;
            lines.push(example.lines().filter(|l| !l.trim().is_empty()).count());
            std::fs::write(
                dir.join(format!("{folder}.ts")),
                format!("{example}\nexport {{}};\n"),
            )?;
        }
        std::fs::write(self.dir().join("tsconfig.json"), README_TSCONFIG)?;
        run(Command::new(tsc())
            .current_dir(self.dir())
            .args(["--project", "tsconfig.json"]))?;
        Ok(lines)
    }

    /// The `package.json` of an installed package, by npm name.
    pub fn installed(&self, name: &str) -> Result<serde_json::Value> {
        let text = std::fs::read_to_string(
            self.dir()
                .join("node_modules")
                .join(name)
                .join("package.json"),
        )?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Runs a tool; its stdout, or [`Error::Tool`] with its stderr.
fn run(cmd: &mut Command) -> Result<Vec<u8>> {
    let line = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = cmd.output().map_err(|e| {
        Error::Tool(format!(
            "could not start `{line}`: {e} (run `cargo xtask setup`)"
        ))
    })?;
    if !out.status.success() {
        // tsc reports on stdout, npm and esbuild on stderr.
        return Err(Error::Tool(format!(
            "`{line}` failed ({}): {} {}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}
