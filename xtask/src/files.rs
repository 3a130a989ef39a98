//! Copying folders and files for the builds and the npm packages.

use anyhow::{Context, Result};
use std::path::Path;

/// The entries of `dir`, sorted by name.
pub fn read_dir_sorted(dir: &Path) -> Result<Vec<std::fs::DirEntry>> {
    let mut entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<std::io::Result<Vec<_>>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    Ok(entries)
}

/// Copies `from` into `to` recursively, keeping entries `keep(name, is_dir)` accepts.
pub fn copy_tree(from: &Path, to: &Path, keep: &dyn Fn(&str, bool) -> bool) -> Result<usize> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut copied = 0;
    for entry in read_dir_sorted(from)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_dir = path.is_dir();
        if !keep(&name, is_dir) {
            continue;
        }
        if is_dir {
            copied += copy_tree(&path, &to.join(&name), keep)?;
        } else {
            copy_file(&path, &to.join(&name))?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// Copies `from` into `to` recursively.
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    copy_tree(from, to, &|_, _| true).map(|_| ())
}

/// Copies one file.
pub fn copy_file(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map(|_| ())
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))
}
