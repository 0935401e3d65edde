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

/// A `manifest.json` that is there but is not a manifest (truncated by a full disk, a
/// crash of another tool, an edit): its records are rebuilt from the files present and
/// said on stderr, or the damage is refused naming the file that cannot be recorded.
/// Never is it taken for an empty manifest, which would drop every record.
fn settle_damaged_manifest(root: &Path, temps: &Temps, ui: Ui) -> Result<()> {
    let path = root.join(MANIFEST);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(());
    };
    let Err(damage) = serde_json::from_slice::<Manifest>(&bytes) else {
        return Ok(());
    };
    let (mut manifest, left_out) = rebuild_records(root, &path, &damage.to_string())?;
    write_records(root, &mut manifest, temps)?;
    ui.warn(format_args!(
        "{} could not be read ({damage}); its records were rebuilt from the files in {} ({} artifacts), each verified again and named by its SBOM",
        path.display(),
        root.display(),
        manifest.artifacts.len()
    ));
    for (file, why) in left_out {
        ui.warn(format_args!("{} is not recorded: {why}", file.display()));
    }
    Ok(())
}

/// The records of every artifact in `root`, read from the files: each `<target>/<name>`
/// that verifies as a static executable of its folder's target, with the toolchain its
/// SBOM names (the SBOM must describe those very bytes). A file that does not verify was
/// never installed by muslbuild (only verified files are) and is returned with the reason
/// instead; a verified one without an SBOM that describes it cannot be recorded honestly,
/// and is refused.
fn rebuild_records(
    root: &Path,
    manifest_path: &Path,
    damage: &str,
) -> Result<(Manifest, Vec<(PathBuf, String)>)> {
    let mut manifest = Manifest::default();
    let mut left_out = Vec::new();
    for target in Target::ALL {
        let folder = root.join(target.name());
        if !std::fs::symlink_metadata(&folder).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        let entries = std::fs::read_dir(&folder)
            .map_err(Error::io("cannot read the output directory", &folder))?;
        let mut names: Vec<std::ffi::OsString> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for file_name in names {
            let file = folder.join(&file_name);
            let name = file_name.to_string_lossy();
            let is_record = crate::sbom::SUFFIXES.iter().any(|s| name.ends_with(s));
            if is_record || crate::sys::fs::temp_owner(&file_name).is_some() {
                continue;
            }
            if !std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
                || check_name(&name).is_err()
            {
                left_out.push((file, "not a plain file muslbuild names".into()));
                continue;
            }
            let bytes = std::fs::read(&file).map_err(Error::io("cannot read", &file))?;
            let report = crate::verify::verify_bytes(&file, &bytes, Some(target));
            if !report.ok {
                left_out.push((file, report.problems.join("; ")));
                continue;
            }
            let refuse = |why: &str| Error::DamagedManifest {
                manifest: manifest_path.to_path_buf(),
                damage: damage.to_string(),
                file: file.clone(),
                why: why.to_string(),
            };
            let sbom = std::fs::read(sbom_path(&file))
                .map_err(|_| refuse("it has no SBOM beside it to say what built it"))?;
            if crate::sbom::recorded_sha256(&sbom).as_deref() != Some(report.sha256.as_str()) {
                return Err(refuse("the SBOM beside it describes other bytes"));
            }
            let (toolchain, toolchain_version) = crate::sbom::recorded_toolchain(&sbom)
                .ok_or_else(|| refuse("the SBOM beside it names no toolchain"))?;
            manifest.artifacts.push(Artifact {
                name: name.into_owned(),
                target: target.name().to_string(),
                path: Dist::relative_path(target, &file_name.to_string_lossy()),
                size: report.size,
                sha256: report.sha256.clone(),
                toolchain,
                toolchain_version,
                verification: Verification {
                    ok: true,
                    is_static: true,
                    static_pie: report.static_pie,
                    stripped: report.stripped,
                    machine: crate::verify::short_kind_name(target),
                    // What folders count is the build's to know (its project, cache and
                    // temporary folders), not the dist's: `muslbuild verify` finds them
                    // again, and the next build of the artifact records them.
                    build_paths: Vec::new(),
                },
            });
        }
    }
    Ok((manifest, left_out))
}

/// The folder of the image SBOMs, `dist/sbom/`, one `image-<target>.spdx.json` per
/// platform of the last image made from this dist.
pub(crate) const IMAGE_SBOMS: &str = "sbom";
/// The intent record of an unfinished image SBOM transaction.
const IMAGE_JOURNAL: &str = ".muslbuild-journal-image";

/// What an image SBOM transaction intends: the image (its layout, tag and index) the
/// documents describe, and each document's sha256.
#[derive(Debug, Serialize, Deserialize)]
struct ImageJournal {
    layout: PathBuf,
    tag: String,
    index: String,
    documents: Vec<String>,
}

