//! The output layout: `dist/<target>/<name>`, `dist/manifest.json`, `dist/SHA256SUMS`.
//! Everything appears by rename: an artifact is staged in `dist/.tmp-<pid>-*`, verified,
//! then moved into place; the manifest and checksums are rewritten atomically.
//!
//! Every change to the folder is one transaction under an exclusive lock on `dist/`
//! itself (`flock` on the folder): an intent record (`.muslbuild-journal`) names the new
//! entry and the one it replaces, then the file is renamed into place, then manifest and
//! checksums are rewritten, then the record is removed. Whoever takes the lock next and
//! finds a record left by a killed process settles it from the file actually present
//! (`recover`), so a reader under the lock always sees file, manifest and checksums agree.
//! A `manifest.json` that cannot be read is never taken for an empty one: the lock holder
//! rebuilds the records from the files present, each verified again and named by the
//! SBOM beside it, or refuses (`rebuild_records`), so no record is dropped unseen.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod image_sboms;
mod recover;

pub(crate) use image_sboms::install_image_sboms;
use image_sboms::recover_image_sboms;
use recover::{recover, settle_damaged_manifest};

use crate::context::Ctx;
use crate::error::{Error, OutputPlace, Result};
use crate::sys::fs::{Temps, write_atomic};
use crate::sys::hash::sha256_hex;
use crate::sys::ui::Ui;
use crate::target::Target;

pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const CHECKSUMS: &str = "SHA256SUMS";
/// The intent record of an unfinished transaction.
pub(crate) const JOURNAL: &str = ".muslbuild-journal";

/// Checks an artifact name, wherever it comes from (`-o`, the project file, a vendored
/// project's programs): it becomes a file name in `dist/<target>/`, a `SHA256SUMS` line
/// and an image path, so it must be one plain path component of printable characters.
/// Returns why the name is refused.
pub(crate) fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` names a folder, not a file"));
    }
    if name.contains('/') {
        return Err("contains `/`: a name is one file name, not a path".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "contains the control character {:?}: it would forge lines in SHA256SUMS and break paths",
            c
        ));
    }
    Ok(())
}

/// What a killed transaction left: the entry it was installing and the one it replaced.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    new: Artifact,
    previous: Option<Artifact>,
    /// The sha256 of each record (SBOM, provenance) written beside the new entry.
    #[serde(default)]
    sidecars: Vec<String>,
}

/// The exclusive lock on a dist folder (released on drop).
pub(crate) struct DistLock {
    _dir: File,
}

/// Locks `root` (which must exist) and settles what a killed process left unfinished (and
/// a manifest that cannot be read), so that the caller reads a consistent manifest,
/// checksums and files. `muslbuild image` holds it while it reads.
pub(crate) fn lock(root: &Path, temps: &Temps, ui: Ui) -> Result<DistLock> {
    let dir = File::open(root).map_err(Error::io("cannot read the output directory", root))?;
    dir.lock()
        .map_err(Error::io("cannot lock the output directory", root))?;
    settle_damaged_manifest(root, temps, ui)?;
    recover(root, temps)?;
    recover_image_sboms(root)?;
    Ok(DistLock { _dir: dir })
}

/// Whether `relative` (`<target>/<file>`) is one of the records kept beside a listed
/// artifact (its SBOM, its provenance), which belong to the artifact's manifest entry.
pub(crate) fn is_record_of_listed(relative: &str, listed: impl Fn(&str) -> bool) -> bool {
    [crate::sbom::SUFFIX, crate::sbom::PROVENANCE_SUFFIX]
        .iter()
        .any(|suffix| relative.strip_suffix(suffix).is_some_and(&listed))
}

/// Where the SBOM of the artifact at `artifact` sits.
pub(crate) fn sbom_path(artifact: &Path) -> PathBuf {
    sidecar_path(artifact, crate::sbom::SUFFIX)
}

/// Where a record about the artifact at `artifact` sits: beside it, `suffix` added.
fn sidecar_path(artifact: &Path, suffix: &str) -> PathBuf {
    let mut name = artifact.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn read_manifest_at(root: &Path) -> Manifest {
    std::fs::read(root.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The files a folder's `manifest.json` lists (a folder muslbuild wrote), or `None` when
/// it has none that parses.
pub(crate) fn listed_artifacts(root: &Path) -> Option<Vec<PathBuf>> {
    let bytes = std::fs::read(root.join(MANIFEST)).ok()?;
    let manifest: Manifest = serde_json::from_slice(&bytes).ok()?;
    Some(
        manifest
            .artifacts
            .iter()
            .map(|artifact| root.join(&artifact.path))
            .collect(),
    )
}

/// Rewrites manifest and checksums from `manifest` (sorted first); both describe the same
/// set of files because both come from this one list, under the lock.
fn write_records(root: &Path, manifest: &mut Manifest, temps: &Temps) -> Result<()> {
    manifest.artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let mut json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    json.push(b'\n');
    write_if_changed(&root.join(MANIFEST), &json, temps)?;
    let sums: String = manifest
        .artifacts
        .iter()
        .map(|a| format!("{}  {}\n", a.sha256, a.path))
        .collect();
    write_if_changed(&root.join(CHECKSUMS), sums.as_bytes(), temps)
}

/// One entry of `dist/manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Artifact {
    pub(crate) name: String,
    pub(crate) target: String,
    /// Relative to the dist folder: `aarch64/hello`.
    pub(crate) path: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) toolchain: String,
    pub(crate) toolchain_version: String,
    pub(crate) verification: Verification,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Verification {
    pub(crate) ok: bool,
    #[serde(rename = "static")]
    pub(crate) is_static: bool,
    pub(crate) static_pie: bool,
    pub(crate) stripped: bool,
    pub(crate) machine: String,
    /// Strings in the file that name build-machine folders (the cache, the project, the
    /// temporary or home folder), with what each points into; absent when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) build_paths: Vec<crate::verify::paths::BuildPath>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) artifacts: Vec<Artifact>,
}

