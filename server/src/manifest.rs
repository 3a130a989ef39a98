//! App manifests: `appframe.toml` beside the `index.html` of each app bundle in `apps_dir`
//! (`apps_dir/<name>/appframe.toml`), read and validated strictly once at start: a file that
//! does not parse or names an unknown permission stops the server with a message naming the
//! file, the line and what is allowed. The bundle of `<name>` is then served with a
//! Content-Security-Policy that lets it reach only its own origin, the API and the declared
//! domains, and the host routes hand the manifest to the host page, which grants its
//! permissions through the iframe's `allow` and `sandbox`.

use crate::config::{Config, ConfigError};
use appframe_protocol::manifest::AppManifest;
use std::{collections::BTreeMap, path::Path};

/// The manifest's file name inside an app's bundle directory.
pub const FILE: &str = "appframe.toml";

/// Every manifest of `apps_dir`, by bundle directory name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifests(BTreeMap<String, AppManifest>);

impl Manifests {
    /// Reads `dir/<name>/appframe.toml` of every subdirectory that has one (none without a
    /// directory).
    pub fn load(dir: Option<&Path>) -> Result<Manifests, ConfigError> {
        let mut out = BTreeMap::new();
        let Some(dir) = dir else {
            return Ok(Manifests(out));
        };
        let io = |path: &Path, source| ConfigError::Io {
            path: path.to_owned(),
            source,
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            // No bundles (yet): nothing is served, so nothing needs a policy.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifests(out)),
            Err(e) => return Err(io(dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io(dir, e))?;
            let path = entry.path().join(FILE);
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(io(&path, e)),
            };
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            out.insert(name, parse(&path, &text)?);
        }
        Ok(Manifests(out))
    }

    /// The manifests of the configured `apps_dir`.
    pub fn of_config(config: &Config) -> Result<Manifests, ConfigError> {
        Manifests::load(config.server.apps_dir.as_deref())
    }

    /// Every manifest with its bundle directory name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AppManifest)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The manifest of bundle directory `name`.
    pub fn get(&self, name: &str) -> Option<&AppManifest> {
        self.0.get(name)
    }

    /// The manifest of the app served at `app_url`: when the URL is on the port of
    /// `apps_addr` (the binary's bundle server), the bundle directory is its first path segment.
    pub fn for_app_url(&self, app_url: &str, apps_addr: Option<&str>) -> Option<&AppManifest> {
        let port = apps_addr?.rsplit_once(':')?.1;
        let rest = app_url.split_once("://")?.1;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.rsplit_once(':')?.1 != port {
            return None;
        }
        let name = path.split(['/', '?', '#']).next()?;
        self.get(name)
    }
}

/// Parses and validates one manifest; errors name the file.
pub fn parse(path: &Path, text: &str) -> Result<AppManifest, ConfigError> {
    let in_file = |message: String| {
        ConfigError::Invalid(format!("app manifest {}: {message}", path.display()))
    };
    let manifest: AppManifest = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let before = &text[..s.start.min(text.len())];
                format!("line {}: ", before.matches('\n').count() + 1)
            })
            .unwrap_or_default();
        in_file(format!("{at}{}", e.message().trim()))
    })?;
    manifest.validate().map_err(|e| in_file(e.to_string()))?;
    Ok(manifest)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join(FILE), text).unwrap();
    }

    #[test]
    fn manifests_are_read_per_bundle_directory_and_found_by_app_url() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "counter",
            "permissions = [\"fullscreen\"]\n[csp]\nconnect = [\"https://api.example.org\"]\n",
        );
        std::fs::create_dir_all(tmp.path().join("plain")).unwrap();
        std::fs::write(tmp.path().join("loose-file"), "x").unwrap();
        let m = Manifests::load(Some(tmp.path())).unwrap();
        let counter = m.get("counter").unwrap();
        assert_eq!(counter.permissions, ["fullscreen"]);
        assert_eq!(counter.csp.connect, ["https://api.example.org"]);
        assert!(m.get("plain").is_none());
        let addr = Some("127.0.0.1:8081");
        assert_eq!(
            m.for_app_url("http://127.0.0.1:8081/counter/", addr),
            Some(counter)
        );
        assert_eq!(
            m.for_app_url("http://localhost:8081/counter?x=1", addr),
            Some(counter)
        );
        assert_eq!(m.for_app_url("http://127.0.0.1:9999/counter/", addr), None);
        assert_eq!(m.for_app_url("http://127.0.0.1:8081/counter/", None), None);
        assert_eq!(Manifests::load(None).unwrap(), Manifests::default());
        assert_eq!(
            Manifests::load(Some(&tmp.path().join("missing"))).unwrap(),
            Manifests::default()
        );
    }

    #[test]
    fn an_unknown_permission_or_key_is_a_config_error_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "bad", "permissions = [\"clipboard-writ\"]\n");
        let e = Manifests::load(Some(tmp.path())).unwrap_err().to_string();
        assert!(e.contains("bad/appframe.toml"), "{e}");
        assert!(e.contains("unknown permission \"clipboard-writ\""), "{e}");
        assert!(e.contains("clipboard-write"), "{e}");
        write(tmp.path(), "bad", "permisions = [\"fullscreen\"]\n");
        let e = Manifests::load(Some(tmp.path())).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("permisions"), "{e}");
        write(
            tmp.path(),
            "bad",
            "[csp]\nimg = [\"https://x.example; script-src *\"]\n",
        );
        let e = Manifests::load(Some(tmp.path())).unwrap_err().to_string();
        assert!(e.contains("csp.img"), "{e}");
    }
}
