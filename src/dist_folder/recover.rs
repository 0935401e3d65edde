//! What a killed process or a damaged file left in a dist folder, settled by the next
//! holder of its lock: an unfinished transaction (`recover`, from the file actually
//! present) and a `manifest.json` that cannot be read (rebuilt from the files, never taken
//! for an empty one).

use std::path::{Path, PathBuf};

use super::*;

/// A `manifest.json` that is there but is not a manifest (truncated by a full disk, a
/// crash of another tool, an edit): its records are rebuilt from the files present and
/// said on stderr, or the damage is refused naming the file that cannot be recorded.
/// Never is it taken for an empty manifest, which would drop every record.
pub(super) fn settle_damaged_manifest(root: &Path, temps: &Temps, ui: Ui) -> Result<()> {
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
pub(super) fn rebuild_records(
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

/// Settles an intent record left by a killed process, from the file actually present:
/// the new entry if its bytes are in place, the previous one if they still are, and
/// otherwise neither (the unknown file is removed). The caller holds the lock.
pub(super) fn recover(root: &Path, temps: &Temps) -> Result<()> {
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
pub(super) fn entry_path_is_plain(root: &Path, path: &str) -> bool {
    let Some((target, name)) = path.split_once('/') else {
        return false;
    };
    Target::ALL.iter().any(|t| t.name() == target)
        && check_name(name).is_ok()
        && std::fs::symlink_metadata(root.join(target)).is_ok_and(|m| m.is_dir())
}
