//! The output layout: `dist/<target>/<name>`, `dist/manifest.json`, `dist/SHA256SUMS`.
//! Everything appears by rename: an artifact is staged in `dist/.tmp-*`, verified, then
//! moved into place; the manifest and checksums are rewritten atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::write_atomic;
use crate::error::{Error, Result};
use crate::target::Target;

pub const MANIFEST: &str = "manifest.json";
pub const CHECKSUMS: &str = "SHA256SUMS";

/// One entry of `dist/manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub name: String,
    pub target: String,
    /// Relative to the dist folder: `aarch64/hello`.
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub toolchain: String,
    pub toolchain_version: String,
    pub verification: Verification,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub ok: bool,
    #[serde(rename = "static")]
    pub is_static: bool,
    pub static_pie: bool,
    pub stripped: bool,
    pub machine: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub artifacts: Vec<Artifact>,
}

pub struct Dist {
    root: PathBuf,
}

impl Dist {
    /// Creates the folder and proves it is writable before any work starts.
    pub fn prepare(root: &Path) -> Result<Dist> {
        let unwritable = |source| Error::Io {
            what: "cannot write the output directory",
            path: root.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(root).map_err(unwritable)?;
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(root)
            .map_err(unwritable)?;
        Ok(Dist {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A staging folder inside dist (same filesystem, so installing is a rename); it
    /// disappears with everything in it unless its files are installed.
    pub fn staging(&self) -> Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempdir_in(&self.root)
            .map_err(Error::io("cannot write the output directory", &self.root))
    }

    pub fn relative_path(target: Target, name: &str) -> String {
        format!("{target}/{name}")
    }

    pub fn artifact_path(&self, target: Target, name: &str) -> PathBuf {
        self.root.join(target.name()).join(name)
    }

    /// Moves a verified file from staging to `dist/<target>/<name>`.
    pub fn install(&self, staged: &Path, target: Target, name: &str) -> Result<PathBuf> {
        let dest = self.artifact_path(target, name);
        let dir = dest.parent().expect("artifact has a folder");
        std::fs::create_dir_all(dir)
            .map_err(Error::io("cannot write the output directory", dir))?;
        // An identical file is left alone: its mtime stays, and ext4 does not flush on a
        // rename over it (a warm rebuild then costs no disk sync at all).
        if same_bytes(staged, &dest) {
            let _ = std::fs::remove_file(staged);
            return Ok(dest);
        }
        std::fs::rename(staged, &dest)
            .map_err(Error::io("cannot move the artifact into", &dest))?;
        Ok(dest)
    }

    pub fn read_manifest(&self) -> Manifest {
        std::fs::read(self.root.join(MANIFEST))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Merges `built` into the manifest (replacing entries of the same target and name,
    /// dropping entries whose file is gone), then rewrites manifest and checksums.
    pub fn record(&self, built: &[Artifact]) -> Result<Manifest> {
        let mut manifest = self.read_manifest();
        manifest.artifacts.retain(|old| {
            !built.iter().any(|new| new.path == old.path) && self.root.join(&old.path).is_file()
        });
        manifest.artifacts.extend(built.iter().cloned());
        manifest.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
        let mut json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        json.push(b'\n');
        write_if_changed(&self.root.join(MANIFEST), &json)?;
        let sums: String = manifest
            .artifacts
            .iter()
            .map(|a| format!("{}  {}\n", a.sha256, a.path))
            .collect();
        write_if_changed(&self.root.join(CHECKSUMS), sums.as_bytes())?;
        Ok(manifest)
    }
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => {
            matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    write_atomic(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str, sha: &str) -> Artifact {
        let (target, name) = path.split_once('/').unwrap();
        Artifact {
            name: name.into(),
            target: target.into(),
            path: path.into(),
            size: 1,
            sha256: sha.into(),
            toolchain: "zig".into(),
            toolchain_version: "0.17.1".into(),
            verification: Verification {
                ok: true,
                is_static: true,
                static_pie: false,
                stripped: true,
                machine: "x86-64".into(),
            },
        }
    }

    #[test]
    fn record_merges_and_writes_checksums() {
        let dir = tempfile::tempdir().unwrap();
        let dist = Dist::prepare(&dir.path().join("dist")).unwrap();
        for path in ["x86_64/hello", "aarch64/hello"] {
            std::fs::create_dir_all(dist.root().join(path).parent().unwrap()).unwrap();
            std::fs::write(dist.root().join(path), b"x").unwrap();
        }
        dist.record(&[artifact("x86_64/hello", "aa")]).unwrap();
        let manifest = dist
            .record(&[
                artifact("aarch64/hello", "bb"),
                artifact("x86_64/hello", "cc"),
            ])
            .unwrap();
        assert_eq!(manifest.artifacts.len(), 2);
        let sums = std::fs::read_to_string(dist.root().join(CHECKSUMS)).unwrap();
        assert_eq!(sums, "bb  aarch64/hello\ncc  x86_64/hello\n");
        assert_eq!(dist.read_manifest().artifacts, manifest.artifacts);
    }

    #[test]
    fn unwritable_out_dir_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let err = Dist::prepare(&file.join("dist")).err().unwrap();
        assert!(matches!(
            err,
            Error::Io {
                what: "cannot write the output directory",
                ..
            }
        ));
    }
}
