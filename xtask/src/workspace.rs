//! The workspace xtask works on: its root, the target dir, the cargo to call, and which
//! packages exist right now (from `cargo metadata --no-deps`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// A workspace package as `cargo metadata --no-deps` describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Package {
    /// Package name, e.g. `appframe-sdk`.
    pub name: String,
    /// Absolute path of its Cargo.toml.
    pub manifest_path: PathBuf,
    /// Its targets (lib, bins, tests, examples).
    pub targets: Vec<Target>,
    /// Its declared features.
    #[serde(default)]
    pub features: std::collections::BTreeMap<String, Vec<String>>,
}

/// One target of a package.
#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    /// Target name (for a lib, the crate name with dashes; for a bin, the binary name).
    pub name: String,
    /// Kinds: `lib`, `cdylib`, `rlib`, `bin`, `test`, `example`, `bench`, ...
    pub kind: Vec<String>,
}

impl Package {
    /// Whether the package has a target of `kind` named `name`.
    pub fn has_target(&self, kind: &str, name: &str) -> bool {
        self.targets
            .iter()
            .any(|t| t.name == name && t.kind.iter().any(|k| k == kind))
    }

    /// Whether the package declares `feature`.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.contains_key(feature)
    }
}

/// The output of `cargo metadata` that we read.
#[derive(Debug, Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

/// The workspace root, target dir, tool-augmented PATH and current packages.
#[derive(Debug)]
pub struct Workspace {
    /// Absolute workspace root (holds Cargo.toml with `[workspace]`).
    pub root: PathBuf,
    /// Absolute cargo target dir: `CARGO_TARGET_DIR` if set, else `<root>/target`.
    pub target_dir: PathBuf,
    /// The cargo binary (`$CARGO` when run through cargo).
    cargo: OsString,
    /// Directories put in front of PATH for every child (cargo bin dir, npm tools).
    extra_path: Vec<PathBuf>,
    /// Workspace members as of the last [`Workspace::refresh`].
    packages: Vec<Package>,
}

/// Whether a crate of the project is there to be built or tested.
#[derive(Debug)]
pub enum Presence<'a> {
    /// A workspace member.
    Ready(&'a Package),
    /// Not there yet; the reason says why (no Cargo.toml, not a member).
    Missing(String),
}

impl Workspace {
    /// Finds the workspace from `CARGO_MANIFEST_DIR` (xtask's own dir, set by `cargo run` and at
    /// compile time), so xtask works from any cwd, and loads the package list.
    pub fn locate() -> Result<Self> {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .context("xtask's manifest dir has no parent")?
            .to_path_buf();
        let root_manifest = std::fs::read_to_string(root.join("Cargo.toml"))
            .with_context(|| format!("reading {}", root.join("Cargo.toml").display()))?;
        if !root_manifest.contains("[workspace]") {
            bail!("{} is not the workspace root", root.display());
        }
        let cwd = std::env::current_dir().context("no current directory")?;
        let target_dir = resolve_target_dir(std::env::var_os("CARGO_TARGET_DIR"), &cwd, &root);
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut ws = Self {
            root,
            target_dir,
            cargo,
            extra_path: Vec::new(),
            packages: Vec::new(),
        };
        ws.refresh()?;
        Ok(ws)
    }

    /// The same target dir, cargo and PATH for a copy of the workspace at `root` (the new-app
    /// suite's scratch copy); its members are read by [`Workspace::refresh`].
    pub fn at(&self, root: PathBuf) -> Self {
        Self {
            root,
            target_dir: self.target_dir.clone(),
            cargo: self.cargo.clone(),
            extra_path: self.extra_path.clone(),
            packages: Vec::new(),
        }
    }

    /// Re-reads the workspace members (other crates may have been added since start).
    pub fn refresh(&mut self) -> Result<()> {
        let out = self
            .cargo()
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .stderr(std::process::Stdio::inherit())
            .output()
            .context("running cargo metadata")?;
        if !out.status.success() {
            bail!("cargo metadata failed; is a Cargo.toml in the workspace broken?");
        }
        let meta: Metadata =
            serde_json::from_slice(&out.stdout).context("parsing cargo metadata output")?;
        self.packages = meta.packages;
        Ok(())
    }

