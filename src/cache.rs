//! The cache and its one rule: every entry appears by rename from a temporary directory
//! beside it, under a lock, and an entry without its completion record does not exist.
//! Also the atomic file write that `dist/` uses.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The file whose presence makes a cache directory count as complete.
pub const COMPLETE: &str = ".muslbuild-complete";

#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `toolchains/`, `sources/`, `libs/`, `builds/`, `probes/`, `logs/`.
    pub fn dir(&self, kind: &str) -> PathBuf {
        self.root.join(kind)
    }

    /// Takes an exclusive lock named `name` (held until the guard is dropped). Two
    /// processes building the same entry serialise here; the second finds it complete.
    pub fn lock(&self, name: &str) -> Result<File> {
        let dir = self.dir("locks");
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        let path = dir.join(format!("{name}.lock"));
        let file = File::create(&path).map_err(Error::io("cannot create the lock file", &path))?;
        file.lock().map_err(Error::io("cannot lock", &path))?;
        Ok(file)
    }

    /// A fresh temporary directory inside `kind/`, on the same filesystem as its final
    /// place, removed on drop unless published.
    pub fn temp_dir(&self, kind: &str) -> Result<tempfile::TempDir> {
        let dir = self.dir(kind);
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        tempfile::Builder::new()
            .prefix(&temp_prefix(&dir))
            .tempdir_in(&dir)
            .map_err(Error::io("cannot create a temporary directory in", &dir))
    }

    /// Removes what killed processes left behind in every cache folder that holds
    /// temporary entries. Cheap (one `read_dir` per folder), so every run does it.
    pub fn sweep_dead_temps(&self) {
        for kind in TEMP_KINDS {
            sweep_dead_temps(&self.dir(kind));
        }
    }
}

/// The cache folders in which entries are staged (`<kind>/.tmp-<pid>-*`).
pub const TEMP_KINDS: &[&str] = &[
    "builds",
    "libs",
    "logs",
    "probes",
    "sources",
    "toolchains",
    "downloads",
];

/// Every folder this process made a temporary entry in, so that an interrupt can remove
/// them (`remove_own_temps`) although no destructor runs.
static TEMP_PARENTS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// The name prefix of a temporary file or folder made in `parent`: `.tmp-<pid>-`. The
/// pid tells a later run whether the owner is still alive (`sweep_dead_temps`).
pub fn temp_prefix(parent: &Path) -> String {
    if let Ok(mut parents) = TEMP_PARENTS.lock()
        && !parents.iter().any(|p| p == parent)
    {
        parents.push(parent.to_path_buf());
    }
    format!(".tmp-{}-", std::process::id())
}

/// The owner pid of a temporary entry's name (`.tmp-<pid>-…`); `None` for other names.
pub fn temp_owner(name: &std::ffi::OsStr) -> Option<u32> {
    let rest = name.to_str()?.strip_prefix(".tmp-")?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes `.tmp-<pid>-*` entries of `dir` whose process is gone. Entries without a pid
/// are left alone: nothing tells whether their owner still runs.
pub fn sweep_dead_temps(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if let Some(pid) = temp_owner(&entry.file_name())
            && sweep_dead_temps_one(&path, pid)
        {
            removed.push(path);
        }
    }
    removed
}

/// Removes the temporary entry `path` owned by `pid` if that process is gone; returns
/// whether it did.
pub fn sweep_dead_temps_one(path: &Path, pid: u32) -> bool {
    if pid == std::process::id() || process_alive(pid) {
        return false;
    }
    let gone = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        _ => std::fs::remove_file(path),
    };
    gone.is_ok()
}

/// Removes this process's temporary entries in every folder it made one in: the
/// interrupt handler's cleanup, right before it exits, when no destructor will run. The
/// registry stays locked afterwards, so no thread starts a new temporary entry (every
/// one asks `temp_prefix` first) between this cleanup and the exit.
pub fn remove_own_temps() {
    let prefix = format!(".tmp-{}-", std::process::id());
    let Ok(guard) = TEMP_PARENTS.lock() else {
        return;
    };
    let parents = guard.clone();
    std::mem::forget(guard);
    for parent in parents {
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            if !entry.file_name().to_string_lossy().starts_with(&prefix) {
                continue;
            }
            let path = entry.path();
            let _ = match entry.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
        }
    }
}

/// Notes that a cache entry was just used, for `cache prune`'s least-recently-used
/// order: the entry folder's mtime is its last use (one `futimens`, no extra file in
/// the entry).
pub fn mark_used(entry: &Path) {
    if let Ok(dir) = File::open(entry) {
        let _ = dir.set_modified(std::time::SystemTime::now());
    }
}