pub(crate) struct Dist {
    root: PathBuf,
    /// Whether a rebuilt manifest is said on stderr.
    ui: Ui,
    /// What the SBOMs say besides each artifact's own facts; `None`: no SBOMs.
    sbom: Option<crate::sbom::Plan>,
    /// The build-machine folders no artifact should name, and whether one that does is
    /// an error.
    path_check: crate::verify::paths::PathCheck,
    /// Where staged files are registered, so that an interrupt removes them.
    temps: Arc<Temps>,
}

impl Dist {
    /// Creates the folder and proves it is writable before any work starts; removes what
    /// killed runs left (their staging folders, an unfinished transaction).
    pub(crate) fn prepare(root: &Path, ctx: &Ctx) -> Result<Dist> {
        let temps = ctx.supervisor.temps();
        let unwritable = |source| Error::WriteOutput {
            place: OutputPlace::OutDir,
            path: root.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(root).map_err(unwritable)?;
        tempfile::Builder::new()
            .prefix(&temps.prefix(root))
            .tempfile_in(root)
            .map_err(unwritable)?;
        crate::sys::fs::sweep_dead_temps(root);
        drop(lock(root, temps, ctx.ui)?);
        Ok(Dist {
            root: root.to_path_buf(),
            ui: ctx.ui,
            sbom: None,
            path_check: crate::verify::paths::PathCheck::of_machine(
                &ctx.env,
                ctx.cache.root(),
                &ctx.env.cwd,
                false,
            ),
            temps: Arc::clone(temps),
        })
    }

    /// Checks artifacts for `check`'s folders from now on (a project's folder, and
    /// `--strict`), instead of the working folder's without `--strict`.
    pub(crate) fn with_path_check(mut self, check: crate::verify::paths::PathCheck) -> Dist {
        self.path_check = check;
        self
    }

    pub(crate) fn path_check(&self) -> &crate::verify::paths::PathCheck {
        &self.path_check
    }

    /// Writes an SBOM beside every artifact from now on (`--no-sbom` leaves `None`).
    pub(crate) fn with_sbom(mut self, plan: Option<crate::sbom::Plan>) -> Dist {
        self.sbom = plan;
        self
    }

    pub(crate) fn sbom_plan(&self) -> Option<&crate::sbom::Plan> {
        self.sbom.as_ref()
    }

    #[cfg(test)]
    fn root(&self) -> &Path {
        &self.root
    }

    /// A staging folder inside dist (same filesystem, so installing is a rename); it
    /// disappears with everything in it unless its files are installed.
    pub(crate) fn staging(&self) -> Result<tempfile::TempDir> {
        tempfile::Builder::new()
            .prefix(&self.temps.prefix(&self.root))
            .tempdir_in(&self.root)
            .map_err(Error::write_output(OutputPlace::OutDir, &self.root))
    }

    pub(crate) fn relative_path(target: Target, name: &str) -> String {
        format!("{target}/{name}")
    }

    /// Moves a verified file from staging to `dist/<path>` and records `artifact` in the
    /// manifest and checksums, as one transaction under the dist lock (see the module
    /// comment): a kill at any point leaves a state the next lock holder settles.
    /// `sidecars` (suffix, bytes: the SBOM, the provenance) are written beside it in the
    /// same transaction (renamed in first); one of `sbom::SUFFIXES` left from an earlier
    /// build and not among them is removed, as it no longer describes the file.
    pub(crate) fn install(
        &self,
        staged: &Path,
        artifact: &Artifact,
        sidecars: &[(&str, Vec<u8>)],
    ) -> Result<PathBuf> {
        let dest = self.root.join(&artifact.path);
        let dir = dest.parent().expect("artifact has a folder");
        std::fs::create_dir_all(dir).map_err(Error::write_output(OutputPlace::OutDir, dir))?;
        let _lock = lock(&self.root, &self.temps, self.ui)?;
        let mut manifest = self.read_manifest();
        let previous = manifest
            .artifacts
            .iter()
            .find(|a| a.path == artifact.path)
            .cloned();
        // An identical file is left alone: its mtime stays, and ext4 does not flush on a
        // rename over it (a warm rebuild then costs no disk sync at all).
        let unchanged = same_bytes(staged, &dest);
        // Per known suffix: its path, the bytes to write (if any), the bytes there now.
        type Record<'a> = (PathBuf, Option<&'a [u8]>, Option<Vec<u8>>);
        let records: Vec<Record<'_>> = crate::sbom::SUFFIXES
            .iter()
            .map(|suffix| {
                let path = sidecar_path(&dest, suffix);
                let new = sidecars
                    .iter()
                    .find(|(s, _)| s == suffix)
                    .map(|(_, b)| b.as_slice());
                let old = std::fs::read(&path).ok();
                (path, new, old)
            })
            .collect();
        let records_unchanged = records.iter().all(|(_, new, old)| *new == old.as_deref());
        if unchanged && previous.as_ref() == Some(artifact) && records_unchanged {
            let _ = std::fs::remove_file(staged);
            return Ok(dest);
        }
        let journal = Journal {
            new: artifact.clone(),
            previous,
            sidecars: sidecars.iter().map(|(_, b)| sha256_hex(b)).collect(),
        };
        write_atomic(
            &self.temps,
            &self.root.join(JOURNAL),
            &serde_json::to_vec(&journal).expect("journal serialises"),
        )?;
        for (path, new, old) in &records {
            match new {
                Some(bytes) => write_if_changed(path, bytes, &self.temps)?,
                None if old.is_some() => {
                    std::fs::remove_file(path).map_err(Error::io("cannot remove", path))?
                }
                None => {}
            }
        }
        if unchanged {
            let _ = std::fs::remove_file(staged);
        } else {
            std::fs::rename(staged, &dest)
                .map_err(Error::io("cannot move the artifact into", &dest))?;
        }
        manifest.artifacts.retain(|a| a.path != artifact.path);
        manifest.artifacts.push(artifact.clone());
        write_records(&self.root, &mut manifest, &self.temps)?;
        let journal_path = self.root.join(JOURNAL);
        std::fs::remove_file(&journal_path).map_err(Error::io("cannot remove", &journal_path))?;
        Ok(dest)
    }