    /// Adds a directory in front of PATH for every child process started from now on.
    pub fn prepend_path(&mut self, dir: PathBuf) {
        if !self.extra_path.contains(&dir) {
            self.extra_path.insert(0, dir);
        }
    }

    /// PATH for child processes: our tool dirs, then the inherited PATH.
    pub fn path_env(&self) -> Option<OsString> {
        if self.extra_path.is_empty() {
            return None;
        }
        let inherited = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs: Vec<PathBuf> = self.extra_path.clone();
        dirs.extend(std::env::split_paths(&inherited));
        std::env::join_paths(dirs).ok()
    }

    /// A command for `program` run at the root with the target dir and PATH set.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target_dir);
        if let Some(path) = self.path_env() {
            cmd.env("PATH", path);
        }
        cmd
    }

    /// A `cargo` command run at the root with the target dir and PATH set.
    pub fn cargo(&self) -> Command {
        self.command(&self.cargo)
    }

    /// The dist dir, `<root>/dist`, which the server serves from.
    pub fn dist(&self) -> PathBuf {
        self.root.join("dist")
    }

    /// Whether the crate in `dir` (relative to the root) is a workspace member now.
    pub fn presence(&self, dir: &str) -> Presence<'_> {
        let manifest = self.root.join(dir).join("Cargo.toml");
        let wanted = canonical(&manifest);
        if let Some(pkg) = self
            .packages
            .iter()
            .find(|p| canonical(&p.manifest_path) == wanted)
        {
            return Presence::Ready(pkg);
        }
        if manifest.is_file() {
            Presence::Missing(format!(
                "{dir}/Cargo.toml exists but is not a workspace member yet"
            ))
        } else {
            Presence::Missing(format!("{dir}/Cargo.toml does not exist yet"))
        }
    }

    /// The package in `dir`; `Ok(None)` with a printed note when it is not there and not
    /// `required`, an error when it is required.
    pub fn package(&self, dir: &str, required: bool, what: &str) -> Result<Option<&Package>> {
        match self.presence(dir) {
            Presence::Ready(pkg) => Ok(Some(pkg)),
            Presence::Missing(reason) if required => {
                bail!("{what}: {reason}, and it is required")
            }
            Presence::Missing(reason) => {
                eprintln!("xtask: note: skipping {what}: {reason} (not required yet)");
                Ok(None)
            }
        }
    }
}

/// `CARGO_TARGET_DIR` made absolute against the cwd (as cargo does), or `<root>/target`.
fn resolve_target_dir(var: Option<OsString>, cwd: &Path, root: &Path) -> PathBuf {
    match var {
        Some(dir) if !dir.is_empty() => cwd.join(dir),
        _ => root.join("target"),
    }
}

/// A path with symlinks resolved when possible, for comparing manifest paths.
fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn target_dir_honours_the_env_var_relative_to_the_cwd() {
        let root = Path::new("/repo");
        let cwd = Path::new("/repo/server");
        assert_eq!(
            resolve_target_dir(None, cwd, root),
            PathBuf::from("/repo/target")
        );
        assert_eq!(
            resolve_target_dir(Some("".into()), cwd, root),
            PathBuf::from("/repo/target")
        );
        assert_eq!(
            resolve_target_dir(Some("/cache/t".into()), cwd, root),
            PathBuf::from("/cache/t")
        );
        assert_eq!(
            resolve_target_dir(Some("t".into()), cwd, root),
            PathBuf::from("/repo/server/t")
        );
    }

    #[test]
    fn locates_this_workspace_and_sees_its_members() {
        let ws = Workspace::locate().unwrap();
        assert!(ws.root.join("xtask/Cargo.toml").is_file());
        match ws.presence("xtask") {
            Presence::Ready(pkg) => {
                assert_eq!(pkg.name, "xtask");
                assert!(pkg.has_target("bin", "xtask"));
                assert!(!pkg.has_feature("js"));
            }
            Presence::Missing(why) => panic!("xtask not found: {why}"),
        }
        match ws.presence("no/such/crate") {
            Presence::Missing(why) => assert!(why.contains("does not exist yet"), "{why}"),
            Presence::Ready(_) => panic!("found a crate that does not exist"),
        }
        assert!(
            ws.package("no/such/crate", false, "test")
                .unwrap()
                .is_none()
        );
        assert!(ws.package("no/such/crate", true, "test").is_err());
    }
}
