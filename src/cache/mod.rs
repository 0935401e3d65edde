//! The cache and its rules: every entry appears by rename from a temporary directory
//! beside it, under a lock, and an entry without its completion record does not exist.
//! The cache is a copy, not an authority: each entry records the content hash, mode and
//! a stamp (size, inode, mtime, ctime) of every file it holds when it is published, and
//! every use compares the stamps and hashes again where one differs. A damaged entry (a
//! changed, added or missing file, a symlink in place of a folder, a folder writable by
//! others) is never used: muslbuild names the file, and the entry is rebuilt (or
//! reinstalled) and replaced. `muslbuild cache verify` hashes everything.
//!
//! Each entry has two locks in `locks/`, named after its folder: `entry-<name>.lock`,
//! which its builder holds exclusively while it makes or replaces it, and
//! `entry-<name>.use`, which every process that looks an entry up holds shared for the
//! rest of its run (`is_complete` takes it: a run uses what it looked up). `cache prune`
//! removes an entry only when it gets both exclusively, without waiting: an entry being
//! built or used is kept. Builders never take `.use`, so a process that uses an entry and
//! then rebuilds it (found damaged) cannot wait on itself.

mod entry;
pub(crate) mod remote;
pub(crate) mod verify;

pub(crate) use entry::{CONTENTS, check_unpacked, checked_text, read_checked_text};
pub use entry::{Damage, Depth, check_entry};

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::sys::fs::Temps;
use crate::sys::ui::Ui;

/// The file whose presence makes a cache directory count as complete.
pub(crate) const COMPLETE: &str = ".muslbuild-complete";

/// The folders of the cache that hold entries.
pub(crate) const KINDS: &[&str] = &[
    "toolchains",
    "sources",
    "libs",
    "vendor",
    "builds",
    "probes",
    "zig",
];

/// The cache at `root`. Clones share what the run has learnt about entries.
#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
    /// Whether waits and damaged entries are reported (not under `-q`).
    ui: Ui,
    /// Where temporary entries are registered, for the interrupt's cleanup.
    temps: Arc<Temps>,
    seen: Arc<Seen>,
}

/// What this run found out about entries: checked once, warned about once.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Entries found intact (discovery and the build ask about the same toolchain, 20,000
    /// files for zig, several times). `publish_dir` forgets what it replaces.
    intact: Mutex<Vec<PathBuf>>,
    /// Damaged entries already reported.
    warned: Mutex<Vec<PathBuf>>,
    /// The `.use` locks this run holds (shared), by lock name: one open file each.
    pins: Mutex<HashMap<String, File>>,
    /// Held while an installed toolchain is checked: targets resolve side by side and
    /// would each check the same zig; the others wait and find it remembered.
    sealed_check: Mutex<()>,
}

impl Cache {
    /// The run's cache (`Ctx::new` makes it): `temps` is the supervisor's.
    pub(crate) fn open(root: PathBuf, ui: Ui, temps: Arc<Temps>) -> Cache {
        Cache {
            root,
            ui,
            temps,
            seen: Arc::default(),
        }
    }