/// Replaces the image SBOMs in `root/sbom/` with `documents` (file name, bytes; none
/// removes them), then runs `write_image` (which writes the layout they describe), as
/// one transaction: the caller holds the dist lock, an intent record names the image,
/// each document appears by rename; a kill before the image is in its layout leaves
/// documents the next lock holder removes (`recover_image_sboms`).
pub(crate) fn install_image_sboms(
    root: &Path,
    layout: &Path,
    tag: &str,
    index: &str,
    documents: &[(String, Vec<u8>)],
    temps: &Temps,
    write_image: impl FnOnce() -> Result<()>,
) -> Result<Vec<PathBuf>> {
    let dir = root.join(IMAGE_SBOMS);
    let stale: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            is_image_sbom_name(&name) && !documents.iter().any(|(n, _)| *n == name)
        })
        .collect();
    if documents.is_empty() && stale.is_empty() {
        write_image()?;
        return Ok(Vec::new());
    }
    let journal = ImageJournal {
        layout: layout.to_path_buf(),
        tag: tag.to_string(),
        index: index.to_string(),
        documents: documents.iter().map(|(_, b)| sha256_hex(b)).collect(),
    };
    write_atomic(
        temps,
        &root.join(IMAGE_JOURNAL),
        &serde_json::to_vec(&journal).expect("journal serialises"),
    )?;
    let mut written = Vec::new();
    if !documents.is_empty() {
        std::fs::create_dir_all(&dir).map_err(Error::write_output(OutputPlace::OutDir, &dir))?;
    }
    for (name, bytes) in documents {
        let path = dir.join(name);
        write_if_changed(&path, bytes, temps)?;
        written.push(path);
    }
    for path in stale {
        std::fs::remove_file(&path).map_err(Error::io("cannot remove", &path))?;
    }
    if documents.is_empty() {
        // Only when empty: a folder the user put other files in stays.
        let _ = std::fs::remove_dir(&dir);
    }
    write_image()?;
    let journal_path = root.join(IMAGE_JOURNAL);
    std::fs::remove_file(&journal_path).map_err(Error::io("cannot remove", &journal_path))?;
    Ok(written)
}

/// `image-<target>.spdx.json`: the names muslbuild writes in `dist/sbom/`.
fn is_image_sbom_name(name: &str) -> bool {
    name.strip_prefix("image-")
        .and_then(|n| n.strip_suffix(crate::sbom::SUFFIX))
        .is_some_and(|target| Target::ALL.iter().any(|t| t.name() == target))
}

/// Settles an image SBOM transaction a killed process left: when its image is not in
/// the layout under its tag, the documents it wrote describe nothing there and go.
fn recover_image_sboms(root: &Path) -> Result<()> {
    let journal_path = root.join(IMAGE_JOURNAL);
    let Ok(bytes) = std::fs::read(&journal_path) else {
        return Ok(());
    };
    if let Ok(journal) = serde_json::from_slice::<ImageJournal>(&bytes) {
        let landed = crate::sys::oci_layout::LayoutIndex::read(&journal.layout)
            .is_ok_and(|index| index.names(&journal.index, &journal.tag));
        let dir = root.join(IMAGE_SBOMS);
        if !landed {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_new = is_image_sbom_name(&name)
                    && std::fs::read(entry.path())
                        .is_ok_and(|b| journal.documents.contains(&sha256_hex(&b)));
                if is_new {
                    let path = entry.path();
                    std::fs::remove_file(&path).map_err(Error::io("cannot remove", &path))?;
                }
            }
        }
    }
    std::fs::remove_file(&journal_path).map_err(Error::io("cannot remove", &journal_path))
}

/// Settles an intent record left by a killed process, from the file actually present:
/// the new entry if its bytes are in place, the previous one if they still are, and
/// otherwise neither (the unknown file is removed). The caller holds the lock.
fn recover(root: &Path, temps: &Temps) -> Result<()> {
    let journal_path = root.join(JOURNAL);
    let Ok(bytes) = std::fs::read(&journal_path) else {
        return Ok(());
    };
    let mut manifest = read_manifest_at(root);
    // A record that does not name `<target>/<name>` inside this folder (a hostile or
    // damaged dist) settles nothing: only the files of real entries are ever touched.
    let journal = serde_json::from_slice::<Journal>(&bytes)
        .ok()
        .filter(|j| entry_path_is_plain(root, &j.new.path));
    if let Some(journal) = journal {
        let path = root.join(&journal.new.path);
        let actual = std::fs::read(&path).ok().map(|b| sha256_hex(&b));
        manifest.artifacts.retain(|a| a.path != journal.new.path);
        // The records beside it are renamed in before the artifact: unless the new
        // artifact is in place, one with the new records' bytes describes a file that is
        // not there.
        if actual.as_deref() != Some(journal.new.sha256.as_str()) {
            for suffix in crate::sbom::SUFFIXES {
                let record = sidecar_path(&path, suffix);
                let is_new = std::fs::read(&record)
                    .ok()
                    .is_some_and(|b| journal.sidecars.contains(&sha256_hex(&b)));
                if is_new {
                    std::fs::remove_file(&record).map_err(Error::io("cannot remove", &record))?;
                }
            }
        }
        match actual {
            Some(sha) if sha == journal.new.sha256 => manifest.artifacts.push(journal.new),
            Some(sha) if journal.previous.as_ref().is_some_and(|p| p.sha256 == sha) => {
                manifest.artifacts.extend(journal.previous)
            }
            Some(_) => {
                std::fs::remove_file(&path).map_err(Error::io("cannot remove", &path))?;
            }
            None => {}
        }
    }
    write_records(root, &mut manifest, temps)?;
    std::fs::remove_file(&journal_path).map_err(Error::io("cannot remove", &journal_path))
}

/// `path` is `<target>/<name>` for a real target folder (not a link) and a valid name.
fn entry_path_is_plain(root: &Path, path: &str) -> bool {
    let Some((target, name)) = path.split_once('/') else {
        return false;
    };
    Target::ALL.iter().any(|t| t.name() == target)
        && check_name(name).is_ok()
        && std::fs::symlink_metadata(root.join(target)).is_ok_and(|m| m.is_dir())
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
