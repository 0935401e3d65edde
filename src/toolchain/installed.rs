//! The toolchains installed in the cache: their completion records, the installed part
//! of `toolchain list`, `toolchain remove` and `toolchain prune`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::manifest::{Manifest, ManifestProvider, Want};
use crate::cache::{self, Cache};
use crate::error::{Error, Result};

/// Why an installed toolchain is passed over (`Cache::is_complete` named the file).
pub(crate) const DAMAGED_ENTRY: &str =
    "its cache entry is damaged (named above); it is installed again when needed";

/// The completion record of an installed toolchain (JSON, in `.muslbuild-complete`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct InstallRecord {
    pub(crate) name: String,
    pub(crate) provider: ManifestProvider,
    pub(crate) version: String,
    pub(crate) host: String,
    pub(crate) targets: Vec<String>,
    /// The URL, `pip download …` requirement, or local file it came from.
    pub(crate) source: String,
    pub(crate) sha256: String,
    pub(crate) size: u64,
    /// Seconds since the Unix epoch.
    pub(crate) installed_at: u64,
    #[serde(skip)]
    pub(crate) dir: PathBuf,
}

impl InstallRecord {
    pub(crate) fn covers(&self, want: Want) -> bool {
        super::manifest::provides(self.provider, &self.targets, want)
    }

    /// One line for `toolchain list`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "{} {} ({}) for {}: {} sha256 {} installed {}",
            self.provider.name(),
            self.version,
            self.name,
            if self.targets.is_empty() {
                "go".to_string()
            } else {
                self.targets.join(", ")
            },
            self.source,
            self.sha256,
            crate::sys::time::utc_minutes(self.installed_at)
        )
    }
}

pub(crate) fn read_record(dir: &Path) -> Option<InstallRecord> {
    let text = std::fs::read_to_string(dir.join(cache::COMPLETE)).ok()?;
    let mut record: InstallRecord = serde_json::from_str(&text).ok()?;
    record.dir = dir.to_path_buf();
    Some(record)
}

/// Every installed toolchain (complete entries only), by name.
pub(crate) fn installed(cache: &Cache) -> Vec<InstallRecord> {
    let mut records: Vec<InstallRecord> = published(cache)
        .into_iter()
        .filter(|p| cache.is_complete(p))
        .filter_map(|p| read_record(&p))
        .collect();
    records.sort_by(|a, b| a.name.cmp(&b.name));
    records
}

/// The `go` of an installed Go toolchain (newest install first) and its entry,
/// unchecked (see `published`): its user checks the entry when it picks it.
pub(crate) fn installed_go(cache: &Cache) -> Option<(PathBuf, PathBuf)> {
    let mut gos: Vec<InstallRecord> = published(cache)
        .iter()
        .filter_map(|dir| read_record(dir))
        .filter(|r| r.provider == ManifestProvider::Go)
        .collect();
    gos.sort_by_key(|r| std::cmp::Reverse(r.installed_at));
    gos.into_iter()
        .map(|r| (r.dir.join("bin").join("go"), r.dir))
        .find(|(go, _)| go.is_file())
}

/// Lines for `toolchain list`: the installed toolchains, with where they came from.
pub(crate) fn list_installed(cache: &Cache) -> Vec<String> {
    installed(cache)
        .iter()
        .map(InstallRecord::describe)
        .collect()
}

/// `toolchain remove NAME|TARGET...`: removes installed toolchains by entry name, or every
/// one that covers a target (of `provider`, when given). Returns what was removed.
pub(crate) fn remove(
    names: &[String],
    provider: Option<ManifestProvider>,
    cache: &Cache,
) -> Result<Vec<InstallRecord>> {
    if names.is_empty() {
        return Err(Error::usage(
            "nothing to remove",
            "name installed toolchains or targets: `muslbuild toolchain remove aarch64` (`muslbuild toolchain list` shows them)",
        ));
    }
    let all = installed(cache);
    let mut chosen: Vec<InstallRecord> = Vec::new();
    for name in names {
        let matching: Vec<&InstallRecord> = match all.iter().find(|r| &r.name == name) {
            Some(record) => vec![record],
            None => {
                let wants = Want::parse_list(name).map_err(|_| {
                    Error::usage(
                        format!("no installed toolchain is called `{name}`"),
                        "`muslbuild toolchain list` shows the installed ones",
                    )
                })?;
                all.iter()
                    .filter(|r| {
                        wants.iter().any(|&w| r.covers(w))
                            && provider.is_none_or(|p| r.provider == p)
                    })
                    .collect()
            }
        };
        for record in matching {
            if !chosen.iter().any(|c| c.name == record.name) {
                chosen.push(record.clone());
            }
        }
    }
    for record in &chosen {
        let _lock = cache.lock(&lock_name(&record.name))?;
        remove_entry(cache, &record.dir)?;
    }
    Ok(chosen)
}