    /// A cache of its own at `root` (its own temporary files and memory of entries), for
    /// tools and tests that read one; a run uses `ctx.cache`.
    pub fn new(root: PathBuf) -> Cache {
        Cache::open(root, Ui::default(), Arc::default())
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// `toolchains/`, `sources/`, `libs/`, `builds/`, `probes/`, `logs/`.
    pub(crate) fn dir(&self, kind: &str) -> PathBuf {
        self.root.join(kind)
    }

    /// Refuses a cache whose root or entry folders others may write into, or whose entry
    /// folders are symlinks (linked out of the cache): nothing in them could be trusted.
    /// The root itself may be a symlink; that is where the user chose to keep it.
    pub(crate) fn check_folders(&self) -> Result<()> {
        let refuse = |path: &Path, reason: &str| Error::CacheUnsafe {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        if let Ok(meta) = std::fs::metadata(&self.root)
            && meta.mode() & 0o002 != 0
        {
            return Err(refuse(&self.root, "is writable by others"));
        }
        for kind in KINDS.iter().chain(["locks", "logs", "seals"].iter()) {
            let dir = self.dir(kind);
            let Ok(meta) = std::fs::symlink_metadata(&dir) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                return Err(refuse(&dir, "is a symlink, linked out of the cache"));
            }
            if meta.mode() & 0o002 != 0 {
                return Err(refuse(&dir, "is writable by others"));
            }
        }
        Ok(())
    }

    /// Takes an exclusive lock named `name` (held until the guard is dropped). Two
    /// processes building the same entry serialise here; the second finds it complete.
    pub(crate) fn lock(&self, name: &str) -> Result<File> {
        let dir = self.dir("locks");
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        let path = dir.join(format!("{name}.lock"));
        let file = File::create(&path).map_err(Error::io("cannot create the lock file", &path))?;
        file.lock().map_err(Error::io("cannot lock", &path))?;
        Ok(file)
    }

    /// The name of the locks of the entry that holds `path`: its folder's name under its
    /// kind (`libs/<entry>/include/…` → `entry-<entry>`), which its build's log folder
    /// shares (`logs/libs/<entry>`); `None` for a path outside the cache's folders.
    fn entry_lock_name(&self, path: &Path) -> Option<String> {
        let mut parts = path
            .strip_prefix(&self.root)
            .ok()?
            .components()
            .map(|c| match c {
                Component::Normal(name) => Some(name.to_string_lossy()),
                _ => None,
            });
        let kind = parts.next()??;
        let mut name = parts.next()??;
        if kind == "logs" && name == "libs" {
            name = parts.next()??;
        }
        Some(format!("entry-{name}"))
    }

    /// The builder's lock of the entry at `entry`, taken exclusively (waiting, and saying
    /// so, while another process builds it).
    pub(crate) fn lock_entry(&self, entry: &Path, what: &str) -> Result<File> {
        let name = self
            .entry_lock_name(entry)
            .expect("an entry is inside its cache");
        self.lock_announced(&name, what)
    }

    /// Marks the entry holding `path` as used by this run, until it ends: a shared lock
    /// that `cache prune` cannot take while it is held. Waits only while a prune removes
    /// that very entry (a rename), after which the caller finds it gone and makes it
    /// again. Best effort: where no lock can be made, prune can take the entry, as before.
    pub(crate) fn pin(&self, path: &Path) {
        let Some(name) = self.entry_lock_name(path) else {
            return;
        };
        let mut pins = self.seen.pins.lock().unwrap_or_else(|e| e.into_inner());
        if pins.contains_key(&name) {
            return;
        }
        let dir = self.dir("locks");
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        let Ok(file) = File::create(dir.join(format!("{name}.use"))) else {
            return;
        };
        if file.lock_shared().is_ok() {
            pins.insert(name, file);
        }
    }

    /// Both locks of the entry at `entry`, exclusively, if no process builds or uses it
    /// (`None` then); never waits. What `cache prune` holds while it removes an entry.
    pub(crate) fn try_take_entry(&self, entry: &Path) -> Result<Option<[File; 2]>> {
        let Some(name) = self.entry_lock_name(entry) else {
            return Ok(None);
        };
        let dir = self.dir("locks");
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        let take = |suffix: &str| -> Result<Option<File>> {
            let path = dir.join(format!("{name}.{suffix}"));
            let file =
                File::create(&path).map_err(Error::io("cannot create the lock file", &path))?;
            match file.try_lock() {
                Ok(()) => Ok(Some(file)),
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                Err(std::fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", &path)(e)),
            }
        };
        let Some(building) = take("lock")? else {
            return Ok(None);
        };
        Ok(take("use")?.map(|using| [building, using]))
    }

    /// `lock`, saying "waiting for WHAT" on stderr when another process holds it, so a
    /// build that seems stuck says why.
    pub(crate) fn lock_announced(&self, name: &str, what: &str) -> Result<File> {
        let dir = self.dir("locks");
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        let path = dir.join(format!("{name}.lock"));
        let file = File::create(&path).map_err(Error::io("cannot create the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                self.ui.status(format_args!(
                    "waiting for {what} (another muslbuild process holds {})",
                    path.display()
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io("cannot lock", &path)(e));
            }
        }
        file.lock().map_err(Error::io("cannot lock", &path))?;
        Ok(file)
    }

    /// A fresh temporary directory inside `kind/`, on the same filesystem as its final
    /// place, removed on drop unless published.
    pub(crate) fn temp_dir(&self, kind: &str) -> Result<tempfile::TempDir> {
        let dir = self.dir(kind);
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        tempfile::Builder::new()
            .prefix(&self.temps.prefix(&dir))
            .tempdir_in(&dir)
            .map_err(Error::io("cannot create a temporary directory in", &dir))
    }

    /// Removes what killed processes left behind in every cache folder that holds
    /// temporary entries. Cheap (one `read_dir` per folder), so every run does it.
    pub(crate) fn sweep_dead_temps(&self) {
        for kind in TEMP_KINDS {
            crate::sys::fs::sweep_dead_temps(&self.dir(kind));
        }
    }

    /// The name prefix of a temporary entry made in `parent` (registered for the
    /// interrupt's cleanup).
    pub(crate) fn temp_prefix(&self, parent: &Path) -> String {
        self.temps.prefix(parent)
    }

    /// Whether `entry` is published and intact. A damaged entry is reported once per run
    /// (naming the file) and counts as absent, so the caller builds it again and
    /// `publish_dir` replaces it. The entry is pinned first (`pin`): whatever the answer,
    /// this run uses it (or makes it) from now on.
    pub(crate) fn is_complete(&self, entry: &Path) -> bool {
        self.pin(entry);
        is_complete_in(&self.seen, self.ui, entry, self.seal_of(entry))
    }

    /// Where the seal of `entry` is kept (`entry::write_seal`): installed toolchains
    /// only, 20,000 files for zig that a use would otherwise stat one by one. Entries
    /// elsewhere (a few files to a few hundred) are checked file by file, and their
    /// folders' times mark their last use. Outside the entry, so that the entry holds
    /// exactly what it held when published.
    pub(crate) fn seal_of(&self, entry: &Path) -> Option<PathBuf> {
        let toolchains = self.dir("toolchains");
        if entry.parent() != Some(toolchains.as_path()) {
            return None;
        }
        Some(self.dir("seals").join(entry.file_name()?))
    }

    /// Removes the seals of toolchains that are no longer installed (a stale seal never
    /// holds, it only takes room). Returns the paths removed.
    pub(crate) fn sweep_seals(&self) -> Vec<PathBuf> {
        let Ok(items) = std::fs::read_dir(self.dir("seals")) else {
            return Vec::new();
        };
        let mut removed = Vec::new();
        for item in items.flatten() {
            let name = item.file_name();
            let entry = self.dir("toolchains").join(&name);
            // Hidden names are seals being written (`.tmp-<pid>-…`, swept with the
            // other temporaries once their process is gone).
            if !name.as_encoded_bytes().starts_with(b".")
                && !std::fs::symlink_metadata(entry.join(COMPLETE)).is_ok_and(|m| m.is_file())
                && std::fs::remove_file(item.path()).is_ok()
            {
                removed.push(item.path());
            }
        }
        removed
    }

    /// `logs/<name>`, pinned like an entry: a running step's log is not pruned under it.
    pub(crate) fn log_file(&self, name: &str) -> PathBuf {
        let path = self.dir("logs").join(name);
        self.pin(&path);
        path
    }

    /// Says once per run that an entry is damaged and will not be used.
    pub(crate) fn warn_damaged(&self, entry: &Path, damage: &Damage) {
        warn_in(&self.seen, self.ui, entry, damage);
    }

    /// Writes the completion record and the contents record into `temp` and renames it to
    /// `dest`, replacing an incomplete or damaged leftover (a symlink is removed, never
    /// followed). The caller holds the entry's lock.
    pub(crate) fn publish_dir(
        &self,
        temp: tempfile::TempDir,
        dest: &Path,
        record: &str,
    ) -> Result<()> {
        publish_in(&self.seen, temp, dest, record)?;
        if let Some(seal) = self.seal_of(dest) {
            // A seal that cannot be written costs the next use a full check, which
            // writes it then.
            let _ = entry::write_seal(dest, &seal);
        }
        Ok(())
    }
}

/// The cache folders in which entries are staged (`<kind>/.tmp-<pid>-*`).
pub(crate) const TEMP_KINDS: &[&str] = &[
    "builds",
    "libs",
    "logs",
    "probes",
    "sources",
    "toolchains",
    "downloads",
    "seals",
    "zig",
    "vendor",
];

/// Notes that a cache entry was just used, for `cache prune`'s least-recently-used
/// order: the entry folder's mtime is its last use (one `futimens`, no extra file in
/// the entry).
pub(crate) fn mark_used(entry: &Path) {
    if let Ok(dir) = File::open(entry) {
        let _ = dir.set_modified(std::time::SystemTime::now());
    }
}

fn is_complete_in(seen: &Seen, ui: Ui, entry: &Path, seal: Option<PathBuf>) -> bool {
    if !std::fs::symlink_metadata(entry.join(COMPLETE)).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let intact = || seen.intact.lock().unwrap_or_else(|e| e.into_inner());
    if intact().iter().any(|p| p == entry) {
        return true;
    }
    let _one_at_a_time = seal
        .is_some()
        .then(|| seen.sealed_check.lock().unwrap_or_else(|e| e.into_inner()));
    if intact().iter().any(|p| p == entry) {
        return true;
    }
    match entry::check_in_use(entry, seal.as_deref()) {
        Ok(()) => {
            intact().push(entry.to_path_buf());
            true
        }
        Err(damage) => {
            warn_in(seen, ui, entry, &damage);
            false
        }
    }
}

fn warn_in(seen: &Seen, ui: Ui, entry: &Path, damage: &Damage) {
    let mut warned = seen.warned.lock().unwrap_or_else(|e| e.into_inner());
    if warned.iter().any(|p| p == entry) {
        return;
    }
    warned.push(entry.to_path_buf());
    ui.warn(format_args!(
        "the cache entry {} is damaged: {damage}; it is not used, and is made again",
        entry.display()
    ));
}

fn publish_in(seen: &Seen, temp: tempfile::TempDir, dest: &Path, record: &str) -> Result<()> {
    let record_path = temp.path().join(COMPLETE);
    std::fs::write(&record_path, record).map_err(Error::io("cannot write", &record_path))?;
    entry::record_contents(temp.path())?;
    seen.intact
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|p| p != dest);
    match std::fs::symlink_metadata(dest) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(dest)
            .map_err(Error::io("cannot remove the stale cache entry", dest))?,
        Ok(_) => std::fs::remove_file(dest)
            .map_err(Error::io("cannot remove the stale cache entry", dest))?,
        Err(_) => {}
    }
    let temp = temp.keep();
    std::fs::rename(&temp, dest).map_err(|source| {
        let _ = std::fs::remove_dir_all(&temp);
        Error::io("cannot move into place", dest)(source)
    })
}

/// Serde for a path that need not be UTF-8 (`#[serde(with = "crate::cache::os_path")]`):
/// a string when it is valid UTF-8, else an array of its bytes; both read back.
pub(crate) mod os_path {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Bytes(Vec<u8>),
    }

    pub(crate) fn serialize<S: Serializer>(
        path: &std::path::Path,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match path.to_str() {
            Some(text) => Repr::Text(text.to_string()),
            None => Repr::Bytes(path.as_os_str().as_bytes().to_vec()),
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        Ok(match Repr::deserialize(d)? {
            Repr::Text(text) => PathBuf::from(text),
            Repr::Bytes(bytes) => PathBuf::from(std::ffi::OsString::from_vec(bytes)),
        })
    }
}

#[cfg(test)]
mod tests;
