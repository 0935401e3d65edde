//! A `muslbuild.toml` project: its file (`config`), its vendored projects and their
//! programs' install (`vendor`), its image step (`image`), what a build reports
//! (`report`), and `init`'s starter file. `plan::project` makes a build of it.

pub(crate) mod config;
mod image;
mod init;
mod report;
mod vendor;

use std::path::{Path, PathBuf};

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::target::Target;
use crate::toolchain::Choice;
pub(crate) use image::{image, image_spec, make_image};
pub(crate) use init::init;
pub(crate) use report::{ArtifactKind, ArtifactReport, Freshness, Report, Reproducibility};
pub(crate) use vendor::{
    install_vendored, lib_request, program_components, toolchain_request, unused_libraries,
    vendor_installed_path, vendor_roots,
};

/// How `muslbuild build` was asked to run, over what the file says.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    /// Only these artifacts (and no image); empty means everything.
    pub(crate) names: Vec<String>,
    /// Replaces `[project] targets` when not empty.
    pub(crate) targets: Vec<Target>,
    /// Replaces `[project] toolchain`.
    pub(crate) toolchain: Option<Choice>,
    pub(crate) cc: Option<String>,
    /// Replaces `[project] kernel-headers` (`toolchain`: each toolchain's own).
    pub(crate) kernel_headers: Option<String>,
    pub(crate) check_reproducible: bool,
    /// `--offline`: Go downloads no modules either.
    pub(crate) offline: bool,
    /// `--keep-failed`: a failed library or vendored build keeps its tree.
    pub(crate) keep_failed: bool,
    /// `--strict`: a declared library no vendored program uses, or an artifact naming a
    /// build-machine folder, is an error.
    pub(crate) strict: bool,
    /// `--no-sbom`: no SBOMs, whatever the file says.
    pub(crate) no_sbom: bool,
    /// `--sbom-supplier`, checked.
    pub(crate) sbom_supplier: Option<String>,
    /// `--dry-run`: plan only; toolchains are resolved, nothing is built.
    pub(crate) dry_run: bool,
}

/// A cache under `dir` whose `toolchains/` and `sources/` are the user's (installed
/// toolchains; verified, content-addressed archives) and everything else is empty.
pub(crate) fn fresh_cache_root(cache: &Cache, dir: &Path) -> Result<PathBuf> {
    let root = dir.join("cache");
    std::fs::create_dir_all(&root).map_err(Error::io("cannot create", &root))?;
    for shared in ["toolchains", "sources"] {
        let original = cache.dir(shared);
        std::fs::create_dir_all(&original).map_err(Error::io("cannot create", &original))?;
        let link = root.join(shared);
        std::os::unix::fs::symlink(&original, &link).map_err(Error::io("cannot create", &link))?;
    }
    Ok(root)
}

pub(crate) fn compare(first: &Report, second: &Report) -> Vec<String> {
    let mut differences = Vec::new();
    for a in &first.artifacts {
        let other = second
            .artifacts
            .iter()
            .find(|b| b.artifact.path == a.artifact.path);
        if other.is_none_or(|b| b.artifact.sha256 != a.artifact.sha256) {
            differences.push(a.artifact.path.clone());
        }
    }
    if let (Some(a), Some(b)) = (&first.image, &second.image)
        && a.digest != b.digest
    {
        differences.push("image index".into());
    }
    differences
}