    pub(crate) fn read_manifest(&self) -> Manifest {
        read_manifest_at(&self.root)
    }

    /// Under the dist lock, merges `built` into the manifest (replacing entries of the
    /// same target and name, dropping entries whose file is gone), then rewrites manifest
    /// and checksums.
    pub(crate) fn record(&self, built: &[Artifact]) -> Result<Manifest> {
        let _lock = lock(&self.root, &self.temps, self.ui)?;
        let mut manifest = self.read_manifest();
        manifest.artifacts.retain(|old| {
            !built.iter().any(|new| new.path == old.path) && self.root.join(&old.path).is_file()
        });
        manifest.artifacts.extend(built.iter().cloned());
        write_records(&self.root, &mut manifest, &self.temps)?;
        Ok(manifest)
    }
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Ok(mut fa), Ok(mut fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
        return false;
    };
    match (fa.metadata(), fb.metadata()) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => {}
        _ => return false,
    }
    // In chunks: an artifact is megabytes, and two whole copies in memory cost more in
    // page faults than the comparison itself.
    let (mut xa, mut xb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let Ok(n) = fa.read(&mut xa) else {
            return false;
        };
        if n == 0 {
            return fb.read(&mut xb[..1]).is_ok_and(|m| m == 0);
        }
        if fb.read_exact(&mut xb[..n]).is_err() || xa[..n] != xb[..n] {
            return false;
        }
    }
}