/// Takes the entry out of view with one rename, then deletes it: a process killed
/// half-way leaves a hidden folder that `prune` clears, never a half toolchain.
fn remove_entry(cache: &Cache, dir: &Path) -> Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hidden = parent.join(format!("{}removed-{name}", cache.temp_prefix(parent)));
    std::fs::rename(dir, &hidden).map_err(Error::io("cannot remove", dir))?;
    if let Some(seal) = cache.seal_of(dir) {
        let _ = std::fs::remove_file(seal);
    }
    std::fs::remove_dir_all(&hidden).map_err(Error::io("cannot remove", &hidden))
}

/// `toolchain prune`: deletes what no install needs: leftovers of killed or failed
/// installs (temporary folders, partial downloads, archives), and installed toolchains the
/// manifest no longer lists. Returns the paths removed.
pub(crate) fn prune(manifest: &Manifest, cache: &Cache) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let toolchains = cache.dir("toolchains");
    if let Ok(entries) = std::fs::read_dir(&toolchains) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if let Some(pid) = crate::sys::fs::temp_owner(entry.file_name().as_os_str()) {
                // `.tmp-<pid>-…`: stale once its process is gone.
                if crate::sys::fs::sweep_dead_temp(&path, pid) {
                    removed.push(path);
                }
                continue;
            }
            if let Some(rest) = name.strip_prefix(".tmp-") {
                // `.tmp-<entry>-XXXXXX`: stale unless that entry's install holds its lock.
                let busy = manifest.entries.iter().any(|e| {
                    rest.starts_with(&format!("{}-", e.name))
                        && is_locked(cache, &lock_name(&e.name))
                });
                if !busy {
                    std::fs::remove_dir_all(&path).map_err(Error::io("cannot remove", &path))?;
                    removed.push(path);
                }
                continue;
            }
            let listed = manifest.by_name(&name).is_some();
            if !listed || !cache.is_complete(&path) {
                if is_locked(cache, &lock_name(&name)) {
                    continue;
                }
                std::fs::remove_dir_all(&path).map_err(Error::io("cannot remove", &path))?;
                removed.push(path);
            }
        }
    }
    removed.extend(cache.sweep_seals());
    let downloads = cache.dir("downloads");
    if let Ok(entries) = std::fs::read_dir(&downloads) {
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".lock") {
                continue;
            }
            let lock = downloads.join(format!(
                "{}.lock",
                name.strip_suffix(".part").unwrap_or(&name)
            ));
            if lock.is_file() && try_lock_file(&lock) == Some(false) {
                continue;
            }
            let result = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            result.map_err(Error::io("cannot remove", &path))?;
            removed.push(path);
        }
    }
    removed.sort();
    Ok(removed)
}

fn is_locked(cache: &Cache, name: &str) -> bool {
    let path = cache.dir("locks").join(format!("{name}.lock"));
    path.is_file() && try_lock_file(&path) == Some(false)
}

/// Some(true) if the lock was free, Some(false) if someone holds it.
fn try_lock_file(path: &Path) -> Option<bool> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ok()?;
    match file.try_lock() {
        Ok(()) => Some(true),
        Err(std::fs::TryLockError::WouldBlock) => Some(false),
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

pub(crate) fn lock_name(entry: &str) -> String {
    format!("toolchain-{entry}")
}

/// The bin directories of toolchains installed in the cache (complete, intact entries
/// only).
pub fn installed_bin_dirs(cache: &Cache) -> Vec<PathBuf> {
    published(cache)
        .into_iter()
        .filter(|entry| cache.is_complete(entry))
        .map(|entry| entry.join("bin"))
        .filter(|p| p.is_dir())
        .collect()
}

/// The entry folders in `toolchains/` that carry a completion record, in name order,
/// unchecked: one `read_dir` and a stat each, so discovery can name what is installed
/// and leave the check of an entry (20,000 files for zig) to the moment it is chosen
/// (`probe`). Hidden names are an install's or a removal's temporary folders: a process
/// killed between writing the record and the rename leaves one that looks complete.
pub(crate) fn published(cache: &Cache) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(cache.dir("toolchains")) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| std::fs::symlink_metadata(p.join(cache::COMPLETE)).is_ok_and(|m| m.is_file()))
        .collect();
    dirs.sort();
    dirs
}

/// The `zig` of every zig installed in the cache, with its entry, unchecked (see
/// `published`).
pub(crate) fn published_zigs(cache: &Cache) -> Vec<(PathBuf, PathBuf)> {
    published(cache)
        .into_iter()
        .map(|entry| (entry.join("bin").join("zig"), entry))
        .filter(|(zig, _)| zig.is_file())
        .collect()
}