pub fn is_complete(entry: &Path) -> bool {
    entry.join(COMPLETE).is_file()
}

/// Writes the completion record into `temp` and renames it to `dest`, replacing an
/// incomplete leftover. The caller holds the entry's lock.
pub fn publish_dir(temp: tempfile::TempDir, dest: &Path, record: &str) -> Result<()> {
    let record_path = temp.path().join(COMPLETE);
    std::fs::write(&record_path, record).map_err(Error::io("cannot write", &record_path))?;
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .map_err(Error::io("cannot remove the stale cache entry", dest))?;
    }
    let temp = temp.keep();
    std::fs::rename(&temp, dest).map_err(|source| {
        let _ = std::fs::remove_dir_all(&temp);
        Error::Io {
            what: "cannot move into place",
            path: dest.to_path_buf(),
            source,
        }
    })
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader
/// sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(dir))
        .tempfile_in(dir)
        .map_err(Error::io("cannot write into", dir))?;
    temp.write_all(bytes)
        .map_err(Error::io("cannot write", path))?;
    // tempfile creates files 0600; outputs are meant to be read by others (and copied
    // into images) like any file the user's umask would allow.
    use std::os::unix::fs::PermissionsExt;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(Error::io("cannot write", path))?;
    temp.persist(path).map_err(|e| Error::Io {
        what: "cannot write",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// ring's SHA-256 (OpenSSL's assembly, SSSE3/AVX2 on x86 without SHA-NI) is about twice
/// as fast as sha2's portable code, and every artifact is hashed after its build: on a
/// warm Go build this hash was most of muslbuild's own overhead.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A cache key: the sha256 of every part, each length-prefixed so that no two different
/// part lists hash alike.
pub fn key<I, S>(parts: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut hasher = Sha256::new();
    for part in parts {
        let part = part.as_ref();
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

/// Serde for a path that need not be UTF-8 (`#[serde(with = "crate::cache::os_path")]`):
/// a string when it is valid UTF-8, else an array of its bytes; both read back.
pub mod os_path {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Bytes(Vec<u8>),
    }

    pub fn serialize<S: Serializer>(path: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
        match path.to_str() {
            Some(text) => Repr::Text(text.to_string()),
            None => Repr::Bytes(path.as_os_str().as_bytes().to_vec()),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        Ok(match Repr::deserialize(d)? {
            Repr::Text(text) => PathBuf::from(text),
            Repr::Bytes(bytes) => PathBuf::from(std::ffi::OsString::from_vec(bytes)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_parts() {
        assert_ne!(key(["ab", "c"]), key(["a", "bc"]));
        assert_eq!(key(["a", "b"]), key(["a", "b"]));
        assert_eq!(key(["x"]).len(), 64);
    }

    #[test]
    fn published_entry_is_complete_and_temp_is_gone() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        let temp = cache.temp_dir("libs").unwrap();
        std::fs::write(temp.path().join("lib.a"), b"x").unwrap();
        let dest = cache.dir("libs").join("entry");
        assert!(!is_complete(&dest));
        publish_dir(temp, &dest, "done").unwrap();
        assert!(is_complete(&dest));
        let names: Vec<_> = std::fs::read_dir(cache.dir("libs"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("entry")]);
    }

    #[test]
    fn unpublished_temp_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        drop(cache.temp_dir("libs").unwrap());
        assert_eq!(std::fs::read_dir(cache.dir("libs")).unwrap().count(), 0);
    }

    #[test]
    fn temps_of_dead_processes_are_swept_and_live_ones_kept() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        let mine = cache.temp_dir("libs").unwrap();
        // pid_max is at most 2^22 on Linux: this pid cannot be running.
        let dead = cache.dir("libs").join(".tmp-4194305-abc");
        std::fs::create_dir_all(dead.join("sub")).unwrap();
        let foreign = cache.dir("libs").join(".tmp-legacy");
        std::fs::create_dir_all(&foreign).unwrap();
        cache.sweep_dead_temps();
        assert!(!dead.exists());
        assert!(mine.path().is_dir());
        assert!(foreign.is_dir(), "a name without a pid is left alone");
        assert_eq!(temp_owner(std::ffi::OsStr::new(".tmp-12-x")), Some(12));
        assert_eq!(temp_owner(std::ffi::OsStr::new(".tmp-x")), None);
    }

    #[test]
    fn write_atomic_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