fn write_if_changed(path: &Path, bytes: &[u8], temps: &Temps) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    write_atomic(temps, path, bytes)
}

#[cfg(test)]
mod tests {
    use super::image_sboms::{IMAGE_JOURNAL, IMAGE_SBOMS};
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
                build_paths: Vec::new(),
            },
        }
    }

    #[test]
    fn record_merges_and_writes_checksums() {
        let dir = tempfile::tempdir().unwrap();
        let dist = Dist::prepare(&dir.path().join("dist"), &Ctx::for_tests(dir.path())).unwrap();
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
    fn names_are_one_printable_file_name() {
        assert!(check_name("hello-1.0_x").is_ok());
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "evil\nffff  x86_64/hello",
            "tab\there",
            "\u{7f}",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn build_paths_are_recorded_only_when_found_and_old_manifests_still_read() {
        let clean = artifact("x86_64/hello", "a");
        let json = serde_json::to_value(&clean).unwrap();
        assert!(json["verification"].get("build_paths").is_none(), "{json}");
        let mut leaky = clean.clone();
        leaky
            .verification
            .build_paths
            .push(crate::verify::paths::BuildPath {
                string: "/home/al/proj/data".into(),
                origin: "the project folder".into(),
            });
        let json = serde_json::to_value(&leaky).unwrap();
        assert_eq!(
            json["verification"]["build_paths"][0]["origin"],
            "the project folder"
        );
        // A manifest written before the field existed.
        let mut old = serde_json::to_value(&clean).unwrap();
        old["verification"]
            .as_object_mut()
            .unwrap()
            .remove("build_paths");
        let read: Artifact = serde_json::from_value(old).unwrap();
        assert!(read.verification.build_paths.is_empty());
    }

    #[test]
    fn an_interrupted_install_is_settled_by_the_next_lock() {
        let dir = tempfile::tempdir().unwrap();
        let dist = Dist::prepare(&dir.path().join("dist"), &Ctx::for_tests(dir.path())).unwrap();
        let old = artifact("x86_64/hello", &sha256_hex(b"old"));
        let staged = dist.root().join("staged");
        std::fs::write(&staged, b"old").unwrap();
        dist.install(&staged, &old, &[]).unwrap();
        let new = artifact("x86_64/hello", &sha256_hex(b"new"));
        // Killed after the rename, before the records: the new file wins.
        let journal = Journal {
            new: new.clone(),
            previous: Some(old.clone()),
            sidecars: Vec::new(),
        };
        std::fs::write(
            dist.root().join(JOURNAL),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        std::fs::write(dist.root().join("x86_64/hello"), b"new").unwrap();
        drop(lock(dist.root(), &dist.temps, dist.ui).unwrap());
        assert_eq!(dist.read_manifest().artifacts, vec![new.clone()]);
        assert!(!dist.root().join(JOURNAL).exists());
        // Killed before the rename: the previous entry stays.
        let journal = Journal {
            new: artifact("x86_64/hello", &sha256_hex(b"newer")),
            previous: Some(new.clone()),
            sidecars: Vec::new(),
        };
        std::fs::write(
            dist.root().join(JOURNAL),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        drop(lock(dist.root(), &dist.temps, dist.ui).unwrap());
        assert_eq!(dist.read_manifest().artifacts, vec![new.clone()]);
        let sums = std::fs::read_to_string(dist.root().join(CHECKSUMS)).unwrap();
        assert_eq!(sums, format!("{}  x86_64/hello\n", new.sha256));
    }

    #[test]
    fn an_sbom_whose_artifact_did_not_land_is_removed_by_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let dist = Dist::prepare(&dir.path().join("dist"), &Ctx::for_tests(dir.path())).unwrap();
        let old = artifact("x86_64/hello", &sha256_hex(b"old"));
        let staged = dist.root().join("staged");
        std::fs::write(&staged, b"old").unwrap();
        dist.install(&staged, &old, &[(".spdx.json", b"old sbom".to_vec())])
            .unwrap();
        let sbom = dist.root().join("x86_64/hello.spdx.json");
        assert_eq!(std::fs::read(&sbom).unwrap(), b"old sbom");
        // Killed after the SBOM's rename, before the artifact's.
        let journal = Journal {
            new: artifact("x86_64/hello", &sha256_hex(b"new")),
            previous: Some(old.clone()),
            sidecars: vec![sha256_hex(b"new sbom")],
        };
        std::fs::write(
            dist.root().join(JOURNAL),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        std::fs::write(&sbom, b"new sbom").unwrap();
        drop(lock(dist.root(), &dist.temps, dist.ui).unwrap());
        assert_eq!(dist.read_manifest().artifacts, vec![old]);
        assert!(
            !sbom.exists(),
            "an SBOM of bytes that are not there was kept"
        );
    }

    #[test]
    fn image_sboms_of_an_image_that_did_not_land_are_removed_by_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let dist = Dist::prepare(&dir.path().join("dist"), &Ctx::for_tests(dir.path())).unwrap();
        let layout = dir.path().join("layout");
        let doc = || vec![("image-x86_64.spdx.json".to_string(), b"new".to_vec())];
        // Killed while writing the image: the document is in, the image is not.
        let killed = install_image_sboms(
            dist.root(),
            &layout,
            "latest",
            "sha256:00",
            &doc(),
            &dist.temps,
            || Err(Error::usage("killed", "")),
        );
        assert!(killed.is_err());
        let sbom = dist.root().join("sbom/image-x86_64.spdx.json");
        assert!(sbom.is_file() && dist.root().join(IMAGE_JOURNAL).is_file());
        drop(lock(dist.root(), &dist.temps, dist.ui).unwrap());
        assert!(
            !sbom.exists(),
            "an SBOM of an image not in its layout was kept"
        );
        // Landed: kept, and no record left.
        let written = install_image_sboms(
            dist.root(),
            &layout,
            "latest",
            "sha256:00",
            &doc(),
            &dist.temps,
            || Ok(()),
        )
        .unwrap();
        assert_eq!(written, vec![sbom.clone()]);
        assert!(!dist.root().join(IMAGE_JOURNAL).exists());
        // None wanted (`--no-sbom`): the old one goes, and the folder with it.
        install_image_sboms(
            dist.root(),
            &layout,
            "latest",
            "sha256:00",
            &[],
            &dist.temps,
            || Ok(()),
        )
        .unwrap();
        assert!(!dist.root().join(IMAGE_SBOMS).exists());
    }

    #[test]
    fn a_forged_journal_touches_nothing_outside_the_entries() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("victim");
        std::fs::write(&outside, b"keep").unwrap();
        let dist = Dist::prepare(&dir.path().join("dist"), &Ctx::for_tests(dir.path())).unwrap();
        let journal = Journal {
            new: artifact("x86_64/../../victim", "00"),
            previous: None,
            sidecars: Vec::new(),
        };
        std::fs::write(
            dist.root().join(JOURNAL),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        drop(lock(dist.root(), &dist.temps, dist.ui).unwrap());
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
        assert!(!dist.root().join(JOURNAL).exists());
    }

    #[test]
    fn unwritable_out_dir_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let err = Dist::prepare(&file.join("dist"), &Ctx::for_tests(dir.path()))
            .err()
            .unwrap();
        assert!(matches!(
            err,
            Error::WriteOutput {
                place: OutputPlace::OutDir,
                ..
            }
        ));
    }

    #[test]
    fn same_bytes_compares_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut last_differs = big.clone();
        *last_differs.last_mut().unwrap() ^= 1;
        let a = file("a", &big);
        assert!(same_bytes(&a, &file("b", &big)));
        assert!(!same_bytes(&a, &file("c", &last_differs)));
        assert!(!same_bytes(&a, &file("d", &big[..big.len() - 1])));
        assert!(!same_bytes(&a, &dir.path().join("missing")));
    }
}
